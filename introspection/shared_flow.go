package introspection

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/tokengate/tokengate/internal/oplog"
)

// How often a replica that waits for another's call looks for its answer:
// first soon, as a loopback call takes about a millisecond, then less often.
const (
	minSharedPoll = 2 * time.Millisecond
	maxSharedPoll = 50 * time.Millisecond
)

// shared is the Introspector's side of a [SharedCache]: its keys, its
// bounds, and whether the store is answering. An error takes the store
// out of the path for Config.FailureBackoff, so that an outage costs one
// failed operation per interval rather than one per request.
type shared struct {
	cache    SharedCache
	keys     sharedKeys
	timeout  time.Duration // of each operation (Config.SharedTimeout)
	lockTTL  time.Duration // the lock outlives no call (Config.Timeout)
	lockWait time.Duration // Config.SharedLockWait
	backoff  time.Duration // Config.FailureBackoff
	log      *slog.Logger
	now      func() time.Time
	limited  *oplog.Logger // the log line for an entry that fails its checks, once a minute per cause

	mu        sync.Mutex // guards down, downUntil and owesAll
	down      bool       // the last operation failed
	downUntil time.Time  // no operation before this instant while down
	owesAll   bool       // a Revoke failed: no entry is trusted until Revoke(TagAll) succeeds
}

func newShared(cfg *Config) *shared {
	if cfg.SharedCache == nil {
		return nil
	}
	return &shared{
		cache: cfg.SharedCache, keys: deriveKeys(cfg.SharedSecret),
		timeout: cfg.SharedTimeout, lockTTL: cfg.Timeout, lockWait: cfg.SharedLockWait,
		backoff: cfg.FailureBackoff, log: cfg.Logger, now: cfg.Now,
		limited: oplog.New(cfg.Logger, cfg.Now),
	}
}

// usable reports whether the store may be asked now.
func (s *shared) usable() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.down || !s.now().Before(s.downUntil)
}

// failed records that the store did not answer; the first failure of an
// outage is logged.
func (s *shared) failed(err error) {
	s.mu.Lock()
	first := !s.down
	s.down, s.downUntil = true, s.now().Add(s.backoff)
	s.mu.Unlock()
	if first {
		s.log.Warn("introspection shared cache not answering: working from the process cache alone until it does",
			"cause", err.Error(), "retry_every", s.backoff)
	}
}

// answered records that the store answered; the end of an outage is
// logged.
func (s *shared) answered() {
	s.mu.Lock()
	was := s.down
	s.down = false
	s.mu.Unlock()
	if was {
		s.log.Info("introspection shared cache answering again")
	}
}

// op bounds one operation on the store by Config.SharedTimeout and by
// Close, keeping ctx's values but not its cancellation, as a call to the
// endpoint does.
func (i *Introspector) sharedOp(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), i.shared.timeout)
	stop := context.AfterFunc(i.closing, cancel)
	return ctx, func() { stop(); cancel() }
}

// sharedLoad returns the shared answer stored under key, if there is one
// that passes every check.
func (i *Introspector) sharedLoad(ctx context.Context, key string, q quoter) (verdict, bool) {
	s := i.shared
	if !s.usable() {
		return verdict{}, false
	}
	if !i.sharedSettled() {
		return verdict{}, false
	}
	ctx, done := i.sharedOp(ctx)
	raw, err := s.cache.Get(ctx, key)
	done()
	if err != nil {
		s.failed(err)
		return verdict{}, false
	}
	s.answered()
	if raw == nil {
		return verdict{}, false
	}
	kind, until, body, err := s.keys.openEntry(key, raw)
	var v verdict
	if err == nil {
		v, err = i.fromShared(kind, until, body, i.cfg.Now(), q)
	}
	if err != nil {
		if !errors.Is(err, errSealExpired) {
			s.limited.Limited(context.Background(), slog.LevelWarn, "shared cache entry refused",
				"tokengate: introspection shared cache entry ignored: asking the endpoint instead", slog.String("cause", err.Error()))
		}
		return verdict{}, false
	}
	return v, true
}

