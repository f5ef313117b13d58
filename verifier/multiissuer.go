package verifier

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// issuer is one issuer of a Multi: its Config, and the JWT verifier made
// from it the first time a token named it.
type issuer struct {
	cfg  Config
	name string

	ready atomic.Pointer[JWT] // set once the setup succeeded; the fast path

	mu       sync.Mutex    // guards building, err, retryAt
	building chan struct{} // non-nil while a setup runs; closed when it ends
	err      error         // why the last setup failed
	retryAt  time.Time     // no new setup before this
}

// verifierOf returns the verifier of is, setting it up if no token has
// named the issuer before. Concurrent callers share one setup, each
// waiting on its own ctx; after a failed setup, tokens of the issuer get
// ErrUnavailable until MultiConfig.RetryAfter has passed.
func (m *Multi) verifierOf(ctx context.Context, is *issuer) (*JWT, error) {
	if v := is.ready.Load(); v != nil {
		return v, nil
	}
	is.mu.Lock()
	if v := is.ready.Load(); v != nil {
		is.mu.Unlock()
		return v, nil
	}
	done := is.building
	if done == nil {
		if is.err != nil && m.cfg.Now().Before(is.retryAt) {
			err := is.err
			is.mu.Unlock()
			return nil, errorf(ErrUnavailable, err, "issuer %s could not be set up; next try at %s", quote(is.name), stamp(is.retryAt))
		}
		if done = m.startBuild(is); done == nil {
			is.mu.Unlock()
			return nil, errorf(ErrUnavailable, nil, "the verifier is closed")
		}
	}
	is.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return nil, errorf(ErrUnavailable, ctx.Err(), "waiting for issuer %s to be set up", quote(is.name))
	}
	if v := is.ready.Load(); v != nil {
		return v, nil
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	return nil, errorf(ErrUnavailable, is.err, "issuer %s could not be set up", quote(is.name))
}

// startBuild starts the setup of is in the background, detached from the
// request that asked, so that a caller giving up does not fail the others;
// is.mu must be held. It returns nil once m is closed.
func (m *Multi) startBuild(is *issuer) chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	m.inflight[is] = cancel
	done := make(chan struct{})
	is.building = done
	m.builds.Add(1)
	go func() {
		defer m.builds.Done()
		v, err := New(ctx, is.cfg)
		cancel()
		// Published under m.mu, so that Close and an eviction either see
		// the verifier and close it, or happened first and are seen here.
		m.mu.Lock()
		delete(m.inflight, is)
		closed := m.closed
		dropped := m.fixed[is.name] != is && m.resolved[is.name] != is
		if err == nil && !closed {
			is.ready.Store(v)
		}
		m.mu.Unlock()
		if err == nil && (closed || dropped) {
			v.Close() // a dropped issuer's waiters still get v, with the keys it fetched
		}
		is.mu.Lock()
		switch {
		case err != nil:
			is.err, is.retryAt = err, m.cfg.Now().Add(m.cfg.RetryAfter)
		case closed:
			is.err, is.retryAt = errorf(ErrUnavailable, nil, "the verifier is closed"), time.Unix(1<<40, 0)
		}
		is.building = nil
		is.mu.Unlock()
		close(done)
	}()
	return done
}

// recent returns the resolved issuer named iss, marking it the most
// recently used, or nil.
func (m *Multi) recent(iss string) *issuer {
	m.mu.Lock()
	defer m.mu.Unlock()
	is := m.resolved[iss]
	if is != nil {
		m.touchLocked(is)
	}
	return is
}

// keep adds a resolved issuer, or returns the one another token added
// meanwhile, and drops the least recently used beyond MaxResolved.
func (m *Multi) keep(is *issuer) *issuer {
	m.mu.Lock()
	if old := m.resolved[is.name]; old != nil {
		m.touchLocked(old)
		m.mu.Unlock()
		return old
	}
	m.resolved[is.name] = is
	m.lru = append(m.lru, is)
	var evicted []*JWT
	for len(m.lru) > m.cfg.MaxResolved {
		old := m.lru[0]
		m.lru = m.lru[1:]
		delete(m.resolved, old.name)
		if v := old.ready.Load(); v != nil {
			evicted = append(evicted, v)
		}
	}
	m.lru = slices.Clip(m.lru)
	m.mu.Unlock()
	for _, v := range evicted {
		v.Close() // stops its refresh; a Verify still holding v keeps working
	}
	return is
}

// touchLocked moves is to the most recently used end; m.mu must be held.
func (m *Multi) touchLocked(is *issuer) {
	i := slices.Index(m.lru, is)
	if i < 0 || i == len(m.lru)-1 {
		return
	}
	copy(m.lru[i:], m.lru[i+1:])
	m.lru[len(m.lru)-1] = is
}
