package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkVerify measures fresh tokens: per algorithm, the floor (the
// bare signature check of the token's signing input) and then every
// verifier compared, each cycling through the same freshPool distinct
// tokens, so that none of them is one a cache has seen (tokengate's cache
// is set to freshCache entries: every Verify misses and checks in full;
// the cache is full, and a token seen once is not admitted, see
// verifier's doc). tokengate-insert is a fresh token that enters the
// cache: the default cache, and each token forgotten (JWT.Forget) before
// it is verified, so that every Verify checks in full and inserts into a
// cache with room; the Forget, a lookup under the cache's lock, is timed
// with it. BenchmarkVerify/RS256/floor, .../tokengate, ...
func BenchmarkVerify(b *testing.B) {
	f := getFixture(b)
	for _, alg := range algs {
		pool := f.pool(alg)
		b.Run(alg+"/floor", func(b *testing.B) {
			checks := floors(b, f, alg, pool)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if !checks[i%len(checks)]() {
					b.Fatal("signature does not verify")
				}
				i++
			}
		})
		for _, im := range impls {
			b.Run(alg+"/"+im.name, func(b *testing.B) {
				verify := im.new(b, f, alg)
				ctx := b.Context()
				if err := verify(ctx, f.tokens[alg]); err != nil { // also warms the key cache
					b.Fatalf("%s: %v", im.name, err)
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if err := verify(ctx, pool[i%len(pool)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
		b.Run(alg+"/tokengate-insert", func(b *testing.B) {
			v := newTokengateJWT(b, f)
			verify, ctx := tokengateFunc(v), b.Context()
			if err := verify(ctx, f.tokens[alg]); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				tok := pool[i%len(pool)]
				v.Forget(tok)
				if err := verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkVerifyRepeated is tokengate's Verify of one token again and
// again, as a client that reuses its access token makes it: a hit in the
// token cache (default size). Its ratio to the floor and to the best peer
// is taken against BenchmarkVerify's rows of the same run: no peer caches
// verified tokens, so a repeated token costs them what a fresh one does.
func BenchmarkVerifyRepeated(b *testing.B) {
	f := getFixture(b)
	for _, alg := range algs {
		tok := f.tokens[alg]
		b.Run(alg+"/tokengate", func(b *testing.B) {
			verify := tokengateFunc(newTokengateJWT(b, f))
			ctx := b.Context()
			if err := verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyParallel is the floor and tokengate's Verify from
// GOMAXPROCS goroutines at once: it shows contention in the verifier's
// shared state (token cache, key cache), which the floor has none of.
// tokengate is a repeated token (cache hits), tokengate-fresh cycles
// through the fresh pool as BenchmarkVerify does. Each has a -serial row:
// the same calls from one goroutine, through the same harness, so that
// the scaling (serial ns over parallel ns) compares like with like: the
// harness's own work per call (a closure call, the index arithmetic) is
// a tenth of a cache hit, and is in both. The goroutines are run by
// inGoroutines, not b.RunParallel (see there).
func BenchmarkVerifyParallel(b *testing.B) {
	f := getFixture(b)
	for _, alg := range algs {
		tok, pool := f.tokens[alg], f.pool(alg)
		for _, procs := range []int{runtime.GOMAXPROCS(0), 1} {
			suffix := ""
			if procs == 1 {
				suffix = "-serial"
			}
			b.Run(alg+"/floor"+suffix, func(b *testing.B) {
				checks := floors(b, f, alg, pool)
				b.ReportAllocs()
				inGoroutines(b, procs, func(i int) bool {
					if !checks[i%len(checks)]() {
						b.Error("signature does not verify")
						return false
					}
					return true
				})
			})
			for _, name := range []string{"tokengate", "tokengate-fresh"} {
				b.Run(alg+"/"+name+suffix, func(b *testing.B) {
					v, tokens := newTokengateJWT(b, f), []string{tok}
					if name == "tokengate-fresh" {
						v, tokens = newFreshTokengateJWT(b, f, alg), pool
					}
					verify, ctx := tokengateFunc(v), b.Context()
					if err := verify(ctx, tok); err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					inGoroutines(b, procs, func(i int) bool {
						if err := verify(ctx, tokens[i%len(tokens)]); err != nil {
							b.Error(err)
							return false
						}
						return true
					})
				})
			}
		}
	}
}

// inGoroutines runs b.N calls of op over procs goroutines. They take the
// calls in batches of parallelGrain from one counter, so that a goroutine
// the machine stalls for a while (other load) leaves its work to the
// others rather than the wall time waiting for it; the counter is touched
// once a batch. Goroutine w calls op with w+procs·j for the j of its
// batches, so that over a pool whose length procs divides, each goroutine
// has its own tokens and none is verified by two (a token another
// goroutine just verified could be one tokengate's cache admits).
// It stands in for b.RunParallel, whose per-goroutine iteration counters
// (testing.PB, 32 bytes, written on every Next) are allocated side by side
// and can share a cache line: for an operation of a few tens of
// nanoseconds, that false sharing in the harness doubled ns/op in some
// runs and not in others. Here each goroutine counts in a register.
func inGoroutines(b *testing.B, procs int, op func(i int) bool) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(parallelGrain)) - parallelGrain
				if start >= b.N {
					return
				}
				for j := start; j < min(start+parallelGrain, b.N); j++ {
					if !op(w + procs*j) {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// parallelGrain is how many calls a goroutine of inGoroutines takes at once.
const parallelGrain = 256

// floors returns the floor of each token of pool.
func floors(tb testing.TB, f *fixture, alg string, pool []string) []func() bool {
	checks := make([]func() bool, len(pool))
	for i, tok := range pool {
		checks[i] = floor(tb, f, alg, tok)
	}
	return checks
}

// floor returns the least work any verifier of tok must do: hash the
// signing input and check the signature with the public key. For ES256
// that includes turning the raw R||S signature (RFC 7518 §3.4) into the
// two integers ecdsa.Verify takes. Base64 decoding of the signature and
// everything else (JSON, key lookup, claims) is left out.
func floor(tb testing.TB, f *fixture, alg, tok string) func() bool {
	tb.Helper()
	i := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:i])
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		tb.Fatal(err)
	}
	switch pub := f.keys[alg].priv.Public().(type) {
	case *rsa.PublicKey:
		return func() bool {
			h := sha256.Sum256(input)
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil
		}
	case *ecdsa.PublicKey:
		return func() bool {
			h := sha256.Sum256(input)
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			return ecdsa.Verify(pub, h[:], r, s)
		}
	case ed25519.PublicKey:
		return func() bool { return ed25519.Verify(pub, input, sig) }
	}
	tb.Fatalf("no floor for %s", alg)
	return nil
}

// BenchmarkVerifyPaired alternates, operation by operation, the floor and
// tokengate's Verify of a fresh token (as in BenchmarkVerify), timing each
// with the clock, in alternating order, so that load from elsewhere on the
// machine falls on both alike. ns/op is that of the pair; x-floor is the
// median of tokengate's times over the median of the floor's, medians so
// that a descheduling in one half does not weigh.
func BenchmarkVerifyPaired(b *testing.B) {
	f := getFixture(b)
	for _, alg := range algs {
		pool := f.pool(alg)
		b.Run(alg+"/tokengate", func(b *testing.B) {
			checks, verify, ctx := floors(b, f, alg, pool), newTokengate(b, f, alg), b.Context()
			var floorTimes, tgTimes []time.Duration
			timed := func(fn func() bool) time.Duration {
				start := time.Now()
				if !fn() {
					b.Fatal("refused")
				}
				return time.Since(start)
			}
			i := 0
			for b.Loop() {
				k := i % len(pool)
				fl := func() bool { return checks[k]() }
				tg := func() bool { return verify(ctx, pool[k]) == nil }
				if i%2 == 0 {
					floorTimes = append(floorTimes, timed(fl))
					tgTimes = append(tgTimes, timed(tg))
				} else {
					tgTimes = append(tgTimes, timed(tg))
					floorTimes = append(floorTimes, timed(fl))
				}
				i++
			}
			b.ReportMetric(float64(medianDuration(tgTimes))/float64(medianDuration(floorTimes)), "x-floor")
		})
	}
}

func medianDuration(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}
