package verifier_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/issuertest"
)

const (
	testAudience = "https://api.example.test"
)

// testKey is a signing key with its JWK id and algorithm.
type testKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	rsaKey2  *rsa.PrivateKey
	p256Key  *ecdsa.PrivateKey
	p384Key  *ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
)

// keys generates the test keys once per test binary: RSA generation is slow.
func keys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if p256Key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if p384Key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
			panic(err)
		}
		if _, edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwk renders the public half of k as a JWK, with the standard library
// only, so the tests do not rely on the code under test to build what it
// parses.
func jwk(k testKey) map[string]any {
	m := map[string]any{"kid": k.kid, "alg": k.alg, "use": "sig"}
	switch pub := k.priv.Public().(type) {
	case *rsa.PublicKey:
		m["kty"], m["n"], m["e"] = "RSA", b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		m["kty"], m["crv"] = "EC", pub.Curve.Params().Name
		m["x"], m["y"] = b64(pub.X.FillBytes(make([]byte, size))), b64(pub.Y.FillBytes(make([]byte, size)))
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64(pub)
	}
	return m
}

// jwksServer is a real JWKS endpoint that counts requests and can be told
// to fail.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	keys     []testKey     // guarded by mu
	failing  bool          // guarded by mu
	hang     chan struct{} // guarded by mu; when set, requests block until it closes
	requests atomic.Int64
}

func newJWKSServer(t testing.TB, ks ...testKey) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: ks}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	hang := s.hang
	s.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	for _, k := range s.keys {
		set.Keys = append(set.Keys, jwk(k))
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(set)
}

func (s *jwksServer) setKeys(ks ...testKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = ks
}

func (s *jwksServer) setHang(ch chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang = ch
}

func (s *jwksServer) setFailing(f bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = f
}

// newClock returns a stopped clock, shared with the test issuer's kind.
func newClock() *issuertest.Clock { return issuertest.NewClock(time.Unix(1_800_000_000, 0)) }

// sign makes a compact JWS with golang-jwt. header entries override the
// defaults (alg from the key, kid, typ at+jwt); a nil value deletes one.
func sign(t testing.TB, k testKey, header, claims map[string]any) string {
	t.Helper()
	m := jwt.GetSigningMethod(k.alg)
	if k.alg == "Ed25519" { // RFC 9864 §2: the same signature as EdDSA on Ed25519
		m = jwt.SigningMethodEdDSA
	}
	tok := jwt.NewWithClaims(m, jwt.MapClaims(claims))
	tok.Header["alg"] = k.alg
	tok.Header["kid"] = k.kid
	tok.Header["typ"] = "at+jwt"
	for name, v := range header {
		if v == nil {
			delete(tok.Header, name)
			continue
		}
		tok.Header[name] = v
	}
	var key any = k.priv
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return s
}

// accessClaims returns valid access token claims at now, with overrides;
// a nil override deletes the claim.
func accessClaims(iss string, now time.Time, overrides map[string]any) map[string]any {
	c := map[string]any{
		"iss":       iss,
		"sub":       "alice",
		"aud":       testAudience,
		"client_id": "web-app",
		"scope":     "orders:read orders:write",
		"exp":       now.Add(5 * time.Minute).Unix(),
		"iat":       now.Unix(),
		"jti":       "id-1",
	}
	for k, v := range overrides {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}
