// Package retry keeps trying to obtain a value that start-up could not
// have, such as an issuer's metadata while the issuer is down, so that a
// service starts without it and works once it is there. Attempts are made
// in the background with backoff, and on demand by callers, at most one at
// a time; every decision reads the injected clock, so a test drives it
// with a fake one and counts attempts.
package retry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Config says when to try again. Every field is required.
type Config struct {
	// MinDelay is the delay after the first failure, doubled after each
	// further failure in a row, up to MaxDelay.
	MinDelay, MaxDelay time.Duration

	// Cooldown is the least time between two attempts that callers of
	// [Value.Get] start; background attempts do not count.
	Cooldown time.Duration

	// Wait bounds how long Get waits for an attempt.
	Wait time.Duration

	// Timeout bounds each attempt.
	Timeout time.Duration

	// Now is the clock of every decision.
	Now func() time.Time
}

// ErrClosed is the error of Get after Close.
var ErrClosed = errors.New("retry: closed")

// Value is a value of type T that is obtained by attempts until one
// succeeds. It is safe for concurrent use.
type Value[T any] struct {
	cfg     Config
	attempt func(ctx context.Context) (T, error)
	v       atomic.Pointer[T] // nil until an attempt succeeds

	closing context.Context // cancelled by Close; the attempts' parent
	stop    context.CancelFunc
	wake    chan struct{} // capacity 1: asks the loop to look at the clock again
	wg      sync.WaitGroup

	mu            sync.Mutex // guards the fields below
	flight        *flight    // the attempt in progress; nil when none is
	closed        bool
	err           error     // the error of the latest attempt
	failures      int       // attempts failed in a row
	attempts      int       // attempts made, the first one included
	next          time.Time // when the next background attempt is due
	lastTriggered time.Time // start of the latest attempt a caller started
}

// flight is one attempt in progress.
type flight struct {
	done chan struct{} // closed once the outcome is in place
	err  error         // read only after done is closed
}

// Start returns a Value whose first attempt, made by the caller at the
// instant the clock says, failed with firstErr, and starts the goroutine
// that tries again; [Value.Close] stops it. attempt runs on a context of
// its own, bounded by cfg.Timeout and cancelled by Close.
func Start[T any](cfg Config, firstErr error, attempt func(ctx context.Context) (T, error)) *Value[T] {
	closing, stop := context.WithCancel(context.Background())
	v := &Value[T]{cfg: cfg, attempt: attempt, closing: closing, stop: stop, wake: make(chan struct{}, 1)}
	v.err, v.failures, v.attempts = firstErr, 1, 1
	v.next = cfg.Now().Add(cfg.MinDelay)
	v.wg.Add(1)
	go v.loop()
	return v
}

// Load returns the value, once an attempt has obtained it.
func (v *Value[T]) Load() (T, bool) {
	if p := v.v.Load(); p != nil {
		return *p, true
	}
	var zero T
	return zero, false
}

// Status returns the error of the latest attempt (nil once the value is
// had) and how many attempts were made.
func (v *Value[T]) Status() (err error, attempts int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err, v.attempts
}

// Get returns the value. Without it, Get joins the attempt in flight, or
// starts one if the background attempt is due or no caller started one
// within Config.Cooldown, and waits for it, at most Config.Wait and never
// past ctx; otherwise it returns the latest attempt's error at once.
func (v *Value[T]) Get(ctx context.Context) (T, error) {
	if t, ok := v.Load(); ok {
		return t, nil
	}
	var zero T
	f, err := v.admit()
	if f == nil {
		return zero, err
	}
	timer := time.NewTimer(v.cfg.Wait)
	defer timer.Stop()
	select {
	case <-f.done:
	case <-ctx.Done():
		return zero, fmt.Errorf("stopped waiting for the attempt in flight: %w", context.Cause(ctx))
	case <-timer.C:
		return zero, fmt.Errorf("the attempt in flight did not end within %v", v.cfg.Wait)
	}
	if t, ok := v.Load(); ok {
		return t, nil
	}
	return zero, f.err
}

// admit returns the attempt to wait for, or the error to return at once.
func (v *Value[T]) admit() (*flight, error) {
	now := v.cfg.Now()
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case v.v.Load() != nil:
		return &flight{done: closedChan}, nil
	case v.flight != nil:
		return v.flight, nil
	case v.closed:
		return nil, ErrClosed
	case !now.Before(v.next):
		return v.startLocked(), nil
	case v.lastTriggered.IsZero() || now.Sub(v.lastTriggered) >= v.cfg.Cooldown:
		v.lastTriggered = now
		return v.startLocked(), nil
	}
	return nil, v.err
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// startLocked starts an attempt. v.mu must be held, no attempt be in
// flight and v not be closed.
func (v *Value[T]) startLocked() *flight {
	f := &flight{done: make(chan struct{})}
	v.flight = f
	v.attempts++
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		ctx, cancel := context.WithTimeout(v.closing, v.cfg.Timeout)
		defer cancel()
		t, err := v.attempt(ctx)
		v.record(f, t, err)
	}()
	return f
}

// record installs the outcome of attempt f.
func (v *Value[T]) record(f *flight, t T, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.flight, f.err = nil, err
	v.err = err
	if err == nil {
		v.failures = 0
		v.v.Store(&t)
	} else {
		v.failures++
		v.next = v.cfg.Now().Add(v.backoffLocked())
	}
	close(f.done)
	v.kick()
}

// backoffLocked is MinDelay doubled per failure after the first, at most
// MaxDelay.
func (v *Value[T]) backoffLocked() time.Duration {
	d := v.cfg.MinDelay
	for i := 1; i < v.failures && d < v.cfg.MaxDelay; i++ {
		d *= 2
	}
	return min(d, v.cfg.MaxDelay)
}

func (v *Value[T]) kick() {
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// loop makes the background attempts until one succeeds or Close. Its
// timer only decides when to look at the clock again; whether an attempt
// is due is the clock's decision, so a fake clock drives it too (Get
// starts an attempt that is due).
func (v *Value[T]) loop() {
	defer v.wg.Done()
	timer := time.NewTimer(v.untilDue())
	defer timer.Stop()
	for {
		select {
		case <-v.closing.Done():
			return
		case <-timer.C:
		case <-v.wake:
		}
		if _, ok := v.Load(); ok {
			return
		}
		v.mu.Lock()
		f := v.flight
		if f == nil && !v.closed && !v.cfg.Now().Before(v.next) {
			f = v.startLocked()
		}
		v.mu.Unlock()
		if f != nil {
			select {
			case <-f.done:
			case <-v.closing.Done():
				return
			}
		}
		timer.Reset(v.untilDue())
	}
}

// untilDue is the real time to sleep before looking at the clock again.
func (v *Value[T]) untilDue() time.Duration {
	v.mu.Lock()
	defer v.mu.Unlock()
	return min(max(v.next.Sub(v.cfg.Now()), time.Millisecond), v.cfg.MaxDelay)
}

// Close stops the background attempts and any attempt in flight, and
// waits for them to end. It is idempotent.
func (v *Value[T]) Close() {
	v.mu.Lock()
	v.closed = true
	v.mu.Unlock()
	v.stop()
	v.wg.Wait()
}
