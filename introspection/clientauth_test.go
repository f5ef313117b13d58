package introspection_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/introspection"
)

// testKey is a P-256 key for client assertions, made once.
var testKey = func() func(testing.TB) crypto.Signer {
	key := sync.OnceValues(func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })
	return func(t testing.TB) crypto.Signer {
		t.Helper()
		k, err := key()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
}()

// TestRequestPrivateKeyJWT checks the client assertion of private_key_jwt
// (RFC 7523 §2.2 and §3, RFC 7521 §4.2): signed by the configured key with
// its kid, iss and sub the client ID, aud the issuer (or the endpoint
// without one), a short exp on the injected clock and a fresh jti for
// every call; and no other credentials.
func TestRequestPrivateKeyJWT(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		key     crypto.Signer
		alg     string
		issuer  string // Config.Issuer
		wantAud string // "" for the endpoint
	}{
		{"ES256, audience the issuer", testKey(t), "ES256", "https://issuer.test", "https://issuer.test"},
		{"RS256, audience the endpoint without an issuer", rsaKey, "RS256", "", ""},
		{"EdDSA", edKey, "EdDSA", "https://issuer.test", "https://issuer.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, last := recorder(t)
			e := newEndpoint(t, h)
			clock := newClock()
			in := newIntrospector(t, e, clock, introspection.Config{
				Issuer: tt.issuer, ClientID: "orders-api", AuthMethod: "private_key_jwt", PrivateKey: tt.key, PrivateKeyID: "key-1",
			})
			want := tt.wantAud
			if want == "" {
				want = e.URL + "/introspect"
			}
			verify(t, in, "token-a", nil)
			first := checkAssertion(t, last(), tt.key.Public(), tt.alg, want)
			verify(t, in, "token-b", nil)
			if second := checkAssertion(t, last(), tt.key.Public(), tt.alg, want); second.ID == first.ID {
				t.Errorf("two calls sent the same assertion jti %q: a replay cache would refuse the second", first.ID)
			}
		})
	}
}

// checkAssertion verifies the client assertion of one request and
// returns its claims.
func checkAssertion(t *testing.T, s seen, pub crypto.PublicKey, alg, aud string) *jwt.RegisteredClaims {
	t.Helper()
	if s.hasBasic || s.form.Has("client_secret") {
		t.Error("private_key_jwt also sent a client secret")
	}
	if got := s.form.Get("client_assertion_type"); got != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		t.Errorf("client_assertion_type = %q, want the RFC 7523 §2.2 jwt-bearer URN", got)
	}
	var claims jwt.RegisteredClaims
	tok, err := jwt.ParseWithClaims(s.form.Get("client_assertion"), &claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(func() time.Time { return epoch }),
		jwt.WithIssuer("orders-api"), jwt.WithSubject("orders-api"), jwt.WithAudience(aud), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("client assertion does not verify: %v", err)
	}
	if tok.Header["kid"] != "key-1" {
		t.Errorf("assertion kid = %v, want key-1", tok.Header["kid"])
	}
	if !claims.IssuedAt.Equal(epoch) || claims.ExpiresAt.Sub(epoch) > time.Minute || claims.ID == "" {
		t.Errorf("assertion iat %v, exp %v, jti %q: want iat now, exp within a minute, a jti", claims.IssuedAt, claims.ExpiresAt, claims.ID)
	}
	if s.form.Get("client_id") != "orders-api" {
		t.Errorf("client_id = %q, want orders-api", s.form.Get("client_id"))
	}
	return &claims
}

// TestRequestAuthNone: with AuthMethod "none" (ORY Hydra's admin port)
// nothing secret is sent, and client_id only when one is configured.
func TestRequestAuthNone(t *testing.T) {
	for _, id := range []string{"", "orders-api"} {
		t.Run("client id "+id, func(t *testing.T) {
			h, last := recorder(t)
			e := newEndpoint(t, h)
			in := newIntrospector(t, e, nil, introspection.Config{AuthMethod: "none", ClientID: id})
			verify(t, in, "token-a", nil)
			s := last()
			if s.hasBasic || s.form.Has("client_secret") || s.form.Has("client_assertion") {
				t.Errorf("AuthMethod none sent credentials: basic %v, form %v", s.hasBasic, s.form)
			}
			if got, ok := s.form["client_id"]; (id == "") != !ok || ok && got[0] != id {
				t.Errorf("client_id = %q, want %q", got, id)
			}
		})
	}
}
