package introspection

import (
	"crypto/sha256"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/binding"
)

// key identifies a token in the caches: its SHA-256, so that no cache
// holds a usable token.
type key [sha256.Size]byte

// keyOf hashes token. Tokens of usual sizes are copied to a buffer on the
// stack rather than converted, which would allocate.
func keyOf(token string) key {
	var buf [2048]byte
	if len(token) <= len(buf) {
		return sha256.Sum256(append(buf[:0], token...))
	}
	return sha256.Sum256([]byte(token))
}

// entry is a cached result, good until the instant until.
type entry struct {
	claims *tokengate.Claims    // an active token's claims; never handed out, only copies
	cnf    binding.Confirmation // its binding, checked for every request
	err    error                // a final refusal
	until  time.Time
}

// results holds two bounded LRU caches: one for active tokens and, apart
// from it, one for refused tokens, so that a spray of junk tokens evicts
// only other junk. Entries carry their own deadline and are checked
// against the injected clock on every read; nothing runs in the
// background (lru.Cache starts no goroutine), so there is nothing to stop
// but memory to drop. Either cache is nil when disabled. lru.Cache is safe
// for concurrent use.
type results struct {
	active      *lru.Cache[key, entry]
	refused     *lru.Cache[key, entry]
	maxTTL      time.Duration
	negativeTTL time.Duration

	// gen counts the revocations applied (forget.go). A flight that began
	// before one does not cache its answer, which the revocation may have
	// overtaken.
	gen atomic.Uint64
}

func newResults(cfg *Config) (*results, error) {
	r := &results{maxTTL: cfg.MaxCacheTTL, negativeTTL: cfg.NegativeCacheTTL}
	var err error
	if cfg.CacheSize > 0 {
		if r.active, err = lru.New[key, entry](cfg.CacheSize); err != nil {
			return nil, err
		}
	}
	if cfg.NegativeCacheSize > 0 {
		if r.refused, err = lru.New[key, entry](cfg.NegativeCacheSize); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// get returns the live entry for k, if any, and whether k is known: a
// token whose active result is cached, live or dead. A dead active entry
// is kept until a fresh result replaces it or the LRU drops it, so that
// the re-check of a token seen active is not counted as a new token.
func (r *results) get(k key, now time.Time) (e entry, ok, known bool) {
	if r.active != nil {
		if e, found := r.active.Get(k); found {
			if now.Before(e.until) {
				return e, true, true
			}
			known = true
		}
	}
	if r.refused != nil {
		if e, found := r.refused.Get(k); found {
			if now.Before(e.until) {
				return e, true, known
			}
			r.refused.Remove(k)
		}
	}
	return entry{}, false, known
}

// generation is the number of revocations applied so far.
func (r *results) generation() uint64 { return r.gen.Load() }

// put caches v, a result for k obtained at now by a flight that began at
// generation gen. An active token is kept min(exp - now, maxTTL), so that
// it is never served from the cache once its "exp" has passed; a final
// refusal is kept negativeTTL and ends the token's being known; server
// faults and "not valid yet" are not kept. An answer from the shared
// cache is kept no longer than it was stored for (v.notAfter). A
// revocation since gen keeps an active result out of the cache.
func (r *results) put(k key, v verdict, now time.Time, gen uint64) {
	switch {
	case v.claims != nil && r.active != nil:
		if r.gen.Load() != gen {
			return
		}
		until := now.Add(r.maxTTL)
		if exp := v.claims.ExpiresAt; !exp.IsZero() && exp.Before(until) {
			until = exp
		}
		if !v.notAfter.IsZero() && v.notAfter.Before(until) {
			until = v.notAfter
		}
		if until.After(now) {
			r.active.Add(k, entry{claims: v.claims, cnf: v.cnf, until: until})
			if r.gen.Load() != gen { // a revocation's scan may have run before the Add
				r.active.Add(k, entry{claims: v.claims, cnf: v.cnf})
			}
		}
	case v.err != nil && v.final:
		if r.active != nil {
			r.active.Remove(k) // refused now: no longer a token seen active
		}
		until := now.Add(r.negativeTTL)
		if !v.notAfter.IsZero() && v.notAfter.Before(until) {
			until = v.notAfter
		}
		if r.refused != nil && until.After(now) {
			r.refused.Add(k, entry{err: v.err, until: until})
		}
	}
}

// purge drops every entry.
func (r *results) purge() {
	if r.active != nil {
		r.active.Purge()
	}
	if r.refused != nil {
		r.refused.Purge()
	}
}
