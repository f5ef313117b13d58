package introspection

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tokengate/tokengate"
)

// bucket bounds the rate of calls for new tokens: a token bucket of rate
// calls a second, holding at most rate, refilled on the injected clock. A
// nil bucket has no bound.
type bucket struct {
	rate float64

	mu     sync.Mutex // guards tokens and last
	tokens float64
	last   time.Time
}

func newBucket(rate int, now time.Time) *bucket {
	if rate < 0 {
		return nil
	}
	return &bucket{rate: float64(rate), tokens: float64(rate), last: now}
}

// take spends one call, or reports that none is left.
func (b *bucket) take(now time.Time) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.rate, b.tokens+d.Seconds()*b.rate)
	}
	b.last = now // a clock that went back refills from there
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// errRate is returned for a new token when the calls for new tokens are
// spent.
func (i *Introspector) errRate() error {
	return fmt.Errorf("introspection: more than %d calls a second for tokens not seen active (Config.NewTokenRate): %w",
		i.cfg.NewTokenRate, tokengate.ErrUnavailable)
}

// acquire takes one of the Config.MaxConcurrentCalls slots, waiting up to
// Config.MaxQueueWait for one.
func (i *Introspector) acquire() error {
	select {
	case i.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(i.cfg.MaxQueueWait)
	defer t.Stop()
	select {
	case i.slots <- struct{}{}:
		return nil
	case <-t.C:
		return fmt.Errorf("introspection: %d calls to the endpoint in flight (Config.MaxConcurrentCalls) for longer than %v (Config.MaxQueueWait): %w",
			cap(i.slots), i.cfg.MaxQueueWait, tokengate.ErrUnavailable)
	case <-i.closing.Done():
		return errClosed
	}
}

func (i *Introspector) release() { <-i.slots }

// logMalformed logs an answer that says our request is malformed, at most
// once a minute (oplog's limit). It does not trip the breaker, so it has
// a cause of its own.
func (i *Introspector) logMalformed(err error) {
	ep := i.endpointURL()
	i.log.Limited(context.Background(), slog.LevelWarn, "introspect malformed "+ep, "tokengate: introspection endpoint says our request is malformed; those tokens are answered 503 / Unavailable",
		slog.String("endpoint", ep), slog.String("error", err.Error()))
}

// MaxTokenBytes returns the token length cap of i (Config.MaxTokenBytes,
// default 8192), so that the middleware in front of i applies the same cap.
func (i *Introspector) MaxTokenBytes() int { return i.cfg.MaxTokenBytes }
