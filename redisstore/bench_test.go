package redisstore_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tokengate/tokengate/internal/redistest"
	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/redisstore"
)

// A JWT-sized token, as many opaque tokens are too (the same as
// introspection's benchmarks).
const benchToken = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci50ZXN0Iiwic3ViIjoiYWxpY2UifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"

// benchAnswer is an active token's introspection answer, as an
// authorization server sends it.
const benchAnswer = `{"active":true,"token_type":"Bearer","iss":"https://issuer.test","sub":"alice",` +
	`"aud":"https://api.test","client_id":"web","scope":"orders:read orders:write","exp":4102444800,"iat":1700000000,"jti":"j1"}`

// benchEndpoint is a loopback introspection endpoint that answers at once,
// so that a call costs the round trip and the client's work, not the
// server's.
func benchEndpoint(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, benchAnswer)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchIntrospector(b *testing.B, endpoint string, cacheSize int, shared introspection.SharedCache) *introspection.Introspector {
	b.Helper()
	cfg := introspection.Config{
		Endpoint: endpoint, ClientID: "api", ClientSecret: "secret", Audience: "https://api.test",
		CacheSize: cacheSize, Logger: slog.New(slog.DiscardHandler), MaxCacheTTL: time.Hour,
	}
	if shared != nil {
		cfg.SharedCache, cfg.SharedSecret = shared, secret
	}
	in, err := introspection.New(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close() })
	return in
}

func loop(b *testing.B, in *introspection.Introspector) {
	b.Helper()
	ctx := b.Context()
	if _, err := in.Verify(ctx, benchToken); err != nil { // fills the caches
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Verify(ctx, benchToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures one Verify of a token, in one run:
//
//   - process-hit: answered by the process cache, without and with a
//     shared cache behind it (which a hit never reaches);
//   - redis-hit: the process cache disabled, answered by Redis over
//     loopback (a script call, the seal opened, the answer read as a fresh
//     one);
//   - introspection-call: no cache, a call to a loopback endpoint that
//     answers at once.
func BenchmarkVerify(b *testing.B) {
	srv := redistest.Start(b)
	endpoint := benchEndpoint(b).URL
	b.Run("process-hit/no-shared-cache", func(b *testing.B) {
		loop(b, benchIntrospector(b, endpoint, 1000, nil))
	})
	b.Run("process-hit/shared-cache", func(b *testing.B) {
		loop(b, benchIntrospector(b, endpoint, 1000, newStore(b, srv, redisstore.Config{Logger: slog.New(slog.DiscardHandler)})))
	})
	b.Run("redis-hit", func(b *testing.B) {
		loop(b, benchIntrospector(b, endpoint, 0, newStore(b, srv, redisstore.Config{Logger: slog.New(slog.DiscardHandler)})))
	})
	b.Run("introspection-call", func(b *testing.B) {
		loop(b, benchIntrospector(b, endpoint, 0, nil))
	})
}

// BenchmarkRedisHitVersusCall alternates a Redis hit and an introspection
// call over loopback in each op, and reports the mean of each and their
// ratio, so that both are measured under the same load of the machine.
func BenchmarkRedisHitVersusCall(b *testing.B) {
	srv := redistest.Start(b)
	endpoint := benchEndpoint(b).URL
	hit := benchIntrospector(b, endpoint, 0, newStore(b, srv, redisstore.Config{Logger: slog.New(slog.DiscardHandler)}))
	call := benchIntrospector(b, endpoint, 0, nil)
	ctx := b.Context()
	if _, err := hit.Verify(ctx, benchToken); err != nil {
		b.Fatal(err)
	}
	var hitTime, callTime time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		_, err1 := hit.Verify(ctx, benchToken)
		t1 := time.Now()
		_, err2 := call.Verify(ctx, benchToken)
		callTime += time.Since(t1)
		hitTime += t1.Sub(t0)
		if err1 != nil || err2 != nil {
			b.Fatal(err1, err2)
		}
		n++
	}
	b.ReportMetric(float64(hitTime.Nanoseconds())/float64(n), "redis-hit-ns/op")
	b.ReportMetric(float64(callTime.Nanoseconds())/float64(n), "call-ns/op")
	b.ReportMetric(float64(hitTime)/float64(callTime), "redis-hit/call")
}
