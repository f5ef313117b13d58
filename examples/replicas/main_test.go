package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/internal/redistest"
	"github.com/tokengate/tokengate/issuertest"
)

// TestRoutes drives every route of one replica against the real test
// issuer and a real Redis; e2e/replicas_test.go runs three.
func TestRoutes(t *testing.T) {
	redis := redistest.Start(t)
	iss := issuertest.NewServer(issuertest.WithOpaqueAccessTokens())
	defer iss.Close()
	r, err := newReplica(t.Context(), config{
		name: "r1", issuer: iss.URL, jwksURL: iss.URL + "/jwks", audience: iss.Audience(),
		clientID: issuertest.APIClientID, clientSecret: issuertest.APIClientSecret,
		redisAddr: redis.Addr, secret: bytes.Repeat([]byte{7}, 32),
	}, io.Discard)
	if err != nil {
		t.Fatalf("newReplica() error = %v", err)
	}
	defer r.close()
	srv := httptest.NewServer(r.handler)
	defer srv.Close()

	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}})
	tests := []struct {
		name, method, path, token, form string
		want                            int
	}{
		{"read orders", "GET", "/orders", tok, "", http.StatusOK},
		{"no token", "GET", "/orders", "", "", http.StatusUnauthorized},
		{"a fresh proof", "POST", "/proofs", "", "jti=p1", http.StatusCreated},
		{"the proof replayed", "POST", "/proofs", "", "jti=p1", http.StatusConflict},
		{"a proof without jti", "POST", "/proofs", "", "", http.StatusBadRequest},
		{"a revocation that is no event", "POST", "/revocations", "", "logout_token=x", http.StatusBadRequest},
		{"health is public", "GET", "/healthz", "", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, strings.NewReader(tt.form))
			if tt.method == "POST" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
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
		})
	}
}

func TestSharedSecretRequired(t *testing.T) {
	for _, secret := range []string{"", "abcd", "not hex"} {
		_, err := parseConfig([]string{"-shared-secret", secret}, func(string) string { return "" }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "32 bytes") {
			t.Errorf("parseConfig(-shared-secret %q) error = %v, want one asking for 32 bytes", secret, err)
		}
	}
	_, err := parseConfig(nil, func(k string) string {
		return url.Values{"REPLICAS_SHARED_SECRET": {strings.Repeat("ab", 32)}}.Get(k)
	}, io.Discard)
	if err != nil {
		t.Errorf("parseConfig() with $REPLICAS_SHARED_SECRET error = %v", err)
	}
}
