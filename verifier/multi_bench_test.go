package verifier_test

import (
	"crypto"
	"fmt"
	"testing"
	"time"

	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/verifier"
)

// BenchmarkMulti measures what choosing among issuers costs: one JWT
// verifier, a Multi of one issuer and a Multi of ten, verifying the same
// ES256 token (the cheapest signature, so the choice weighs most) of the
// last issuer configured. The Multi of ten must stay within 3% of the
// Multi of one:
//
//	go test -run '^$' -bench BenchmarkMulti -benchmem -count 6 ./verifier
//
// On a shared, noisy machine the separate runs drift by more than 3%; the
// sub-benchmark "ratio" alternates the two in short rounds and reports the
// best round of each and their ratio (ten/one), which drift cannot skew.
func BenchmarkMulti(b *testing.B) {
	keys(b)
	k := testKey{kid: "es256", alg: "ES256", priv: p256Key}
	set, err := jwkscache.NewSet(map[string]crypto.PublicKey{k.kid: p256Key.Public()})
	if err != nil {
		b.Fatal(err)
	}
	clock := newClock()
	config := func(i int) verifier.Config {
		return verifier.Config{Issuer: fmt.Sprintf("https://issuer-%d.example.test", i), Audience: testAudience, Keys: set, Now: clock.Now}
	}
	multi := func(n int) verifier.TokenVerifier {
		cfg := verifier.MultiConfig{}
		for i := range n {
			cfg.Issuers = append(cfg.Issuers, config(i))
		}
		m, err := verifier.NewMulti(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { m.Close() })
		return m
	}
	single, err := verifier.New(b.Context(), config(9))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { single.Close() })
	tok := sign(b, k, nil, accessClaims(config(9).Issuer, clock.Now(), nil))
	oneTok := sign(b, k, nil, accessClaims(config(0).Issuer, clock.Now(), nil))
	one, ten := multi(1), multi(10)
	for _, bm := range []struct {
		name  string
		v     verifier.TokenVerifier
		token string
	}{
		{"JWT", single, tok},
		{"Multi/issuers=1", one, oneTok},
		{"Multi/issuers=10", ten, tok},
	} {
		b.Run(bm.name, func(b *testing.B) {
			ctx := b.Context()
			if _, err := bm.v.Verify(ctx, bm.token); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.v.Verify(ctx, bm.token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("ratio", func(b *testing.B) {
		ctx := b.Context()
		const round = 64
		best := [2]time.Duration{1 << 62, 1 << 62}
		runs := []struct {
			v     verifier.TokenVerifier
			token string
		}{{one, oneTok}, {ten, tok}}
		for b.Loop() {
			for i, r := range runs {
				start := time.Now()
				for range round {
					if _, err := r.v.Verify(ctx, r.token); err != nil {
						b.Fatal(err)
					}
				}
				best[i] = min(best[i], time.Since(start))
			}
		}
		b.ReportMetric(float64(best[0].Nanoseconds())/round, "ns/op-issuers=1")
		b.ReportMetric(float64(best[1].Nanoseconds())/round, "ns/op-issuers=10")
		b.ReportMetric(float64(best[1])/float64(best[0]), "ratio")
	})
}
