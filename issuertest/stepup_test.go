package issuertest_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/issuertest"
)

// signInClaims runs the code flow with extra authorization parameters and
// returns the access token's acr and auth_time and the ID token's acr.
func signInClaims(t *testing.T, s *issuertest.Server, clock *issuertest.Clock, params ...string) (acr any, authTime int64, idACR any) {
	t.Helper()
	var opts []oauth2.AuthCodeOption
	for i := 0; i < len(params); i += 2 {
		opts = append(opts, oauth2.SetAuthURLParam(params[i], params[i+1]))
	}
	tok := codeFlow(t, s, publicConfig(s, "openid"), opts...)
	claims, err := parseAccess(t, s, clock, tok.AccessToken)
	if err != nil {
		t.Fatalf("access token: %v", err)
	}
	id, _ := tok.Extra("id_token").(string)
	idClaims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(id, idClaims); err != nil {
		t.Fatalf("id token: %v", err) // its signature is the ID token tests' business
	}
	at, _ := claims["auth_time"].(float64)
	return claims["acr"], int64(at), idClaims["acr"]
}

// TestAuthorizeHonoursACRValues: acr_values picks the first context the
// server supports; one it does not support is ignored, as acr_values is
// voluntary (OIDC Core §3.1.2.1); access and ID tokens carry the acr
// (RFC 9470 §4).
func TestAuthorizeHonoursACRValues(t *testing.T) {
	s, clock := newServer(t, issuertest.WithAuthenticationContexts("urn:example:pwd", "urn:example:mfa"))
	tests := []struct {
		name, acrValues string
		want            string
	}{
		{"none asked: the default", "", "urn:example:pwd"},
		{"one supported", "urn:example:mfa", "urn:example:mfa"},
		{"first supported of several", "urn:example:hwk urn:example:mfa urn:example:pwd", "urn:example:mfa"},
		{"none supported: the default", "urn:example:hwk", "urn:example:pwd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var params []string
			if tt.acrValues != "" {
				params = []string{"acr_values", tt.acrValues}
			}
			acr, _, idACR := signInClaims(t, s, clock, params...)
			if acr != tt.want || idACR != tt.want {
				t.Errorf("acr of access, ID token = %v, %v; want %q", acr, idACR, tt.want)
			}
		})
	}
	var md map[string]any
	getJSON(t, s, "/.well-known/openid-configuration", &md)
	if got, _ := md["acr_values_supported"].([]any); len(got) != 2 || got[0] != "urn:example:pwd" {
		t.Errorf("acr_values_supported = %v", md["acr_values_supported"])
	}
}

// TestAuthorizeHonoursMaxAge: with sessions a later authorization reuses
// the sign-in, unless max_age says it is too old (OIDC Core §3.1.2.1:
// actively re-authenticate), prompt=login asks, or acr_values asks for a
// context the session lacks.
func TestAuthorizeHonoursMaxAge(t *testing.T) {
	s, clock := newServer(t, issuertest.WithSessions(), issuertest.WithAuthenticationContexts("pwd", "mfa"))
	start := clock.Now().Unix()
	if _, at, _ := signInClaims(t, s, clock); at != start {
		t.Fatalf("first auth_time = %d, want %d", at, start)
	}
	clock.Advance(10 * time.Minute)
	later := clock.Now().Unix()
	steps := []struct {
		name     string
		params   []string
		wantAt   int64
		wantACR  string
		advanced time.Duration
	}{
		{"session reused", nil, start, "pwd", 0},
		{"max_age not exceeded: reused", []string{"max_age", "900"}, start, "pwd", 0},
		{"max_age exceeded: signed in again", []string{"max_age", "300"}, later, "pwd", 0},
		{"acr the session has: reused", []string{"acr_values", "pwd"}, later, "pwd", time.Minute},
		{"acr the session lacks: stepped up", []string{"acr_values", "mfa"}, later + 60, "mfa", 0},
		{"prompt=login: signed in again", []string{"prompt", "login"}, later + 120, "pwd", time.Minute},
	}
	for _, st := range steps {
		clock.Advance(st.advanced)
		acr, at, _ := signInClaims(t, s, clock, st.params...)
		if at != st.wantAt || acr != st.wantACR {
			t.Errorf("%s: auth_time, acr = %d, %v; want %d, %q", st.name, at, acr, st.wantAt, st.wantACR)
		}
	}
}

func TestAuthorizeRefusesBadMaxAge(t *testing.T) {
	s, _ := newServer(t)
	conf := publicConfig(s, "openid")
	for _, v := range []string{"-1", "soon", "1e3"} {
		loc := authorize(t, s, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("max_age", v)))
		if q := loc.Query(); q.Get("error") != "invalid_request" {
			t.Errorf("max_age=%s: redirect %s, want error=invalid_request", v, loc)
		}
	}
}
