package jwkscache

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"testing"
)

// FuzzParseKeySet feeds arbitrary documents to the key set parser. It must
// never panic; it returns a set or an error, not both; and every key in a
// set is usable: a public key of a supported type and strength (RSA of
// 2048 to 8192 bits with a sane exponent, a valid point on P-256, P-384 or
// P-521, a 32-byte Ed25519 key), whose declared alg fits it, from a JWK in
// the document that is not private, not for encryption and not symmetric.
// Every lookup then hands out only keys that fit the alg asked for.
func FuzzParseKeySet(f *testing.F) {
	k := keys()
	rsaA := rsaJWK("rsa-a", &k.rsaA.PublicKey)
	for _, doc := range [][]byte{
		jwksJSON(f, rsaA, ecJWK(f, "p256", &k.p256.PublicKey), ecJWK(f, "p521", &k.p521.PublicKey), edJWK("ed", k.ed.Public().(ed25519.PublicKey))),
		jwksJSON(f, rsaA.with("alg", "RS256", "use", "sig"), rsaA.with("alg", "ES256"), rsaJWK("", &k.rsaB.PublicKey)),
		jwksJSON(f, rsaJWK("weak", &k.rsa1024.PublicKey), rsaA.with("use", "enc"), rsaA.with("d", "AQAB"), rsaA.with("key_ops", []string{"encrypt"})),
		jwksJSON(f, jwk{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}, ecJWK(f, "p384", &k.p384.PublicKey).with("x", "AAAA")),
		jwksJSON(f, jwk{"kty": "EC", "kid": "bad", "crv": "P-256", "x": "AQ", "y": "AQ"}, jwk{"kty": "OKP", "crv": "X25519", "x": "AAAA"}),
		[]byte(`{"keys":[]}`), []byte(`{"keys":null}`), []byte(`{"keys":[1,"a",null,{}]}`), []byte(`[]`), []byte(`<html>`), nil,
	} {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		const maxKeys = 8
		s, err := parseKeySet(body, maxKeys)
		if (s == nil) == (err == nil) {
			t.Fatalf("parseKeySet = %v, %v: want a set or an error", s, err)
		}
		if s == nil {
			return
		}
		var doc struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("parseKeySet accepted a document encoding/json refuses: %v", err)
		}
		n := 0
		for kid, ks := range s.byKID {
			for _, key := range ks {
				n++
				checkUsable(t, key)
				if !inDocument(doc.Keys, kid) {
					t.Fatalf("kept kid %q, which no public signing JWK of the document has", kid)
				}
			}
		}
		if n > maxKeys {
			t.Fatalf("kept %d keys, MaxKeys is %d", n, maxKeys)
		}
		for _, alg := range signingAlgs {
			if key := s.single[alg]; key != nil {
				checkUsable(t, key)
				if !key.fits(alg, algKind(alg)) {
					t.Fatalf("the no-kid key for %s is a %v key with alg %q", alg, key.kind, key.alg)
				}
			}
			for kid := range s.byKID {
				pub, err := s.lookup(kid, alg, algKind(alg))
				if err == nil && kindOf(pub) != algKind(alg) {
					t.Fatalf("lookup(%q, %s) returned a %T", kid, alg, pub)
				}
			}
		}
	})
}

// checkUsable fails unless k is a key a verifier may use.
func checkUsable(t *testing.T, k *key) {
	t.Helper()
	if kindOf(k.pub) != k.kind || k.kind == kindNone {
		t.Fatalf("key %q of kind %v holds a %T", k.kid, k.kind, k.pub)
	}
	if k.alg != "" && algKind(k.alg) != k.kind {
		t.Fatalf("key %q declares alg %q, which does not fit its kind %v", k.kid, k.alg, k.kind)
	}
	if len(k.kid) > maxKIDLen {
		t.Fatalf("kept a kid of %d bytes", len(k.kid))
	}
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits || pub.E < 3 || pub.E%2 == 0 {
			t.Fatalf("key %q: RSA of %d bits, exponent %d", k.kid, bits, pub.E)
		}
	case *ecdsa.PublicKey:
		if _, err := pub.ECDH(); err != nil {
			t.Fatalf("key %q: EC point not on its curve: %v", k.kid, err)
		}
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			t.Fatalf("key %q: Ed25519 key of %d bytes", k.kid, len(pub))
		}
	}
}

// kindOf is the kind of a parsed public key, from its Go type and curve.
func kindOf(pub any) keyKind {
	kind, _ := classify(pub)
	return kind
}

// inDocument reports whether the document has a JWK with kid that may be
// used to verify: no private part, use absent or sig, not symmetric. Member
// names match as encoding/json matches struct fields, case-insensitively,
// as the parser reads them.
func inDocument(docKeys []json.RawMessage, kid string) bool {
	for _, raw := range docKeys {
		var m struct{ KID, KTY, Use, D string }
		if json.Unmarshal(raw, &m) != nil || m.KID != kid || m.KTY == "oct" || m.D != "" {
			continue
		}
		if m.Use == "" || m.Use == "sig" {
			return true
		}
	}
	return false
}
