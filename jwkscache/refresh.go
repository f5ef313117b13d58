package jwkscache

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/singleflight"
)

// fetchKey is the one singleflight key: all fetches of a Cache collapse.
const fetchKey = "jwks"

// joinLocked returns the channel on which the fetch in flight reports, and
// starts one if none is in flight and either force is set or the cooldown
// since the last fetch has passed. It returns nil when no fetch may run.
// c.mu must be held: the decision and the start are one step, so concurrent
// callers cannot both start a fetch.
func (c *Cache) joinLocked(now time.Time, force bool) <-chan singleflight.Result {
	if c.closed {
		return nil
	}
	if !c.inflight {
		if !force && now.Sub(c.lastAttempt) < c.cfg.UnknownKIDCooldown {
			return nil
		}
		c.inflight = true
		c.lastAttempt = now
		c.pendingAt = time.Time{} // this fetch is the one that was put off
		c.fetches.Add(1)
	}
	return c.group.DoChan(fetchKey, c.runFetch)
}

// runFetch is the singleflight function. It runs on a context of its own
// (cancelled only by Close), never on the context of a waiting caller, so a
// cancelled request cannot cancel a fetch that others wait for.
func (c *Cache) runFetch() (any, error) {
	defer c.fetches.Done()
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.FetchTimeout)
	defer cancel()
	set, ttl, err := c.fetch(ctx)
	c.record(set, ttl, err)
	if c.afterFetch != nil {
		c.afterFetch(err)
	}
	return nil, err
}

// record installs the outcome of a fetch. A good set replaces the old one;
// a failure keeps the old one (stale-if-error) and schedules a retry with
// backoff. Either way the fetch is no longer in flight.
func (c *Cache) record(set *keySet, ttl time.Duration, err error) {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight = false
	c.group.Forget(fetchKey) // a later join starts a new fetch, never joins this finished one
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
	c.neg.reset()
	c.lastErr = nil
	c.failures = 0
	c.nextPeriodic = set.freshUntil
	c.setDueLocked()
}

// backoffLocked is the retry delay after c.failures failures in a row:
// MinRefreshInterval doubled per failure, at most MaxRefreshInterval.
func (c *Cache) backoffLocked() time.Duration {
	d := c.cfg.MinRefreshInterval
	for i := 1; i < c.failures && d < c.cfg.MaxRefreshInterval; i++ {
		d *= 2
	}
	return min(d, c.cfg.MaxRefreshInterval)
}

// deferLocked schedules one refresh for when the cooldown ends, unless one
// is already pending: an unknown kid met during the cooldown is looked for
// then, in the background, without making its request wait.
func (c *Cache) deferLocked() {
	if c.closed || !c.pendingAt.IsZero() {
		return
	}
	c.pendingAt = c.lastAttempt.Add(c.cfg.UnknownKIDCooldown)
	c.setDueLocked()
}

// setDueLocked recomputes when the loop should fetch and wakes it so that
// it re-arms its timer.
func (c *Cache) setDueLocked() {
	c.dueAt = c.nextPeriodic
	if !c.pendingAt.IsZero() && c.pendingAt.Before(c.dueAt) {
		c.dueAt = c.pendingAt
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
	defer close(c.done)
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
			c.mu.Lock()
			ch := c.joinLocked(now, true)
			c.mu.Unlock()
			if ch != nil {
				select {
				case <-ch:
				case <-c.stop:
					return
				}
			}
		}
		timer.Reset(c.untilDue())
	}
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
	now := c.cfg.Now()
	c.mu.Lock()
	ch := c.joinLocked(now, true)
	c.mu.Unlock()
	if ch == nil {
		return ErrClosed
	}
	select {
	case r := <-ch:
		return r.Err
	case <-ctx.Done():
		return fmt.Errorf("jwkscache: stopped waiting for refresh: %w", context.Cause(ctx))
	}
}

// negCache remembers kids that a successful fetch did not find. Each entry
// is tagged with the generation of the set it was missing from, and counts
// only while that set is current. It holds at most size kids; the oldest
// is dropped first. Guarded by Cache.mu.
type negCache struct {
	size int
	gen  map[string]uint64
	ring []string // insertion order, for eviction
	next int      // ring index to overwrite once full
}

func (n *negCache) has(kid string, gen uint64) bool {
	g, ok := n.gen[kid]
	return ok && g == gen
}

func (n *negCache) add(kid string, gen uint64) {
	if n.gen == nil {
		n.gen = make(map[string]uint64)
	}
	if _, ok := n.gen[kid]; ok {
		n.gen[kid] = gen
		return
	}
	if len(n.ring) < n.size {
		n.ring = append(n.ring, kid)
	} else {
		delete(n.gen, n.ring[n.next])
		n.ring[n.next] = kid
		n.next = (n.next + 1) % n.size
	}
	n.gen[kid] = gen
}

func (n *negCache) reset() {
	clear(n.gen)
	n.ring = n.ring[:0]
	n.next = 0
}

func (n *negCache) len() int { return len(n.gen) }
