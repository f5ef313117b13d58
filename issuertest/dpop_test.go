package issuertest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/internal/dpoptest"
	"github.com/tokengate/tokengate/issuertest"
)

// tokenRequest posts form to /token with proofs as DPoP headers, as the
// service client unless the form names a client_id, through client.
func tokenRequest(t testing.TB, s *issuertest.Server, client *http.Client, form url.Values, proofs ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if form.Get("client_id") == "" {
		req.SetBasicAuth(issuertest.ServiceClientID, issuertest.ServiceClientSecret)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	body := map[string]any{}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("POST /token: body %q is not JSON", raw)
	}
	return resp.StatusCode, body
}

var clientCredentials = url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read"}}

// tokenProof is a proof for a token request at s at time now.
func tokenProof(key *dpoptest.Key, s *issuertest.Server, now time.Time) string {
	return key.Sign(dpoptest.Proof{Method: "POST", URL: s.URL + "/token", IAT: now})
}

// payload decodes a JWT's claims.
func payload(t testing.TB, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	claims := map[string]any{}
	if err != nil || json.Unmarshal(raw, &claims) != nil {
		t.Fatalf("token %q has no JSON claims", jwt)
	}
	return claims
}

func cnfOf(claims map[string]any) map[string]any {
	cnf, _ := claims["cnf"].(map[string]any)
	return cnf
}

// TestDPoPTokenEndpoint: a token request with a proof gets a DPoP-bound
// token, cnf.jkt in the token and in introspection (RFC 9449 §5, §6).
func TestDPoPTokenEndpoint(t *testing.T) {
	s, clock := newServer(t)
	key := dpoptest.NewKey("ES256")
	status, body := tokenRequest(t, s, s.Client(), clientCredentials, tokenProof(key, s, clock.Now()))
	if status != 200 || body["token_type"] != "DPoP" {
		t.Fatalf("POST /token with a proof = %d %v, want 200 and token_type DPoP", status, body)
	}
	token := body["access_token"].(string)
	if got := cnfOf(payload(t, token))["jkt"]; got != key.JKT() {
		t.Errorf("access token cnf.jkt = %v, want the proof key's thumbprint %q", got, key.JKT())
	}
	_, _, intro := postForm(t, s, "/introspect", url.Values{"token": {token}}, issuertest.APIClientID, issuertest.APIClientSecret)
	if intro["token_type"] != "DPoP" || cnfOf(intro)["jkt"] != key.JKT() {
		t.Errorf("introspection = %v, want token_type DPoP and cnf.jkt %q (RFC 9449 §6.2)", intro, key.JKT())
	}
	status, body = tokenRequest(t, s, s.Client(), clientCredentials)
	if status != 200 || body["token_type"] != "Bearer" || payload(t, body["access_token"].(string))["cnf"] != nil {
		t.Errorf("POST /token without a proof = %d %v, want an unbound Bearer token", status, body)
	}
}

// TestDPoPProofAttacksAtTokenEndpoint: proofs the token endpoint refuses
// with invalid_dpop_proof (RFC 9449 §5).
func TestDPoPProofAttacksAtTokenEndpoint(t *testing.T) {
	s, clock := newServer(t)
	key, other := dpoptest.NewKey("ES256"), dpoptest.NewKey("ES256")
	now := clock.Now()
	replayed := tokenProof(key, s, now)
	if status, _ := tokenRequest(t, s, s.Client(), clientCredentials, replayed); status != 200 {
		t.Fatalf("first use of a proof = %d, want 200", status)
	}
	withPrivate := map[string]any{"d": "c2VjcmV0"}
	for k, v := range key.JWK {
		withPrivate[k] = v
	}
	proof := func(p dpoptest.Proof) string {
		p.Method, p.URL = "POST", s.URL+"/token"
		if p.IAT.IsZero() {
			p.IAT = now
		}
		return key.Sign(p)
	}
	tests := []struct {
		name   string
		proofs []string
	}{
		{"replayed proof", []string{replayed}},
		{"two proofs", []string{proof(dpoptest.Proof{}), proof(dpoptest.Proof{})}},
		{"wrong htu", []string{key.Sign(dpoptest.Proof{Method: "POST", URL: s.URL + "/introspect", IAT: now})}},
		{"wrong htm", []string{key.Sign(dpoptest.Proof{Method: "GET", URL: s.URL + "/token", IAT: now})}},
		{"alg none", []string{proof(dpoptest.Proof{Header: map[string]any{"alg": "none"}})}},
		{"private key in jwk", []string{proof(dpoptest.Proof{Header: map[string]any{"jwk": withPrivate}})}},
		{"jwk of another key", []string{proof(dpoptest.Proof{Header: map[string]any{"jwk": other.JWK}})}},
		{"typ JWT", []string{proof(dpoptest.Proof{Header: map[string]any{"typ": "JWT"}})}},
		{"iat too old", []string{proof(dpoptest.Proof{IAT: now.Add(-2 * time.Minute)})}},
		{"no jti", []string{proof(dpoptest.Proof{Claims: map[string]any{"jti": nil}})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := tokenRequest(t, s, s.Client(), clientCredentials, tt.proofs...)
			if status != 400 || body["error"] != "invalid_dpop_proof" {
				t.Fatalf("POST /token = %d %v, want 400 invalid_dpop_proof", status, body)
			}
		})
	}
}

