// Package e2e_test builds the example programs and drives them as separate
// processes on loopback: the standalone issuer, the HTTP API and the gRPC
// API, exactly as their documentation says to run them.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// client is the OAuth 2.0 client of the tests: a timeout, and redirects
// not followed, so that the authorization response can be read.
var client = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// startIssuer runs examples/issuer non-interactively on a free port.
func startIssuer(t *testing.T) string {
	return start(t, "issuer", "issuer:", "-addr", "127.0.0.1:0", "-interactive=false")
}

// signIn runs the authorization code flow with PKCE against issuer with
// golang.org/x/oauth2, and returns the token response.
func signIn(t *testing.T, issuer string, scopes ...string) *oauth2.Token {
	t.Helper()
	conf := &oauth2.Config{
		ClientID:    "web-app",
		RedirectURL: "http://127.0.0.1:7777/callback",
		Endpoint:    oauth2.Endpoint{AuthURL: issuer + "/authorize", TokenURL: issuer + "/token", AuthStyle: oauth2.AuthStyleInParams},
		Scopes:      scopes,
	}
	verifier, state := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	resp, err := client.Get(conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("login_hint", "alice")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
		t.Fatalf("authorization response %s, Location %q: want a code and our state", resp.Status, resp.Header.Get("Location"))
	}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, client)
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange() error = %v", err)
	}
	return tok
}

// admin posts a JSON request to the issuer's admin endpoint.
func admin(t *testing.T, issuer, path string, body any, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := client.Post(issuer+"/admin/"+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("admin %s: %s %s", path, resp.Status, msg)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("admin %s: %v", path, err)
		}
	}
}

// call sends a request with a bearer token and returns the status and the
// WWW-Authenticate header.
func call(t *testing.T, method, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

func TestHTTPAPIWithStandaloneIssuer(t *testing.T) {
	issuer := startIssuer(t)
	line := start(t, "httpapi", "httpapi: listening on",
		"-addr", "127.0.0.1:0", "-issuer", issuer, "-jwks-cooldown", "1ms")
	api, _, _ := strings.Cut(line, " ")

	tok := signIn(t, issuer, "openid", "offline_access", "orders:read", "refunds:write")
	t.Run("local JWT route", func(t *testing.T) {
		if got, _ := call(t, "GET", api+"/orders", tok.AccessToken); got != http.StatusOK {
			t.Errorf("GET /orders = %d, want 200", got)
		}
	})
	t.Run("introspection route", func(t *testing.T) {
		if got, _ := call(t, "POST", api+"/refunds", tok.AccessToken); got != http.StatusOK {
			t.Errorf("POST /refunds = %d, want 200", got)
		}
	})
	t.Run("missing scope", func(t *testing.T) {
		got, challenge := call(t, "POST", api+"/orders", tok.AccessToken)
		if got != http.StatusForbidden || !strings.Contains(challenge, `scope="orders:write"`) {
			t.Errorf("POST /orders = %d %q, want 403 insufficient_scope", got, challenge)
		}
	})
	t.Run("ID token refused", func(t *testing.T) {
		id, _ := tok.Extra("id_token").(string)
		if got, _ := call(t, "GET", api+"/orders", id); got != http.StatusUnauthorized {
			t.Errorf("GET /orders with the ID token = %d, want 401", got)
		}
	})
	t.Run("key rotation through the admin endpoint", func(t *testing.T) {
		var rotated struct{ Kid string }
		admin(t, issuer, "rotate", struct{}{}, &rotated)
		var minted struct{ Token string }
		admin(t, issuer, "token", map[string]any{"subject": "alice", "scopes": []string{"orders:read"}}, &minted)
		if got, _ := call(t, "GET", api+"/orders", minted.Token); got != http.StatusOK {
			t.Errorf("GET /orders with a token of the new kid %s = %d, want 200 on the first try", rotated.Kid, got)
		}
	})
	t.Run("revocation", func(t *testing.T) {
		// A token the API has not seen yet, so that no cached introspection
		// result hides the revocation (the API caches active results 30s).
		fresh := signIn(t, issuer, "orders:read", "refunds:write")
		resp, err := client.PostForm(issuer+"/revoke", url.Values{"token": {fresh.AccessToken}, "client_id": {"web-app"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got, _ := call(t, "POST", api+"/refunds", fresh.AccessToken); got != http.StatusUnauthorized {
			t.Errorf("POST /refunds (introspection) after revocation = %d, want 401", got)
		}
		if got, _ := call(t, "GET", api+"/orders", fresh.AccessToken); got != http.StatusOK {
			t.Errorf("GET /orders (local JWT) after revocation = %d, want 200 until exp", got)
		}
	})
}

// runClient runs the grpcapi binary in client mode and returns its output
// and error.
func runClient(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary(t, "grpcapi"), args...).CombinedOutput()
	return string(out), err
}

func TestGRPCAPIWithStandaloneIssuer(t *testing.T) {
	issuer := startIssuer(t)
	line := start(t, "grpcapi", "grpcapi: listening on", "-addr", "127.0.0.1:0", "-issuer", issuer)
	addr, _, _ := strings.Cut(line, " ")
	tok := signIn(t, issuer, "orders:read")

	tests := []struct {
		name, call, token string
		wantOK            bool
		output            string
	}{
		{"List with orders:read", "List", tok.AccessToken, true, "listed orders for alice"},
		{"Watch streams with orders:read", "Watch", tok.AccessToken, true, "update 3 for alice"},
		{"Create without orders:write", "Create", tok.AccessToken, false, "PermissionDenied"},
		{"List without a token", "List", "", false, "Unauthenticated"},
		{"public health check", "Health", "", true, "SERVING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runClient(t, "-call", tt.call, "-target", addr, "-token", tt.token)
			if (err == nil) != tt.wantOK || !strings.Contains(out, tt.output) {
				t.Errorf("grpcapi -call %s: error %v, output %q; want ok %v and %q", tt.call, err, out, tt.wantOK, tt.output)
			}
		})
	}
}

// TestQuickstartBinary runs the README's main-job command as a program: it
// must exit 0 with every step ok.
func TestQuickstartBinary(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary(t, "quickstart"), "-quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("quickstart -quiet: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), ": ok\n"); n != 11 {
		t.Errorf("quickstart printed %d ok steps, want 11:\n%s", n, out)
	}
}
