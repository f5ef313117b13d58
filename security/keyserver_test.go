package security_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/jwkscache"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/verifier"
)

// docServer is a loopback JWKS endpoint that counts its requests and can be
// told to misbehave: answer another document, hang, or never end its body.
type docServer struct {
	*httptest.Server
	hits atomic.Int64

	mu      sync.Mutex // guards the fields below
	body    []byte
	good    []byte // the first body, a good key set in most tests
	hang    bool   // block until the client or the server gives up
	endless bool   // stream a body that never ends
}

func newDocServer(t testing.TB, body string) *docServer {
	t.Helper()
	s := &docServer{body: []byte(body), good: []byte(body)}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *docServer) serve(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	body, hang, endless := s.body, s.hang, s.endless
	s.mu.Unlock()
	switch {
	case hang:
		<-r.Context().Done()
	case endless:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"keys":[`)
		chunk := []byte(strings.Repeat(`{"kty":"RSA","n":"AQAB","e":"AQAB"},`, 100))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}
}

func (s *docServer) set(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.hang, s.endless = []byte(body), false, false
}

func (s *docServer) setHang() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang = true
}

func (s *docServer) setEndless() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endless = true
}

// fixtureSetup is a JWT verifier for the fixtures: their issuer and
// audience, a clock stopped at their time, and a JWKS server serving jwks.
type fixtureSetup struct {
	keys  *docServer
	cache *jwkscache.Cache // the verifier's key source, for Refresh and Status
	clock *issuertest.Clock
	v     *verifier.JWT
	*gate
}

// shortTimeout bounds the calls to an endpoint that the test makes hang,
// so that those tests end quickly; other tests keep the defaults, so that
// a loaded machine cannot turn a slow good fetch into a failure.
const shortTimeout = 400 * time.Millisecond

// skipWaitInShort skips, under -short, a test that waits out shortTimeout
// in real time to prove the timeout holds. The full suite (CI) runs it.
func skipWaitInShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("waits out a real timeout; runs without -short")
	}
}

func newFixtureSetup(t testing.TB, jwks string, mod func(*verifier.Config)) *fixtureSetup {
	t.Helper()
	return newFixtureSetupOn(t, newDocServer(t, jwks), mod)
}

// newFixtureSetupOn is newFixtureSetup on an existing key server, which
// may already misbehave when the verifier starts.
func newFixtureSetupOn(t testing.TB, keys *docServer, mod func(*verifier.Config)) *fixtureSetup {
	t.Helper()
	f := &fixtureSetup{keys: keys, clock: newClock(fixtureNow)}
	cfg := verifier.Config{
		Issuer: fixtureIssuer, Audience: fixtureAudience, JWKSURL: keys.URL, Now: f.clock.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	// The test builds the key cache itself, as a user tuning it would, to
	// reach its Refresh and Status.
	cache, err := jwkscache.New(t.Context(), jwkscache.Config{URL: cfg.JWKSURL, Policy: cfg.KeyPolicy, Now: cfg.Now})
	if err != nil {
		t.Fatalf("jwkscache.New() error = %v", err)
	}
	t.Cleanup(func() { cache.Close() })
	cfg.Keys, cfg.JWKSURL, cfg.KeyPolicy = cache, "", jwkscache.Policy{}
	v, err := verifier.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("verifier.New() error = %v", err)
	}
	t.Cleanup(func() { v.Close() })
	f.v, f.cache, f.gate = v, cache, newGate(t, v, nil)
	return f
}

// issuerSetup is a JWT verifier for a running issuertest server, both on
// one settable clock, behind the middleware.
type issuerSetup struct {
	iss   *issuertest.Server
	clock *issuertest.Clock
	v     *verifier.JWT
	*gate
}

func newIssuerSetup(t testing.TB, mod func(*verifier.Config), opts ...issuertest.Option) *issuerSetup {
	t.Helper()
	clock := issuertest.NewClock(fixtureNow)
	iss := issuertest.NewServer(append([]issuertest.Option{issuertest.WithClock(clock.Now)}, opts...)...)
	t.Cleanup(iss.Close)
	cfg := verifier.Config{
		Issuer: iss.URL, Audience: iss.Audience(), JWKSURL: iss.URL + "/jwks",
		HTTPClient: iss.Client(), Now: clock.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	v, err := verifier.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("verifier.New() error = %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return &issuerSetup{iss: iss, clock: clock, v: v, gate: newGate(t, v, nil)}
}

// claims returns valid access token claims of the issuer at its clock,
// with changes; a nil value removes a claim.
func (s *issuerSetup) claims(changes map[string]any) map[string]any {
	now := s.clock.Now()
	c := map[string]any{
		"iss": s.iss.URL, "aud": s.iss.Audience(), "sub": issuertest.Alice, "client_id": issuertest.PublicClientID,
		"scope": "orders:read", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": "suite-1",
	}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// cooldownPassed moves a clock past the key set's default unknown-kid
// cooldown (30s), after which a fetch is allowed.
const cooldownPassed = 30*time.Second + time.Second
