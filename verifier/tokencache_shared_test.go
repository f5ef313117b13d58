package verifier_test

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/verifier"
)

// TestCacheHitAllocatesNothing: a hit hands out the claims its entry
// shares, so verifying a cached token allocates nothing, and every hit of
// one token returns the same *Claims.
func TestCacheHitAllocatesNothing(t *testing.T) {
	f := newCacheFixture(t, nil, jwkscache.Policy{})
	tok := f.token(t, nil, nil)
	ctx := t.Context()
	first, err := f.v.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	var last *verifier.Claims
	allocs := testing.AllocsPerRun(200, func() {
		if last, err = f.v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a cache hit allocates %v times, want 0", allocs)
	}
	if last != first {
		t.Error("hits of one token returned different *Claims; want the one the entry shares")
	}
}

// TestHandlerWritingSharedClaimsCannotChangeTheCache stops a handler that
// writes to the read-only claims of a cached token (a bug, or a
// compromised dependency) from changing what the next request with that
// token is told: the next hit sees the write, hands out the cache's own
// claims again, counts it and logs one warning per verifier, naming no
// token.
func TestHandlerWritingSharedClaimsCannotChangeTheCache(t *testing.T) {
	var logs bytes.Buffer
	f := newCacheFixture(t, func(c *verifier.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}, jwkscache.Policy{})
	tok := f.token(t, nil, map[string]any{"aud": []string{testAudience, "other"}})
	first, err := f.v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	want := deepCopy(first)
	for i := range 3 {
		c, err := f.v.Verify(t.Context(), tok)
		if err != nil {
			t.Fatal(err)
		}
		switch i {
		case 0:
			c.Subject = "admin"
		case 1:
			c.Scopes = append(c.Scopes, "admin") // clipped: copies, then reassigns
		case 2:
			c.ExpiresAt = c.ExpiresAt.Add(24 * time.Hour)
		}
		got, err := f.v.Verify(t.Context(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if got == c {
			t.Errorf("write %d: the hit after it handed out the written claims again", i)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("write %d: the next hit's claims = %+v, want %+v", i, got, want)
		}
	}
	if n := verifier.TamperedHits(f.v); n != 3 {
		t.Errorf("hits that found the shared claims written = %d, want 3", n)
	}
	if n := strings.Count(logs.String(), "wrote to the claims of a cached token"); n != 1 {
		t.Errorf("warnings logged = %d, want 1:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), tok) {
		t.Error("the warning contains the token")
	}
}

// TestHitsOfOneTokenFromManyGoroutinesAreAllCounted: the hit counter is
// striped by goroutine; every hit is counted once, whatever the stripe.
func TestHitsOfOneTokenFromManyGoroutinesAreAllCounted(t *testing.T) {
	f := newCacheFixture(t, nil, jwkscache.Policy{})
	tok := f.token(t, nil, nil)
	if _, err := f.v.Verify(t.Context(), tok); err != nil { // the miss
		t.Fatal(err)
	}
	const workers, each = 16, 500
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := f.v.Verify(t.Context(), tok); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, st := range f.v.CacheStats() {
		if st.Cache == "verified" && (st.Hits != workers*each || st.Misses != 1) {
			t.Errorf("verified cache counted %d hits and %d misses, want %d and 1", st.Hits, st.Misses, workers*each)
		}
	}
}
