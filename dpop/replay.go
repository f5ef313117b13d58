package dpop

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tokengate/tokengate"
)

// DefaultReplayEntries is the capacity of a [MemoryStore] whose Size is
// zero: at most this many proofs are remembered at once, which at a
// minute's window serves about a thousand DPoP requests a second.
const DefaultReplayEntries = 1 << 16

// ErrReplayStoreFull is returned by [MemoryStore.Use] when every entry is
// still live: the store refuses to record rather than forget a value that
// could still be replayed. It wraps tokengate.ErrUnavailable.
var ErrReplayStoreFull = fmt.Errorf("dpop: replay store is full: %w", tokengate.ErrUnavailable)

// MemoryStoreConfig configures a [MemoryStore].
type MemoryStoreConfig struct {
	// Size is the most entries held at once. Zero value:
	// DefaultReplayEntries. A negative value is an error.
	Size int

	// Now is the clock that expires entries. Default time.Now.
	Now func() time.Time
}

// MemoryStore is a bounded, in-memory tokengate.ReplayStore for one
// process; the default store of a [Checker]. Replicas behind a load
// balancer need a shared store instead, so that a proof used at one is
// refused at all. It is safe for concurrent use and starts no goroutine:
// expired entries are dropped as new ones arrive.
type MemoryStore struct {
	now  func() time.Time
	size int

	mu    sync.Mutex           // guards until and order
	until map[string]time.Time // key => the end of its record
	order expiries             // the same entries, soonest end first
}

var _ tokengate.ReplayStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore(cfg MemoryStoreConfig) (*MemoryStore, error) {
	if cfg.Size < 0 {
		return nil, errors.New("dpop: MemoryStoreConfig.Size must not be negative")
	}
	if cfg.Size == 0 {
		cfg.Size = DefaultReplayEntries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &MemoryStore{now: cfg.Now, size: cfg.Size, until: make(map[string]time.Time)}, nil
}

// Use records key until the instant until, and reports whether it was
// fresh. Of concurrent calls with one key exactly one reports true. A
// value whose until has passed is not recorded, as it cannot be replayed.
// When every entry is still live, Use returns ErrReplayStoreFull.
func (m *MemoryStore) Use(_ context.Context, key string, until time.Time) (bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.order) > 0 && !m.order[0].until.After(now) {
		e := heap.Pop(&m.order).(expiry)
		if m.until[e.key].Equal(e.until) {
			delete(m.until, e.key)
		}
	}
	if end, ok := m.until[key]; ok && end.After(now) {
		return false, nil
	}
	if !until.After(now) {
		return true, nil
	}
	if len(m.until) >= m.size {
		return false, ErrReplayStoreFull
	}
	m.until[key] = until
	heap.Push(&m.order, expiry{key: key, until: until})
	return true, nil
}

// Len returns the number of entries held, live or not yet dropped.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.until)
}

// expiry is one entry in the min-heap of ends.
type expiry struct {
	key   string
	until time.Time
}

type expiries []expiry

func (h expiries) Len() int           { return len(h) }
func (h expiries) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h expiries) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiries) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiries) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
