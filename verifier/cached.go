package verifier

import (
	"crypto"
	"log/slog"
	"math"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tokengate/tokengate/internal/binding"
)

// keyVersions is implemented by a [KeySource] whose keys change over time
// and that can tell, without fetching, whether a key it served is still
// served: *jwkscache.Cache. The token cache uses it to drop a token whose
// key left the key set. Sources without it (a *jwkscache.Set, which never
// changes; a [KeyfuncSource], which cannot say) keep their cached tokens
// until they expire, are evicted, or are forgotten ([JWT.Forget],
// [JWT.ForgetAll]).
type keyVersions interface {
	Generation() uint64
	Holds(kid, alg string, pub crypto.PublicKey) (gen uint64, usableUntil time.Time, ok bool)
}

// cached returns the claims cached for token, or nil when token is not
// cached or its entry no longer holds: the clock passed "exp" (or went
// back before "nbf" or "iat"), with the leeway, or the key that verified
// it left the key set. Such an entry is dropped, and Verify checks the
// token from scratch, which refuses it with the reason.
//
// h is the token's hash in the cache (tokenCache.hash).
func (v *JWT) cached(token string, h uint64) (c *Claims, cnf binding.Confirmation) {
	if v.tokens == nil {
		return nil, binding.Confirmation{}
	}
	e := v.tokens.lookup(token, h)
	if e == nil {
		v.tokens.lookups[0].misses.Add(1) // a signature check follows: no contention to fear
		return nil, binding.Confirmation{}
	}
	now := v.cfg.Now()
	if !now.Before(e.expiresBefore) || now.Before(e.validFrom) || !v.keyHeld(e, now) {
		v.tokens.remove(e)
		v.tokens.lookups[0].misses.Add(1)
		return nil, binding.Confirmation{}
	}
	v.tokens.lookups[stripe()].hits.Add(1)
	return v.handOut(e), e.cnf
}

// handOut returns the claims that every hit of e shares, read-only (see
// Claims): a hit allocates nothing. They are a copy of the entry's own
// claims, which are never handed out, so a caller that writes to its
// claims anyway cannot change what the cache holds. Each hit checks that
// the shared copy still is what the entry holds (every field, by
// identity, a dozen word comparisons) and hands out, and shares from then
// on, a new copy when it is not; the change is counted and logged, once
// per verifier. A write by one request can thus be seen only by requests
// with the same token that read their claims before the next hit: writing
// is a bug of the caller, and the race detector reports it where
// requests overlap.
func (v *JWT) handOut(e *cacheEntry) *Claims {
	p := e.out.Load()
	if p != nil && unchanged(p, &e.claims) {
		return p
	}
	fresh := e.claims
	if p != nil {
		v.tokens.tampered.Add(1)
		if !v.tokens.warned.Swap(true) {
			v.log().Warn("tokengate: a caller of Verify wrote to the claims of a cached token, which are read-only and shared by every request with that token; later hits get the cached claims again. Copy the claims (c2 := *claims) to change them",
				slog.String("issuer", v.cfg.Issuer))
		}
	}
	e.out.CompareAndSwap(p, &fresh)
	return &fresh
}

// unchanged reports whether every field of p is, by identity, that of c:
// the same string and slice headers and the same times. Only a write to p
// makes it false.
func unchanged(p, c *Claims) bool {
	return sameString(p.Issuer, c.Issuer) && sameString(p.Subject, c.Subject) &&
		sameString(p.ClientID, c.ClientID) && sameString(p.ID, c.ID) &&
		sameSlice(p.Audience, c.Audience) && sameSlice(p.Scopes, c.Scopes) && sameSlice(p.Raw, c.Raw) &&
		p.ExpiresAt == c.ExpiresAt && p.NotBefore == c.NotBefore && p.IssuedAt == c.IssuedAt
}

