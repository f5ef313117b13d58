package issuertest

import (
	"net/http/httptest"
	"testing"
	"time"
)

// TestAccountSessionsBounded: sign-ins beyond the bound push out the one
// that expires soonest; the store never holds more than the bound.
func TestAccountSessionsBounded(t *testing.T) {
	clock := NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	a := newAccountSessions(clock.Now)
	first := a.start(Alice)
	var last string
	for range maxAccountSessions + 100 {
		clock.Advance(time.Millisecond)
		last = a.start(Bob)
	}
	if len(a.m) != maxAccountSessions {
		t.Errorf("%d sessions held, want the bound %d", len(a.m), maxAccountSessions)
	}
	if _, ok := a.m[first]; ok {
		t.Error("the oldest session survived past the bound")
	}
	req := httptest.NewRequest("GET", "/connected-apps", nil)
	req.Header.Set("Cookie", accountCookie+"="+last)
	if _, sess, ok := a.get(req); !ok || sess.subject != Bob {
		t.Errorf("the newest session = %+v, %v; want bob's", sess, ok)
	}
}
