package middleware_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// TestStartWithoutTheIssuer: an API whose issuer is down at start-up
// starts, answers 503 with Retry-After and no challenge, reports not ready
// naming the issuer, and serves once the issuer is back.
func TestStartWithoutTheIssuer(t *testing.T) {
	clock := issuertest.NewClock(time.Unix(1_800_000_000, 0))
	iss := issuertest.NewServer(issuertest.WithClock(clock.Now))
	defer iss.Close()
	iss.SetFault(issuertest.EndpointDiscovery, issuertest.StatusFault(http.StatusServiceUnavailable))
	quiet := slog.New(slog.DiscardHandler)
	jwt, err := verifier.New(t.Context(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience(), Now: clock.Now, Logger: quiet})
	if err != nil {
		t.Fatalf("verifier.New() with the issuer down: error = %v", err)
	}
	defer jwt.Close()
	intro, err := introspection.New(t.Context(), introspection.Config{
		Issuer: iss.URL, Audience: iss.Audience(), ClientID: issuertest.APIClientID, ClientSecret: issuertest.APIClientSecret,
		Now: clock.Now, Logger: quiet,
	})
	if err != nil {
		t.Fatalf("introspection.New() with the issuer down: error = %v", err)
	}
	defer intro.Close()
	g := &middleware.Guard{Logger: quiet}
	mux := http.NewServeMux()
	mux.Handle("GET /orders", g.Require(jwt, scopes.All("orders:read"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "orders") })))
	mux.Handle("GET /refunds", g.Require(intro)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "refunds") })))
	mux.Handle("GET /readyz", middleware.ReadyHandler(jwt, intro))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}})

	for _, path := range []string{"/orders", "/refunds"} {
		res := do(t, srv.URL+path, tok)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || res.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("GET %s with the issuer down = %d, Retry-After %q, WWW-Authenticate %q; want 503, Retry-After, no challenge",
				path, res.StatusCode, res.Header.Get("Retry-After"), res.Header.Get("WWW-Authenticate"))
		}
	}
	res := do(t, srv.URL+"/readyz", "")
	body := readAll(t, res)
	if res.StatusCode != http.StatusServiceUnavailable || strings.Count(body, iss.URL) < 2 || !strings.Contains(body, "verifier:") || !strings.Contains(body, "introspection:") {
		t.Errorf("GET /readyz with the issuer down = %d %q, want 503 naming the issuer for both verifiers", res.StatusCode, body)
	}

	iss.ClearFaults()
	clock.Advance(30 * time.Second) // both cooldowns
	for _, path := range []string{"/orders", "/refunds"} {
		if res := do(t, srv.URL+path, tok); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the issuer back = %d, want 200", path, res.StatusCode)
		}
	}
	if res := do(t, srv.URL+"/readyz", ""); res.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz with the issuer back = %d %q, want 200", res.StatusCode, readAll(t, res))
	}
}

// TestLogsNeverCarryTheToken: with every level on, no line holds the
// token or its signature, only the SHA-256 prefix.
func TestLogsNeverCarryTheToken(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := (&middleware.Guard{Logger: logger}).Require(newJWT(t, iss, nil), scopes.All("admin"))(http.NotFoundHandler())
	req := issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}}
	tokens := []string{iss.AccessToken(req), iss.ExpiredToken(req), iss.WrongAudienceToken(req), iss.IDToken(req), iss.UnknownKIDToken(req)}
	for _, tok := range tokens {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/orders", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	log := out.String()
	if strings.Count(log, "\n") != len(tokens) {
		t.Errorf("log has %d lines, want %d:\n%s", strings.Count(log, "\n"), len(tokens), log)
	}
	for _, tok := range tokens {
		sig := tok[strings.LastIndexByte(tok, '.')+1:]
		if strings.Contains(log, tok) || strings.Contains(log, sig) {
			t.Fatalf("log carries a token or its signature:\n%s", log)
		}
		if !strings.Contains(log, "token_sha256="+tokengate.RefToken(tok).Hash()) {
			t.Errorf("log lacks the SHA-256 prefix of a refused token:\n%s", log)
		}
	}
}

func do(t *testing.T, url, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
