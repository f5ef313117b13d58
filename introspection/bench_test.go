package introspection_test

import (
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
)

// A JWT-sized token, as many opaque tokens are too.
const benchToken = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci50ZXN0Iiwic3ViIjoiYWxpY2UifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"

// BenchmarkCacheHit measures Verify answered from the cache.
func BenchmarkCacheHit(b *testing.B) {
	e := newEndpoint(b, reply(activeBody(time.Hour)))
	in := newIntrospector(b, e, newClock(), introspection.Config{CacheSize: 1000})
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
	in := newIntrospector(b, e, newClock(), introspection.Config{})
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Verify(ctx, benchToken); err != nil {
			b.Fatal(err)
		}
	}
}
