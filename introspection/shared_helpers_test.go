package introspection_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
)

// memShared is an in-memory SharedCache that keeps what it was given, so
// that tests can look at it and tamper with it, and counts its
// operations. Revoke hides the entries stored before it by a sequence
// number, as the Redis store does by the server's clock.
type memShared struct {
	mu                             sync.Mutex // guards everything below
	entries                        map[string]memEntry
	revoked                        map[string]int // tag => sequence number of its last Revoke
	locks                          map[string]bool
	seq                            int
	fail                           error // every operation fails with it when set
	gets, sets, lockTries, revokes int
	lockTried                      chan struct{} // receives on each Lock attempt, when set
}

type memEntry struct {
	value []byte
	ttl   time.Duration
	tags  []string
	seq   int
}

var errStoreDown = errors.New("store down")

func newMemShared() *memShared {
	return &memShared{entries: map[string]memEntry{}, revoked: map[string]int{}, locks: map[string]bool{}}
}

func (m *memShared) Get(ctx context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	if m.fail != nil {
		return nil, m.fail
	}
	e, ok := m.entries[key]
	if !ok {
		return nil, nil
	}
	for _, tag := range e.tags {
		if r, ok := m.revoked[tag]; ok && r >= e.seq {
			return nil, nil
		}
	}
	return bytes.Clone(e.value), nil
}

func (m *memShared) Set(ctx context.Context, key string, value []byte, ttl time.Duration, tags []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sets++
	if m.fail != nil {
		return m.fail
	}
	m.seq++
	m.entries[key] = memEntry{value: bytes.Clone(value), ttl: ttl, tags: slices.Clone(tags), seq: m.seq}
	return nil
}

func (m *memShared) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	m.mu.Lock()
	m.lockTries++
	tried := m.lockTried
	fail, held := m.fail, m.locks[key]
	if fail == nil && !held {
		m.locks[key] = true
	}
	m.mu.Unlock()
	if tried != nil {
		tried <- struct{}{}
	}
	switch {
	case fail != nil:
		return nil, fail
	case held:
		return nil, nil
	}
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.locks, key)
	}, nil
}

func (m *memShared) Revoke(ctx context.Context, tag string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.revokes++
	if m.fail != nil {
		return m.fail
	}
	m.seq++
	m.revoked[tag] = m.seq
	return nil
}

func (m *memShared) setFail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

// only returns the one entry stored, failing the test otherwise.
func (m *memShared) only(t testing.TB) (string, memEntry) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) != 1 {
		t.Fatalf("shared entries = %d, want 1", len(m.entries))
	}
	for k, e := range m.entries {
		return k, e
	}
	panic("unreachable")
}

// put replaces the value of key, as a writer with access to the store
// could.
func (m *memShared) put(key string, value []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[key]
	e.value = value
	m.entries[key] = e
}

func (m *memShared) value(key string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.entries[key].value)
}

func (m *memShared) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Collect(maps.Keys(m.entries))
}

func (m *memShared) counts() (gets, sets, lockTries, revokes int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gets, m.sets, m.lockTries, m.revokes
}

// sharedSecret is the replicas' shared secret in these tests.
var sharedSecret = bytes.Repeat([]byte("s"), 32)

// newReplica is an Introspector of e that shares store, as one replica of
// an API; cfg adds to the defaults of newIntrospector.
func newReplica(t testing.TB, e *endpoint, clock *issuertest.Clock, store introspection.SharedCache, cfg introspection.Config) *introspection.Introspector {
	t.Helper()
	cfg.SharedCache = store
	if cfg.SharedSecret == nil {
		cfg.SharedSecret = sharedSecret
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 100
	}
	return newIntrospector(t, e, clock, cfg)
}
