package verifier_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/verifier"
)

// countingSource is a KeySource that counts its lookups.
type countingSource struct {
	next  verifier.KeySource
	calls int
}

func (s *countingSource) Key(ctx context.Context, kid, alg string) (any, error) {
	s.calls++
	return s.next.Key(ctx, kid, alg)
}

func jwksDocument(t testing.TB, ks ...testKey) []byte {
	t.Helper()
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	for _, k := range ks {
		doc.Keys = append(doc.Keys, jwk(k))
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKeySources: each kind of source verifies the issuer's token and
// refuses one signed by another key, through the same Verify.
func TestKeySources(t *testing.T) {
	keys(t)
	k := testKey{kid: "rsa-1", alg: "RS256", priv: rsaKey}
	other := testKey{kid: "rsa-1", alg: "RS256", priv: rsaKey2}
	der, err := x509.MarshalPKIXPublicKey(rsaKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := jwkscache.PublicKeyFromPEM(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	fromDoc, err := jwkscache.ParseSet(jwksDocument(t, k))
	if err != nil {
		t.Fatal(err)
	}
	fromKeys, err := jwkscache.NewSet(map[string]crypto.PublicKey{"rsa-1": pemKey})
	if err != nil {
		t.Fatal(err)
	}
	kf, err := keyfunc.NewJWKSetJSON(json.RawMessage(jwksDocument(t, k)))
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]verifier.KeySource{
		"jwkscache.ParseSet":             fromDoc,
		"jwkscache.NewSet from PEM":      fromKeys,
		"KeyfuncSource (keyfunc/v3 set)": verifier.KeyfuncSource(kf.Keyfunc),
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			counted := &countingSource{next: src}
			clock := newClock()
			v, err := verifier.New(t.Context(), verifier.Config{Issuer: testIssuer, Audience: testAudience, Keys: counted, Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(t.Context(), sign(t, k, nil, accessClaims(testIssuer, clock.Now(), nil))); err != nil {
				t.Errorf("Verify(issuer's token) error = %v", err)
			}
			if _, err := v.Verify(t.Context(), sign(t, other, nil, accessClaims(testIssuer, clock.Now(), nil))); !errors.Is(err, verifier.ErrBadSignature) {
				t.Errorf("Verify(token of another key) error = %v, want ErrBadSignature", err)
			}
			unknown := sign(t, testKey{kid: "nope", alg: "RS256", priv: rsaKey}, nil, accessClaims(testIssuer, clock.Now(), nil))
			if _, err := v.Verify(t.Context(), unknown); !errors.Is(err, verifier.ErrInvalidToken) {
				t.Errorf("Verify(unknown kid) error = %v, want ErrInvalidToken", err)
			}
			if counted.calls == 0 {
				t.Error("the source was never asked for a key")
			}
			_ = v.Close() // a caller's source stays usable after Close
			if _, err := counted.Key(t.Context(), "rsa-1", "RS256"); err != nil {
				t.Errorf("source after the verifier's Close: Key() error = %v", err)
			}
		})
	}
}

// TestKeySourceOutageIsUnavailable: a source that says it cannot look
// keys up now (wrapping ErrUnavailable) makes a 503, not a 401.
func TestKeySourceOutageIsUnavailable(t *testing.T) {
	keys(t)
	down := verifier.KeyfuncSource(func(*jwt.Token) (any, error) { return nil, verifier.ErrUnavailable })
	clock := newClock()
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: testIssuer, Audience: testAudience, Keys: down, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), sign(t, testKey{kid: "rsa-1", alg: "RS256", priv: rsaKey}, nil, accessClaims(testIssuer, clock.Now(), nil)))
	if !errors.Is(err, verifier.ErrUnavailable) || errors.Is(err, verifier.ErrInvalidToken) {
		t.Errorf("Verify() error = %v, want ErrUnavailable only", err)
	}
}

// TestKeysAndDefaultCacheSettingsAreExclusive: JWKSURL and KeyPolicy tune
// the default cache; set beside Config.Keys they would be silently
// ignored, so New refuses them.
func TestKeysAndDefaultCacheSettingsAreExclusive(t *testing.T) {
	set, err := jwkscache.NewSet(map[string]crypto.PublicKey{"k": ecPub(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []verifier.Config{
		{Issuer: testIssuer, Audience: testAudience, Keys: set, JWKSURL: "https://issuer.example.test/jwks"},
		{Issuer: testIssuer, Audience: testAudience, Keys: set, KeyPolicy: jwkscache.Policy{MaxKeys: 5}},
	} {
		if _, err := verifier.New(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "Config.Keys") {
			t.Errorf("New() error = %v, want one naming Config.Keys", err)
		}
	}
}

func ecPub(t testing.TB) crypto.PublicKey {
	keys(t)
	return p256Key.Public()
}
