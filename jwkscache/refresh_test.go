package jwkscache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"
)

const cooldown = DefaultUnknownKIDCooldown

func TestUnknownKIDRollover(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey)), nil)
	// The issuer publishes a new key and signs with it at once.
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey), rsaJWK("new", &k.rsaB.PublicKey)))
	h.clock.Advance(cooldown)

	if err := verify(t.Context(), h.c, signToken(t, jwt.SigningMethodRS256, k.rsaB, "new")); err != nil {
		t.Fatalf("first token with the new kid: Parse() error = %v, want nil", err)
	}
	h.waitFetch(t)
	h.wantHits(t, 2)
	h.wantKey(t, "new", "RS256", k.rsaB)
	h.wantKey(t, "old", "RS256", k.rsaA)
	h.wantHits(t, 2)
}

func TestUnknownKIDWithinCooldown(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey)), nil)
	start := h.clock.Now()
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey), rsaJWK("new", &k.rsaB.PublicKey)))
	release := h.srv.block() // a request that waited for a fetch would hang
	defer release()

	h.clock.Advance(10 * time.Second)
	for _, kid := range []string{"new", "other", "new", "third"} {
		h.wantErr(t, kid, "RS256", ErrKeyNotFound) // returns at once
	}
	h.wantHits(t, 1)
	h.noFetchPending(t)
	if got, want := h.c.Status().NextRefresh, start.Add(cooldown); !got.Equal(want) {
		t.Errorf("Status().NextRefresh = %v, want %v (one refresh when the cooldown ends)", got, want)
	}

	release()
	h.clock.Advance(cooldown - 10*time.Second)
	h.wantKey(t, "old", "RS256", k.rsaA) // the clock says due: the loop fetches in the background
	if err := h.waitFetch(t); err != nil {
		t.Fatalf("deferred refresh error = %v", err)
	}
	h.wantHits(t, 2) // one pending refresh, not one per unknown kid
	h.wantKey(t, "new", "RS256", k.rsaB)
	h.noFetchPending(t)
}

func TestNegativeCache(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)

	h.clock.Advance(cooldown)
	h.wantErr(t, "ghost", "RS256", ErrKeyNotFound) // refresh, not found: remembered
	h.waitFetch(t)
	h.wantHits(t, 2)

	h.clock.Advance(cooldown)
	if err := h.wantErr(t, "ghost", "RS256", ErrKeyNotFound); !errors.Is(err, errKnownMissing) {
		t.Errorf("repeated unknown kid error = %v, want the negative-cache answer", err)
	}
	h.wantHits(t, 2) // no fetch although the cooldown has passed

	h.wantErr(t, "other", "RS256", ErrKeyNotFound) // another kid may refresh
	h.waitFetch(t)
	h.wantHits(t, 3)

	// The refresh for "other" replaced the set: "ghost" is forgotten.
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey), rsaJWK("ghost", &k.rsaB.PublicKey)))
	h.clock.Advance(cooldown)
	h.wantKey(t, "ghost", "RS256", k.rsaB)
	h.waitFetch(t)
	h.wantHits(t, 4)
}

func TestNegativeCacheBound(t *testing.T) {
	n := negCache{size: 2}
	n.add("a", 1)
	n.add("b", 1)
	n.add("a", 1) // already held: no eviction
	n.add("c", 1) // evicts the oldest, "a"
	for _, tt := range []struct {
		kid  string
		gen  uint64
		want bool
	}{{"a", 1, false}, {"b", 1, true}, {"c", 1, true}, {"c", 2, false}} {
		if got := n.has(tt.kid, tt.gen); got != tt.want {
			t.Errorf("has(%q, %d) = %v, want %v", tt.kid, tt.gen, got, tt.want)
		}
	}
	if n.len() != 2 {
		t.Errorf("len() = %d, want 2", n.len())
	}
	n.reset()
	if n.len() != 0 || n.has("b", 1) {
		t.Error("reset() left entries")
	}
}

