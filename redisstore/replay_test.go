package redisstore_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/internal/redistest"
	"github.com/tokengate/tokengate/redisstore"
)

// TestProofReplayedAtAnotherReplicaRefused: a one-time value (a DPoP
// proof's jti, a logout token's jti) used at one replica is refused at
// every other.
func TestProofReplayedAtAnotherReplicaRefused(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newStore(t, srv, redisstore.Config{}), newStore(t, srv, redisstore.Config{})
	until := time.Now().Add(time.Minute)
	if fresh, err := a.Use(t.Context(), "dpop:jti-1", until); err != nil || !fresh {
		t.Fatalf("Use() at a = %v, %v; want fresh", fresh, err)
	}
	if fresh, err := b.Use(t.Context(), "dpop:jti-1", until); err != nil || fresh {
		t.Fatalf("Use() of the same value at b = %v, %v; want a replay", fresh, err)
	}
	if fresh, err := b.Use(t.Context(), "dpop:jti-2", until); err != nil || !fresh {
		t.Fatalf("Use() of another value at b = %v, %v; want fresh", fresh, err)
	}
}

// TestConcurrentUsesOneFresh: of many concurrent uses of one value across
// replicas, exactly one is fresh.
func TestConcurrentUsesOneFresh(t *testing.T) {
	srv := redistest.Start(t)
	stores := []*redisstore.Store{newStore(t, srv, redisstore.Config{}), newStore(t, srv, redisstore.Config{}), newStore(t, srv, redisstore.Config{})}
	until := time.Now().Add(time.Minute)
	var fresh atomic.Int64
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() {
			ok, err := stores[i%3].Use(t.Context(), "same", until)
			if err != nil {
				t.Errorf("Use() error = %v", err)
			}
			if ok {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if n := fresh.Load(); n != 1 {
		t.Errorf("fresh uses = %d, want exactly 1", n)
	}
}

// TestReplayValueExpiresWithItsWindow: Redis keeps a value until its
// until, and no longer.
func TestReplayValueExpiresWithItsWindow(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv, redisstore.Config{})
	if _, err := s.Use(t.Context(), "v", time.Now().Add(90*time.Second)); err != nil {
		t.Fatal(err)
	}
	raw := rawClient(t, srv)
	keys := raw.Keys(t.Context(), "tokengate:j:*").Val()
	if len(keys) != 1 {
		t.Fatalf("replay keys = %q, want 1", keys)
	}
	if ttl := raw.PTTL(t.Context(), keys[0]).Val(); ttl <= 0 || ttl > 90*time.Second {
		t.Errorf("PTTL = %v, want at most the 90s window", ttl)
	}
}

// TestReplayStoreDuringOutage: with Redis down, replay protection is per
// replica, logged once at Warn; a value used during the outage stays
// refused at that replica after Redis is back, and Redis is used again.
func TestReplayStoreDuringOutage(t *testing.T) {
	srv := redistest.Start(t)
	logger, lines := testLogger(t)
	a := newStore(t, srv, redisstore.Config{Logger: logger})
	b := newStore(t, srv, redisstore.Config{})
	until := time.Now().Add(time.Minute)
	srv.Stop()
	for i, want := range []bool{true, false, false} {
		if fresh, err := a.Use(t.Context(), "during", until); err != nil || fresh != want {
			t.Fatalf("Use() #%d during the outage = %v, %v; want %v", i, fresh, err, want)
		}
	}
	if n := countLines(lines(), "level=WARN", "replay store"); n != 1 {
		t.Errorf("Warn lines = %d, want 1 per outage: %q", n, lines())
	}
	srv.Restart()
	if fresh, err := a.Use(t.Context(), "during", until); err != nil || fresh {
		t.Errorf("Use() after the outage of a value used during it = %v, %v; want a replay", fresh, err)
	}
	if fresh, err := a.Use(t.Context(), "after", until); err != nil || !fresh {
		t.Fatalf("Use() after the outage = %v, %v; want fresh", fresh, err)
	}
	if fresh, _ := b.Use(t.Context(), "after", until); fresh {
		t.Error("a value used at a after the outage is fresh at b: Redis not used again")
	}
	if countLines(lines(), "level=INFO", "replay store shared again") != 1 {
		t.Errorf("log = %q, want the recovery reported", lines())
	}
}

// TestFallbackBounded: the default in-memory fallback refuses to record
// beyond MaxFallbackEntries live values rather than forget one.
func TestFallbackBounded(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv, redisstore.Config{MaxFallbackEntries: 2})
	srv.Stop()
	until := time.Now().Add(time.Minute)
	for _, k := range []string{"a", "b"} {
		if fresh, err := s.Use(t.Context(), k, until); err != nil || !fresh {
			t.Fatalf("Use(%s) = %v, %v; want fresh", k, fresh, err)
		}
	}
	if fresh, err := s.Use(t.Context(), "c", until); err == nil || fresh {
		t.Fatalf("Use() beyond the bound = %v, %v; want an error", fresh, err)
	}
	if fresh, err := s.Use(t.Context(), "a", until); err != nil || fresh {
		t.Fatalf("Use(a) again = %v, %v; want a replay, still recorded", fresh, err)
	}
}

func TestNewConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  redisstore.Config
	}{
		{"no address", redisstore.Config{}},
		{"negative timeout", redisstore.Config{Addr: "127.0.0.1:1", Timeout: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := redisstore.New(tt.cfg); err == nil {
				t.Fatal("New() error = nil, want a configuration error")
			}
		})
	}
	if _, err := redisstore.New(redisstore.Config{Addr: "127.0.0.1:1"}); errors.Is(err, redisstore.ErrUnavailable) {
		t.Error("New() failed for an unreachable Redis, want an outage handled at use")
	}
}
