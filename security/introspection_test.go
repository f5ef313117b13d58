package security_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"

	"github.com/tokengate/tokengate/issuertest"
)

// Introspection attacks and faults (RFC 7662 §2.2, §4): only the JSON
// boolean true makes a token active; an active token is still checked,
// its kind included; a faulty endpoint is a 503, never a 401, and is
// never cached, though the breaker spares it for a pause after each
// failure; a redirect is never followed, as it would send the token and
// our credentials elsewhere.

// senderConstrained is the refusal of a token bound to a key or a
// certificate, with the challenge it gets.
var senderConstrained = want{verifier.ErrSenderConstrained, http.StatusUnauthorized, `Bearer error="invalid_token", error_description="the token is bound to a key and cannot be used as a bearer token"`}

// certificateMissing is the refusal of a token bound to a TLS client
// certificate on a request without one (RFC 8705 §3).
var certificateMissing = want{verifier.ErrSenderConstrained, http.StatusUnauthorized, `Bearer error="invalid_token", error_description="the access token is bound to a client certificate the request does not present"`}

// endpoint is a loopback introspection endpoint answering with handler h
// and counting its calls.
type endpoint struct {
	*httptest.Server
	calls atomic.Int64
	h     atomic.Pointer[http.HandlerFunc]
}

func newEndpoint(t testing.TB) *endpoint {
	t.Helper()
	e := &endpoint{}
	e.answer(body(200, `{"active":false}`)) // until the test says otherwise: New's credential check
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		(*e.h.Load())(w, r)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) answer(h http.HandlerFunc) { e.h.Store(&h) }

func body(status int, s string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, s)
	}
}

// activeBody is the response for an active access token of
// fixtureAudience at fixtureNow, with changes; a nil value removes a member.
func activeBody(t testing.TB, changes map[string]any) string {
	t.Helper()
	m := map[string]any{
		"active": true, "iss": fixtureIssuer, "aud": fixtureAudience, "sub": "alice", "client_id": "web-app",
		"scope": "orders:read", "exp": fixtureNow.Add(time.Hour).Unix(), "iat": fixtureNow.Unix(), "token_type": "Bearer",
	}
	for k, v := range changes {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return string(mustJSON(t, m))
}

type introspectionSetup struct {
	e     *endpoint
	clock *issuertest.Clock
	in    *introspection.Introspector
	*gate
}

func newIntrospectionSetup(t testing.TB) *introspectionSetup {
	t.Helper()
	return newIntrospectionSetupWith(t, nil)
}

// newIntrospectionSetupWith is newIntrospectionSetup with mod applied to
// the Config before New.
func newIntrospectionSetupWith(t testing.TB, mod func(*introspection.Config)) *introspectionSetup {
	t.Helper()
	s := &introspectionSetup{e: newEndpoint(t), clock: newClock(fixtureNow)}
	cfg := introspection.Config{
		Endpoint: s.e.URL + "/introspect", Issuer: fixtureIssuer, Audience: fixtureAudience,
		ClientID: "orders-api", ClientSecret: "orders-api-secret",
		CacheSize: 100, Timeout: shortTimeout, Now: s.clock.Now,
		MaxFailureBackoff: breakerPause, Logger: slog.New(slog.DiscardHandler),
	}
	if mod != nil {
		mod(&cfg)
	}
	in, err := introspection.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("introspection.New() error = %v", err)
	}
	t.Cleanup(func() { in.Close() })
	s.in, s.gate = in, newGate(t, in, nil)
	return s
}

// slowEndpoint names the row of TestIntrospectionAttacks that waits out
// the call timeout.
const slowEndpoint = "endpoint slower than the timeout"

// breakerPause is the introspection setup's one pause after a failure.
const breakerPause = time.Second

