package introspection_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

// flaky answers 503 while down is set, else the active body.
type flaky struct{ down atomic.Bool }

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	reply(activeBody(time.Hour))(w, r)
}

// TestBreakerSparesFailingEndpoint stops a failing endpoint from being
// hammered: after a failed call one probe is let through; after a second
// failure in a row Verify answers ErrUnavailable without calling until
// the pause has passed on the injected clock, then probes once more; each
// failed probe doubles the pause up to MaxFailureBackoff; an answer ends
// it.
func TestBreakerSparesFailingEndpoint(t *testing.T) {
	f := &flaky{}
	e := newEndpoint(t, f.ServeHTTP)
	clock := newClock()
	in := newIntrospector(t, e, clock, introspection.Config{CacheSize: 10, MaxFailureBackoff: 8 * time.Second})
	verify(t, in, "cached-token", nil)
	f.down.Store(true)

	verify(t, in, "steady-token", verifier.ErrUnavailable) // fails: no pause yet
	verify(t, in, "steady-token", verifier.ErrUnavailable) // the probe fails: a pause of 1s
	verify(t, in, "cached-token", nil)                     // answered from the cache throughout
	calls := int64(3)
	wantCalls(t, e, calls)
	// A steady load on one token and on new ones: one call per pause,
	// whatever the load.
	for _, pause := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		for n := range 100 {
			verify(t, in, "steady-token", verifier.ErrUnavailable)
			verify(t, in, fmt.Sprintf("new-token-%d", n), verifier.ErrUnavailable)
		}
		clock.Advance(pause - time.Millisecond)
		verify(t, in, "steady-token", verifier.ErrUnavailable)
		wantCalls(t, e, calls) // still paused
		clock.Advance(time.Millisecond)
		verify(t, in, "steady-token", verifier.ErrUnavailable) // the probe
		calls++
		wantCalls(t, e, calls)
	}

	clock.Advance(8 * time.Second)
	f.down.Store(false)
	verify(t, in, "steady-token", nil) // the probe succeeds and closes the breaker
	verify(t, in, "another-token", nil)
	wantCalls(t, e, calls+2)
}

// TestBreakerLoneFailureCostsNoPause: one failed call among answers (a
// stray 5xx) pauses no one: the next call probes at once, and its answer
// closes the breaker.
func TestBreakerLoneFailureCostsNoPause(t *testing.T) {
	f := &flaky{}
	e := newEndpoint(t, f.ServeHTTP)
	in := newIntrospector(t, e, newClock(), introspection.Config{})
	for n := range 10 {
		f.down.Store(n%2 == 0)
		want := error(nil)
		if n%2 == 0 {
			want = verifier.ErrUnavailable
		}
		verify(t, in, fmt.Sprintf("token-%d", n), want)
	}
	wantCalls(t, e, 10)
}

// holdAndFail holds each request until released, then answers 503.
type holdAndFail struct {
	arrived chan struct{}
	release chan struct{}
}

func newHoldAndFail() *holdAndFail {
	return &holdAndFail{arrived: make(chan struct{}, 100), release: make(chan struct{})}
}

func (h *holdAndFail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	h.arrived <- struct{}{}
	<-h.release
	http.Error(w, "down", http.StatusServiceUnavailable)
}

// TestBreakerOneProbeAtATime: once the pause has passed, one call probes
// the endpoint; while it is in flight every other token is answered
// without a call.
func TestBreakerOneProbeAtATime(t *testing.T) {
	f := &flaky{}
	f.down.Store(true)
	hold := newHoldAndFail()
	var probing atomic.Bool
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		if probing.Load() {
			hold.ServeHTTP(w, r)
			return
		}
		f.ServeHTTP(w, r)
	})
	in := newIntrospector(t, e, newClock(), introspection.Config{})
	verify(t, in, "token-0", verifier.ErrUnavailable) // the next call is a probe

	probing.Store(true)
	probe := make(chan error, 1)
	go func() {
		_, err := in.Verify(t.Context(), "probe-token")
		probe <- err
	}()
	<-hold.arrived
	for n := range 50 {
		_, err := in.Verify(t.Context(), fmt.Sprintf("token-%d", n+1))
		wantUnavailable(t, err, "probe call")
	}
	close(hold.release)
	wantUnavailable(t, <-probe, "status 503")
	wantCalls(t, e, 2)
}

// TestBreakerCountsOneFailurePerOpening: calls already in flight when the
// breaker opens do not grow its pause: after 20 calls failing together
// comes a probe, and after the probe's failure a pause of FailureBackoff,
// not 2^19 times as long.
func TestBreakerCountsOneFailurePerOpening(t *testing.T) {
	hold := newHoldAndFail()
	var failing atomic.Pointer[flaky]
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		if f := failing.Load(); f != nil {
			f.ServeHTTP(w, r)
			return
		}
		hold.ServeHTTP(w, r)
	})
	clock := newClock()
	in := newIntrospector(t, e, clock, introspection.Config{})
	var wg sync.WaitGroup
	for n := range 20 {
		wg.Go(func() { verify(t, in, fmt.Sprintf("token-%d", n), verifier.ErrUnavailable) })
	}
	for range 20 {
		<-hold.arrived
	}
	close(hold.release)
	wg.Wait()
	f := &flaky{}
	f.down.Store(true)
	failing.Store(f)
	verify(t, in, "probe-token", verifier.ErrUnavailable) // one failure counted: a probe, no pause
	wantCalls(t, e, 21)
	clock.Advance(time.Second - time.Millisecond)
	verify(t, in, "probe-token", verifier.ErrUnavailable)
	wantCalls(t, e, 21)
	clock.Advance(time.Millisecond)
	verify(t, in, "probe-token", verifier.ErrUnavailable) // the pause was 1s
	wantCalls(t, e, 22)
}

