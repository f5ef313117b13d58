package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // registers crypto.SHA256
	_ "crypto/sha512" // registers crypto.SHA512
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"
)

// algs are the algorithms every verifier compared is configured to allow,
// in the order the benchmarks run them.
var algs = []string{"RS256", "ES256", "EdDSA"}

const (
	audience = "https://orders.example.test"
	subject  = "user-1234"
	clientID = "bench-client"
	scope    = "orders:read orders:write"
)

// fixture is what every benchmark shares: the keys, the JWKS server that
// publishes them, and a token per algorithm.
type fixture struct {
	srv     *httptest.Server
	issuer  string // the JWKS server's URL: a loopback issuer
	jwksURL string
	now     time.Time // the instant every verifier's clock is fixed at
	keys    map[string]*signingKey
	tokens  map[string]string // algorithm => valid access token

	poolOnce sync.Once
	pools    map[string][]string // algorithm => freshPool distinct valid tokens; see pool
	fillers  map[string][]string // algorithm => fillerTokens more; see pool
	manyOnce sync.Once
	many     []string // manyTokens distinct RS256 tokens; see manyRS256
}

// signingKey is one of the fixture's keys.
type signingKey struct {
	alg  string
	kid  string
	priv crypto.Signer
}

var (
	fixtureOnce sync.Once
	shared      *fixture
)

// TestMain closes the shared JWKS server when the tests and benchmarks
// are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.srv.Close()
	}
	os.Exit(code)
}

// getFixture returns the process's fixture, making it on first use.
func getFixture(tb testing.TB) *fixture {
	tb.Helper()
	fixtureOnce.Do(func() { shared = newFixture() })
	return shared
}

// newFixture makes the keys (RSA-2048, P-256, Ed25519), starts the JWKS
// server and signs one token per algorithm. Any failure here is a broken
// environment, not a benchmark result, so it panics.
func newFixture() *fixture {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	must(err)
	f := &fixture{
		// Real time, whole seconds: the auth0 validator reads time.Now
		// itself, so the tokens must be valid now and for the whole run.
		now: time.Now().Truncate(time.Second),
		keys: map[string]*signingKey{
			"RS256": {alg: "RS256", kid: "rsa-2048", priv: rsaKey},
			"ES256": {alg: "ES256", kid: "p-256", priv: ecKey},
			"EdDSA": {alg: "EdDSA", kid: "ed25519", priv: edKey},
		},
		tokens: map[string]string{},
	}
	jwks, err := f.jwks()
	must(err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(jwks)
	})
	f.srv = httptest.NewServer(mux)
	f.issuer = f.srv.URL
	f.jwksURL = f.srv.URL + "/jwks.json"
	for _, alg := range algs {
		f.tokens[alg] = f.sign(alg, f.claims(nil))
	}
	return f
}

// freshPool is the number of distinct tokens per algorithm that the
// benchmarks of fresh tokens cycle through. Their verifier's token cache
// (freshCache entries) is filled first with fillerTokens other tokens, each
// verified twice, so that it is full and every set of it is: a pool token
// then misses, is checked in full and is not admitted (a full cache takes
// a token at its second verification while its doorkeeper, of
// freshCache/2 hashes, remembers the first, and 255 other tokens come
// between two of one token's). A pool token alone in its doorkeeper slot
// would enter at its second turn and hit from its third: the odds are
// (31/32)^255 for each, about one algorithm's run in twelve has one, and
// its hits are then 1 in 256 of the verifications.
const (
	freshPool    = 256
	freshCache   = 64
	fillerTokens = 4 * freshCache
)

// pool returns freshPool distinct valid tokens of alg (they differ in
// "jti"), made on first use.
func (f *fixture) pool(alg string) []string {
	f.poolOnce.Do(func() {
		f.pools, f.fillers = map[string][]string{}, map[string][]string{}
		for _, a := range algs {
			for i := range fillerTokens {
				f.fillers[a] = append(f.fillers[a], f.sign(a, f.claims(map[string]any{"jti": fmt.Sprintf("filler-%04d", i)})))
			}
			for i := range freshPool {
				f.pools[a] = append(f.pools[a], f.sign(a, f.claims(map[string]any{"jti": fmt.Sprintf("fresh-%04d", i)})))
			}
		}
	})
	return f.pools[alg]
}

