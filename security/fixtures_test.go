package security_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The hostile fixtures in testdata/attacks are made by TestGenerateFixtures:
//
//	go test ./security -run TestGenerateFixtures -update
//
// It makes fresh keys, signs every token, writes the public key sets the
// tokens are checked against, and throws the private keys away: only
// public keys and tokens are committed, and everything is regenerated
// together. testdata/attacks/README.md explains each file.

var update = flag.Bool("update", false, "regenerate testdata/attacks with fresh keys")

const (
	attacksDir = "../testdata/attacks"

	// The fixtures' issuer, audience and time: tests verify them with a
	// clock stopped at fixtureNow.
	fixtureIssuer   = "https://issuer.attacks.test"
	fixtureAudience = "https://api.attacks.test"
)

var fixtureNow = time.Unix(1_800_000_000, 0)

// genKeys are the keys of one generation. Only their public halves leave
// the generator.
type genKeys struct {
	rsa, rsaEnc, rsaWeak, attackerRSA *rsa.PrivateKey
	ec, attackerEC                    *ecdsa.PrivateKey
	oct                               []byte
}

func newGenKeys(t testing.TB) *genKeys {
	t.Helper()
	var k genKeys
	var err error
	for _, p := range []struct {
		dst  **rsa.PrivateKey
		bits int
	}{{&k.rsa, 2048}, {&k.rsaEnc, 2048}, {&k.rsaWeak, 1024}, {&k.attackerRSA, 2048}} {
		if *p.dst, err = rsa.GenerateKey(rand.Reader, p.bits); err != nil {
			t.Fatal(err)
		}
	}
	for _, dst := range []**ecdsa.PrivateKey{&k.ec, &k.attackerEC} {
		if *dst, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	k.oct = make([]byte, 32)
	rand.Read(k.oct)
	return &k
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rsaJWK and ecJWK render public keys with the standard library only.
func rsaJWK(kid, alg string, pub *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "alg": alg, "use": "sig",
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
}

func ecJWK(kid string, pub *ecdsa.PublicKey) map[string]any {
	return map[string]any{"kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256",
		"x": b64(pub.X.FillBytes(make([]byte, 32))), "y": b64(pub.Y.FillBytes(make([]byte, 32)))}
}

func jwksDoc(t testing.TB, keys ...map[string]any) []byte {
	t.Helper()
	return mustJSON(t, map[string]any{"keys": keys})
}

// fixtureClaims are valid access token claims at fixtureNow.
func fixtureClaims() map[string]any {
	return map[string]any{
		"iss": fixtureIssuer, "aud": fixtureAudience, "sub": "alice", "client_id": "web-app",
		"scope": "orders:read", "iat": fixtureNow.Unix(), "exp": fixtureNow.Add(time.Hour).Unix(), "jti": "fixture-1",
	}
}

// input is the JWS signing input of header and claims (RFC 7515 §5.1).
func input(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	return b64(mustJSON(t, header)) + "." + b64(mustJSON(t, claims))
}

// signWith signs header and claims with golang-jwt's method for alg.
func signWith(t testing.TB, alg string, key any, header, claims map[string]any) string {
	t.Helper()
	in := input(t, header, claims)
	sig, err := jwt.GetSigningMethod(alg).Sign(in, key)
	if err != nil {
		t.Fatalf("signing %s: %v", alg, err)
	}
	return in + "." + b64(sig)
}

func hdr(alg, kid string, more ...any) map[string]any {
	h := map[string]any{"alg": alg, "typ": "at+jwt"}
	if kid != "" {
		h["kid"] = kid
	}
	for i := 0; i+1 < len(more); i += 2 {
		h[more[i].(string)] = more[i+1]
	}
	return h
}

// generate returns every fixture file, by name.
func generate(t testing.TB) map[string][]byte {
	t.Helper()
	k := newGenKeys(t)
	files := map[string][]byte{}
	tok := func(name, token string) { files[name+".jwt"] = []byte(token + "\n") }
	rsaKey, ecKey := rsaJWK("rsa-1", "RS256", &k.rsa.PublicKey), ecJWK("ec-1", &k.ec.PublicKey)
	files["jwks.json"] = jwksDoc(t, rsaKey, ecKey)
	files["jwks-with-oct-key.json"] = jwksDoc(t, rsaKey, ecKey, map[string]any{"kty": "oct", "kid": "hmac-1", "alg": "HS256", "k": b64(k.oct)})
	files["jwks-with-enc-key.json"] = jwksDoc(t, rsaKey, ecKey, func() map[string]any {
		j := rsaJWK("enc-1", "", &k.rsaEnc.PublicKey)
		j["use"] = "enc"
		delete(j, "alg")
		return j
	}())
	files["jwks-with-1024-bit-key.json"] = jwksDoc(t, rsaKey, ecKey, rsaJWK("weak-1", "RS256", &k.rsaWeak.PublicKey))
	files["jwks-empty.json"] = []byte(`{"keys":[]}`)
	files["jwks-garbage.json"] = []byte("<html><body>502 Bad Gateway</body></html>{\"keys\":[{\"kty\":")

	c := fixtureClaims()
	valid := signWith(t, "RS256", k.rsa, hdr("RS256", "rsa-1"), c)
	tok("valid-rs256", valid)
	tok("valid-es256", signWith(t, "ES256", k.ec, hdr("ES256", "ec-1"), c))
	genSignature(t, k, tok, valid, c)
	genHeaders(t, k, tok, c)
	tok("hs256-signed-with-oct-key", signWith(t, "HS256", k.oct, hdr("HS256", "hmac-1"), c))
	tok("signed-with-enc-key", signWith(t, "RS256", k.rsaEnc, hdr("RS256", "enc-1"), c))
	tok("signed-with-1024-bit-key", signWith(t, "RS256", k.rsaWeak, hdr("RS256", "weak-1"), c))
	return files
}

// genSignature makes the signature and algorithm group.
func genSignature(t testing.TB, k *genKeys, tok func(string, string), valid string, c map[string]any) {
	t.Helper()
	parts := strings.Split(valid, ".")
	for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
		tok("alg-"+alg, input(t, hdr(alg, "rsa-1"), c)+".")
	}
	tok("signature-stripped", parts[0]+"."+parts[1]+".")

	pubDER, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	encodings := map[string][]byte{
		"pem":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}),
		"der":     pubDER,
		"jwk":     mustJSON(t, rsaJWK("rsa-1", "RS256", &k.rsa.PublicKey)),
		"modulus": k.rsa.N.Bytes(),
	}
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		for enc, secret := range encodings {
			tok(strings.ToLower(alg)+"-keyed-with-public-key-"+enc, signWith(t, alg, secret, hdr(alg, "rsa-1"), c))
		}
	}
	// Real keys, so only the key-type and alg checks can refuse them.
	tok("rs256-under-kid-of-ec-key", signWith(t, "RS256", k.rsa, hdr("RS256", "ec-1"), c))
	tok("es256-under-kid-of-rsa-key", signWith(t, "ES256", k.ec, hdr("ES256", "rsa-1"), c))
	tok("rs512-for-key-declared-rs256", signWith(t, "RS512", k.rsa, hdr("RS512", "rsa-1"), c))
	tok("ps256-for-key-declared-rs256", signWith(t, "PS256", k.rsa, hdr("PS256", "rsa-1"), c))
	genTampered(t, k, tok, valid, c)
}