// TestNewTokenRateStopsJunkSpray stops a spray of distinct junk tokens
// from becoming a flood at the authorization server: calls for tokens not
// seen active are bounded by Config.NewTokenRate on the injected clock,
// while tokens seen active are re-checked and refused tokens stay cached.
func TestNewTokenRateStopsJunkSpray(t *testing.T) {
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("token") == "good" {
			reply(activeBody(time.Hour))(w, r)
			return
		}
		reply(inactiveBody)(w, r)
	})
	clock := newClock()
	in := newIntrospector(t, e, clock, introspection.Config{CacheSize: 100, MaxCacheTTL: 10 * time.Second, NewTokenRate: 10})
	verify(t, in, "good", nil)
	limited := 0
	for n := range 1000 {
		_, err := in.Verify(t.Context(), fmt.Sprintf("junk-%d", n))
		switch {
		case errors.Is(err, verifier.ErrUnavailable) && strings.Contains(err.Error(), "NewTokenRate"):
			limited++
		case !errors.Is(err, verifier.ErrInvalidToken):
			t.Fatalf("Verify(junk) error = %v", err)
		}
	}
	wantCalls(t, e, 10) // a burst of NewTokenRate, the good token's call included
	if limited != 991 {
		t.Errorf("%d junk tokens refused by the rate bound, want 991", limited)
	}

	clock.Advance(10 * time.Second) // refills the bucket; the good token's entry dies
	for n := range 20 {
		want := verifier.ErrInvalidToken
		if n >= 10 {
			want = verifier.ErrUnavailable
		}
		verify(t, in, fmt.Sprintf("junk-%d", n+1000), want)
	}
	wantCalls(t, e, 20)
	verify(t, in, "good", nil)                           // seen active: re-checked although the bucket is empty
	verify(t, in, "junk-1000", verifier.ErrInvalidToken) // still cached as refused
	wantCalls(t, e, 21)
}

// counting holds each request until released and records the most
// requests in flight at once; a request leaves the count before its
// answer is written, so that the next call cannot overlap it.
type counting struct {
	arrived        chan struct{}
	release        chan struct{}
	inFlight, most atomic.Int64
}

func newCounting() *counting {
	return &counting{arrived: make(chan struct{}, 1000), release: make(chan struct{})}
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.inFlight.Add(1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
	c.arrived <- struct{}{}
	<-c.release
	c.inFlight.Add(-1)
	reply(activeBody(time.Hour))(w, r)
}

// TestConcurrencyBound stops a burst of distinct tokens from opening
// hundreds of connections to the authorization server: at most
// MaxConcurrentCalls calls are in flight, and the others wait for a slot.
func TestConcurrencyBound(t *testing.T) {
	c := newCounting()
	e := newEndpoint(t, c.ServeHTTP)
	// MaxQueueWait is generous: it only catches a hang.
	in := newIntrospector(t, e, newClock(), introspection.Config{CacheSize: 1000, NewTokenRate: -1, MaxConcurrentCalls: 8, MaxQueueWait: time.Minute})
	var wg sync.WaitGroup
	for n := range 200 {
		wg.Go(func() { verify(t, in, fmt.Sprintf("token-%d", n), nil) })
	}
	for range 8 {
		<-c.arrived
	}
	wantCalls(t, e, 8) // the other 192 wait for a slot
	close(c.release)
	wg.Wait()
	wantCalls(t, e, 200)
	if m := c.most.Load(); m != 8 {
		t.Errorf("at most %d calls were in flight, want 8 (MaxConcurrentCalls)", m)
	}
}

// TestConcurrencyBoundGivesUp: a call that finds no slot within
// MaxQueueWait is not made, and Verify answers ErrUnavailable.
func TestConcurrencyBoundGivesUp(t *testing.T) {
	c := newCounting()
	e := newEndpoint(t, c.ServeHTTP)
	in := newIntrospector(t, e, newClock(), introspection.Config{MaxConcurrentCalls: 1, MaxQueueWait: time.Millisecond})
	first := make(chan error, 1)
	go func() {
		_, err := in.Verify(t.Context(), "token-a")
		first <- err
	}()
	<-c.arrived
	_, err := in.Verify(t.Context(), "token-b")
	wantUnavailable(t, err, "MaxConcurrentCalls")
	close(c.release)
	if err := <-first; err != nil {
		t.Fatalf("Verify(token-a) error = %v", err)
	}
	wantCalls(t, e, 1)
}
