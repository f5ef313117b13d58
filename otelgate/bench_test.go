package otelgate_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/otelgate"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// BenchmarkDecision measures what the OpenTelemetry observer adds to a
// request through the middleware, in one run: "plain" is the Guard's
// default (logging to slog.Default() at its default level, no observer),
// "otel" adds an Observer with the SDK's metrics (a manual reader) and a
// no-op tracer. The verifier does no work, so that the difference is the
// observer's alone; BenchmarkDecisionJWT has a real verifier.
func BenchmarkDecision(b *testing.B) {
	claims := &tokengate.Claims{Issuer: "https://issuer.example.test", Subject: issuertest.Alice, Scopes: []string{"orders:read"}}
	v := tokengate.TokenVerifierFunc(func(context.Context, string) (*tokengate.Claims, error) { return claims, nil })
	benchGuards(b, v, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
}

// BenchmarkDecisionJWT is BenchmarkDecision with a verifier.JWT checking
// an RS256 token from issuertest.
func BenchmarkDecisionJWT(b *testing.B) {
	iss := issuertest.NewServer()
	defer iss.Close()
	v, err := verifier.New(b.Context(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience()})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	benchGuards(b, v, iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}}))
}

func benchGuards(b *testing.B, v tokengate.TokenVerifier, token string) {
	obs, err := otelgate.New(otelgate.Config{
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())),
		TracerProvider: noop.NewTracerProvider(),
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name string
		g    *middleware.Guard
	}{
		{"plain", &middleware.Guard{}},
		{"otel", &middleware.Guard{Observer: obs}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			served := 0
			mux := http.NewServeMux()
			mux.Handle("GET /orders", bb.g.Require(v, scopes.All("orders:read"))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served++ })))
			req := httptest.NewRequest(http.MethodGet, "/orders", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				mux.ServeHTTP(w, req)
				n++
			}
			if served != n {
				b.Fatalf("the handler ran %d times in %d requests (status %d), want every time", served, n, w.Code)
			}
		})
	}
}
