package verifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/verifier"
)

// discoveryServer serves OpenID Connect Discovery metadata that names its
// own URL as issuer (or issuer, when set) and jwksURL.
func discoveryServer(t testing.TB, issuer func(self string) string, jwksURL string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": issuer(srv.URL), "jwks_uri": jwksURL})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestNewDiscoversKeySet(t *testing.T) {
	keys(t)
	k := testKey{kid: "rsa-1", alg: "RS256", priv: rsaKey}
	jwks := newJWKSServer(t, k)
	srv := discoveryServer(t, func(self string) string { return self }, jwks.URL)
	clock := newClock()
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: srv.URL, Audience: testAudience, Now: clock.Now})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	defer v.Close()
	tok := sign(t, k, nil, accessClaims(srv.URL, clock.Now(), nil))
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
}

func TestNewRefusesIssuerMismatch(t *testing.T) {
	// OpenID Connect Discovery §4.3: the metadata's issuer must be the one
	// asked for, or another issuer's keys would be trusted.
	srv := discoveryServer(t, func(string) string { return "https://evil.example.test" }, "http://127.0.0.1:1/jwks")
	_, err := verifier.New(t.Context(), verifier.Config{Issuer: srv.URL, Audience: testAudience})
	if err == nil || !strings.Contains(err.Error(), "evil.example.test") {
		t.Fatalf("New() error = %v, want an issuer mismatch", err)
	}
	// A mismatch is a configuration error: retrying will not mend it, so
	// it must not pass for an outage.
	if errors.Is(err, verifier.ErrUnavailable) || !strings.Contains(err.Error(), "Config.Issuer") {
		t.Errorf("New() error = %v, want a configuration error naming Config.Issuer, not ErrUnavailable", err)
	}
}

func TestNewDiscoveryDownStartsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer srv.Close()
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: srv.URL, Audience: testAudience, Logger: discardLogger()})
	if err != nil {
		t.Fatalf("New() with the issuer down: error = %v, want a verifier that answers ErrUnavailable", err)
	}
	defer v.Close()
	if _, err := v.Verify(t.Context(), "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.c2ln"); !errors.Is(err, verifier.ErrUnavailable) {
		t.Errorf("Verify() error = %v, want %v", err, verifier.ErrUnavailable)
	}
	if err := v.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("Ready() error = %v, want one naming the issuer", err)
	}
}

func TestNewDoesNotHang(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	v, err := verifier.New(ctx, verifier.Config{Issuer: srv.URL, Audience: testAudience, Logger: discardLogger()})
	if err != nil {
		t.Fatalf("New() against a hanging issuer: error = %v, want a verifier once ctx ends", err)
	}
	v.Close()
}
