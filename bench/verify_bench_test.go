package bench

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

// BenchmarkVerify measures, per algorithm, the floor (the bare signature
// check of the token's signing input) and then every verifier compared on
// the same token: BenchmarkVerify/RS256/floor, .../tokengate, ...
func BenchmarkVerify(b *testing.B) {
	f := getFixture(b)
	for _, alg := range algs {
		tok := f.tokens[alg]
		b.Run(alg+"/floor", func(b *testing.B) {
			check := floor(b, f, alg, tok)
			b.ReportAllocs()
			for b.Loop() {
				if !check() {
					b.Fatal("signature does not verify")
				}
			}
		})
		for _, im := range impls {
			b.Run(alg+"/"+im.name, func(b *testing.B) {
				verify := im.new(b, f, alg)
				ctx := b.Context()
				if err := verify(ctx, tok); err != nil { // also warms the key cache
					b.Fatalf("%s: %v", im.name, err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := verify(ctx, tok); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkVerifyParallel is the floor and tokengate's Verify from
// GOMAXPROCS goroutines at once: it shows contention in the verifier's
// shared state (key cache, parser), which the floor has none of.
func BenchmarkVerifyParallel(b *testing.B) {
	f := getFixture(b)
	for _, alg := range algs {
		tok := f.tokens[alg]
		b.Run(alg+"/floor", func(b *testing.B) {
			check := floor(b, f, alg, tok)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if !check() {
						b.Error("signature does not verify")
						return
					}
				}
			})
		})
		b.Run(alg+"/tokengate", func(b *testing.B) {
			v := newTokengateJWT(b, f)
			ctx := b.Context()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := v.Verify(ctx, tok); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// floor returns the least work any verifier of tok must do: hash the
// signing input and check the signature with the public key. For ES256
// that includes turning the raw R||S signature (RFC 7518 §3.4) into the
// two integers ecdsa.Verify takes. Base64 decoding of the signature and
// everything else (JSON, key lookup, claims) is left out.
func floor(tb testing.TB, f *fixture, alg, tok string) func() bool {
	tb.Helper()
	i := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:i])
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		tb.Fatal(err)
	}
	switch pub := f.keys[alg].priv.Public().(type) {
	case *rsa.PublicKey:
		return func() bool {
			h := sha256.Sum256(input)
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil
		}
	case *ecdsa.PublicKey:
		return func() bool {
			h := sha256.Sum256(input)
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			return ecdsa.Verify(pub, h[:], r, s)
		}
	case ed25519.PublicKey:
		return func() bool { return ed25519.Verify(pub, input, sig) }
	}
	tb.Fatalf("no floor for %s", alg)
	return nil
}
