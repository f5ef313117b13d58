package issuertest_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tokengate/tokengate/issuertest"
)

// TestCodeFlowWithRealClients drives the authorization code flow with
// golang.org/x/oauth2 as the client and go-oidc as the ID token verifier,
// for every signing algorithm.
func TestCodeFlowWithRealClients(t *testing.T) {
	for _, alg := range []string{issuertest.AlgRS256, issuertest.AlgES256, issuertest.AlgEdDSA} {
		t.Run(alg, func(t *testing.T) {
			s, clock := newServer(t, issuertest.WithSigningAlg(alg))
			ctx := oidc.ClientContext(t.Context(), s.Client())
			provider, err := oidc.NewProvider(ctx, s.URL)
			if err != nil {
				t.Fatalf("oidc.NewProvider(%s) error = %v", s.URL, err)
			}
			conf := publicConfig(s, oidc.ScopeOpenID, "profile", "email", "orders:read")
			conf.Endpoint = provider.Endpoint()
			conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams

			tok := codeFlow(t, s, conf, oidc.Nonce("n-0S6_WzA2Mj"), oauth2.SetAuthURLParam("login_hint", "bob"))

			rawID, _ := tok.Extra("id_token").(string)
			idt, err := provider.Verifier(&oidc.Config{ClientID: issuertest.PublicClientID, Now: clock.Now}).Verify(ctx, rawID)
			if err != nil {
				t.Fatalf("Verify(id_token) error = %v", err)
			}
			if idt.Nonce != "n-0S6_WzA2Mj" || idt.Subject != "bob" {
				t.Errorf("id_token nonce, sub = %q, %q; want n-0S6_WzA2Mj, bob", idt.Nonce, idt.Subject)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("VerifyAccessToken (at_hash) error = %v", err)
			}
			var extra struct {
				AZP      string `json:"azp"`
				AuthTime int64  `json:"auth_time"`
			}
			if err := idt.Claims(&extra); err != nil || extra.AZP != issuertest.PublicClientID || extra.AuthTime != epoch.Unix() {
				t.Errorf("id_token azp, auth_time = %q, %d (%v); want %q, %d", extra.AZP, extra.AuthTime, err, issuertest.PublicClientID, epoch.Unix())
			}

			claims, err := parseAccess(t, s, clock, tok.AccessToken)
			if err != nil {
				t.Fatalf("parseAccess error = %v", err)
			}
			checkAccessClaims(t, claims, "bob", issuertest.PublicClientID, "openid profile email orders:read")

			info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil || info.Subject != "bob" || info.Email != "bob@example.test" {
				t.Errorf("UserInfo = %+v, %v; want bob", info, err)
			}
		})
	}
}

func checkAccessClaims(t *testing.T, c jwt.MapClaims, sub, clientID, scope string) {
	t.Helper()
	want := map[string]any{
		"sub": sub, "client_id": clientID, "scope": scope,
		"aud": issuertest.DefaultAudience, "iat": float64(epoch.Unix()),
		"exp": float64(epoch.Add(issuertest.DefaultAccessTokenLifetime).Unix()),
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("access token %s = %v, want %v", k, c[k], v)
		}
	}
	if jti, _ := c["jti"].(string); len(jti) < 16 {
		t.Errorf("access token jti = %q, want a random ID", jti)
	}
}

// TestRefreshRotation: each refresh returns a new refresh token and
// invalidates the old one; reusing an old one revokes the whole family,
// including the newest refresh token and the access tokens (RFC 9700
// §4.14.2).
func TestRefreshRotation(t *testing.T) {
	s, _ := newServer(t)
	conf := publicConfig(s, "openid", "orders:read")
	first := codeFlow(t, s, conf)

	// Force a refresh: an oauth2 token source refreshes an expired token.
	refresh := func(rt string) (*oauth2.Token, error) {
		return conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: rt, Expiry: time.Unix(1, 0)}).Token()
	}
	second, err := refresh(first.RefreshToken)
	if err != nil {
		t.Fatalf("first refresh error = %v", err)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh did not rotate the refresh token")
	}
	if _, ok := second.Extra("id_token").(string); !ok {
		t.Errorf("refresh response has no id_token for the openid scope")
	}
	third, err := refresh(second.RefreshToken)
	if err != nil {
		t.Fatalf("second refresh error = %v", err)
	}

	// Replay of the first refresh token: refused, and the family dies.
	_, err = refresh(first.RefreshToken)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("replayed refresh error = %v, want invalid_grant", err)
	}
	if _, err := refresh(third.RefreshToken); err == nil {
		t.Errorf("newest refresh token still works after a replay of an old one")
	}
	for name, tok := range map[string]string{"first": first.AccessToken, "third": third.AccessToken, "refresh": third.RefreshToken} {
		if got := introspect(t, s, tok)["active"]; got != false {
			t.Errorf("%s token active = %v after family revocation, want false", name, got)
		}
	}
}

// TestCodeReplayRevokes: a second use of a code fails, and the tokens
// issued from it are revoked (RFC 6749 §4.1.2).
func TestCodeReplayRevokes(t *testing.T) {
	s, _ := newServer(t)
	conf := publicConfig(s, "orders:read")
	verifier := oauth2.GenerateVerifier()
	code := authorize(t, s, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))).Query().Get("code")
	tok, err := conf.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange error = %v", err)
	}
	if introspect(t, s, tok.AccessToken)["active"] != true {
		t.Fatalf("fresh access token is not active")
	}
	_, err = conf.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("second Exchange error = %v, want invalid_grant", err)
	}
	for name, tt := range map[string]string{"access": tok.AccessToken, "refresh": tok.RefreshToken} {
		if introspect(t, s, tt)["active"] != false {
			t.Errorf("%s token issued from a replayed code is still active", name)
		}
	}
}

