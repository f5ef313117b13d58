package issuertest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tokengate/tokengate/issuertest"
)

func TestJWKSDocument(t *testing.T) {
	tests := []struct {
		alg     string
		wantKty string
		check   func(any) bool
	}{
		{alg: "RS256", wantKty: "RSA", check: func(k any) bool { r, ok := k.(*rsa.PublicKey); return ok && r.N.BitLen() == 2048 && r.E == 65537 }},
		{alg: "ES256", wantKty: "EC", check: func(k any) bool { _, ok := k.(*ecdsa.PublicKey); return ok }},
		{alg: "EdDSA", wantKty: "OKP", check: func(k any) bool { _, ok := k.(ed25519.PublicKey); return ok }},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			s, _ := newServer(t, issuertest.WithSigningAlg(tt.alg), issuertest.WithJWKSMaxAge(90*time.Second))
			var doc struct {
				Keys []map[string]any `json:"keys"`
			}
			resp := getJSON(t, s, "/jwks", &doc)
			if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=90" {
				t.Errorf("JWKS Cache-Control = %q, want public, max-age=90", cc)
			}
			// The access token key, and for the other algorithms the RS256
			// key of ID tokens too.
			wantKeys := map[bool]int{true: 1, false: 2}[tt.alg == "RS256"]
			if len(doc.Keys) != wantKeys {
				t.Fatalf("JWKS has %d keys, want %d", len(doc.Keys), wantKeys)
			}
			k := doc.Keys[0]
			if k["kty"] != tt.wantKty || k["alg"] != tt.alg || k["use"] != "sig" || k["kid"] != s.SigningKeyID() {
				t.Errorf("JWK = %v, want kty %s, alg %s, use sig, kid %s", k, tt.wantKty, tt.alg, s.SigningKeyID())
			}
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
				if _, ok := k[private]; ok {
					t.Errorf("JWK publishes private member %q", private)
				}
			}
			keys := jwks(t, s)
			if !tt.check(keys[s.SigningKeyID()]) {
				t.Errorf("JWK does not decode to a %s public key", tt.alg)
			}
			if pub, ok := s.PublicKey(s.SigningKeyID()).(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(keys[s.SigningKeyID()]) {
				t.Errorf("JWKS key differs from PublicKey()")
			}
		})
	}
}

// TestKeyRotation: a new kid signs at once, the old key stays published
// for the overlap, then leaves; RetireKey removes it at once.
func TestKeyRotation(t *testing.T) {
	s, clock := newServer(t, issuertest.WithKeyOverlap(10*time.Minute), issuertest.WithAccessTokenLifetime(time.Hour))
	oldKID := s.SigningKeyID()
	oldTok := s.AccessToken(issuertest.TokenRequest{})

	newKID := s.RotateKey()
	if newKID == oldKID || s.SigningKeyID() != newKID {
		t.Fatalf("RotateKey() = %q, signing kid %q, old %q", newKID, s.SigningKeyID(), oldKID)
	}
	newTok := s.AccessToken(issuertest.TokenRequest{})
	if got := s.KeyIDs(); !slices.Equal(got, []string{oldKID, newKID}) {
		t.Errorf("KeyIDs() after rotation = %v, want old and new", got)
	}
	for name, tok := range map[string]string{"old": oldTok, "new": newTok} {
		if _, err := parseAccess(t, s, clock, tok); err != nil {
			t.Errorf("%s token during the overlap: %v", name, err)
		}
	}
	if kid := headerOf(t, newTok)["kid"]; kid != newKID {
		t.Errorf("new token kid = %v, want %s", kid, newKID)
	}

	clock.Advance(10*time.Minute - time.Second)
	if len(jwks(t, s)) != 2 {
		t.Errorf("old key left the JWKS before the overlap ended")
	}
	clock.Advance(time.Second)
	if _, err := parseAccess(t, s, clock, oldTok); !errors.Is(err, errUnknownKID) {
		t.Errorf("old token after the overlap: err = %v, want unknown kid", err)
	}

	third := s.RotateKey()
	s.RetireKey(newKID)
	if got := s.KeyIDs(); !slices.Equal(got, []string{third}) {
		t.Errorf("KeyIDs() after RetireKey = %v, want only %s", got, third)
	}
}

func TestRetireKeyMisuse(t *testing.T) {
	s, _ := newServer(t)
	for name, kid := range map[string]string{"current key": s.SigningKeyID(), "unknown key": "nope"} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("RetireKey(%s) did not panic", name)
				}
			}()
			s.RetireKey(kid)
		})
	}
}

