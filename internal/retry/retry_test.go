package retry

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var errDown = errors.New("down")

func start(t *testing.T, up *atomic.Bool, attempts *atomic.Int32) (*Value[string], *clock) {
	t.Helper()
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	v := Start(Config{MinDelay: time.Minute, MaxDelay: 4 * time.Minute, Cooldown: 30 * time.Second, Wait: 10 * time.Second, Timeout: 10 * time.Second, Now: c.Now},
		errDown, func(context.Context) (string, error) {
			attempts.Add(1)
			if up.Load() {
				return "value", nil
			}
			return "", errDown
		})
	t.Cleanup(v.Close)
	return v, c
}

func TestGetStartsAtMostOneAttemptPerCooldown(t *testing.T) {
	var up atomic.Bool
	var attempts atomic.Int32
	v, c := start(t, &up, &attempts)
	var wg sync.WaitGroup
	for range 8 { // concurrent callers share one attempt
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := v.Get(t.Context()); !errors.Is(err, errDown) {
				t.Errorf("Get() error = %v, want %v", err, errDown)
			}
		}()
	}
	wg.Wait()
	if got := attempts.Load(); got != 1 {
		t.Fatalf("attempts after concurrent Gets = %d, want 1", got)
	}
	up.Store(true)
	if _, err := v.Get(t.Context()); !errors.Is(err, errDown) || attempts.Load() != 1 {
		t.Errorf("Get() within the cooldown = %v after %d attempts, want the last error and no attempt", err, attempts.Load())
	}
	c.Advance(30 * time.Second)
	if got, err := v.Get(t.Context()); err != nil || got != "value" {
		t.Fatalf("Get() after the cooldown = %q, %v; want the value", got, err)
	}
	if got, ok := v.Load(); !ok || got != "value" || attempts.Load() != 2 {
		t.Errorf("Load() = %q, %v after %d attempts; want the value after 2", got, ok, attempts.Load())
	}
	if err, n := v.Status(); err != nil || n != 3 {
		t.Errorf("Status() = %v, %d; want nil, 3 (the caller's first attempt counts)", err, n)
	}
}

func TestGetAfterCloseIsErrClosed(t *testing.T) {
	var up atomic.Bool
	var attempts atomic.Int32
	v, _ := start(t, &up, &attempts)
	v.Close()
	v.Close() // idempotent
	if _, err := v.Get(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Get() after Close error = %v, want %v", err, ErrClosed)
	}
	if attempts.Load() != 0 {
		t.Errorf("attempts after Close = %d, want 0", attempts.Load())
	}
}