// genTampered makes the malformed ECDSA signatures, the tokens changed
// after signing and the wrong serializations.
func genTampered(t testing.TB, k *genKeys, tok func(string, string), valid string, c map[string]any) {
	t.Helper()
	parts := strings.Split(valid, ".")
	esIn := input(t, hdr("ES256", "ec-1"), c)
	rawSig, err := jwt.SigningMethodES256.Sign(esIn, k.ec)
	if err != nil {
		t.Fatal(err)
	}
	derSig, err := ecdsa.SignASN1(rand.Reader, k.ec, sha256Sum(esIn))
	if err != nil {
		t.Fatal(err)
	}
	tok("es256-signature-65-bytes", esIn+"."+b64(append(slices.Clone(rawSig), 0)))
	tok("es256-signature-63-bytes", esIn+"."+b64(rawSig[:63]))
	tok("es256-signature-r-s-zero", esIn+"."+b64(make([]byte, 64)))
	tok("es256-signature-der-encoded", esIn+"."+b64(derSig))

	changed := fixtureClaims()
	changed["sub"], changed["scope"] = "admin", "orders:read orders:write admin"
	tok("modified-header", b64(mustJSON(t, hdr("RS256", "rsa-1", "x-tampered", true)))+"."+parts[1]+"."+parts[2])
	tok("modified-payload", parts[0]+"."+b64(mustJSON(t, changed))+"."+parts[2])
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[len(sig)/2] ^= 0x01
	tok("modified-signature", parts[0]+"."+parts[1]+"."+b64(sig))

	tok("segments-2", parts[0]+"."+parts[1])
	tok("segments-4", valid+"."+parts[2])
	jwe := b64(mustJSON(t, map[string]any{"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "rsa-1"}))
	tok("segments-5-jwe", jwe+"."+b64(make([]byte, 256))+"."+b64(make([]byte, 12))+"."+parts[1]+"."+b64(make([]byte, 16)))
	tok("jws-json-flattened", string(mustJSON(t, map[string]any{"protected": parts[0], "payload": parts[1], "signature": parts[2]})))
	tok("jws-json-general", string(mustJSON(t, map[string]any{"payload": parts[1],
		"signatures": []any{map[string]any{"protected": parts[0], "signature": parts[2]}}})))
}

// genHeaders makes the header group that needs no live server.
func genHeaders(t testing.TB, k *genKeys, tok func(string, string), c map[string]any) {
	t.Helper()
	attackerJWK := rsaJWK("", "RS256", &k.attackerRSA.PublicKey)
	delete(attackerJWK, "kid")
	tok("embedded-jwk-of-attacker-key", signWith(t, "RS256", k.attackerRSA, hdr("RS256", "", "jwk", attackerJWK), c))
	cert := selfSigned(t, k.attackerRSA)
	tok("embedded-x5c-of-attacker-key", signWith(t, "RS256", k.attackerRSA, hdr("RS256", "", "x5c", []string{base64.StdEncoding.EncodeToString(cert)}), c))
	tok("crit-unknown-extension", signWith(t, "RS256", k.rsa, hdr("RS256", "rsa-1", "crit", []string{"urn:example:unknown"}, "urn:example:unknown", true), c))
	for name, kid := range map[string]any{
		"kid-path-traversal":   "../../../../etc/passwd",
		"kid-quotes":           `rsa-1" OR "1"="1`,
		"kid-crlf":             "rsa-1\r\nX-Injected: 1",
		"kid-nul":              "rsa-1\x00",
		"kid-number":           7,
		"kid-array":            []string{"rsa-1"},
		"kid-object":           map[string]any{"kid": "rsa-1"},
		"kid-null":             nil,
		"kid-of-real-key-case": "RSA-1",
	} {
		h := hdr("RS256", "rsa-1")
		h["kid"] = kid
		tok(name, signWith(t, "RS256", k.rsa, h, c))
	}
}

func selfSigned(t testing.TB, key crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "issuer.attacks.test"},
		NotBefore: fixtureNow.Add(-time.Hour), NotAfter: fixtureNow.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestGenerateFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate testdata/attacks with fresh keys")
	}
	files := generate(t)
	old, _ := filepath.Glob(filepath.Join(attacksDir, "*.j*"))
	for _, f := range old {
		if _, ok := files[filepath.Base(f)]; !ok {
			os.Remove(f) // a fixture no longer generated
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(attacksDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFixturesAreCompleteAndDocumented checks that the committed fixtures
// are exactly those the generator makes, and that the README explains each.
func TestFixturesAreCompleteAndDocumented(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(attacksDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	have, _ := filepath.Glob(filepath.Join(attacksDir, "*.j*"))
	var names []string
	for _, f := range have {
		names = append(names, filepath.Base(f))
	}
	var want []string
	for name := range generate(t) {
		want = append(want, name)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("testdata/attacks holds %q, the generator makes %q: run go test ./security -run TestGenerateFixtures -update", names, want)
	}
	for _, name := range want {
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("testdata/attacks/README.md does not explain %s", name)
		}
	}
}

// fixture returns a committed token or document.
func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(attacksDir, name))
	if err != nil {
		t.Fatalf("reading fixture: %v (regenerate with go test ./security -run TestGenerateFixtures -update)", err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// token returns the committed token name.jwt.
func token(t testing.TB, name string) string {
	t.Helper()
	return fixture(t, name+".jwt")
}

func sha256Sum(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
