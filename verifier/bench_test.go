package verifier_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
)

// BenchmarkVerify measures JWT.Verify next to its floor: the bare signature
// check of the same token (hash and verify, nothing else), in the same run.
// Report the ratio Verify/floor per algorithm:
//
//	go test -run '^$' -bench BenchmarkVerify -benchmem -count 6 ./verifier
func BenchmarkVerify(b *testing.B) {
	keys(b)
	for _, k := range []testKey{
		{kid: "rs256", alg: "RS256", priv: rsaKey},
		{kid: "es256", alg: "ES256", priv: p256Key},
		{kid: "eddsa", alg: "EdDSA", priv: edKey},
	} {
		f := newFixture(b, nil, k)
		tok := sign(b, k, nil, accessClaims(testIssuer, f.clock.Now(), nil))
		b.Run(k.alg+"/floor", func(b *testing.B) {
			verify := floor(b, k, tok)
			b.ReportAllocs()
			for b.Loop() {
				if !verify() {
					b.Fatal("signature does not verify")
				}
			}
		})
		b.Run(k.alg+"/Verify", func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// floor returns the bare signature check of tok with k's public key.
func floor(b *testing.B, k testKey, tok string) func() bool {
	i := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:i])
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	switch pub := k.priv.Public().(type) {
	case *rsa.PublicKey:
		return func() bool {
			h := sha256.Sum256(input)
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil
		}
	case *ecdsa.PublicKey:
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return func() bool {
			h := sha256.Sum256(input)
			return ecdsa.Verify(pub, h[:], r, s)
		}
	case ed25519.PublicKey:
		return func() bool { return ed25519.Verify(pub, input, sig) }
	}
	b.Fatalf("unexpected key type %T", k.priv)
	return nil
}
