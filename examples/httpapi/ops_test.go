package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/issuertest"
)

// TestOperations: /readyz follows the issuer, and /metrics serves the
// decisions in the Prometheus format through the OTel exporter.
func TestOperations(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	a, err := newAPI(t.Context(), config{
		issuer: iss.URL, audience: iss.Audience(), resource: iss.Audience(),
		clientID: issuertest.APIClientID, clientSecret: issuertest.APIClientSecret,
	})
	if err != nil {
		t.Fatalf("newAPI() error = %v", err)
	}
	defer a.close()
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz", ""); code != http.StatusOK {
		t.Errorf("GET /readyz = %d %q, want 200", code, body)
	}
	get("/orders", iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}}))
	get("/orders", "")
	code, body := get("/metrics", "")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", code)
	}
	for _, want := range []string{
		`tokengate_decisions_total{otel_scope_name="github.com/tokengate/tokengate/otelgate"`,
		`tokengate_outcome="accepted"`, `tokengate_outcome="missing"`, `tokengate_route="GET /orders"`,
		"tokengate_verify_duration_seconds_bucket", "tokengate_keyset_fetches_total", "tokengate_cache_lookups_total",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
}