// TestUnknownKIDFlood: 1000 random kids from 50 goroutines cause at most one
// fetch per cooldown window, and no caller waits for anything but the one
// fetch in flight.
func TestUnknownKIDFlood(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), func(c *Config) {
		c.NegativeCacheSize = 64
	})
	flood := func() {
		t.Helper()
		// A caller made to wait for the hung issuer would end with a
		// deadline error, not ErrKeyNotFound, and be counted.
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		var wrong atomic.Int64
		for range 50 {
			wg.Go(func() {
				for range 20 {
					kid := fmt.Sprintf("bogus-%016x", rand.Uint64())
					if _, err := h.c.Key(ctx, kid, "RS256"); !errors.Is(err, ErrKeyNotFound) {
						wrong.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n := wrong.Load(); n != 0 {
			t.Errorf("%d lookups did not fail with ErrKeyNotFound", n)
		}
	}

	// Window 1: the first unknown kid fetches; callers arriving meanwhile
	// join that fetch; once it is done, the rest fail fast.
	h.clock.Advance(cooldown)
	release := h.srv.block()
	done := make(chan struct{})
	go func() { flood(); close(done) }()
	h.srv.waitEntered(t)
	release()
	<-done
	h.waitFetch(t)
	h.wantHits(t, 2)

	// Still window 1, and the issuer now hangs: nobody may wait for it.
	release = h.srv.block()
	defer release()
	flood()
	h.wantHits(t, 2)
	h.noFetchPending(t)
	h.c.mu.Lock()
	negative := h.c.neg.len()
	h.c.mu.Unlock()
	if negative > 64 {
		t.Errorf("negative cache holds %d kids, more than NegativeCacheSize 64", negative)
	}

	// Window 2: exactly one refresh, the one put off by the cooldown.
	release()
	h.clock.Advance(cooldown)
	h.wantKey(t, "a", "RS256", k.rsaA)
	h.waitFetch(t)
	h.wantHits(t, 3)
	h.noFetchPending(t)
}

func TestConcurrentCallersOneFetch(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey)), nil)
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("new", &k.rsaB.PublicKey)))
	h.clock.Advance(cooldown)
	release := h.srv.block()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := h.c.Key(t.Context(), "new", "RS256")
			errs <- err
		})
	}
	h.srv.waitEntered(t)
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Key(new) error = %v, want nil", err)
		}
	}
	h.wantHits(t, 2)
}

func TestCallerCancelDoesNotCancelFetch(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey)), nil)
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("new", &k.rsaB.PublicKey)))
	h.clock.Advance(cooldown)
	release := h.srv.block()
	defer release()

	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := h.c.Key(ctx, "new", "RS256")
		errc <- err
	}()
	h.srv.waitEntered(t)
	cancel()
	err := <-errc
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Key() with cancelled ctx error = %v, want ErrUnavailable and context.Canceled", err)
	}

	release()
	if err := h.waitFetch(t); err != nil {
		t.Fatalf("shared fetch error = %v, want nil: the caller's cancel must not reach it", err)
	}
	h.wantKey(t, "new", "RS256", k.rsaB)
	h.wantHits(t, 2)
}

func TestRefreshCollapses(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	release := h.srv.block()
	first := make(chan error, 1)
	go func() { first <- h.c.Refresh(t.Context()) }()
	h.srv.waitEntered(t) // a forced fetch is in flight, held by the server
	// Nine more forced refreshes join it, as Refresh does. Joining here,
	// rather than from nine goroutines, makes sure they all arrive while
	// the fetch is in flight, however the goroutines would be scheduled.
	h.c.mu.Lock()
	var joined []<-chan singleflight.Result
	for range 9 {
		joined = append(joined, h.c.joinLocked(h.clock.Now(), true))
	}
	h.c.mu.Unlock()
	release()
	for _, ch := range joined {
		if r := <-ch; r.Err != nil {
			t.Errorf("joined refresh error = %v", r.Err)
		}
	}
	if err := <-first; err != nil {
		t.Errorf("Refresh() error = %v", err)
	}
	h.wantHits(t, 2) // the start-up fetch and the one shared refresh
}

func TestEndpointDownAtStart(t *testing.T) {
	k := keys()
	tests := []struct {
		name    string
		recover func(t *testing.T, h *harness)
	}{
		{"recovered by Refresh", func(t *testing.T, h *harness) {
			if err := h.c.Refresh(t.Context()); err != nil {
				t.Fatalf("Refresh() error = %v", err)
			}
			h.wantKey(t, "a", "RS256", k.rsaA)
		}},
		{"recovered by a lookup after the cooldown", func(t *testing.T, h *harness) {
			h.clock.Advance(cooldown)
			h.wantKey(t, "a", "RS256", k.rsaA)
		}},
		{"recovered by the background retry", func(t *testing.T, h *harness) {
			h.clock.Advance(h.c.Status().NextRefresh.Sub(h.clock.Now()))
			h.c.kick()
			if err := h.waitFetch(t); err != nil {
				t.Fatalf("retry error = %v", err)
			}
			h.wantKey(t, "a", "RS256", k.rsaA)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			h.srv.serve(http.StatusServiceUnavailable, nil)
			if err := h.c.Refresh(t.Context()); err == nil { // New's fetch failed too
				t.Fatal("Refresh() error = nil against a failing server")
			}
			h.waitFetch(t)
			st := h.c.Status()
			if st.LastError == nil || st.Available || len(st.KIDs) != 0 {
				t.Fatalf("Status() = %+v, want LastError, not Available", st)
			}
			err := h.wantErr(t, "a", "RS256", ErrUnavailable)
			if errors.Is(err, ErrKeyNotFound) {
				t.Errorf("error %v also matches ErrKeyNotFound", err)
			}
			h.wantErr(t, "", "RS256", ErrUnavailable)
			h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)))
			tt.recover(t, h)
			if st := h.c.Status(); st.LastError != nil || !st.Available || st.Stale {
				t.Errorf("Status() after recovery = %+v", st)
			}
		})
	}
}

