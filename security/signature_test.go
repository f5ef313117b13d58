package security_test

import (
	"strings"
	"testing"

	"github.com/tokengate/tokengate/verifier"
)

// Signature and algorithm attacks (RFC 8725 §2.1, §3.1, §3.2; RFC 7515
// §7.1, §5.2). Every token is a fixture from testdata/attacks; those that
// carry a valid signature were signed with the issuer's real key, so that
// only the check under test can refuse them.

func TestSignatureAndAlgorithmAttacks(t *testing.T) {
	f := newFixtureSetup(t, fixture(t, "jwks.json"), nil)
	f.accepts(t, token(t, "valid-rs256"))
	f.accepts(t, token(t, "valid-es256"))

	tests := []struct {
		name    string
		fixture string
		want    want
	}{
		{"alg none (RFC 8725 §3.1)", "alg-none", algNotAllowed},
		{"alg None", "alg-None", algNotAllowed},
		{"alg NONE", "alg-NONE", algNotAllowed},
		{"alg nOnE", "alg-nOnE", algNotAllowed},
		{"valid token with its signature stripped", "signature-stripped", malformedToken},

		{"HS256 keyed with the issuer's public key as PEM (RFC 8725 §2.1)", "hs256-keyed-with-public-key-pem", algNotAllowed},
		{"HS256 keyed with the issuer's public key as DER", "hs256-keyed-with-public-key-der", algNotAllowed},
		{"HS256 keyed with the issuer's public key as JWK", "hs256-keyed-with-public-key-jwk", algNotAllowed},
		{"HS256 keyed with the issuer's raw modulus", "hs256-keyed-with-public-key-modulus", algNotAllowed},
		{"HS384 keyed with the issuer's public key as PEM", "hs384-keyed-with-public-key-pem", algNotAllowed},
		{"HS384 keyed with the issuer's public key as DER", "hs384-keyed-with-public-key-der", algNotAllowed},
		{"HS384 keyed with the issuer's public key as JWK", "hs384-keyed-with-public-key-jwk", algNotAllowed},
		{"HS384 keyed with the issuer's raw modulus", "hs384-keyed-with-public-key-modulus", algNotAllowed},
		{"HS512 keyed with the issuer's public key as PEM", "hs512-keyed-with-public-key-pem", algNotAllowed},
		{"HS512 keyed with the issuer's public key as DER", "hs512-keyed-with-public-key-der", algNotAllowed},
		{"HS512 keyed with the issuer's public key as JWK", "hs512-keyed-with-public-key-jwk", algNotAllowed},
		{"HS512 keyed with the issuer's raw modulus", "hs512-keyed-with-public-key-modulus", algNotAllowed},

		{"RS256 signed by the RSA key under the kid of the EC key (RFC 7517 §4.1 kty)", "rs256-under-kid-of-ec-key", invalidToken},
		{"ES256 signed by the EC key under the kid of the RSA key", "es256-under-kid-of-rsa-key", invalidToken},
		{"RS512 against a key whose JWK says RS256 (RFC 7517 §4.4)", "rs512-for-key-declared-rs256", invalidToken},
		{"PS256 against a key whose JWK says RS256", "ps256-for-key-declared-rs256", invalidToken},

		{"ECDSA signature one byte long (RFC 7518 §3.4 R||S of 64 bytes)", "es256-signature-65-bytes", badSignature},
		{"ECDSA signature one byte short", "es256-signature-63-bytes", badSignature},
		{"ECDSA signature r = s = 0 (CVE-2022-21449)", "es256-signature-r-s-zero", badSignature},
		{"ECDSA signature DER-encoded instead of R||S", "es256-signature-der-encoded", badSignature},

		{"header modified under a valid signature", "modified-header", badSignature},
		{"payload modified under a valid signature", "modified-payload", badSignature},
		{"signature modified", "modified-signature", badSignature},

		{"two segments", "segments-2", malformedToken},
		{"four segments", "segments-4", malformedToken},
		{"five segments: a JWE (RFC 7516)", "segments-5-jwe", malformedToken},
		{"JWS JSON serialization, flattened (RFC 7515 §7.2.2)", "jws-json-flattened", malformedHTTP},
		{"JWS JSON serialization, general (RFC 7515 §7.2.1)", "jws-json-general", malformedHTTP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.refuses(t, token(t, tt.fixture), tt.want)
		})
	}
	if n := f.keys.hits.Load(); n != 1 {
		t.Errorf("the key set was fetched %d times, want once (at start): no attack may cause a fetch", n)
	}
}

// TestPublicKeyAsHMACSecretEvenWithHMACAllowed: a verifier that allows
// HS256 for a shared secret still never keys HMAC with anything from the
// key set.
func TestPublicKeyAsHMACSecretEvenWithHMACAllowed(t *testing.T) {
	f := newFixtureSetup(t, fixture(t, "jwks.json"), func(c *verifier.Config) {
		c.Algorithms = []string{"RS256", "ES256", "HS256", "HS384", "HS512"}
		c.HMACSecret = []byte(strings.Repeat("k", 32))
	})
	f.accepts(t, token(t, "valid-rs256"))
	for _, alg := range []string{"hs256", "hs384", "hs512"} {
		for _, enc := range []string{"pem", "der", "jwk", "modulus"} {
			t.Run(alg+" "+enc, func(t *testing.T) {
				f.refuses(t, token(t, alg+"-keyed-with-public-key-"+enc), badSignature)
			})
		}
	}
}

// TestSignatureEncodingIsCanonical: base64url without padding leaves spare
// bits in the last character of the signature; a decoder that ignores them
// accepts several strings for one signed token (RFC 7515 §2, RFC 4648
// §3.5), so that a token denied by its exact string (a revocation list, a
// cache key) comes back under another spelling.
func TestSignatureEncodingIsCanonical(t *testing.T) {
	f := newFixtureSetup(t, fixture(t, "jwks.json"), nil)
	valid := token(t, "valid-rs256")
	f.accepts(t, valid)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, valid[len(valid)-1])
	for spare := 1; spare < 16; spare++ { // 256 bytes: the last character carries 2 bits and 4 spare ones
		respelled := valid[:len(valid)-1] + string(alphabet[last^spare])
		f.refuses(t, respelled, malformedToken)
	}
	// Decoders skip CR and LF too; no header can carry them, but Verify
	// is also called directly.
	mid := len(valid) - 40
	for _, nl := range []string{"\n", "\r", "\r\n"} {
		c, err := f.v.Verify(t.Context(), valid[:mid]+nl+valid[mid:])
		if c != nil {
			t.Fatalf("Verify(signature with %q inside) accepted it", nl)
		}
		wantSentinel(t, "Verify()", err, verifier.ErrMalformedToken)
	}
}
