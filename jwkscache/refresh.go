package jwkscache

import (
	"context"
	"fmt"
	"time"
)

// flight is one fetch in progress. Everyone who needs a fresher key set
// while it runs waits on done instead of fetching again.
type flight struct {
	done      chan struct{}      // closed once the outcome is installed
	err       error              // the fetch's error; read only after done is closed
	triggered bool               // started for an unknown kid (it counts for the cooldown)
	cancel    context.CancelFunc // ends the fetch; called by Close
}

// startLocked starts a fetch on a context of its own, never a caller's, so
// that a cancelled request cannot cancel a fetch others wait for. c.mu must
// be held and no fetch may be in flight.
func (c *Cache) startLocked(now time.Time, triggered bool) *flight {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	f := &flight{done: make(chan struct{}), triggered: triggered, cancel: cancel}
	c.flight = f
	c.lastAttempt = now
	if triggered {
		c.lastTriggered = now
	}
	c.pending = false // whatever the pending refresh wanted, this fetch will see
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer cancel()
		set, ttl, err := c.fetch(ctx)
		c.record(f, set, ttl, err)
		if c.cfg.OnFetch != nil {
			c.cfg.OnFetch(err)
		}
	}()
	return f
}

// record installs the outcome of fetch f. A good set replaces the old one;
// a failure keeps the old one (stale-if-error) and schedules a retry with
// backoff. Either way f ends and no fetch is in flight.
func (c *Cache) record(f *flight, set *keySet, ttl time.Duration, err error) {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	// f ends last, once its outcome is in place: a waiter woken by done
	// reads c.keys without the lock, and must find the set this fetch
	// installed, not the one before it.
	defer close(f.done)
	c.flight = nil
	f.err = err
	if err != nil {
		c.lastErr = err
		c.failures++
		c.nextPeriodic = now.Add(c.backoffLocked())
		c.setDueLocked()
		return
	}
	set.fetched = now
	set.freshUntil = now.Add(ttl)
	set.usableTill = set.freshUntil.Add(c.cfg.MaxStaleness)
	set.gen = 1
	if old := c.keys.Load(); old != nil {
		set.gen = old.gen + 1
	}
	c.keys.Store(set)
	c.lastErr = nil
	c.failures = 0
	c.nextPeriodic = set.freshUntil
	c.setDueLocked()
}

// backoffLocked is the retry delay after c.failures failures in a row:
// MinRefreshInterval doubled per failure, at most MaxRetryInterval.
func (c *Cache) backoffLocked() time.Duration {
	d := c.cfg.MinRefreshInterval
	for i := 1; i < c.failures && d < c.cfg.MaxRetryInterval; i++ {
		d *= 2
	}
	return min(d, c.cfg.MaxRetryInterval)
}

// deferLocked asks for one fetch when the cooldown ends: an unknown kid met
// during the cooldown is looked for then, in the background, without making
// its request wait.
func (c *Cache) deferLocked() {
	if c.closed || c.pending {
		return
	}
	c.pending = true
	c.setDueLocked()
}

// setDueLocked recomputes when the loop should fetch and wakes it so that
// it re-arms its timer.
func (c *Cache) setDueLocked() {
	c.dueAt = c.nextPeriodic
	if at := c.lastTriggered.Add(c.cfg.UnknownKIDCooldown); c.pending && at.Before(c.dueAt) {
		c.dueAt = at
	}
	c.due.Store(c.dueAt.UnixNano())
	c.kick()
}

// kick wakes the loop without blocking.
func (c *Cache) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// loop is the one background goroutine. It fetches when due (periodic
// refresh, retry after failure, or a refresh put off by the cooldown). Its
// timer only decides when to look at cfg.Now again; every decision uses
// cfg.Now, and Key kicks the loop when it sees a fetch is due, so a fake
// clock drives it too.
func (c *Cache) loop() {
	defer c.wg.Done()
	timer := time.NewTimer(c.untilDue())
	defer timer.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-timer.C:
		case <-c.wake:
		}
		if now := c.cfg.Now(); now.UnixNano() >= c.due.Load() {
			if f := c.join(now, true); f != nil {
				select {
				case <-f.done:
				case <-c.stop:
					return
				}
			}
		}
		timer.Reset(c.untilDue())
	}
}

// join returns the fetch in flight, or starts one, or returns nil after
// Close. A fetch the loop starts for a pending unknown-kid refresh counts
// as triggered for the cooldown.
func (c *Cache) join(now time.Time, fromLoop bool) *flight {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.flight != nil:
		return c.flight
	case c.closed:
		return nil
	}
	return c.startLocked(now, fromLoop && c.pending)
}

// untilDue is the real time to sleep before looking at the clock again.
func (c *Cache) untilDue() time.Duration {
	d := time.Duration(c.due.Load() - c.cfg.Now().UnixNano())
	return min(max(d, 0), c.cfg.MaxRefreshInterval)
}

// Refresh fetches the key set now, ignoring the cooldown, or joins the fetch
// already in flight, and returns its error. ctx bounds only the wait: a
// cancelled ctx returns at once and leaves the fetch running for others.
// After [Cache.Close] it returns [ErrClosed].
func (c *Cache) Refresh(ctx context.Context) error {
	f := c.join(c.cfg.Now(), false)
	if f == nil {
		return ErrClosed
	}
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return fmt.Errorf("jwkscache: stopped waiting for refresh: %w", context.Cause(ctx))
	}
}
