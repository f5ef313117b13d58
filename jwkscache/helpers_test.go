package jwkscache

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/issuertest"
)

// testKeys are generated once per test binary: RSA generation is slow.
type testKeys struct {
	rsaA, rsaB, rsa1024 *rsa.PrivateKey
	p256, p384, p521    *ecdsa.PrivateKey
	ed                  ed25519.PrivateKey
}

var keys = sync.OnceValue(func() *testKeys {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	var k testKeys
	var err error
	k.rsaA, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsaB, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsa1024, err = rsa.GenerateKey(rand.Reader, 1024)
	must(err)
	k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	k.p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return &k
})

// jwk is a JSON Web Key built with the standard library only, so that the
// tests do not use jwkset to produce what jwkset parses.
type jwk map[string]any

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, pub *rsa.PublicKey) jwk {
	return jwk{"kty": "RSA", "kid": kid, "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
}

func ecJWK(tb testing.TB, kid string, pub *ecdsa.PublicKey) jwk {
	tb.Helper()
	point, err := pub.Bytes() // 0x04 || X || Y, each of the curve's size
	if err != nil {
		tb.Fatalf("ecdsa Bytes: %v", err)
	}
	size := (len(point) - 1) / 2
	return jwk{"kty": "EC", "kid": kid, "crv": pub.Curve.Params().Name,
		"x": b64(point[1 : 1+size]), "y": b64(point[1+size:])}
}

func edJWK(kid string, pub ed25519.PublicKey) jwk {
	return jwk{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(pub)}
}

// with returns a copy of j with more parameters set.
func (j jwk) with(kv ...any) jwk {
	out := maps.Clone(j)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func jwksJSON(tb testing.TB, ks ...jwk) []byte {
	tb.Helper()
	if ks == nil {
		ks = []jwk{}
	}
	b, err := json.Marshal(map[string]any{"keys": ks})
	if err != nil {
		tb.Fatalf("marshal jwks: %v", err)
	}
	return b
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	return b
}

func newFakeClock() *issuertest.Clock {
	return issuertest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
}

// jwksServer is a real HTTP server for a key set that counts its requests
// and can be switched between behaviours while a test runs.
type jwksServer struct {
	*httptest.Server
	hits    atomic.Int64
	entered chan struct{} // one value per request that reached the handler (buffered)

	mu     sync.Mutex // guards the fields below
	status int
	body   []byte
	header http.Header
	gate   chan struct{} // non-nil: requests block until it is closed or they are cancelled
	accept string        // Accept header of the last request
}

func newJWKSServer(tb testing.TB, body []byte) *jwksServer {
	tb.Helper()
	s := &jwksServer{entered: make(chan struct{}, 1000), status: http.StatusOK, body: body, header: http.Header{}}
	s.Server = httptest.NewServer(s)
	tb.Cleanup(s.Close)
	return s
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	status, body, header, gate := s.status, s.body, s.header.Clone(), s.gate
	s.accept = r.Header.Get("Accept")
	s.mu.Unlock()
	select {
	case s.entered <- struct{}{}:
	default:
	}
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	maps.Copy(w.Header(), header)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// serve switches the server to answer status with body.
func (s *jwksServer) serve(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *jwksServer) setHeader(k, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.header.Set(k, v)
}

// block makes later requests wait until the returned release is called.
func (s *jwksServer) block() (release func()) {
	gate := make(chan struct{})
	s.mu.Lock()
	s.gate = gate
	s.mu.Unlock()
	for len(s.entered) > 0 { // forget requests made before the gate
		<-s.entered
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.gate = nil
			s.mu.Unlock()
			close(gate)
		})
	}
}

// waitEntered waits until a request has reached the handler.
func (s *jwksServer) waitEntered(tb testing.TB) {
	tb.Helper()
	select {
	case <-s.entered:
	case <-time.After(10 * time.Second):
		tb.Fatal("no request reached the key set server")
	}
}

// harness is a Cache under test with its server, clock and fetch signal.
type harness struct {
	c       *Cache
	srv     *jwksServer
	clock   *issuertest.Clock
	fetched chan error // one value per fetch made by the cache after New's (Config.OnFetch)
}

// newHarness starts a server with body and a Cache on it. mutate may
// change the Config before New.
func newHarness(tb testing.TB, body []byte, mutate func(*Config)) *harness {
	tb.Helper()
	h := &harness{srv: newJWKSServer(tb, body), clock: newFakeClock(), fetched: make(chan error, 1000)}
	cfg := Config{URL: h.srv.URL + "/jwks", HTTPClient: h.srv.Client(), Now: h.clock.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	cfg.OnFetch = func(err error) { h.fetched <- err }
	c, err := New(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("New() error = %v", err)
	}
	<-h.fetched // New's own fetch
	tb.Cleanup(func() { _ = c.Close() })
	h.c = c
	return h
}

// waitFetch waits for the cache to finish one fetch and returns its error.
func (h *harness) waitFetch(tb testing.TB) error {
	tb.Helper()
	select {
	case err := <-h.fetched:
		return err
	case <-time.After(10 * time.Second):
		tb.Fatal("the cache made no fetch")
		return nil
	}
}

// noFetchPending fails if a fetch has finished that the test did not wait for.
func (h *harness) noFetchPending(tb testing.TB) {
	tb.Helper()
	select {
	case err := <-h.fetched:
		tb.Fatalf("unexpected fetch (error %v)", err)
	default:
	}
}

func (h *harness) wantHits(tb testing.TB, want int64) {
	tb.Helper()
	if got := h.srv.hits.Load(); got != want {
		tb.Fatalf("key set server got %d requests, want %d", got, want)
	}
}

// wantKey checks that Key returns the public key of priv.
func (h *harness) wantKey(tb testing.TB, kid, alg string, priv crypto.Signer) {
	tb.Helper()
	got, err := h.c.Key(tb.Context(), kid, alg)
	if err != nil {
		tb.Fatalf("Key(%q, %s) error = %v, want nil", kid, alg, err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := priv.Public().(equaler); !ok || !pub.Equal(got) {
		tb.Fatalf("Key(%q, %s) = %T, not the expected public key", kid, alg, got)
	}
}

// wantErr checks that Key fails with an error matching want.
func (h *harness) wantErr(tb testing.TB, kid, alg string, want error) error {
	tb.Helper()
	got, err := h.c.Key(tb.Context(), kid, alg)
	if !errors.Is(err, want) || got != nil {
		tb.Fatalf("Key(%.20q, %s) = %T, %v; want nil, %v", kid, alg, got, err, want)
	}
	return err
}

// signToken signs a JWT with priv; kid is left out of the header when empty.
func signToken(tb testing.TB, method jwt.SigningMethod, priv crypto.Signer, kid string) string {
	tb.Helper()
	tok := jwt.NewWithClaims(method, jwt.MapClaims{"sub": "alice"})
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(priv)
	if err != nil {
		tb.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return s
}

// verify parses token with the cache's Keyfunc, as the verifier will.
func verify(ctx context.Context, c *Cache, token string) error {
	_, err := jwt.Parse(token, c.Keyfunc(ctx), jwt.WithValidMethods([]string{"RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA"}))
	return err
}
