package bench

import (
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"

	"filippo.io/bigmod"
)

// BenchmarkRSAModulus weighs what a prepared RSA public key would save.
// crypto/rsa.VerifyPKCS1v15 turns the key's modulus into a Montgomery
// modulus on every call (bigmod.NewModulus, which computes R² mod N)
// before the exponentiation. filippo.io/bigmod, the maintained re-export
// of the standard library's crypto/internal/fips140/bigmod, lets a
// modulus be kept. Both rows do the RSA public operation on the fixture
// token's signature with it, the first building the modulus each time as
// crypto/rsa does, the second once. Neither checks the PKCS #1 v1.5
// encoding: that, on top of bigmod, would be RSA written by hand, which
// tokengate does not do; this benchmark only measures the share.
func BenchmarkRSAModulus(b *testing.B) {
	f := getFixture(b)
	tok := f.tokens["RS256"]
	sig := decodeSig(b, tok[strings.LastIndexByte(tok, '.')+1:])
	pub := f.keys["RS256"].priv.Public().(*rsa.PublicKey)
	public := func(n *bigmod.Modulus) {
		x, err := bigmod.NewNat().SetBytes(sig, n)
		if err != nil {
			b.Fatal(err)
		}
		x.ExpShortVarTime(x, uint(pub.E), n)
	}
	b.Run("RS256/rebuilt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n, err := bigmod.NewModulus(pub.N.Bytes())
			if err != nil {
				b.Fatal(err)
			}
			public(n)
		}
	})
	b.Run("RS256/prepared", func(b *testing.B) {
		n, err := bigmod.NewModulus(pub.N.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			public(n)
		}
	})
}

func decodeSig(tb testing.TB, seg string) []byte {
	tb.Helper()
	sig, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}