// TestClientCredentials uses x/oauth2/clientcredentials for the service
// client, with both client authentication methods.
func TestClientCredentials(t *testing.T) {
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		s, clock := newServer(t)
		conf := clientcredentials.Config{
			ClientID: issuertest.ServiceClientID, ClientSecret: issuertest.ServiceClientSecret,
			TokenURL: s.URL + "/token", Scopes: []string{"orders:read"}, AuthStyle: style,
		}
		tok, err := conf.Token(t.Context())
		if err != nil {
			t.Fatalf("style %d: Token() error = %v", style, err)
		}
		if tok.RefreshToken != "" {
			t.Errorf("client_credentials issued a refresh token (RFC 6749 §4.4.3)")
		}
		claims, err := parseAccess(t, s, clock, tok.AccessToken)
		if err != nil {
			t.Fatalf("parseAccess error = %v", err)
		}
		checkAccessClaims(t, claims, issuertest.ServiceClientID, issuertest.ServiceClientID, "orders:read")
		if _, ok := claims["auth_time"]; ok {
			t.Errorf("client_credentials token has auth_time, but no user signed in")
		}
		conf.ClientSecret = "wrong"
		if _, err := conf.Token(context.Background()); err == nil {
			t.Errorf("style %d: wrong secret accepted", style)
		}
	}
}

// TestResourceIndicator: the RFC 8707 resource parameter selects the
// access token's audience; an unknown one is refused with invalid_target.
func TestResourceIndicator(t *testing.T) {
	const other = "https://billing.example.test"
	s, clock := newServer(t, issuertest.WithAudience(issuertest.DefaultAudience, other))
	conf := publicConfig(s, "orders:read")
	tok := codeFlow(t, s, conf, oauth2.SetAuthURLParam("resource", other))
	claims, err := parseAccess(t, s, clock, tok.AccessToken)
	if !errors.Is(err, jwt.ErrTokenInvalidAudience) {
		t.Errorf("token for %s verified for the default audience: err = %v, claims %v", other, err, claims)
	}
	info := introspect(t, s, tok.AccessToken)
	if info["aud"] != other {
		t.Errorf("aud = %v, want %s", info["aud"], other)
	}
	loc := authorize(t, s, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
		oauth2.SetAuthURLParam("resource", "https://unknown.example.test")))
	if loc.Query().Get("error") != "invalid_target" {
		t.Errorf("unknown resource: redirect %s, want error=invalid_target", loc)
	}
}

// TestOpaqueAccessTokens: with WithOpaqueAccessTokens the access token is
// not a JWT, and introspection tells what it stands for.
func TestOpaqueAccessTokens(t *testing.T) {
	s, _ := newServer(t, issuertest.WithOpaqueAccessTokens())
	for name, tok := range map[string]string{
		"flow":   codeFlow(t, s, publicConfig(s, "orders:read")).AccessToken,
		"minted": s.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}}),
	} {
		if strings.Count(tok, ".") != 0 {
			t.Errorf("%s: token %q looks like a JWT", name, tok)
		}
		info := introspect(t, s, tok)
		if info["active"] != true || info["sub"] != "alice" || info["scope"] != "orders:read" || info["token_type"] != "Bearer" {
			t.Errorf("%s: introspection = %v", name, info)
		}
	}
}

// TestAccessTokenHelper: the minted token verifies like a real one, with
// the requested subject, client, scopes and audience.
func TestAccessTokenHelper(t *testing.T) {
	s, clock := newServer(t)
	tok := s.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read", "orders:write"}})
	claims, err := parseAccess(t, s, clock, tok)
	if err != nil {
		t.Fatalf("parseAccess error = %v", err)
	}
	checkAccessClaims(t, claims, "alice", issuertest.PublicClientID, "orders:read orders:write")
	if claims["auth_time"] != float64(epoch.Unix()) {
		t.Errorf("auth_time = %v, want %d", claims["auth_time"], epoch.Unix())
	}
	clock.Advance(issuertest.DefaultAccessTokenLifetime)
	if _, err := parseAccess(t, s, clock, tok); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("after its lifetime parseAccess error = %v, want %v", err, jwt.ErrTokenExpired)
	}
	if introspect(t, s, tok)["active"] != false {
		t.Errorf("expired minted token still active at introspection")
	}
	custom := s.AccessToken(issuertest.TokenRequest{
		Audience: []string{"a", "b"}, Claims: map[string]any{"roles": []string{"admin"}, "jti": nil},
	})
	info := introspect(t, s, custom)
	if aud, _ := info["aud"].([]any); len(aud) != 2 || !slices.Contains(aud, any("b")) || info["jti"] != nil || info["roles"] == nil {
		t.Errorf("custom token introspection = %v", info)
	}
}

func TestRefreshTokenHelper(t *testing.T) {
	s, _ := newServer(t)
	rt := s.RefreshToken(issuertest.TokenRequest{Subject: "bob", Scopes: []string{"orders:read"}})
	info := introspect(t, s, rt)
	if info["active"] != true || info["token_type"] != "refresh_token" || info["sub"] != "bob" {
		t.Fatalf("introspect(RefreshToken()) = %v, want an active refresh token of bob", info)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {issuertest.PublicClientID}}
	status, _, body := postForm(t, s, "/token", form, "", "")
	if status != http.StatusOK || body["refresh_token"] == rt || body["scope"] != "orders:read" {
		t.Fatalf("refresh grant with the minted token = %d %v, want 200, a rotated token and scope orders:read", status, body)
	}
	if status, _, _ := postForm(t, s, "/token", form, "", ""); status != http.StatusBadRequest {
		t.Errorf("second use of the minted refresh token = %d, want 400 (rotated)", status)
	}
}
