package bench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
)

// opaqueToken is the token the introspection benchmarks check: an opaque
// reference token, as an authorization server that introspects would
// issue.
const opaqueToken = "2YotnFZFEjr1zCsicMWpAA.bench-opaque-token_0123456789"

// introspectionServer is an RFC 7662 endpoint on loopback that answers
// every call with the fixture's claims, active. calls counts the calls.
func introspectionServer(tb testing.TB, f *fixture) (srv *httptest.Server, calls *atomic.Int64) {
	tb.Helper()
	claims := f.claims(map[string]any{"active": true, "token_type": "Bearer"})
	body, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	calls = new(atomic.Int64)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if id, secret, ok := r.BasicAuth(); !ok || id != "orders-api" || secret != "orders-secret" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	tb.Cleanup(srv.Close)
	return srv, calls
}

// newIntrospector returns an Introspector on the endpoint for aud, with
// cacheSize entries (0: no cache, every Verify calls the endpoint).
func newIntrospector(tb testing.TB, f *fixture, endpoint string, cacheSize int, aud string) *introspection.Introspector {
	tb.Helper()
	in, err := introspection.New(tb.Context(), introspection.Config{
		Endpoint:     endpoint,
		Issuer:       f.issuer,
		Audience:     aud,
		ClientID:     "orders-api",
		ClientSecret: "orders-secret",
		CacheSize:    cacheSize,
		MaxCacheTTL:  time.Hour,
		Now:          f.clock,
	})
	if err != nil {
		tb.Fatalf("introspection.New: %v", err)
	}
	tb.Cleanup(func() { _ = in.Close() })
	return in
}

// BenchmarkIntrospection measures introspection.Introspector.Verify on a
// cache hit, and on a miss that posts to a loopback endpoint (the cache
// disabled, so that every call is a miss).
func BenchmarkIntrospection(b *testing.B) {
	f := getFixture(b)
	srv, _ := introspectionServer(b, f)
	for _, tc := range []struct {
		name      string
		cacheSize int
	}{
		{"cache-hit", 1024},
		{"cache-miss-loopback", 0},
	} {
		b.Run("opaque/"+tc.name, func(b *testing.B) {
			in := newIntrospector(b, f, srv.URL, tc.cacheSize, audience)
			ctx := b.Context()
			if _, err := in.Verify(ctx, opaqueToken); err != nil { // fills the cache
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				c, err := in.Verify(ctx, opaqueToken)
				if err != nil {
					b.Fatal(err)
				}
				if c.Subject != subject {
					b.Fatalf("Subject = %q, want %q", c.Subject, subject)
				}
			}
		})
	}
}