func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && cap(a) == cap(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

func (v *JWT) log() *slog.Logger {
	if v.cfg.Logger != nil {
		return v.cfg.Logger
	}
	return slog.Default()
}

// keyHeld reports whether the key that verified e is still served. When
// the key set's generation moved since e was checked, the source is asked
// whether the new set still holds the same key under the same kid, and e
// is brought up to date; that costs a map lookup once per entry and
// refresh, never a fetch.
func (v *JWT) keyHeld(e *cacheEntry, now time.Time) bool {
	if !e.versioned {
		return true
	}
	if v.versions.Generation() != e.gen.Load() {
		gen, until, ok := v.versions.Holds(e.kid, e.alg, e.key)
		if !ok {
			return false
		}
		e.keyUntil.Store(unixNano(until))
		e.gen.Store(gen)
	}
	return now.UnixNano() <= e.keyUntil.Load()
}

// remember caches, in e, a token that passed every check: its claims r
// (as Config.Check left them), checked with key under header h, and its
// "cnf", which each later request must satisfy again. token is the
// entry's own copy of the token. Claims are stored with their slices
// clipped, so that an append by a caller copies rather than writes into
// the cache's arrays, and r itself, which the fresh Verify returns,
// becomes the copy hits share. e is nil when there is no cache.
func (v *JWT) remember(e *cacheEntry, token string, h *header, key any, r *Claims, cnf binding.Confirmation) {
	if e == nil {
		return
	}
	r.Audience = r.Audience[:len(r.Audience):len(r.Audience)]
	r.Scopes = r.Scopes[:len(r.Scopes):len(r.Scopes)]
	r.Raw = r.Raw[:len(r.Raw):len(r.Raw)]
	e.claims = *r
	e.cnf = cnf
	e.expiresBefore = r.ExpiresAt.Add(v.cfg.Leeway)
	e.kid, e.alg, e.key = h.kid, h.alg, key
	e.size = entrySize(token, r)
	if from := later(r.NotBefore, r.IssuedAt); !from.IsZero() {
		e.validFrom = from.Add(-v.cfg.Leeway)
	}
	if v.versions != nil && !hmacAlgorithms[h.alg] {
		gen, until, ok := v.versions.Holds(h.kid, h.alg, key)
		if !ok {
			return // the set changed under this very check: do not vouch for it
		}
		e.versioned = true
		e.keyUntil.Store(unixNano(until))
		e.gen.Store(gen)
	}
	e.out.Store(r)
	e.token = token
	v.tokens.put(e)
}

// unixNano is t.UnixNano, clamped to the int64 range: a source may serve
// a set "forever" (a time after the year 2262).
func unixNano(t time.Time) int64 {
	if t.After(lastNano) {
		return math.MaxInt64
	}
	return t.UnixNano()
}

var lastNano = time.Unix(0, math.MaxInt64)

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// entrySize is what an entry counts against Config.TokenCacheBytes: an
// upper bound of the memory it keeps alive. The token (copied), the
// payload as Raw, the one string copy of the payload that the claim
// strings point into (claimset.Parse), at most one more payload's worth of
// claim strings when escapes had to be decoded, the two slices' headers
// and the entry itself.
func entrySize(token string, r *Claims) int64 {
	return int64(len(token) + 3*len(r.Raw) + 16*(len(r.Audience)+len(r.Scopes)) + entryOverhead)
}

// sweep drops, after the key set changed, every cached token whose key the
// new set does not hold, so that their memory is freed at once rather
// than at their next hit. It runs on the key cache's fetching goroutine
// (jwkscache.Config.OnFetch) and never fetches.
func (c *tokenCache) sweep(src keyVersions) {
	gen := src.Generation()
	c.each(func(e *cacheEntry) bool {
		if !e.versioned || e.gen.Load() == gen {
			return true
		}
		g, until, ok := src.Holds(e.kid, e.alg, e.key)
		if ok {
			e.keyUntil.Store(unixNano(until))
			e.gen.Store(g)
		}
		return ok
	})
}

// sweeper runs the sweep for the key cache New makes, whose first fetch
// reports before New has the cache in hand: src is set once it has.
type sweeper struct {
	tokens *tokenCache
	src    atomic.Pointer[issuerKeys]
}

func (s *sweeper) fetched() {
	if src := s.src.Load(); src != nil && s.tokens != nil {
		s.tokens.sweep(src)
	}
}

// Forget drops token from the cache of verified tokens, so that the next
// Verify of it makes every check again. It does not refuse the token: a
// JWT that checks out is valid until its "exp" wherever it is verified. To
// refuse revoked tokens, keep a deny list and consult it in the route's
// check (middleware.Guard.Check), which runs on every request, cached
// token or not.
func (v *JWT) Forget(token string) {
	if v.tokens != nil {
		v.tokens.forget(token)
	}
}

// ForgetAll empties the cache of verified tokens: after a key compromise
// (together with a refresh of the key set), or to give its memory back.
// Verify goes on caching the tokens it checks from then on.
func (v *JWT) ForgetAll() {
	if v.tokens != nil {
		v.tokens.purge(false)
	}
}
