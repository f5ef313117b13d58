package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Use records key until the instant until with SET NX PX and reports
// whether it was fresh (tokengate.ReplayStore): of any number of calls
// with one key, at every replica, at most one reports true while the
// value lives. The key is stored as its SHA-256, so that a long or odd
// key costs Redis a fixed 64 bytes.
//
// While Redis cannot answer, Use asks the Fallback store instead: replay
// protection is then per replica, which it logs once per outage. Every
// value Redis accepts is recorded in the Fallback too, so that a value
// this replica accepted during an outage, which Redis does not know, is
// still refused here when Redis is back. (A Fallback that cannot record
// does not refuse a value Redis accepted.)
func (s *Store) Use(ctx context.Context, key string, until time.Time) (bool, error) {
	sum := sha256.Sum256([]byte(key))
	ttl := max(until.Sub(s.now()), time.Millisecond)
	fresh, err := s.rdb.SetNX(ctx, s.prefix+"j:"+hex.EncodeToString(sum[:]), "1", ttl).Result()
	if err != nil {
		s.replayHealth.failed(err, "checked by each replica alone: a value used at one replica is refused only there until Redis is back")
		return s.fallback.Use(ctx, key, until)
	}
	s.replayHealth.answered()
	if !fresh {
		return false, nil
	}
	locally, lerr := s.fallback.Use(ctx, key, until)
	return lerr != nil || locally, nil
}

// errFallbackFull is returned by the in-memory fallback when it holds as
// many live values as it may.
var errFallbackFull = errors.New("redisstore: the in-memory replay store is full (Config.MaxFallbackEntries)")

// memoryReplay is the default Fallback: a bounded map of values to their
// expiry. When full it first drops expired values, then refuses to record
// rather than forget a live one (tokengate.ReplayStore).
// A full store looks for expired values at most once per pruneEvery, so
// that a flood of values costs one scan a second, not one per value.
type memoryReplay struct {
	max int
	now func() time.Time

	mu     sync.Mutex // guards values and pruned
	values map[string]time.Time
	pruned time.Time
}

const pruneEvery = time.Second

func newMemoryReplay(max int, now func() time.Time) *memoryReplay {
	return &memoryReplay{max: max, now: now, values: map[string]time.Time{}}
}

func (m *memoryReplay) Use(_ context.Context, key string, until time.Time) (bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.values[key]; ok && now.Before(exp) {
		return false, nil
	}
	if len(m.values) >= m.max && now.Sub(m.pruned) >= pruneEvery {
		m.pruned = now
		for k, exp := range m.values {
			if !now.Before(exp) {
				delete(m.values, k)
			}
		}
	}
	if _, ok := m.values[key]; !ok && len(m.values) >= m.max {
		return false, fmt.Errorf("%w: %d values", errFallbackFull, len(m.values))
	}
	m.values[key] = until
	return true, nil
}
