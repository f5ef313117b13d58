package jwkscache

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func TestNewSet(t *testing.T) {
	k := keys()
	s, err := NewSet(map[string]crypto.PublicKey{"rsa": &k.rsaA.PublicKey, "": k.p256.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Key(t.Context(), "rsa", "PS256"); err != nil || !k.rsaA.PublicKey.Equal(got) {
		t.Errorf("Key(rsa, PS256) = %v, %v", got, err)
	}
	if got, err := s.Key(t.Context(), "", "ES256"); err != nil || !k.p256.PublicKey.Equal(got) {
		t.Errorf("Key(no kid, ES256) = %v, %v; want the key without kid", got, err)
	}
	for _, tt := range []struct {
		kid, alg string
		want     error
	}{
		{"rsa", "ES256", ErrAlgMismatch},
		{"other", "RS256", ErrKeyNotFound},
		{"", "RS256", ErrKeyNotFound}, // a token without kid never gets a named key
		{"rsa", "HS256", ErrKeyNotFound},
	} {
		if _, err := s.Key(t.Context(), tt.kid, tt.alg); !errors.Is(err, tt.want) || errors.Is(err, ErrUnavailable) {
			t.Errorf("Key(%q, %s) error = %v, want %v", tt.kid, tt.alg, err, tt.want)
		}
	}
	if got := s.KIDs(); len(got) != 1 || got[0] != "rsa" {
		t.Errorf("KIDs() = %q", got)
	}
}

func TestNewSetRefusesUnfitKeys(t *testing.T) {
	k := keys()
	for name, keys := range map[string]map[string]crypto.PublicKey{
		"empty":          {},
		"1024-bit RSA":   {"weak": &k.rsa1024.PublicKey},
		"not a key":      {"x": "secret"},
		"kid over limit": {strings.Repeat("k", maxKIDLen+1): &k.rsaA.PublicKey},
	} {
		if _, err := NewSet(keys); err == nil {
			t.Errorf("NewSet(%s) error = nil", name)
		}
	}
}

func TestPublicKeyFromPEM(t *testing.T) {
	k := keys()
	der, err := x509.MarshalPKIXPublicKey(k.p384.Public())
	if err != nil {
		t.Fatal(err)
	}
	got, err := PublicKeyFromPEM(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil || !k.p384.PublicKey.Equal(got) {
		t.Errorf("PublicKeyFromPEM(PUBLIC KEY) = %v, %v", got, err)
	}
	for name, data := range map[string][]byte{
		"no PEM":      []byte("not pem"),
		"private key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		"bad DER":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}),
	} {
		if _, err := PublicKeyFromPEM(data); err == nil {
			t.Errorf("PublicKeyFromPEM(%s) error = nil", name)
		}
	}
}

func TestParseSetUsesTheFetchRules(t *testing.T) {
	k := keys()
	s, err := ParseSet(jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey), rsaJWK("weak", &k.rsa1024.PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.KIDs(); len(got) != 1 || got[0] != "a" || len(s.Skipped()) != 1 {
		t.Errorf("ParseSet() KIDs %q, Skipped %q; want a kept and the weak key skipped", got, s.Skipped())
	}
	if _, err := ParseSet([]byte(`{"keys":[]}`)); err == nil {
		t.Error("ParseSet(no keys) error = nil")
	}
}
