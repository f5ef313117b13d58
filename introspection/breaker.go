package introspection

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/oplog"
)

// breaker keeps calls away from a failing endpoint. After a failed call
// it lets one probe call through at a time, answering the others at once
// without calling; after a second failure in a row it lets none through
// until a pause has passed, then one probe again. Each further failure
// doubles the pause, up to a cap; an answer closes the breaker. A single
// failure among answers (one 5xx, one timeout) thus costs no one a pause,
// while an endpoint that is down gets one call per pause. Time is the
// injected clock's, so tests drive it.
//
// A call counts only in the generation it entered: the calls in flight
// when the breaker opened cannot grow the pause or close it again.
type breaker struct {
	base, cap time.Duration
	log       *oplog.Logger
	endpoint  func() string

	mu       sync.Mutex // guards the fields below
	failures int        // consecutive failures; zero when closed
	until    time.Time  // no call before this instant
	probing  bool       // a probe call is in flight
	gen      uint64     // incremented each time the breaker opens
	last     string     // the last failure, for the errors of the calls not made
	answered bool       // the endpoint has answered since the last failure
}

// ticket is a call let through by [breaker.enter].
type ticket struct {
	gen   uint64
	probe bool
}

// outcome is what became of a call let through.
type outcome uint8

const (
	notMade  outcome = iota // stopped by another bound, or by Close
	answered                // the endpoint answered: it works
	failed                  // a fault that trips the breaker
)

// enter lets a call through, or says why not.
func (b *breaker) enter(now time.Time) (ticket, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.failures == 0:
		return ticket{gen: b.gen}, nil
	case now.Before(b.until):
		return ticket{}, fmt.Errorf("introspection: not calling the failing endpoint before %s (%d failed calls in a row, the last: %s): %w",
			instant(b.until), b.failures, b.last, tokengate.ErrUnavailable)
	case b.probing:
		return ticket{}, fmt.Errorf("introspection: a probe call to the failing endpoint is in flight (%d failed calls in a row, the last: %s): %w",
			b.failures, b.last, tokengate.ErrUnavailable)
	}
	b.probing = true
	return ticket{gen: b.gen, probe: true}, nil
}

// leave records the outcome of the call of t, with the fault that made
// it fail.
func (b *breaker) leave(t ticket, o outcome, cause error, now time.Time) {
	b.mu.Lock()
	if t.probe {
		b.probing = false
	}
	if o == answered && t.gen == b.gen {
		b.answered = true
	}
	if t.gen != b.gen || o == notMade || (o == answered && b.failures == 0) {
		b.mu.Unlock()
		return
	}
	ep := b.endpoint()
	if o == answered {
		n := b.failures
		b.failures, b.until = 0, time.Time{}
		b.mu.Unlock()
		b.log.Recovered(context.Background(), "introspect "+ep, "tokengate: introspection endpoint answering again",
			slog.String("endpoint", ep), slog.Int("failed_calls", n))
		return
	}
	b.failures++
	pause := b.pause()
	b.until, b.last, b.answered = now.Add(pause), cause.Error(), false
	b.gen++
	n := b.failures
	b.mu.Unlock()
	if pause > 0 {
		b.log.Limited(context.Background(), slog.LevelWarn, "introspect "+ep, "tokengate: introspection endpoint failing; answering 503 / Unavailable without calling it for a while",
			slog.String("endpoint", ep), slog.Int("failed_calls", n), slog.Duration("pause", pause), slog.String("error", cause.Error()))
	}
}

// healthy reports whether the endpoint has answered since the last
// failure.
func (b *breaker) healthy() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.answered && b.failures == 0
}

// answeredIf records the answer of a call made outside the breaker (New's
// credential check).
func (b *breaker) answeredIf(v verdict) {
	if v.err == nil || v.final {
		b.mu.Lock()
		b.answered = b.answered || b.failures == 0
		b.mu.Unlock()
	}
}

// pause is none after the first failure in a row (one probe at a time),
// then base, doubled for each failure after the second, at most cap.
func (b *breaker) pause() time.Duration {
	if b.failures < 2 {
		return 0
	}
	d := b.base
	for n := 2; n < b.failures && d < b.cap; n++ {
		d *= 2
	}
	return min(d, b.cap)
}
