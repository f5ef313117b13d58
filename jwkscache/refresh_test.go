package jwkscache

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const cooldown = defaultUnknownKIDCooldown

// TestRotationRightAfterStartFailsNoRequest: an issuer that signs with a
// new key the moment it publishes it (ORY Hydra, node-oidc-provider) a
// second after New: the first new-kid token starts one fetch and verifies.
// The fetch New made does not start the cooldown.
func TestRotationRightAfterStartFailsNoRequest(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey)), nil)
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey), rsaJWK("new", &k.rsaB.PublicKey)))
	h.clock.Advance(time.Second)

	if err := verify(t.Context(), h.c, signToken(t, jwt.SigningMethodRS256, k.rsaB, "new")); err != nil {
		t.Fatalf("first token with the new kid: Parse() error = %v, want nil", err)
	}
	h.waitFetch(t)
	h.wantHits(t, 2)
	h.wantKey(t, "new", "RS256", k.rsaB)
	h.wantKey(t, "old", "RS256", k.rsaA)
	h.wantHits(t, 2)
}

// TestRotationAfterPeriodicRefreshFailsNoRequest: a periodic refresh just
// before the rotation does not start the cooldown either.
func TestRotationAfterPeriodicRefreshFailsNoRequest(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey)), nil)
	if err := h.c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.waitFetch(t)
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("new", &k.rsaB.PublicKey)))
	h.clock.Advance(time.Second)
	h.wantKey(t, "new", "RS256", k.rsaB)
	h.waitFetch(t)
	h.wantHits(t, 3)
}

// TestUnknownKIDWithinCooldown: a second unknown kid within the cooldown of
// the first one's fetch fails at once and is looked for when the cooldown
// ends, by one fetch however many kids asked.
func TestUnknownKIDWithinCooldown(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey)), nil)
	h.wantErr(t, "ghost", "RS256", ErrKeyNotFound) // triggered fetch: not found
	h.waitFetch(t)
	triggered := h.clock.Now()
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey), rsaJWK("new", &k.rsaB.PublicKey)))
	release := h.srv.block() // a request that waited for a fetch would hang
	defer release()

	h.clock.Advance(10 * time.Second)
	for _, kid := range []string{"new", "other", "new", "third"} {
		err := h.wantErr(t, kid, "RS256", ErrKeyNotFound) // returns at once
		if !strings.Contains(err.Error(), "cooling down") {
			t.Errorf("Key(%q) error = %v, want it to say the refresh is cooling down", kid, err)
		}
	}
	h.wantHits(t, 2)
	h.noFetchPending(t)
	if got, want := h.c.Status().NextRefresh, triggered.Add(cooldown); !got.Equal(want) {
		t.Errorf("Status().NextRefresh = %v, want %v (one refresh when the cooldown ends)", got, want)
	}

	release()
	h.clock.Advance(cooldown - 10*time.Second)
	h.wantKey(t, "old", "RS256", k.rsaA) // the clock says due: the loop fetches in the background
	if err := h.waitFetch(t); err != nil {
		t.Fatalf("deferred refresh error = %v", err)
	}
	h.wantHits(t, 3) // one pending refresh, not one per unknown kid
	h.wantKey(t, "new", "RS256", k.rsaB)
	h.noFetchPending(t)
}

// TestKIDSquattingDoesNotLockOutTheNextKey: an attacker who sends the next
// kid before the issuer publishes it gets it looked for and not found; when
// the issuer later publishes and signs with that kid, genuine tokens verify
// (one fetch, right away) instead of waiting for the periodic refresh.
func TestKIDSquattingDoesNotLockOutTheNextKey(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	h.wantErr(t, "next", "RS256", ErrKeyNotFound) // the squatter
	h.waitFetch(t)
	h.wantHits(t, 2)

	h.clock.Advance(5 * time.Minute)
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey), rsaJWK("next", &k.rsaB.PublicKey)))
	h.wantKey(t, "next", "RS256", k.rsaB)
	h.waitFetch(t)
	h.wantHits(t, 3)

	// Within a cooldown the squatted kid is refused at once, and looked for
	// when the cooldown ends.
	h.clock.Advance(cooldown)
	h.wantErr(t, "soon", "RS256", ErrKeyNotFound) // squatting again
	h.waitFetch(t)
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey), rsaJWK("next", &k.rsaB.PublicKey), ecJWK(t, "later", &k.p256.PublicKey)))
	h.wantErr(t, "later", "ES256", ErrKeyNotFound) // refused within the cooldown ...
	h.clock.Advance(cooldown)
	h.wantKey(t, "a", "RS256", k.rsaA) // ... a refresh is due and runs
	h.waitFetch(t)
	h.wantKey(t, "later", "ES256", k.p256)
	h.wantHits(t, 5)
}

