package middleware_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/dpop"
	"github.com/tokengate/tokengate/internal/dpoptest"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
)

// BenchmarkSenderConstrained compares, in one run, a request with a
// DPoP-bound token and its ES256 proof to a request with a bearer token on
// the same route (a Guard that allows both), with a real verifier.JWT,
// RS256 tokens from issuertest and the in-memory replay store; and the
// proof's signature check alone. A DPoP request should cost a Bearer
// request plus about one signature check:
//
//	go test -run '^$' -bench BenchmarkSenderConstrained -benchmem ./middleware
func BenchmarkSenderConstrained(b *testing.B) {
	iss := issuertest.NewServer()
	defer iss.Close()
	v := newJWT(b, iss, nil)
	store, _ := dpop.NewMemoryStore(dpop.MemoryStoreConfig{Size: 1 << 22})
	checker, err := dpop.New(dpop.Config{Replay: store})
	if err != nil {
		b.Fatal(err)
	}
	const external = "https://api.example.test"
	g := &middleware.Guard{DPoP: checker, ExternalURL: external}
	h := g.Require(v, scopes.All("orders:read"))(benchHandler)
	key := dpoptest.NewKey("ES256")
	read := []string{"orders:read"}
	bound := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: read, Claims: map[string]any{"cnf": map[string]any{"jkt": key.JKT()}}})
	plain := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: read})

	b.Run("Bearer", func(b *testing.B) {
		benchServe(b, h, plain)
	})
	b.Run("DPoP", func(b *testing.B) {
		proofs := make([]string, b.N)
		for i := range proofs {
			proofs[i] = key.Sign(dpoptest.Proof{Method: "GET", URL: external + "/orders", Token: bound})
		}
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		req.Header.Set("Authorization", "DPoP "+bound)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			req.Header.Set("DPoP", proofs[i])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status = %d %q, want 200", w.Code, w.Header().Values("WWW-Authenticate"))
			}
		}
	})
	b.Run("ProofSignature", func(b *testing.B) {
		proof := key.Sign(dpoptest.Proof{Method: "GET", URL: external + "/orders", Token: bound})
		input := proof[:strings.LastIndexByte(proof, '.')]
		sig, _ := base64.RawURLEncoding.DecodeString(proof[len(input)+1:])
		pub := key.Signer.Public().(*ecdsa.PublicKey)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		b.ReportAllocs()
		for b.Loop() {
			sum := sha256.Sum256([]byte(input))
			if !ecdsa.Verify(pub, sum[:], r, s) {
				b.Fatal("signature does not verify")
			}
		}
	})
}