// TestServersShareTheirFirstKey: the process-wide key makes servers cheap;
// rotation gives a server a key of its own.
func TestServersShareTheirFirstKey(t *testing.T) {
	a, _ := newServer(t)
	b, _ := newServer(t)
	if a.SigningKeyID() != b.SigningKeyID() {
		t.Errorf("servers start with different keys")
	}
	if a.RotateKey() == b.SigningKeyID() {
		t.Errorf("rotation reused the shared key")
	}
}

func TestDiscovery(t *testing.T) {
	s, _ := newServer(t, issuertest.WithSigningAlg("ES256"))
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		t.Run(path, func(t *testing.T) {
			var m map[string]any
			resp := getJSON(t, s, path, &m)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d", path, resp.StatusCode)
			}
			want := map[string]string{
				"issuer": s.URL, "authorization_endpoint": s.URL + "/authorize", "token_endpoint": s.URL + "/token",
				"jwks_uri": s.URL + "/jwks", "userinfo_endpoint": s.URL + "/userinfo",
				"introspection_endpoint": s.URL + "/introspect", "revocation_endpoint": s.URL + "/revoke",
			}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s = %v, want %s", k, m[k], v)
				}
			}
			lists := map[string][]string{
				"code_challenge_methods_supported":      {"S256"},
				"response_types_supported":              {"code"},
				"grant_types_supported":                 {"authorization_code", "refresh_token", "client_credentials"},
				"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "none"},
				"id_token_signing_alg_values_supported": {"ES256", "RS256"},
			}
			for k, v := range lists {
				if got := stringList(m[k]); !slices.Equal(got, v) {
					t.Errorf("%s = %v, want %v", k, got, v)
				}
			}
		})
	}
}

func stringList(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestWithIssuerURLAndAddr(t *testing.T) {
	s, _ := newServer(t, issuertest.WithAddr("127.0.0.1:0"), issuertest.WithIssuerURL("https://issuer.example.test"))
	if s.URL != "https://issuer.example.test" {
		t.Errorf("URL = %q", s.URL)
	}
	resp, err := http.Get("http://" + s.Addr() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("discovery on %s = %d", s.Addr(), resp.StatusCode)
	}
	if iss := claimsOf(t, s.AccessToken(issuertest.TokenRequest{}))["iss"]; iss != "https://issuer.example.test" {
		t.Errorf("token iss = %v", iss)
	}
}

func TestNewServerPanicsOnMisuse(t *testing.T) {
	tests := map[string]issuertest.Option{
		"unsupported alg":             issuertest.WithSigningAlg("HS256"),
		"issuer with a path":          issuertest.WithIssuerURL("https://x.example/tenant"),
		"issuer with a slash":         issuertest.WithIssuerURL("https://x.example/"),
		"nil clock":                   issuertest.WithClock(nil),
		"zero lifetime":               issuertest.WithAccessTokenLifetime(0),
		"unknown default user":        issuertest.WithDefaultUser("mallory"),
		"duplicate clients":           issuertest.WithClients(issuertest.DefaultClients()[0], issuertest.DefaultClients()[0]),
		"public client_credentials":   issuertest.WithClients(issuertest.Client{ID: "x", GrantTypes: []string{"client_credentials"}}),
		"code grant without redirect": issuertest.WithClients(issuertest.Client{ID: "x", GrantTypes: []string{"authorization_code"}}),
		"relative redirect":           issuertest.WithClients(issuertest.Client{ID: "x", RedirectURIs: []string{"/cb"}}),
		"user without password":       issuertest.WithUsers(issuertest.User{Subject: "x"}),
		"bad listen address":          issuertest.WithAddr("256.0.0.1:0"),
	}
	for name, opt := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewServer(%s) did not panic", name)
				}
			}()
			issuertest.NewServer(opt).Close()
		})
	}
}

// TestStartManyServers: servers of one process share the signing key of
// their algorithm, so that starting one costs no key generation (counted
// as distinct keys, not timed: CI machines are loaded).
func TestStartManyServers(t *testing.T) {
	kids := map[string]bool{}
	for range 100 {
		s := issuertest.NewServer()
		kids[s.SigningKeyID()] = true
		s.Close()
	}
	if len(kids) != 1 {
		t.Errorf("100 servers signed with %d distinct keys, want 1 shared key", len(kids))
	}
}