// TestUnknownKIDFlood: 1000 random kids from 50 goroutines cause at most one
// fetch per cooldown window, and no caller waits for anything but the one
// fetch in flight.
func TestUnknownKIDFlood(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	flood := func() {
		t.Helper()
		// A caller made to wait for the hung issuer would end with an
		// ErrUnavailable error, not ErrKeyNotFound, and be counted.
		var wg sync.WaitGroup
		var wrong atomic.Int64
		for range 50 {
			wg.Go(func() {
				for range 20 {
					kid := fmt.Sprintf("bogus-%016x", rand.Uint64())
					if _, err := h.c.Key(t.Context(), kid, "RS256"); !errors.Is(err, ErrKeyNotFound) {
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
	h.c.mu.Lock()
	inFlight := h.c.flight
	h.c.mu.Unlock()
	// Nine more refreshes, all while that fetch is in flight (the server
	// holds it), join it instead of fetching.
	errs := make(chan error, 9)
	for range 9 {
		f := h.c.join(h.clock.Now(), false)
		if f != inFlight {
			t.Fatal("a refresh during a fetch started a fetch of its own")
		}
		go func() { <-f.done; errs <- f.err }()
	}
	release()
	for range 9 {
		if err := <-errs; err != nil {
			t.Errorf("joined refresh error = %v", err)
		}
	}
	if err := <-first; err != nil {
		t.Errorf("Refresh() error = %v", err)
	}
	h.waitFetch(t)
	h.wantHits(t, 2) // the start-up fetch and the one shared refresh
	h.noFetchPending(t)
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
			err := h.wantErr(t, "a", "RS256", ErrUnavailable) // looks, and fails
			if errors.Is(err, ErrKeyNotFound) {
				t.Errorf("error %v also matches ErrKeyNotFound", err)
			}
			h.waitFetch(t)
			h.wantErr(t, "", "RS256", ErrUnavailable) // within the cooldown: at once
			h.noFetchPending(t)
			h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)))
			tt.recover(t, h)
			if st := h.c.Status(); st.LastError != nil || !st.Available || st.Stale {
				t.Errorf("Status() after recovery = %+v", st)
			}
		})
	}
}

// TestEndpointFailsAfterStart: an unknown kid whose refresh fails could
// not be checked, so it is ErrUnavailable (503), never ErrKeyNotFound: the
// token may well be good (DESIGN.md behaviour table). Within the cooldown
// that follows, it stays ErrUnavailable. The cached keys still work.
func TestEndpointFailsAfterStart(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	h.srv.serve(http.StatusInternalServerError, nil)
	for range 2 {
		err := h.wantErr(t, "unknown", "RS256", ErrUnavailable)
		if errors.Is(err, ErrKeyNotFound) {
			t.Errorf("error %v matches ErrKeyNotFound although the refresh failed", err)
		}
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
	h.c.kick() // a refresh is due; a loop still running would fetch
	h.wantHits(t, 1)
	h.noFetchPending(t)
}

// TestConcurrentCloseWaitsForTheFetch: a second Close that runs while the
// first is still stopping a fetch also returns only once the fetch ended.
func TestConcurrentCloseWaitsForTheFetch(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	var running atomic.Int32
	h.c.cfg.OnFetch = func(error) { running.Add(-1) }
	release := h.srv.block()
	defer release()
	running.Add(1)
	go func() { _ = h.c.Refresh(context.Background()) }()
	h.srv.waitEntered(t)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			_ = h.c.Close()
			if n := running.Load(); n != 0 {
				t.Errorf("Close() returned with %d fetch still running", n)
			}
		})
	}
	wg.Wait()
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
	got, err := h.c.waitForKey(t.Context(), "new", "RS256", algKind("RS256"))
	if err != nil || got == nil {
		t.Fatalf("waitForKey(new) after the fetch that brought it = %v, %v; want the key", got, err)
	}
	h.wantHits(t, 2)
}

