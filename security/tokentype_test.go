package security_test

import (
	"testing"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/verifier"
)

// Token type attacks (RFC 9068 §2.1, §4; RFC 8725 §3.11; OIDC Core §2):
// tokens the issuer really signed with its access token key, but which are
// not access tokens for an API.

func TestNotAnAccessToken(t *testing.T) {
	s := newIssuerSetup(t, nil)
	alice := issuertest.TokenRequest{Subject: issuertest.Alice}
	tests := []struct {
		name  string
		token string
		want  want
	}{
		{"ID token offered as an access token (aud is the client)", s.iss.IDToken(issuertest.TokenRequest{Nonce: "n-1"}), notAccess},
		{"ID token without nonce offered as an access token: the audience refuses it", s.iss.IDToken(alice), wrongAudience},
		{"ID token with our audience added", s.iss.IDTokenAsAccessToken(alice), notAccess},
		{"ID token claims nonce and at_hash under typ JWT", s.iss.MintJWT(map[string]any{"typ": "JWT"}, s.claims(map[string]any{"nonce": "n", "at_hash": "x"})), notAccess},
		{"refresh token JWT (Keycloak typ claim)", s.iss.MintJWT(map[string]any{"typ": "JWT"}, s.claims(map[string]any{"typ": "Refresh"})), notAccess},
		{"logout token (typ logout+jwt, OIDC Back-Channel Logout §2.4)", s.iss.MintJWT(map[string]any{"typ": "logout+jwt"},
			s.claims(map[string]any{"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}, "sid": "s-1"})), notAccess},
		{"logout token typed JWT, told by its events claim (RFC 8417 §2.2)", s.iss.MintJWT(map[string]any{"typ": "JWT"},
			s.claims(map[string]any{"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}})), notAccess},
		{"DPoP proof (typ dpop+jwt, RFC 9449 §4.2)", s.iss.MintJWT(map[string]any{"typ": "dpop+jwt"},
			s.claims(map[string]any{"htm": "GET", "htu": "https://api.example.test/orders"})), notAccess},
		{"introspection response JWT (typ token-introspection+jwt, RFC 9701 §5)", s.iss.MintJWT(map[string]any{"typ": "token-introspection+jwt"},
			s.claims(map[string]any{"token_introspection": map[string]any{"active": true}})), notAccess},
		{"security event token (typ secevent+jwt)", s.iss.MintJWT(map[string]any{"typ": "secevent+jwt"}, s.claims(nil)), notAccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.refuses(t, tt.token, tt.want)
		})
	}
}

// TestStrictTypeRefusesUntypedIDTokenWithOurAudience: an ID token with no
// nonce or at_hash whose aud also names this API cannot be told from an
// access token by its claims, so the default mode accepts it (see
// verifier/doc.go); Config.RequireAccessTokenType refuses it (RFC 9068 §4).
func TestStrictTypeRefusesUntypedIDTokenWithOurAudience(t *testing.T) {
	s := newIssuerSetup(t, func(c *verifier.Config) { c.RequireAccessTokenType = true })
	id := s.iss.IDToken(issuertest.TokenRequest{Subject: issuertest.Alice, Claims: map[string]any{"aud": []string{issuertest.PublicClientID, s.iss.Audience()}}})
	s.refuses(t, id, notAccess)
	s.accepts(t, s.iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice}))
}

// TestRefreshTokenViaIntrospection: a refresh token is active at the
// issuer, so introspection says so; its token_type gives it away.
func TestRefreshTokenViaIntrospection(t *testing.T) {
	clock := issuertest.NewClock(fixtureNow)
	iss := issuertest.NewServer(issuertest.WithClock(clock.Now))
	t.Cleanup(iss.Close)
	in, err := introspection.New(t.Context(), introspection.Config{
		Endpoint: iss.URL + "/introspect", Issuer: iss.URL, ClientID: issuertest.APIClientID, ClientSecret: issuertest.APIClientSecret,
		Audience: iss.Audience(), CacheSize: 10, HTTPClient: iss.Client(), Now: clock.Now,
	})
	if err != nil {
		t.Fatalf("introspection.New() error = %v", err)
	}
	t.Cleanup(func() { in.Close() })
	g := newGate(t, in, nil)
	g.accepts(t, iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice}))
	g.refuses(t, iss.RefreshToken(issuertest.TokenRequest{Subject: issuertest.Alice}), notAccess)
}