// manyTokens is the size of the load benchmark's many-client mix.
const manyTokens = 1000

// manyRS256 returns manyTokens distinct RS256 tokens, made on first use.
func (f *fixture) manyRS256() []string {
	f.manyOnce.Do(func() {
		for i := range manyTokens {
			f.many = append(f.many, f.sign("RS256", f.claims(map[string]any{"sub": fmt.Sprintf("user-%04d", i)})))
		}
	})
	return f.many
}

func must(err error) {
	if err != nil {
		panic("bench: fixture: " + err.Error())
	}
}

// clock is the verifiers' fixed clock.
func (f *fixture) clock() time.Time { return f.now }

// claims returns the fixture's access token claims with changes applied
// (a nil value deletes a claim).
func (f *fixture) claims(changes map[string]any) map[string]any {
	c := map[string]any{
		"iss":       f.issuer,
		"sub":       subject,
		"aud":       audience,
		"exp":       f.now.Add(24 * time.Hour).Unix(),
		"iat":       f.now.Unix(),
		"scope":     scope,
		"client_id": clientID,
		"jti":       "8f1c0c6e-8d7c-4a63-9a59-0d6f3b7f21aa",
	}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// sign returns a compact JWS of claims, signed with the key of alg and
// typed "at+jwt" (RFC 9068 §2.1).
func (f *fixture) sign(alg string, claims map[string]any) string {
	k := f.keys[alg]
	return signWith(k, map[string]any{"alg": alg, "typ": "at+jwt", "kid": k.kid}, claims)
}

// signWith signs claims under header with k, with SHA-512 when
// header["alg"] is RS512 and SHA-256 otherwise.
// It uses only the standard library, so that the tokens owe nothing to
// any of the libraries compared.
func signWith(k *signingKey, header, claims map[string]any) string {
	h, err := json.Marshal(header)
	must(err)
	p, err := json.Marshal(claims)
	must(err)
	input := b64(h) + "." + b64(p)
	hash := crypto.SHA256
	if header["alg"] == "RS512" {
		hash = crypto.SHA512
	}
	hf := hash.New()
	hf.Write([]byte(input))
	digest := hf.Sum(nil)
	var sig []byte
	switch priv := k.priv.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(nil, priv, hash, digest)
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, priv, digest)
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	case ed25519.PrivateKey:
		sig = ed25519.Sign(priv, []byte(input))
	default:
		err = fmt.Errorf("unexpected key type %T", k.priv)
	}
	must(err)
	return input + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwks renders the public keys as an RFC 7517 JWK Set, each key with its
// "kid", "alg" and "use".
func (f *fixture) jwks() ([]byte, error) {
	var keys []map[string]string
	for _, alg := range algs {
		k := f.keys[alg]
		jwk := map[string]string{"kid": k.kid, "alg": alg, "use": "sig"}
		switch pub := k.priv.Public().(type) {
		case *rsa.PublicKey:
			jwk["kty"] = "RSA"
			jwk["n"] = b64(pub.N.Bytes())
			jwk["e"] = b64(big.NewInt(int64(pub.E)).Bytes())
		case *ecdsa.PublicKey:
			raw, err := pub.Bytes() // 0x04 || X || Y
			if err != nil {
				return nil, err
			}
			jwk["kty"], jwk["crv"] = "EC", "P-256"
			jwk["x"], jwk["y"] = b64(raw[1:33]), b64(raw[33:])
		case ed25519.PublicKey:
			jwk["kty"], jwk["crv"] = "OKP", "Ed25519"
			jwk["x"] = b64(pub)
		}
		keys = append(keys, jwk)
	}
	return json.Marshal(map[string]any{"keys": keys})
}
