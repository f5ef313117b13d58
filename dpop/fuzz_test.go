package dpop_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokengate/tokengate/dpop"
	"github.com/tokengate/tokengate/internal/dpoptest"
)

// FuzzCheckProof: no proof makes CheckProof panic, and none is accepted
// but one the test key signed for this request.
func FuzzCheckProof(f *testing.F) {
	key := dpoptest.Ed25519Key([32]byte{1, 2, 3}) // the same in every fuzzing worker
	f.Add(good(key, dpoptest.Proof{}))
	f.Add(good(key, dpoptest.Proof{Header: map[string]any{"alg": "none"}}))
	f.Add(good(key, dpoptest.Proof{Claims: map[string]any{"iat": "x", "htu": apiURL + "?q"}}))
	f.Add(duplicateHTM(key))
	f.Add("..")
	f.Add("e30.e30.")
	c, err := dpop.New(dpop.Config{Now: func() time.Time { return epoch }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, proof string) {
		p, err := c.CheckProof(context.Background(), request(proof))
		if err == nil && p.JKT != key.JKT() {
			t.Fatalf("CheckProof(%q) accepted a proof of key %q, which the test key did not sign", proof, p.JKT)
		}
	})
}
