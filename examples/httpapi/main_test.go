package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/issuertest"
)

// TestRoutes drives every route against the real test issuer.
func TestRoutes(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	a, err := newAPI(t.Context(), config{
		issuer: iss.URL, audience: iss.Audience(), resource: iss.Audience(),
		clientID: issuertest.APIClientID, clientSecret: issuertest.APIClientSecret,
	})
	if err != nil {
		t.Fatalf("newAPI() error = %v", err)
	}
	defer a.close()
	srv := httptest.NewServer(a.handler)
	defer srv.Close()

	all := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: issuertest.DefaultAPIScopes()})
	readOnly := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}})
	tests := []struct {
		name, method, path, token string
		want                      int
	}{
		{"read orders (JWT)", "GET", "/orders", all, http.StatusOK},
		{"create an order (JWT)", "POST", "/orders", all, http.StatusOK},
		{"refund (introspection)", "POST", "/refunds", all, http.StatusOK},
		{"create an order without orders:write", "POST", "/orders", readOnly, http.StatusForbidden},
		{"refund without refunds:write", "POST", "/refunds", readOnly, http.StatusForbidden},
		{"no token", "GET", "/orders", "", http.StatusUnauthorized},
		{"ID token", "GET", "/orders", iss.IDToken(issuertest.TokenRequest{}), http.StatusUnauthorized},
		{"health is public", "GET", "/healthz", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
			}
			if resp.StatusCode == http.StatusUnauthorized && !strings.Contains(resp.Header.Get("WWW-Authenticate"), "resource_metadata=") {
				t.Errorf("challenge %q lacks resource_metadata (RFC 9728 §5.1)", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}

	resp, err := srv.Client().Get(srv.URL + "/.well-known/oauth-protected-resource")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
	}
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &md); err != nil || md.Resource != iss.Audience() || md.AuthorizationServers[0] != iss.URL {
		t.Errorf("metadata = %s (%v)", body, err)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	env := map[string]string{"ISSUER_URL": "https://id.example.com", "API_AUDIENCE": "https://orders.example.com"}
	c, err := parseConfig([]string{"-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.issuer != env["ISSUER_URL"] || c.audience != env["API_AUDIENCE"] || c.resource != c.audience || c.addr != "127.0.0.1:0" {
		t.Errorf("parseConfig() = %+v", c)
	}
}
