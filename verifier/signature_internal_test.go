package verifier

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestSignatureAgreesWithGolangJWT holds verifySignature to golang-jwt's
// answers, for every algorithm, on a good signature, on signatures with
// one bit changed anywhere, and on keys of the wrong type.
func TestSignatureAgreesWithGolangJWT(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	secret := []byte("0123456789abcdef0123456789abcdef")
	tests := []struct {
		alg        string
		sign       any
		verify     any
		wrongTypes []any
	}{
		{"RS256", rsaKey, &rsaKey.PublicKey, []any{&p256.PublicKey, ed.Public()}},
		{"RS384", rsaKey, &rsaKey.PublicKey, nil},
		{"RS512", rsaKey, &rsaKey.PublicKey, nil},
		{"PS256", rsaKey, &rsaKey.PublicKey, []any{&p256.PublicKey}},
		{"ES256", p256, &p256.PublicKey, []any{&p384.PublicKey, &rsaKey.PublicKey, ed.Public()}},
		{"ES384", p384, &p384.PublicKey, []any{&p256.PublicKey}},
		{"EdDSA", ed, ed.Public(), []any{&rsaKey.PublicKey, &p256.PublicKey}},
		{"HS256", secret, secret, []any{&rsaKey.PublicKey}},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			m := methods[tt.alg]
			tok, err := jwt.NewWithClaims(m, jwt.MapClaims{"sub": "alice"}).SignedString(tt.sign)
			if err != nil {
				t.Fatal(err)
			}
			i := strings.LastIndexByte(tok, '.')
			input := tok[:i]
			sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
			h := &header{alg: tt.alg, method: m}
			check := func(name string, sig []byte, key any) {
				t.Helper()
				ours := verifySignature(h, input, sig, key) == nil
				theirs := m.Verify(input, sig, key) == nil
				if ours != theirs {
					t.Errorf("%s: verifySignature accepts = %v, golang-jwt accepts = %v", name, ours, theirs)
				}
			}
			check("good signature", sig, tt.verify)
			if verifySignature(h, input, sig, tt.verify) != nil {
				t.Fatal("verifySignature refuses a good signature")
			}
			for _, at := range []int{0, len(sig) / 2, len(sig) - 1} {
				for bit := range 8 {
					bad := append([]byte(nil), sig...)
					bad[at] ^= 1 << bit
					check("one bit changed", bad, tt.verify)
				}
			}
			check("signature cut short", sig[:len(sig)-1], tt.verify)
			check("signature too long", append(append([]byte(nil), sig...), 0), tt.verify)
			for _, k := range tt.wrongTypes {
				check("wrong key type", sig, k)
			}
		})
	}
}

// versionsStub is a key source with generations whose answers the test
// sets.
type versionsStub struct {
	pub   crypto.PublicKey
	gen   atomic.Uint64
	held  atomic.Bool
	holds atomic.Int64 // calls of Holds
}

func (s *versionsStub) Key(context.Context, string, string) (any, error) { return s.pub, nil }
func (s *versionsStub) Generation() uint64                               { return s.gen.Load() }
func (s *versionsStub) Holds(string, string, crypto.PublicKey) (uint64, time.Time, bool) {
	s.holds.Add(1)
	return s.gen.Load(), time.Unix(1<<40, 0), s.held.Load()
}

func TestSweepDropsTheTokensOfAKeyThatLeftTheSet(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Unix(1_800_000_000, 0)
	src := &versionsStub{pub: pub}
	src.gen.Store(1)
	src.held.Store(true)
	v, err := New(t.Context(), Config{Issuer: "https://issuer.example.test", Audience: "api", Keys: src,
		Algorithms: []string{"EdDSA"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "https://issuer.example.test",
		"aud": "api", "exp": now.Add(time.Hour).Unix()}).SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}

	src.gen.Store(2) // a refresh that kept the key
	v.tokens.sweep(src)
	before := src.holds.Load()
	if _, err := v.Verify(t.Context(), tok); err != nil || src.holds.Load() != before {
		t.Fatalf("Verify() after a sweep that kept the key: error %v, %d more Holds; want nil, 0", err, src.holds.Load()-before)
	}
	if n, _, _ := v.tokens.stats(); n != 1 {
		t.Fatalf("cache holds %d entries after a sweep that kept the key, want 1", n)
	}

	src.gen.Store(3) // a refresh that dropped it
	src.held.Store(false)
	v.tokens.sweep(src)
	if n, _, _ := v.tokens.stats(); n != 0 {
		t.Errorf("cache holds %d entries after a sweep that dropped their key, want 0", n)
	}
}
