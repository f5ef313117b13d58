package introspection_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/verifier"
)

// These tests run against the test issuer answering introspection as ORY
// Hydra v2 and node-oidc-provider v9 do, so the token-kind rules meet the
// answers of a running server, not only hand-written JSON.

// statusOf runs token through the real middleware in front of in and
// returns the HTTP status and Retry-After.
func statusOf(t *testing.T, in *introspection.Introspector, token string) (int, string) {
	t.Helper()
	h := middleware.Require(in)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Header().Get("Retry-After")
}

// TestHydraRefreshTokenRefused: Hydra answers a refresh token with
// token_type "Bearer", token_use "refresh_token" and the access token's
// aud, so neither token_type nor the audience tells it apart; token_use
// does. Its admin port needs no client authentication: AuthMethod "none".
func TestHydraRefreshTokenRefused(t *testing.T) {
	iss, clock := startIssuer(t, issuertest.WithHydraIntrospection(), issuertest.WithOpaqueAccessTokens())
	in := issuerIntrospector(t, iss, clock.Now, introspection.Config{AuthMethod: "none", CacheSize: 10})
	alice := issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read", "orders:write"}}
	checkAliceClaims(t, iss, verify(t, in, iss.AccessToken(alice), nil))
	verify(t, in, iss.RefreshToken(alice), verifier.ErrNotAccessToken)
	verify(t, in, iss.IDToken(alice), verifier.ErrInvalidToken) // Hydra: inactive
	if code, _ := statusOf(t, in, iss.RefreshToken(alice)); code != http.StatusUnauthorized {
		t.Errorf("refresh token through the middleware: status %d, want 401", code)
	}
}

// TestNodeOIDCRefreshTokenRefused: node-oidc-provider answers a refresh
// token without token_type and without aud; only the audience rule
// refuses it.
func TestNodeOIDCRefreshTokenRefused(t *testing.T) {
	iss, clock := startIssuer(t, issuertest.WithNodeOIDCIntrospection(), issuertest.WithOpaqueAccessTokens())
	in := issuerIntrospector(t, iss, clock.Now, introspection.Config{CacheSize: 10})
	alice := issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read", "orders:write"}}
	checkAliceClaims(t, iss, verify(t, in, iss.AccessToken(alice), nil))
	verify(t, in, iss.RefreshToken(alice), verifier.ErrNotAccessToken)

	waived := issuerIntrospector(t, iss, clock.Now, introspection.Config{AnyAudience: true})
	verify(t, waived, iss.RefreshToken(alice), verifier.ErrNotAccessToken)
}

// TestNodeOIDCJWTIsRefusedNotAnOutage: node-oidc-provider answers every
// JWT (ID tokens, forged JWTs) with 400 unsupported_token_type. That is a
// refusal of the token, 401, not a 503 with Retry-After telling the
// client to come back with the same ID token.
func TestNodeOIDCJWTIsRefusedNotAnOutage(t *testing.T) {
	iss, clock := startIssuer(t, issuertest.WithNodeOIDCIntrospection(), issuertest.WithOpaqueAccessTokens())
	in := issuerIntrospector(t, iss, clock.Now, introspection.Config{CacheSize: 10})
	jwts := map[string]string{
		"ID token":   iss.IDToken(issuertest.TokenRequest{Subject: issuertest.Alice}),
		"forged JWT": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.Zm9yZ2Vk",
	}
	for name, tok := range jwts {
		t.Run(name, func(t *testing.T) {
			verify(t, in, tok, verifier.ErrInvalidToken)
			if code, retry := statusOf(t, in, tok); code != http.StatusUnauthorized || retry != "" {
				t.Errorf("through the middleware: status %d, Retry-After %q; want 401 and none", code, retry)
			}
		})
	}
	// The breaker stayed closed: an opaque access token is checked at once.
	verify(t, in, iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice}), nil)
}

// TestAuthNoneWhereCredentialsAreNeeded: "none" against an endpoint that
// asks for client authentication fails New clearly, rather than every
// request later.
func TestAuthNoneWhereCredentialsAreNeeded(t *testing.T) {
	iss, clock := startIssuer(t)
	_, err := introspection.New(t.Context(), introspection.Config{Issuer: iss.URL, Audience: iss.Audience(), AuthMethod: "none", Now: clock.Now})
	if err == nil || errors.Is(err, verifier.ErrUnavailable) || !strings.Contains(err.Error(), `Config.AuthMethod "none"`) {
		t.Fatalf("New() error = %v, want a configuration error naming Config.AuthMethod \"none\"", err)
	}
}
