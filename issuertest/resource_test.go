package issuertest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/issuertest"
)

// introspect asks /introspect about token as the resource server client.
func introspect(t testing.TB, s *issuertest.Server, token string) map[string]any {
	t.Helper()
	status, h, body := postForm(t, s, "/introspect", url.Values{"token": {token}}, issuertest.APIClientID, issuertest.APIClientSecret)
	if status != http.StatusOK || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("introspect status = %d, Cache-Control %q; body %v", status, h.Get("Cache-Control"), body)
	}
	return body
}

// TestIntrospection covers RFC 7662: who may call, and what is active.
func TestIntrospection(t *testing.T) {
	s, clock := newServer(t)
	tok := codeFlow(t, s, publicConfig(s, "openid", "orders:read"))

	access := introspect(t, s, tok.AccessToken)
	for k, want := range map[string]any{
		"active": true, "token_type": "Bearer", "sub": "alice", "username": "alice",
		"client_id": issuertest.PublicClientID, "scope": "openid orders:read",
		"aud": issuertest.DefaultAudience, "iss": s.URL,
	} {
		if access[k] != want {
			t.Errorf("access token introspection %s = %v, want %v", k, access[k], want)
		}
	}
	refresh := introspect(t, s, tok.RefreshToken)
	if refresh["active"] != true || refresh["token_type"] != "refresh_token" || refresh["scope"] != "openid orders:read" {
		t.Errorf("refresh token introspection = %v", refresh)
	}

	inactive := map[string]string{
		"unknown":      "f00",
		"malformed":    "a.b.c.d",
		"unrecorded":   s.MintJWT(nil, map[string]any{"sub": "alice"}),
		"id token":     tok.Extra("id_token").(string),
		"wrong issuer": s.WrongIssuerToken(issuertest.TokenRequest{}),
	}
	for name, token := range inactive {
		if got := introspect(t, s, token); len(got) != 1 || got["active"] != false {
			t.Errorf("introspect(%s) = %v, want only active false", name, got)
		}
	}
	clock.Advance(issuertest.DefaultAccessTokenLifetime)
	if introspect(t, s, tok.AccessToken)["active"] != false {
		t.Errorf("expired access token is active")
	}
}

func TestIntrospectionCallers(t *testing.T) {
	s, _ := newServer(t)
	tok := s.AccessToken(issuertest.TokenRequest{})
	tests := []struct {
		name       string
		form       url.Values
		user, pass string
		wantStatus int
		wantError  string
	}{
		{name: "no client authentication", form: url.Values{"token": {tok}}, wantStatus: 401, wantError: "invalid_client"},
		{name: "wrong secret basic", form: url.Values{"token": {tok}}, user: issuertest.APIClientID, pass: "x", wantStatus: 401, wantError: "invalid_client"},
		{name: "public client cannot introspect", form: url.Values{"token": {tok}, "client_id": {issuertest.PublicClientID}}, wantStatus: 401, wantError: "invalid_client"},
		{name: "client not allowed to introspect", form: url.Values{"token": {tok}}, user: issuertest.ServiceClientID, pass: issuertest.ServiceClientSecret, wantStatus: 403, wantError: "unauthorized_client"},
		{name: "missing token", form: url.Values{}, user: issuertest.APIClientID, pass: issuertest.APIClientSecret, wantStatus: 400, wantError: "invalid_request"},
		{name: "client_secret_post", form: url.Values{"token": {tok}, "client_id": {issuertest.APIClientID}, "client_secret": {issuertest.APIClientSecret}}, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := postForm(t, s, "/introspect", tt.form, tt.user, tt.pass)
			if status != tt.wantStatus || (tt.wantError != "" && body["error"] != tt.wantError) {
				t.Errorf("introspect status = %d, body %v; want %d %s", status, body, tt.wantStatus, tt.wantError)
			}
			if tt.user != "" && status == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 after HTTP Basic without WWW-Authenticate: Basic")
			}
		})
	}
}

