package issuertest_test

import (
	"slices"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/issuertest"
)

// TestIDTokenSignedWithRS256_OIDCCore15_1: whatever the access token
// algorithm, ID tokens are signed with RS256, which every relying party
// must accept (OIDC Core §15.1; Discovery §3: "The algorithm RS256 MUST be
// included"), unless the client registered another
// id_token_signed_response_alg (OIDC Registration §2). Discovery lists
// every algorithm the server signs with, and the JWKS has a key for each.
func TestIDTokenSignedWithRS256_OIDCCore15_1(t *testing.T) {
	es256Client := issuertest.Client{
		ID: "es256-app", RedirectURIs: issuertest.PublicClientRedirectURIs(), Scopes: []string{"openid"},
		GrantTypes: []string{issuertest.GrantAuthorizationCode}, IDTokenSignedResponseAlg: issuertest.AlgES256,
	}
	tests := []struct {
		name, alg, clientID string
		wantIDAlg           string
		wantAdvertised      []string
	}{
		{name: "RS256 server", alg: "RS256", clientID: issuertest.PublicClientID, wantIDAlg: "RS256", wantAdvertised: []string{"RS256", "ES256"}},
		{name: "ES256 server", alg: "ES256", clientID: issuertest.PublicClientID, wantIDAlg: "RS256", wantAdvertised: []string{"ES256", "RS256"}},
		{name: "EdDSA server", alg: "EdDSA", clientID: issuertest.PublicClientID, wantIDAlg: "RS256", wantAdvertised: []string{"EdDSA", "RS256", "ES256"}},
		{name: "EdDSA server, client registered ES256", alg: "EdDSA", clientID: "es256-app", wantIDAlg: "ES256", wantAdvertised: []string{"EdDSA", "RS256", "ES256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newServer(t, issuertest.WithSigningAlg(tt.alg),
				issuertest.WithClients(append(issuertest.DefaultClients(), es256Client)...))
			conf := publicConfig(s, "openid", "orders:read")
			conf.ClientID = tt.clientID
			if tt.clientID != issuertest.PublicClientID {
				conf.Scopes = []string{"openid"}
			}
			tok := codeFlow(t, s, conf)
			id, _ := tok.Extra("id_token").(string)
			if h := headerOf(t, id); h["alg"] != tt.wantIDAlg {
				t.Errorf("ID token alg = %v, want %s", h["alg"], tt.wantIDAlg)
			}
			if h := headerOf(t, tok.AccessToken); h["alg"] != tt.alg {
				t.Errorf("access token alg = %v, want %s", h["alg"], tt.alg)
			}
			checkIDToken(t, s, clock, id, tt.wantIDAlg, tt.clientID)

			var m map[string]any
			getJSON(t, s, "/.well-known/openid-configuration", &m)
			got := stringList(m["id_token_signing_alg_values_supported"])
			if !slices.Equal(got, tt.wantAdvertised) {
				t.Errorf("id_token_signing_alg_values_supported = %v, want %v", got, tt.wantAdvertised)
			}
			if h := headerOf(t, s.IDToken(issuertest.TokenRequest{ClientID: tt.clientID})); h["alg"] != tt.wantIDAlg {
				t.Errorf("IDToken() alg = %v, want %s", h["alg"], tt.wantIDAlg)
			}
		})
	}
}

// checkIDToken verifies an ID token against the JWKS with only alg
// allowed, as a relying party configured for it would.
func checkIDToken(t testing.TB, s *issuertest.Server, clock *issuertest.Clock, token, alg, clientID string) {
	t.Helper()
	p := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithIssuer(s.URL), jwt.WithAudience(clientID),
		jwt.WithTimeFunc(clock.Now), jwt.WithExpirationRequired())
	if _, err := p.Parse(token, keyOf(jwks(t, s))); err != nil {
		t.Errorf("ID token does not verify with %s against the JWKS: %v", alg, err)
	}
}
