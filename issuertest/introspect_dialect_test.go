package issuertest_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/tokengate/tokengate/issuertest"
)

// TestHydraIntrospection checks the answers of WithHydraIntrospection
// against what ORY Hydra v2.3.0 was measured to send.
func TestHydraIntrospection(t *testing.T) {
	s, _ := newServer(t, issuertest.WithHydraIntrospection())
	access := s.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
	refresh := s.RefreshToken(issuertest.TokenRequest{Subject: issuertest.Alice})

	// The admin port asks for no client authentication.
	status, _, a := postForm(t, s, "/introspect", url.Values{"token": {access}}, "", "")
	if status != 200 || a["active"] != true || a["token_type"] != "Bearer" || a["token_use"] != "access_token" || !audIs(a["aud"], s.Audience()) {
		t.Errorf("access token: status %d, %v; want token_type Bearer, token_use access_token, aud [%s]", status, a, s.Audience())
	}
	_, _, r := postForm(t, s, "/introspect", url.Values{"token": {refresh}}, "", "")
	if r["active"] != true || r["token_type"] != "Bearer" || r["token_use"] != "refresh_token" || !audIs(r["aud"], s.Audience()) {
		t.Errorf("refresh token: %v; want token_type Bearer (as Hydra sends), token_use refresh_token, the grant's aud", r)
	}
	if id := introspect(t, s, s.IDToken(issuertest.TokenRequest{})); len(id) != 1 || id["active"] != false {
		t.Errorf("ID token: %v, want only active false", id)
	}
}

// TestNodeOIDCIntrospection checks the answers of WithNodeOIDCIntrospection
// against what node-oidc-provider v9.13.3 was measured to send.
func TestNodeOIDCIntrospection(t *testing.T) {
	s, _ := newServer(t, issuertest.WithNodeOIDCIntrospection(), issuertest.WithOpaqueAccessTokens())
	access := introspect(t, s, s.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice}))
	if access["active"] != true || access["token_type"] != "Bearer" {
		t.Errorf("access token: %v, want active with token_type Bearer", access)
	}
	refresh := introspect(t, s, s.RefreshToken(issuertest.TokenRequest{Subject: issuertest.Alice}))
	_, typed := refresh["token_type"]
	_, aud := refresh["aud"]
	if refresh["active"] != true || typed || aud {
		t.Errorf("refresh token: %v, want active with neither token_type nor aud", refresh)
	}

	jwts := map[string]string{
		"ID token":   s.IDToken(issuertest.TokenRequest{}),
		"forged JWT": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.",
	}
	for name, tok := range jwts {
		status, _, body := postForm(t, s, "/introspect", url.Values{"token": {tok}}, issuertest.APIClientID, issuertest.APIClientSecret)
		if status != 400 || body["error"] != "unsupported_token_type" {
			t.Errorf("%s: status %d, %v; want 400 unsupported_token_type", name, status, body)
		}
		if status, _, _ := postForm(t, s, "/introspect", url.Values{"token": {tok}}, "", ""); status != 401 {
			t.Errorf("%s without client authentication: status %d, want 401 (the client is checked first)", name, status)
		}
	}
}

// audIs reports whether a decoded aud member is the array [want].
func audIs(aud any, want string) bool {
	list, ok := aud.([]any)
	return ok && slices.Equal(list, []any{want})
}