func TestIntrospectionAttacks(t *testing.T) {
	s := newIntrospectionSetup(t)
	other := newCounter(t, `{"active":true}`)
	s.e.answer(body(200, activeBody(t, nil)))
	s.accepts(t, "control-token")

	tests := []struct {
		name     string
		answer   http.HandlerFunc
		want     want
		uncached bool // a fault: each check must ask again
	}{
		{"active as the string \"true\" (RFC 7662 §2.2: a boolean)", body(200, activeBody(t, map[string]any{"active": "true"})), unavailable, true},
		{"active as 1", body(200, activeBody(t, map[string]any{"active": 1})), unavailable, true},
		{"active missing", body(200, activeBody(t, map[string]any{"active": nil})), unavailable, true},
		{"active null", body(200, activeBody(t, map[string]any{"active": json.RawMessage("null")})), unavailable, true},
		{"active true but expired", body(200, activeBody(t, map[string]any{"exp": fixtureNow.Add(-time.Hour).Unix()})), expired, false},
		{"active true but for another audience", body(200, activeBody(t, map[string]any{"aud": "https://other-api.example.test"})), wrongAudience, false},
		{"active true but from another issuer", body(200, activeBody(t, map[string]any{"iss": "https://evil.example.test"})), wrongIssuer, false},
		{"refresh token, ORY Hydra style: token_type Bearer, token_use refresh_token, our aud", body(200, activeBody(t, map[string]any{"token_use": "refresh_token"})), notAccess, false},
		{"refresh token, node-oidc-provider style: no token_type, no aud", body(200, activeBody(t, map[string]any{"token_type": nil, "aud": nil})), notAccess, false},
		{"DPoP-bound token as bearer (RFC 9449 §7.2): cnf jkt", body(200, activeBody(t, map[string]any{"cnf": map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}})), senderConstrained, false},
		{"certificate-bound token as bearer (RFC 8705 §3): cnf x5t#S256", body(200, activeBody(t, map[string]any{"cnf": map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}})), certificateMissing, false},
		{"ID token a server will not introspect (400 unsupported_token_type): a refusal, not an outage", body(400, `{"error":"unsupported_token_type"}`), invalidToken, false},
		{"active false", body(200, `{"active":false}`), invalidToken, false},
		{"endpoint answers 500", body(500, `{"error":"server_error"}`), unavailable, true},
		{"endpoint answers 401 (our credentials refused)", body(401, `{"error":"invalid_client"}`), unavailable, true},
		{"endpoint answers an HTML page", body(200, "<html><body>Sign in</body></html>"), unavailable, true},
		{"endpoint answers a 10 MiB body", body(200, `{"active":true,"pad":"`+strings.Repeat("A", 10<<20)+`"}`), unavailable, true},
		{slowEndpoint, func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // then the server notices the client leaving
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, unavailable, true},
		{"redirect to another host, not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/introspect", http.StatusTemporaryRedirect)
		}, unavailable, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == slowEndpoint {
				skipWaitInShort(t)
			}
			s.e.answer(tt.answer)
			tok := fmt.Sprintf("opaque-token-%d", i)
			s.clock.Advance(breakerPause) // past a pause the row before left
			before := s.e.calls.Load()
			s.refuses(t, tok, tt.want)
			s.clock.Advance(breakerPause)
			mid := s.e.calls.Load()
			s.refuses(t, tok, tt.want)
			calls := s.e.calls.Load() - before
			if last := s.e.calls.Load() - mid; tt.uncached && last != 1 {
				t.Errorf("the endpoint got %d calls for two checks after a breaker pause, want 1: a fault must never be cached, and the breaker lets one probe through", last)
			}
			if !tt.uncached && calls != 1 {
				t.Errorf("the endpoint got %d calls for four checks of a refused token, want 1 (cached refusal)", calls)
			}
		})
	}
	if n := other.hits.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want 0", n)
	}
}

// TestIntrospectionJunkSprayIsBounded stops a spray of distinct junk
// tokens from becoming a flood at the authorization server: at most the
// default NewTokenRate (100) calls a second reach it, the rest are 503.
func TestIntrospectionJunkSprayIsBounded(t *testing.T) {
	s := newIntrospectionSetup(t)
	s.e.answer(body(200, `{"active":false}`))
	before := s.e.calls.Load()
	for i := range 1000 {
		_, err := s.in.Verify(t.Context(), fmt.Sprintf("junk-%d", i))
		if !errors.Is(err, verifier.ErrInvalidToken) && !errors.Is(err, verifier.ErrUnavailable) {
			t.Fatalf("Verify(junk) error = %v", err)
		}
	}
	if calls := s.e.calls.Load() - before; calls != 100 {
		t.Errorf("1000 junk tokens within one second made %d calls, want 100", calls)
	}
}

// TestIntrospectionOutageIsNotHammered: with the endpoint failing, a
// steady load makes one call per breaker pause, not one per request: the
// failed call, the one probe it allows, then none within the pause.
func TestIntrospectionOutageIsNotHammered(t *testing.T) {
	s := newIntrospectionSetup(t)
	s.e.answer(body(503, `{"error":"temporarily_unavailable"}`))
	before := s.e.calls.Load()
	for i := range 1000 {
		if i%2 == 0 {
			s.refuses(t, "steady-token", unavailable)
			continue
		}
		_, err := s.in.Verify(t.Context(), fmt.Sprintf("new-%d", i))
		wantSentinel(t, "Verify()", err, verifier.ErrUnavailable)
	}
	if calls := s.e.calls.Load() - before; calls != 2 {
		t.Errorf("1000 checks during an outage made %d calls, want 2: the failure and one probe", calls)
	}
}

// TestIntrospectionWrongCredentialsFailNew: an endpoint that refuses our
// credentials fails New with a configuration error, rather than every
// request with a 503 for ever after.
func TestIntrospectionWrongCredentialsFailNew(t *testing.T) {
	e := newEndpoint(t)
	e.answer(body(401, `{"error":"invalid_client"}`))
	_, err := introspection.New(t.Context(), introspection.Config{
		Endpoint: e.URL + "/introspect", Audience: fixtureAudience, ClientID: "orders-api", ClientSecret: "wrong-secret",
	})
	if err == nil || errors.Is(err, verifier.ErrUnavailable) || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("New() error = %v, want a configuration error without the secret", err)
	}
}

// TestIntrospectionBurstIsBounded stops a burst of distinct tokens from
// opening hundreds of connections to the issuer: at most the default 64
// calls are in flight at once.
func TestIntrospectionBurstIsBounded(t *testing.T) {
	// No call may give up while the endpoint holds the first 64: a call
	// abandoned by its timeout frees its slot while the endpoint still
	// works on it, which on a loaded machine made the count 65.
	s := newIntrospectionSetupWith(t, func(c *introspection.Config) { c.Timeout, c.MaxQueueWait = time.Minute, time.Minute })
	var inFlight, most atomic.Int64
	arrived, release := make(chan struct{}, 300), make(chan struct{})
	s.e.answer(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		arrived <- struct{}{}
		<-release
		inFlight.Add(-1)
		body(200, `{"active":false}`)(w, r)
	})
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() { s.in.Verify(t.Context(), fmt.Sprintf("burst-%d", i)) })
	}
	for range 64 {
		<-arrived
	}
	close(release)
	wg.Wait()
	if m := most.Load(); m != 64 {
		t.Errorf("at most %d calls in flight, want 64", m)
	}
}
