package interop_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

func newVerifier(t *testing.T, p *provider, strict bool) *verifier.JWT {
	t.Helper()
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: p.Issuer, Audience: jwtResource, RequireAccessTokenType: strict})
	if err != nil {
		t.Fatalf("verifier.New() error = %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// newIntrospector checks tokens for the opaque resource; CacheSize 0, so
// that each Verify asks the server and a revocation shows at once.
func newIntrospector(t *testing.T, p *provider) *introspection.Introspector {
	t.Helper()
	in, err := introspection.New(t.Context(), introspection.Config{
		Issuer: p.Issuer, ClientID: apiClient, ClientSecret: apiSecret, Audience: opaqueResource,
	})
	if err != nil {
		t.Fatalf("introspection.New() error = %v", err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// status sends GET / with token to h and returns the status.
func status(h http.Handler, token string) int {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	h.ServeHTTP(rec, req)
	return rec.Code
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })

// TestJWTAccessTokenAccepted: node-oidc-provider's RFC 9068 access token
// (typ at+jwt, aud the resource indicator) passes the strict verifier,
// with its client and scopes read, and the middleware lets it through for
// the scope it grants only.
func TestJWTAccessTokenAccepted(t *testing.T) {
	p := startProvider(t, "0")
	tok := codeFlow(t, p, jwtResource)
	v := newVerifier(t, p, true)
	c, err := v.Verify(t.Context(), tok.access)
	if err != nil {
		t.Fatalf("Verify(access token) error = %v", err)
	}
	if c.Subject != "alice" || c.ClientID != "web-app" || !slices.Contains(c.Scopes, "orders:read") || !slices.Equal(c.Audience, []string{jwtResource}) {
		t.Errorf("claims = %+v; want alice, web-app, orders:read, aud %s", c, jwtResource)
	}
	if got := status(middleware.Require(v, scopes.All("orders:read"))(ok), tok.access); got != http.StatusOK {
		t.Errorf("Require(orders:read) status %d, want 200", got)
	}
	if got := status(middleware.Require(v, scopes.All("orders:write"))(ok), tok.access); got != http.StatusForbidden {
		t.Errorf("Require(orders:write) status %d, want 403", got)
	}
}

// TestIDAndRefreshTokensRefused: neither the ID token nor the refresh
// token of the same sign-in is an API credential, by the verifier, by
// introspection, or through the middleware.
func TestIDAndRefreshTokensRefused(t *testing.T) {
	p := startProvider(t, "0")
	tok := codeFlow(t, p, jwtResource)
	if tok.id == "" || tok.refresh == "" {
		t.Fatalf("code flow returned id token %t, refresh token %t; want both", tok.id != "", tok.refresh != "")
	}
	lenient, strict, in := newVerifier(t, p, false), newVerifier(t, p, true), newIntrospector(t, p)
	tests := []struct {
		name  string
		v     verifier.TokenVerifier
		token string
		want  error
	}{
		{"ID token, default verifier: at_hash or its aud (the client) refuses it", lenient, tok.id, verifier.ErrInvalidToken},
		{"ID token, strict verifier: no typ at+jwt (RFC 9068 §4)", strict, tok.id, verifier.ErrNotAccessToken},
		{"refresh token, verifier: not a JWT", lenient, tok.refresh, verifier.ErrMalformedToken},
		{"ID token, introspection", in, tok.id, verifier.ErrInvalidToken},
		{"refresh token, introspection", in, tok.refresh, verifier.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.v.Verify(t.Context(), tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify() error = %v, want %v", err, tt.want)
			}
			if got := status(middleware.Require(tt.v)(ok), tt.token); got != http.StatusUnauthorized {
				t.Errorf("Require() status %d, want 401", got)
			}
		})
	}
}

// TestOpaqueTokenRevocationSeen: an opaque access token introspects
// active until web-app revokes it (RFC 7009), then is refused.
func TestOpaqueTokenRevocationSeen(t *testing.T) {
	p := startProvider(t, "0")
	tok := codeFlow(t, p, opaqueResource)
	if strings.Count(tok.access, ".") == 2 {
		t.Fatalf("access token for %s is a JWT; want an opaque one", opaqueResource)
	}
	in := newIntrospector(t, p)
	h := middleware.Require(in, scopes.All("orders:read"))(ok)
	c, err := in.Verify(t.Context(), tok.access)
	if err != nil || c.ClientID != "web-app" || c.Subject != "alice" {
		t.Fatalf("Verify(opaque) = %+v, %v; want alice of web-app", c, err)
	}
	if got := status(h, tok.access); got != http.StatusOK {
		t.Fatalf("before revocation: status %d, want 200", got)
	}
	revoke(t, p, tok.access)
	if _, err := in.Verify(t.Context(), tok.access); !errors.Is(err, verifier.ErrInvalidToken) {
		t.Errorf("Verify(revoked) error = %v, want ErrInvalidToken", err)
	}
	if got := status(h, tok.access); got != http.StatusUnauthorized {
		t.Errorf("after revocation: status %d, want 401", got)
	}
}

// TestRotationFollowed: node-oidc-provider signs with a new key the moment
// it has one (a restart with a new first key); the verifier built before
// follows to the new kid without a failed request.
func TestRotationFollowed(t *testing.T) {
	p := startProvider(t, "0")
	v := newVerifier(t, p, true)
	if _, err := v.Verify(t.Context(), codeFlow(t, p, jwtResource).access); err != nil {
		t.Fatalf("Verify(before rotation) error = %v", err)
	}
	oldKID := p.KID
	p = p.restart(t)
	if p.KID == oldKID {
		t.Fatal("the restarted provider kept its key")
	}
	if _, err := v.Verify(t.Context(), codeFlow(t, p, jwtResource).access); err != nil {
		t.Fatalf("Verify(after rotation to %s) error = %v", p.KID, err)
	}
}

// TestServerDown503: with the server down, a token the verifier has no
// key for and every introspected token answer 503 with Retry-After, not
// 401; a token whose key is held still verifies; a verifier cannot be set
// up.
func TestServerDown503(t *testing.T) {
	p := startProvider(t, "0")
	v := newVerifier(t, p, true)
	in := newIntrospector(t, p)
	known := codeFlow(t, p, jwtResource).access
	opaque := codeFlow(t, p, opaqueResource).access
	if _, err := v.Verify(t.Context(), known); err != nil {
		t.Fatal(err)
	}
	p = p.restart(t)
	unknownKID := codeFlow(t, p, jwtResource).access // signed by a key v has not seen
	issuer := p.Issuer
	p.stop()

	jwtRoute := middleware.Require(v, scopes.All("orders:read"))(ok)
	introspected := middleware.Require(in, scopes.All("orders:read"))(ok)
	for _, tt := range []struct {
		name  string
		h     http.Handler
		token string
		want  int
	}{
		{"JWT, key held", jwtRoute, known, http.StatusOK},
		{"JWT, key not held", jwtRoute, unknownKID, http.StatusServiceUnavailable},
		{"opaque, introspection down", introspected, opaque, http.StatusServiceUnavailable},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		req.Header.Set("Authorization", "Bearer "+tt.token)
		tt.h.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, rec.Code, tt.want)
		}
		if tt.want == http.StatusServiceUnavailable && (rec.Header().Get("Retry-After") == "" || rec.Header().Get("WWW-Authenticate") != "") {
			t.Errorf("%s: headers %v; want Retry-After and no challenge", tt.name, rec.Header())
		}
	}
	// A verifier started while the server is down starts anyway (so that
	// the API does not crash-loop), is not ready, and answers 503.
	late, err := verifier.New(t.Context(), verifier.Config{Issuer: issuer, Audience: jwtResource})
	if err != nil {
		t.Fatalf("verifier.New(server down) error = %v, want a verifier that starts without its issuer", err)
	}
	defer late.Close()
	if err := late.Ready(t.Context()); !errors.Is(err, verifier.ErrUnavailable) {
		t.Errorf("Ready(server down) error = %v, want ErrUnavailable", err)
	}
	if _, err := late.Verify(t.Context(), known); !errors.Is(err, verifier.ErrUnavailable) {
		t.Errorf("Verify(server down, nothing fetched) error = %v, want ErrUnavailable", err)
	}
}
