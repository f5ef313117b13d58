package dpop_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"testing"

	"github.com/tokengate/tokengate/dpop"
	"github.com/tokengate/tokengate/internal/dpoptest"
)

// TestThumbprintRFC8037Vector is the Ed25519 example of RFC 8037
// Appendix A.3.
func TestThumbprintRFC8037Vector(t *testing.T) {
	x, _ := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	got, err := dpop.Thumbprint(ed25519.PublicKey(x))
	if want := "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"; err != nil || got != want {
		t.Fatalf("Thumbprint() = %q, %v; want %q", got, err, want)
	}
}

// TestThumbprintAgreesWithTheClient: the thumbprint of every supported key
// type matches the one the independent test client computes.
func TestThumbprintAgreesWithTheClient(t *testing.T) {
	for _, alg := range []string{"ES256", "ES384", "ES512", "RS256", "EdDSA"} {
		key := dpoptest.NewKey(alg)
		got, err := dpop.Thumbprint(key.Signer.Public())
		if err != nil || got != key.JKT() {
			t.Errorf("%s: Thumbprint() = %q, %v; want %q", alg, got, err, key.JKT())
		}
	}
	if _, err := dpop.Thumbprint("not a key"); err == nil {
		t.Error("Thumbprint(string) error = nil, want one")
	}
}