// TestSlowKeyServerDoesNotHoldRequests: a request with an unknown kid waits
// at most UnknownKIDWait for the fetch and then answers ErrUnavailable; the
// fetch goes on in the background and its result serves the next request
// without another fetch.
func TestSlowKeyServerDoesNotHoldRequests(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("old", &k.rsaA.PublicKey)), func(c *Config) {
		c.UnknownKIDWait = time.Millisecond // the wait ends long before the server answers
	})
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("new", &k.rsaB.PublicKey)))
	release := h.srv.block()
	err := h.wantErr(t, "new", "RS256", ErrUnavailable)
	if errors.Is(err, ErrKeyNotFound) || !strings.Contains(err.Error(), "did not finish within") {
		t.Errorf("Key(new) error = %v, want ErrUnavailable saying the refresh did not finish", err)
	}
	release()
	if err := h.waitFetch(t); err != nil {
		t.Fatalf("background fetch error = %v", err)
	}
	h.wantKey(t, "new", "RS256", k.rsaB)
	h.wantHits(t, 2)
}

// TestRetryBackoffIsCapped: after many failures in a row the retry delay
// stays at MaxRetryInterval (5m by default), far below MaxRefreshInterval,
// so that the first good fetch after an outage comes soon.
func TestRetryBackoffIsCapped(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	h.srv.serve(http.StatusBadGateway, nil)
	var delays []time.Duration
	for range 8 {
		if err := h.c.Refresh(t.Context()); err == nil {
			t.Fatal("Refresh() error = nil against a failing server")
		}
		h.waitFetch(t)
		st := h.c.Status()
		delays = append(delays, st.NextRefresh.Sub(st.LastAttempt))
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	if !slices.Equal(delays, want) {
		t.Errorf("retry delays = %v, want %v", delays, want)
	}
}

// TestEntriesExaminedAreBounded: a 1 MiB document of hundreds of thousands
// of empty entries is examined only up to 4×MaxKeys entries, so a fetch
// costs the same whatever the issuer packs into the body.
func TestEntriesExaminedAreBounded(t *testing.T) {
	k := keys()
	good := string(jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)))
	goodKey := good[len(`{"keys":[`) : len(good)-len(`]}`)]
	junk := strings.Repeat("{},", 300_000)
	_, err := parseKeySet([]byte(`{"keys":[`+junk+goodKey+`]}`), 100)
	if err == nil || !strings.Contains(err.Error(), "400 entries examined") {
		t.Fatalf("parseKeySet(300k junk entries, then a key) error = %v, want no usable key among 400 entries examined", err)
	}
	s, err := parseKeySet([]byte(`{"keys":[{},{},`+goodKey+`,`+junk+`{}]}`), 100)
	if err != nil {
		t.Fatalf("parseKeySet(a key, then 300k junk entries) error = %v", err)
	}
	if got := s.skipped[0]; !strings.Contains(got, "entries from 400 on: not examined") {
		t.Errorf("last skip reason = %q, want the entries not examined", got)
	}
}

// TestEd25519AlgName: "Ed25519" (RFC 9864 §2), the fully specified name
// that deprecates "EdDSA", gets the OKP Ed25519 key, whichever of the two
// names the JWK itself declares; it never gets another key type.
func TestEd25519AlgName(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t,
		edJWK("plain", k.ed.Public().(ed25519.PublicKey)),
		edJWK("named", k.ed.Public().(ed25519.PublicKey)).with("alg", "Ed25519"),
		edJWK("old-name", k.ed.Public().(ed25519.PublicKey)).with("alg", "EdDSA"),
		rsaJWK("rsa", &k.rsaA.PublicKey),
	), nil)
	for _, kid := range []string{"plain", "named", "old-name"} {
		h.wantKey(t, kid, "Ed25519", k.ed)
		h.wantKey(t, kid, "EdDSA", k.ed)
	}
	h.wantErr(t, "rsa", "Ed25519", ErrAlgMismatch)
	h.wantErr(t, "named", "ES256", ErrAlgMismatch)
}