// TestDPoPBoundRefreshToken: a public client's refresh token is bound to
// its DPoP key; only a proof of that key refreshes it (RFC 9449 §5).
func TestDPoPBoundRefreshToken(t *testing.T) {
	s, clock := newServer(t)
	key, other := dpoptest.NewKey("ES256"), dpoptest.NewKey("EdDSA")
	code, verifier := freshCode(t, s)
	status, body := tokenRequest(t, s, s.Client(), codeExchange(code, verifier), tokenProof(key, s, clock.Now()))
	if status != 200 || body["token_type"] != "DPoP" || body["refresh_token"] == nil {
		t.Fatalf("code exchange with a proof = %d %v, want a DPoP token and a refresh token", status, body)
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {issuertest.PublicClientID}, "refresh_token": {body["refresh_token"].(string)}}
	if status, body := tokenRequest(t, s, s.Client(), refresh); status != 400 || body["error"] != "invalid_dpop_proof" {
		t.Errorf("refresh without a proof = %d %v, want 400 invalid_dpop_proof", status, body)
	}
	if status, body := tokenRequest(t, s, s.Client(), refresh, tokenProof(other, s, clock.Now())); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("refresh with another key's proof = %d %v, want 400 invalid_grant", status, body)
	}
	status, body = tokenRequest(t, s, s.Client(), refresh, tokenProof(key, s, clock.Now()))
	if status != 200 || cnfOf(payload(t, body["access_token"].(string)))["jkt"] != key.JKT() {
		t.Fatalf("refresh with the key's proof = %d %v, want a token bound to the key", status, body)
	}
}

func TestMetadataAdvertisesSenderConstraints(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []issuertest.Option
		mtls bool
	}{{"plain", nil, false}, {"TLS client certificates", []issuertest.Option{issuertest.WithTLSClientCertificates()}, true}} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, tt.opts...)
			var md struct {
				Algs []string `json:"dpop_signing_alg_values_supported"`
				MTLS bool     `json:"tls_client_certificate_bound_access_tokens"`
			}
			getJSON(t, s, "/.well-known/oauth-authorization-server", &md).Body.Close()
			if !slices.Contains(md.Algs, "ES256") || md.MTLS != tt.mtls {
				t.Errorf("metadata = %+v, want ES256 among the DPoP algorithms (RFC 9449 §5.1) and mTLS %v (RFC 8705 §3.3)", md, tt.mtls)
			}
		})
	}
}

// TestCertificateBoundTokens: with client certificates, a token issued to
// a client that presents one carries its x5t#S256 (RFC 8705 §3), in the
// token and in introspection.
func TestCertificateBoundTokens(t *testing.T) {
	s, _ := newServer(t, issuertest.WithTLSClientCertificates())
	if !strings.HasPrefix(s.URL, "https://") || s.Certificate() == nil {
		t.Fatalf("URL = %q, Certificate() = %v; want https and the server's certificate", s.URL, s.Certificate())
	}
	cert, x5t := dpoptest.ClientCertificate("service")
	status, body := tokenRequest(t, s, s.ClientWithCertificate(cert), clientCredentials)
	if status != 200 || body["token_type"] != "Bearer" {
		t.Fatalf("POST /token with a certificate = %d %v", status, body)
	}
	token := body["access_token"].(string)
	if got := cnfOf(payload(t, token))["x5t#S256"]; got != x5t {
		t.Errorf("access token cnf.x5t#S256 = %v, want %q", got, x5t)
	}
	_, _, intro := postForm(t, s, "/introspect", url.Values{"token": {token}}, issuertest.APIClientID, issuertest.APIClientSecret)
	if cnfOf(intro)["x5t#S256"] != x5t {
		t.Errorf("introspection = %v, want cnf.x5t#S256 %q", intro, x5t)
	}
	if _, body := tokenRequest(t, s, s.Client(), clientCredentials); payload(t, body["access_token"].(string))["cnf"] != nil {
		t.Errorf("token without a certificate has cnf; want none")
	}
}
