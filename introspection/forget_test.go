package introspection_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

// TestForgetRefusesRevokedTokenAtOnce: after a revocation event, the next
// check asks the endpoint instead of serving the cached answer, for each
// kind of purge; a purge for someone else leaves the entry alone.
func TestForgetRefusesRevokedTokenAtOnce(t *testing.T) {
	tests := []struct {
		name   string
		forget func(in *introspection.Introspector)
		purged bool
	}{
		{"token", func(in *introspection.Introspector) { in.Forget("tok") }, true},
		{"subject", func(in *introspection.Introspector) { in.ForgetSubject("alice") }, true},
		{"client", func(in *introspection.Introspector) { in.ForgetClient("web") }, true},
		{"token ID", func(in *introspection.Introspector) { in.ForgetTokenID("j1") }, true},
		{"all", func(in *introspection.Introspector) { in.ForgetAll() }, true},
		{"another token", func(in *introspection.Introspector) { in.Forget("other") }, false},
		{"another subject", func(in *introspection.Introspector) { in.ForgetSubject("bob") }, false},
		{"another client", func(in *introspection.Introspector) { in.ForgetClient("other") }, false},
		{"empty subject", func(in *introspection.Introspector) { in.ForgetSubject("") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, withShared := range []bool{false, true} {
				s := &switchable{body: activeBody(time.Hour)}
				e := newEndpoint(t, s.ServeHTTP)
				clock := newClock()
				var in *introspection.Introspector
				if withShared {
					in = newReplica(t, e, clock, newMemShared(), introspection.Config{})
				} else {
					in = newIntrospector(t, e, clock, introspection.Config{CacheSize: 10})
				}
				verify(t, in, "tok", nil)
				s.set(inactiveBody) // revoked at the issuer
				tt.forget(in)
				want := error(nil)
				if tt.purged {
					want = verifier.ErrInvalidToken
				}
				verify(t, in, "tok", want)
			}
		})
	}
}

// TestForgetHidesSharedEntriesFromEveryReplica: a replica that never saw
// the token, or whose process cache was purged by the revocation message,
// does not get the stale shared answer.
func TestForgetHidesSharedEntriesFromEveryReplica(t *testing.T) {
	s := &switchable{body: activeBody(time.Hour)}
	e := newEndpoint(t, s.ServeHTTP)
	store := newMemShared()
	clock := newClock()
	a := newReplica(t, e, clock, store, introspection.Config{})
	verify(t, a, "tok", nil)
	s.set(inactiveBody)
	a.ForgetSubject("alice")
	fresh := newReplica(t, e, clock, store, introspection.Config{})
	verify(t, fresh, "tok", verifier.ErrInvalidToken)
	wantCalls(t, e, 2)
}

// TestRevocationOvertakingAFlight: a flight that began before a
// revocation hands its answer to its callers but does not cache it, in
// the process or the shared cache.
func TestRevocationOvertakingAFlight(t *testing.T) {
	g := newGate(activeBody(time.Hour))
	e := newEndpoint(t, g.ServeHTTP)
	store := newMemShared()
	in := newReplica(t, e, newClock(), store, introspection.Config{})
	done := make(chan error, 1)
	go func() {
		_, err := in.Verify(t.Context(), "tok")
		done <- err
	}()
	<-g.arrived
	in.ForgetSubject("alice")
	close(g.release)
	if err := <-done; err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	if _, sets, _, _ := store.counts(); sets != 0 {
		t.Errorf("shared Set calls = %d, want 0 for an answer a revocation overtook", sets)
	}
	verify(t, in, "tok", nil) // asked again
	wantCalls(t, e, 2)
}

// TestForgottenTokenStillKnown: the re-check after a purge is not counted
// as a new token, so a purge of many tokens does not trip
// Config.NewTokenRate.
func TestForgottenTokenStillKnown(t *testing.T) {
	e := newEndpoint(t, reply(activeBody(time.Hour)))
	in := newIntrospector(t, e, newClock(), introspection.Config{CacheSize: 10, NewTokenRate: 1})
	verify(t, in, "tok", nil) // spends the one new-token call
	in.ForgetAll()
	verify(t, in, "tok", nil)
	wantCalls(t, e, 2)
}

// TestSharedStoreDownFallsBack: with the store failing, Verify works from
// the process cache and the endpoint, logs the outage once at Warn, stays
// off the store for FailureBackoff, and uses it again once it answers.
func TestSharedStoreDownFallsBack(t *testing.T) {
	e := newEndpoint(t, reply(activeBody(time.Hour)))
	store := newMemShared()
	clock := newClock()
	logger, lines := testLogger(t)
	in := newReplica(t, e, clock, store, introspection.Config{Logger: logger, FailureBackoff: time.Second})
	verify(t, in, "cached", nil)

	store.setFail(errStoreDown)
	verify(t, in, "cached", nil) // a process hit needs no store
	for range 5 {
		verify(t, in, "new", nil)
		in.Forget("new")
	}
	gets, _, _, _ := store.counts()
	if gets != 3 { // two looks for "cached" (before and after taking the lock), one failed look
		t.Errorf("shared Get calls while down = %d, want 3: one failure keeps the store off for FailureBackoff", gets)
	}
	if n := strings.Count(strings.Join(lines(), ""), "level=WARN msg=\"introspection shared cache not answering"); n != 1 {
		t.Errorf("Warn lines about the outage = %d, want 1; log %q", n, lines())
	}

	store.setFail(nil)
	clock.Advance(2 * time.Second)
	verify(t, in, "new", nil)
	if g, _, _, _ := store.counts(); g <= gets {
		t.Error("the store was not asked again after FailureBackoff")
	}
	if !strings.Contains(strings.Join(lines(), ""), "answering again") {
		t.Errorf("log = %q, want the recovery reported", lines())
	}
}

// TestSharedRevokeFailureDistrustsEntries: a revocation that could not be
// stored makes the replica hide every shared entry before it trusts one
// again, so that a stale answer stored before it is not served.
func TestSharedRevokeFailureDistrustsEntries(t *testing.T) {
	s := &switchable{body: activeBody(time.Hour)}
	e := newEndpoint(t, s.ServeHTTP)
	store := newMemShared()
	clock := newClock()
	a := newReplica(t, e, clock, store, introspection.Config{})
	verify(t, a, "tok", nil)
	s.set(inactiveBody)
	store.setFail(errStoreDown)
	a.ForgetSubject("alice")
	store.setFail(nil)
	clock.Advance(time.Minute)
	verify(t, a, "tok", verifier.ErrInvalidToken)
	verify(t, newReplica(t, e, clock, store, introspection.Config{}), "tok", verifier.ErrInvalidToken)
}