// sharedAwait takes key's lock, or waits up to Config.SharedLockWait (on
// the real clock) for the replica that holds it to store its answer. It
// returns that answer (found), or the unlock function of a lock now held,
// or neither when the store fails or the wait ends: the caller then asks
// the endpoint itself.
func (i *Introspector) sharedAwait(ctx context.Context, key string, q quoter) (v verdict, found bool, unlock func()) {
	s := i.shared
	deadline := time.Now().Add(s.lockWait)
	for delay := minSharedPoll; ; delay = min(2*delay, maxSharedPoll) {
		if !s.usable() {
			return verdict{}, false, nil
		}
		opCtx, done := i.sharedOp(ctx)
		unlock, err := s.cache.Lock(opCtx, key, s.lockTTL)
		done()
		if err != nil {
			s.failed(err)
			return verdict{}, false, nil
		}
		if unlock != nil {
			// Another replica may have stored its answer and let go of the
			// lock between our look and our lock.
			if v, ok := i.sharedLoad(ctx, key, q); ok {
				unlock()
				return v, true, nil
			}
			return verdict{}, false, unlock
		}
		wait := min(delay, time.Until(deadline))
		if wait <= 0 {
			return verdict{}, false, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-i.closing.Done():
			t.Stop()
			return verdict{err: errClosed}, true, nil
		}
		if v, ok := i.sharedLoad(ctx, key, q); ok {
			return v, true, nil
		}
	}
}

// sharedStore stores v, fresh from the endpoint at now, under key: an
// active token's answer for min(exp - now, Config.MaxCacheTTL), a final
// refusal for Config.NegativeCacheTTL. Faults, answers of a refusal that
// is not final, and answers over the size bound are not shared.
func (i *Introspector) sharedStore(ctx context.Context, key string, v verdict, now time.Time) {
	s := i.shared
	var kind byte = kindAnswer
	body, until := v.body, now.Add(i.cfg.NegativeCacheTTL)
	switch {
	case v.claims != nil:
		until = now.Add(i.cfg.MaxCacheTTL)
		if exp := v.claims.ExpiresAt; !exp.IsZero() && exp.Before(until) {
			until = exp
		}
	case v.err == nil || !v.final:
		return
	case v.refusal != "":
		kind, body = kindRefusal, []byte(v.refusal)
	}
	if body == nil || len(body) > maxSharedBody || !until.After(now) || !s.usable() {
		return
	}
	ctx, done := i.sharedOp(ctx)
	defer done()
	if err := s.cache.Set(ctx, key, s.keys.sealEntry(key, kind, until, body), until.Sub(now), s.keys.tags(key, v)); err != nil {
		s.failed(err)
		return
	}
	s.answered()
}

// sharedRevoke hides the shared entries that carry tag, for as long as
// any entry lives. It is tried even while the store is failing: a
// revocation is worth an operation. When it fails, no shared entry is
// trusted again until every entry stored before has been hidden.
func (i *Introspector) sharedRevoke(tag string) bool {
	s := i.shared
	ctx, done := i.sharedOp(context.Background())
	defer done()
	if err := s.cache.Revoke(ctx, tag, max(i.cfg.MaxCacheTTL, i.cfg.NegativeCacheTTL)); err != nil {
		s.mu.Lock()
		s.owesAll = true
		s.mu.Unlock()
		s.failed(err)
		return false
	}
	s.answered()
	return true
}

// sharedSettled reports whether shared entries may be trusted: true unless
// a revocation could not be stored, in which case it hides every entry
// first.
func (i *Introspector) sharedSettled() bool {
	s := i.shared
	s.mu.Lock()
	owes := s.owesAll
	s.mu.Unlock()
	if !owes {
		return true
	}
	if !i.sharedRevoke(TagAll) {
		return false
	}
	s.mu.Lock()
	s.owesAll = false
	s.mu.Unlock()
	s.log.Info("introspection shared cache: entries stored before a revocation that could not be shared are hidden")
	return true
}
