package issuertest

import (
	"testing"
	"time"
)

// TestStorePrunesExpired: entries past their expiry are dropped as new ones
// arrive, so a long-running server's memory is bounded by what is alive.
func TestStorePrunesExpired(t *testing.T) {
	clock := NewClock(time.Unix(1_000_000, 0))
	s := newStore(clock.Now)
	for range 300 {
		s.putAccess(randomToken(), &accessRecord{exp: clock.Now().Add(time.Minute)})
		s.putRefresh(&refreshRecord{grant: &grant{}, exp: clock.Now().Add(time.Minute)})
	}
	clock.Advance(2 * time.Minute)
	live := randomToken()
	s.putAccess(live, &accessRecord{exp: clock.Now().Add(time.Minute)})
	for range 511 {
		s.putPending(&pendingLogin{exp: clock.Now().Add(time.Minute)})
	}
	s.mu.Lock()
	sizes := []int{len(s.access), len(s.refresh), len(s.pending)}
	s.mu.Unlock()
	if sizes[0] != 1 || sizes[1] != 0 || sizes[2] != 511 {
		t.Errorf("after pruning access, refresh, pending = %v, want [1 0 511]", sizes)
	}
	if _, ok := s.lookupAccess(live); !ok {
		t.Errorf("pruning dropped a live token")
	}
}
