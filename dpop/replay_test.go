package dpop_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/dpop"
	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/internal/dpoptest"
)

// TestReplayFrom100GoroutinesAcceptsExactlyOne: one proof replayed
// concurrently is accepted once (RFC 9449 §11.1).
func TestReplayFrom100GoroutinesAcceptsExactlyOne(t *testing.T) {
	c, _ := newChecker(t, dpop.Config{})
	req := request(good(dpoptest.NewKey("ES256"), dpoptest.Proof{}))
	var accepted, replayed atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 100 {
		wg.Go(func() {
			<-start
			p, err := c.CheckProof(t.Context(), req)
			if err != nil {
				t.Errorf("CheckProof() error = %v", err)
				return
			}
			switch err := c.UseProof(t.Context(), p); {
			case err == nil:
				accepted.Add(1)
			case errors.Is(err, binding.ErrProofReplayed):
				replayed.Add(1)
			default:
				t.Errorf("UseProof() error = %v, want nil or a replay", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if accepted.Load() != 1 || replayed.Load() != 99 {
		t.Fatalf("accepted %d, refused as replays %d; want exactly 1 and 99", accepted.Load(), replayed.Load())
	}
}

func TestMemoryStore(t *testing.T) {
	clk := &clock{t: epoch}
	m, err := dpop.NewMemoryStore(dpop.MemoryStoreConfig{Size: 2, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	use := func(key string, until time.Duration) (bool, error) {
		return m.Use(t.Context(), key, epoch.Add(until))
	}
	steps := []struct {
		name    string
		advance time.Duration
		key     string
		until   time.Duration
		fresh   bool
		err     error
	}{
		{name: "first use", key: "a", until: time.Minute, fresh: true},
		{name: "replay", key: "a", until: time.Minute},
		{name: "second key", key: "b", until: 2 * time.Minute, fresh: true},
		{name: "full: refuses to record rather than forget a live value", key: "c", until: time.Minute, err: dpop.ErrReplayStoreFull},
		{name: "a value already expired is not recorded", key: "d", until: -time.Second, fresh: true},
		{name: "still a replay just before its end", advance: time.Minute - time.Second, key: "a", until: time.Minute},
		{name: "expired entries make room", advance: time.Second, key: "c", until: 3 * time.Minute, fresh: true},
		{name: "a ended, but the store is full again", key: "a", until: 3 * time.Minute, err: dpop.ErrReplayStoreFull},
		{name: "b ends: a is fresh again", advance: time.Minute, key: "a", until: 3 * time.Minute, fresh: true},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		fresh, err := use(s.key, s.until)
		if fresh != s.fresh || !errors.Is(err, s.err) {
			t.Fatalf("%s: Use(%q) = %v, %v; want %v, %v", s.name, s.key, fresh, err, s.fresh, s.err)
		}
	}
	if !errors.Is(dpop.ErrReplayStoreFull, tokengate.ErrUnavailable) {
		t.Error("ErrReplayStoreFull does not wrap ErrUnavailable: a full store must refuse as unavailable, never admit")
	}
	if m.Len() != 2 {
		t.Errorf("Len() = %d, want 2", m.Len())
	}
}

// TestMemoryStoreBounded: a flood of fresh values never grows the store
// past its size.
func TestMemoryStoreBounded(t *testing.T) {
	m, _ := dpop.NewMemoryStore(dpop.MemoryStoreConfig{Size: 100, Now: func() time.Time { return epoch }})
	full := 0
	for i := range 1000 {
		if _, err := m.Use(t.Context(), fmt.Sprint(i), epoch.Add(time.Minute)); errors.Is(err, dpop.ErrReplayStoreFull) {
			full++
		}
	}
	if m.Len() != 100 || full != 900 {
		t.Fatalf("after 1000 values: Len() = %d, refused %d; want 100 and 900", m.Len(), full)
	}
}

// failingStore is a shared store that cannot answer.
type failingStore struct{ err error }

func (s failingStore) Use(context.Context, string, time.Time) (bool, error) { return false, s.err }

func TestUseProofStoreErrorIsUnavailable(t *testing.T) {
	c, _ := newChecker(t, dpop.Config{Replay: failingStore{err: errors.New("connection refused")}})
	p, err := c.CheckProof(t.Context(), request(good(dpoptest.NewKey("ES256"), dpoptest.Proof{})))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UseProof(t.Context(), p); !errors.Is(err, tokengate.ErrUnavailable) {
		t.Fatalf("UseProof() error = %v, want ErrUnavailable: a store that cannot decide must not admit", err)
	}
}