func TestEndpointFailsAfterStart(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	h.srv.serve(http.StatusInternalServerError, nil)
	h.clock.Advance(cooldown)
	// An unknown kid refreshes; the refresh fails; the token is still the
	// one at fault and the cached keys still work.
	err := h.wantErr(t, "unknown", "RS256", ErrKeyNotFound)
	if errors.Is(err, ErrUnavailable) {
		t.Errorf("error %v matches ErrUnavailable while a good set is held", err)
	}
	h.waitFetch(t)
	h.wantKey(t, "a", "RS256", k.rsaA)
	if err := verify(t.Context(), h.c, signToken(t, jwt.SigningMethodRS256, k.rsaA, "a")); err != nil {
		t.Errorf("Parse() with a cached key during an outage error = %v", err)
	}
	st := h.c.Status()
	if st.LastError == nil || !st.Stale || !st.Available {
		t.Errorf("Status() = %+v, want LastError, Stale, Available", st)
	}
	// Retries back off: MinRefreshInterval doubled per failure.
	for _, want := range []time.Duration{2 * time.Minute, 4 * time.Minute} {
		if err := h.c.Refresh(t.Context()); err == nil {
			t.Fatal("Refresh() error = nil against a failing server")
		}
		h.waitFetch(t)
		st := h.c.Status()
		if got := st.NextRefresh.Sub(st.LastAttempt); got != want {
			t.Errorf("retry after %v, want %v", got, want)
		}
	}
	// A failed refresh did not look for "unknown": it is not remembered as
	// absent, and is found once the issuer is back.
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey), rsaJWK("unknown", &k.rsaB.PublicKey)))
	h.clock.Advance(cooldown)
	h.wantKey(t, "unknown", "RS256", k.rsaB)
}

func TestClose(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	if err := h.c.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	select {
	case <-h.c.done:
	default:
		t.Fatal("background goroutine still running after Close")
	}
	if err := h.c.Close(); err != nil {
		t.Errorf("second Close() error = %v", err)
	}
	h.wantKey(t, "a", "RS256", k.rsaA)
	h.clock.Advance(2 * time.Hour) // past the refresh time, within staleness
	h.wantKey(t, "a", "RS256", k.rsaA)
	h.wantErr(t, "unknown", "RS256", ErrKeyNotFound)
	if err := h.c.Refresh(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Refresh() after Close error = %v, want ErrClosed", err)
	}
	h.wantHits(t, 1)
}

func TestCloseStopsFetchInFlight(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	release := h.srv.block()
	defer release()
	errc := make(chan error, 1)
	go func() { errc <- h.c.Refresh(context.Background()) }()
	h.srv.waitEntered(t)
	if err := h.c.Close(); err != nil {
		t.Fatal(err)
	}
	// Close has returned: the fetch has ended, so its waiter has its answer.
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Refresh() cut by Close error = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Refresh() still waiting after Close")
	}
	h.wantKey(t, "a", "RS256", k.rsaA)
}

// TestMissRacingAFinishedFetch: a caller whose lookup missed just before
// another caller's fetch brought the kid must get the key, not a cooldown
// refusal. This is the rollover under load: many requests with the new kid
// at once, one fetch, and no failed request.
func TestMissRacingAFinishedFetch(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey)), nil)
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey), rsaJWK("new", &k.rsaB.PublicKey)))
	h.clock.Advance(cooldown)
	if _, err := h.c.Key(t.Context(), "new", "RS256"); err != nil { // the fetch of another caller
		t.Fatalf("Key(new) error = %v", err)
	}
	// What the racing caller does after its miss, with the fetch already over.
	got, err := h.c.waitForKey(t.Context(), "new", "RS256", algKind("RS256"), h.clock.Now())
	if err != nil || got == nil {
		t.Fatalf("waitForKey(new) after the fetch that brought it = %v, %v; want the key", got, err)
	}
	h.wantHits(t, 2)
}
