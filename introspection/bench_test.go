package introspection_test

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

// A JWT-sized token, as many opaque tokens are too.
const benchToken = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci50ZXN0Iiwic3ViIjoiYWxpY2UifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"

// quiet drops the log, which would time the test log.
var quiet = slog.New(slog.DiscardHandler)

// BenchmarkCacheHit measures Verify answered from the cache.
func BenchmarkCacheHit(b *testing.B) {
	e := newEndpoint(b, reply(activeBody(time.Hour)))
	in := newIntrospector(b, e, newClock(), introspection.Config{CacheSize: 1000, Logger: quiet})
	verify(b, in, benchToken, nil)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Verify(ctx, benchToken); err != nil {
			b.Fatal(err)
		}
	}
	wantCalls(b, e, 1)
}

// BenchmarkMiss measures Verify with a call to a loopback endpoint each
// time (caching disabled).
func BenchmarkMiss(b *testing.B) {
	e := newEndpoint(b, reply(activeBody(time.Hour)))
	in := newIntrospector(b, e, newClock(), introspection.Config{Logger: quiet})
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Verify(ctx, benchToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOutage1000Concurrent measures one op of 1000 concurrent Verify
// calls sharing one new token while the endpoint is down (503), the fake
// clock moving 100ms per op. It reports the calls that reached the
// endpoint, counted there, and the breaker intervals the ops spanned: the
// first failure's, whose probe follows at once, then one per pause. At
// most one call reaches the endpoint per interval, whatever the load.
func BenchmarkOutage1000Concurrent(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  introspection.Config
	}{
		{"fixed-1s-pause", introspection.Config{CacheSize: 1000, FailureBackoff: time.Second, MaxFailureBackoff: time.Second}},
		{"default-1s-to-30s", introspection.Config{CacheSize: 1000}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEndpoint(b, status(http.StatusServiceUnavailable))
			clock := newClock()
			cfg := bc.cfg
			cfg.Logger = quiet
			in := newIntrospector(b, e, clock, cfg)
			ctx := b.Context()
			const step = 100 * time.Millisecond
			ops := 0
			b.ReportAllocs()
			for b.Loop() {
				tok := "new-token-" + strconv.Itoa(ops)
				var wg sync.WaitGroup
				for range 1000 {
					wg.Go(func() {
						if _, err := in.Verify(ctx, tok); !errors.Is(err, verifier.ErrUnavailable) {
							b.Errorf("Verify() error = %v, want ErrUnavailable", err)
						}
					})
				}
				wg.Wait()
				clock.Advance(step)
				ops++
			}
			calls := e.calls.Load()
			intervals := intervalsIn(time.Duration(ops)*step, bc.cfg)
			b.ReportMetric(float64(calls), "endpoint-calls")
			b.ReportMetric(float64(intervals), "intervals")
			if calls > intervals {
				b.Fatalf("%d calls reached the endpoint in %d breaker intervals", calls, intervals)
			}
		})
	}
}

// intervalsIn counts the breaker intervals that begin within d: the
// first failure's (no pause: its probe follows at once), the probe's,
// then one after each pause, the pauses doubling from FailureBackoff
// (default 1s) up to MaxFailureBackoff (default 30s).
func intervalsIn(d time.Duration, cfg introspection.Config) int64 {
	pause, most := cmp.Or(cfg.FailureBackoff, time.Second), cmp.Or(cfg.MaxFailureBackoff, 30*time.Second)
	n := int64(2)
	for at := pause; at < d; at += pause {
		n++
		pause = min(2*pause, most)
	}
	return n
}
