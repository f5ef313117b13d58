package introspection

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/retry"
)

var (
	_ tokengate.Readier       = (*Introspector)(nil)
	_ tokengate.CacheReporter = (*Introspector)(nil)
)

// startLater retries discovery in the background after New could not
// have the issuer's metadata: on the breaker's schedule (FailureBackoff,
// doubling up to MaxFailureBackoff), and when a Verify or Ready needs the
// endpoint, at most once per FailureBackoff, each waiting at most Timeout.
func (i *Introspector) startLater(firstErr error) {
	cfg := i.cfg
	i.later = retry.Start(retry.Config{
		MinDelay: cfg.FailureBackoff, MaxDelay: cfg.MaxFailureBackoff,
		Cooldown: cfg.FailureBackoff, Wait: cfg.Timeout, Timeout: cfg.Timeout, Now: cfg.Now,
	}, firstErr, func(ctx context.Context) (string, error) {
		ep, err := cfg.discover(ctx)
		if err == nil {
			i.endpoint.Store(&ep)
		}
		return ep, err
	})
}

// endpointURL returns the endpoint, "" while discovery is pending.
func (i *Introspector) endpointURL() string {
	if ep := i.endpoint.Load(); ep != nil {
		return *ep
	}
	return ""
}

// needEndpoint returns nil once the endpoint is known, or an error
// wrapping tokengate.ErrUnavailable while discovery is pending.
func (i *Introspector) needEndpoint(ctx context.Context) error {
	if i.endpoint.Load() != nil {
		return nil
	}
	if _, err := i.later.Get(ctx); err != nil {
		_, attempts := i.later.Status()
		return fmt.Errorf("introspection: the endpoint of %s is not known yet: its metadata could not be had (%d attempts; the last: %w): %w",
			quote(i.cfg.Issuer), attempts, err, tokengate.ErrUnavailable)
	}
	return nil
}

// report emits the event of a call that started at start.
func (i *Introspector) report(ctx context.Context, start time.Time, v verdict) {
	e := tokengate.Event{Op: tokengate.OpIntrospect, Outcome: tokengate.OutcomeError, Err: v.err, URL: i.endpointURL(), Issuer: i.cfg.Issuer, Start: start, Duration: i.cfg.Now().Sub(start)}
	switch {
	case v.claims != nil:
		e.Outcome = tokengate.OutcomeActive
	case v.final:
		e.Outcome = tokengate.OutcomeRefused
	}
	i.sink.End(ctx, e)
}

// Ready reports whether i can check tokens now, for a readiness probe
// (see middleware.ReadyHandler): nil once the endpoint is known and has
// answered since its last failure (New's credential check counts).
// Otherwise Ready asks the endpoint itself, once, about a string that is
// no token, through the same breaker as Verify (a paused endpoint is not
// called), within ctx and Config.Timeout; while discovery is pending it
// may start an attempt first. The error names the endpoint or the issuer
// and says what is wrong: the metadata could not be had, the endpoint
// fails, or it refuses our credentials.
func (i *Introspector) Ready(ctx context.Context) error {
	if i.closed.Load() {
		return errClosed
	}
	if err := i.needEndpoint(ctx); err != nil {
		return fmt.Errorf("introspection: not ready: %w", err)
	}
	if i.breaker.healthy() {
		return nil
	}
	t, err := i.breaker.enter(i.cfg.Now())
	if err != nil {
		return fmt.Errorf("introspection: endpoint %s not ready: %w", quote(i.endpointURL()), err)
	}
	v := i.ask(ctx, probePrefix+rand.Text())
	o := failed
	switch {
	case v.err == nil || v.final:
		o = answered
	case !v.trips:
		o = notMade
	}
	i.breaker.leave(t, o, v.err, i.cfg.Now())
	if o == answered {
		return nil
	}
	return fmt.Errorf("introspection: endpoint %s not ready: %w", quote(i.endpointURL()), v.err)
}

// Issuer returns Config.Issuer, "" when only the endpoint was configured.
func (i *Introspector) Issuer() string { return i.cfg.Issuer }

// CacheStats counts the lookups of the result caches (cache
// "introspection"): a hit is a Verify answered from a cached result, a
// miss one that needed the endpoint.
func (i *Introspector) CacheStats() []tokengate.CacheStat {
	return []tokengate.CacheStat{{Cache: "introspection", Hits: i.hits.Load(), Misses: i.misses.Load()}}
}
