package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// benchHandler is the route both benchmarks serve.
var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"orders":[]}`))
})

// benchServe runs b.N requests through h, in process, so that the numbers
// are the handler chain's cost and not the network's.
func benchServe(b *testing.B, h http.Handler, token string) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, "/orders", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status = %d, want 200", w.Code)
		}
	}
}

// BenchmarkRequire is a full request through Require with a real
// verifier.JWT checking an RS256 token from issuertest: header parsing,
// signature, claims, scopes and the context.
func BenchmarkRequire(b *testing.B) {
	iss := issuertest.NewServer()
	defer iss.Close()
	v := newJWT(b, iss, nil)
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}})
	benchServe(b, middleware.Require(v, scopes.All("orders:read"))(benchHandler), tok)
}

// BenchmarkUnprotected is the same handler without the middleware.
func BenchmarkUnprotected(b *testing.B) {
	benchServe(b, benchHandler, "")
}

// BenchmarkRequireOverhead is Require with a verifier that does no work,
// so that it measures the middleware alone: header parsing, scope check,
// context and the next call.
func BenchmarkRequireOverhead(b *testing.B) {
	claims := &verifier.Claims{Subject: issuertest.Alice, Scopes: []string{"orders:read"}}
	v := verifier.TokenVerifierFunc(func(context.Context, string) (*verifier.Claims, error) { return claims, nil })
	benchServe(b, middleware.Require(v, scopes.All("orders:read"))(benchHandler), "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
}