// TestRevocation covers RFC 7009: access tokens alone, refresh tokens
// with their family, only by the owning client.
func TestRevocation(t *testing.T) {
	s, _ := newServer(t)
	public := url.Values{"client_id": {issuertest.PublicClientID}}
	revoke := func(token string, form url.Values, user, pass string) (int, map[string]any) {
		f := url.Values{"token": {token}}
		for k, v := range form {
			f[k] = v
		}
		status, _, body := postForm(t, s, "/revoke", f, user, pass)
		return status, body
	}

	tok := codeFlow(t, s, publicConfig(s, "orders:read"))
	if status, body := revoke(tok.AccessToken, nil, issuertest.ServiceClientID, issuertest.ServiceClientSecret); status != 400 || body["error"] != "unauthorized_client" {
		t.Errorf("revoke by another client = %d %v, want 400 unauthorized_client", status, body)
	}
	if introspect(t, s, tok.AccessToken)["active"] != true {
		t.Fatalf("another client's revocation took effect")
	}
	if status, _ := revoke(tok.AccessToken, public, "", ""); status != 200 {
		t.Errorf("revoke access token status = %d, want 200", status)
	}
	if introspect(t, s, tok.AccessToken)["active"] != false || introspect(t, s, tok.RefreshToken)["active"] != true {
		t.Errorf("revoking the access token: access should be inactive, refresh still active")
	}

	tok2 := codeFlow(t, s, publicConfig(s, "orders:read"))
	if status, _ := revoke(tok2.RefreshToken, url.Values{"client_id": {issuertest.PublicClientID}, "token_type_hint": {"refresh_token"}}, "", ""); status != 200 {
		t.Errorf("revoke refresh token status = %d", status)
	}
	if introspect(t, s, tok2.AccessToken)["active"] != false || introspect(t, s, tok2.RefreshToken)["active"] != false {
		t.Errorf("revoking the refresh token left its family active")
	}
	if status, _ := revoke("never-issued", public, "", ""); status != 200 {
		t.Errorf("revoke unknown token status = %d, want 200 (RFC 7009 §2.2)", status)
	}
	if status, body := revoke("x", nil, "", ""); status != 401 || body["error"] != "invalid_client" {
		t.Errorf("revoke without client = %d %v, want 401 invalid_client", status, body)
	}
}

// TestUserinfo covers OIDC Core §5.3: a bearer token with openid, in the
// Authorization header.
func TestUserinfo(t *testing.T) {
	s, _ := newServer(t)
	withOpenID := s.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"openid", "profile"}})
	tests := []struct {
		name       string
		header     []string
		wantStatus int
		wantAuth   string
	}{
		{name: "ok", header: []string{"Bearer " + withOpenID}, wantStatus: 200},
		{name: "no token", wantStatus: 401, wantAuth: `Bearer realm="issuertest"`},
		{name: "two authorization headers", header: []string{"Bearer " + withOpenID, "Bearer " + withOpenID}, wantStatus: 401},
		{name: "not a bearer scheme", header: []string{"Basic " + withOpenID}, wantStatus: 401},
		{name: "unknown token", header: []string{"Bearer nope"}, wantStatus: 401, wantAuth: `error="invalid_token"`},
		{name: "token without openid", header: []string{"Bearer " + s.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}})}, wantStatus: 403, wantAuth: `error="insufficient_scope"`},
		{name: "id token instead of access token", header: []string{"Bearer " + s.IDToken(issuertest.TokenRequest{})}, wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/userinfo", nil)
			for _, h := range tt.header {
				req.Header.Add("Authorization", h)
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Header.Get("WWW-Authenticate"), tt.wantAuth) {
				t.Errorf("GET /userinfo = %d %q, want %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), tt.wantStatus, tt.wantAuth)
			}
		})
	}
}
