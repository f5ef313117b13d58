package jwkscache

import (
	"testing"
)

// BenchmarkKey measures the lookup every request makes. It must not
// allocate: no JSON or key parsing happens on this path.
func BenchmarkKey(b *testing.B) {
	k := keys()
	h := newHarness(b, jwksJSON(b,
		rsaJWK("rsa", &k.rsaA.PublicKey),
		rsaJWK("rsa-2", &k.rsaB.PublicKey),
		ecJWK(b, "", &k.p256.PublicKey), // for tokens without kid
	), nil)
	ctx := b.Context()
	cases := []struct {
		name, kid, alg string
	}{
		{"known kid", "rsa", "RS256"},
		{"no kid", "", "ES256"},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := h.c.Key(ctx, bc.kid, bc.alg); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// TestKeyDoesNotAllocate pins the hot path: a known kid, a token without
// kid and a mismatch cost no allocation.
func TestKeyDoesNotAllocate(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey), ecJWK(t, "", &k.p256.PublicKey)), nil)
	ctx := t.Context()
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := h.c.Key(ctx, "a", "RS256"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.c.Key(ctx, "", "ES256"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.c.Key(ctx, "a", "ES256"); err == nil {
			t.Fatal("mismatch accepted")
		}
	})
	if allocs != 0 {
		t.Errorf("Key allocates %v times per call set, want 0", allocs)
	}
}
