package jwkscache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"
)

// Key returns the public key for a token whose header has kid and alg: an
// *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey, the types
// golang-jwt verifies with.
//
// The key must fit alg: a JWK "alg" must equal it (RFC 7517 §4.4), RS* and
// PS* need RSA, ES256/ES384/ES512 need P-256/P-384/P-521, EdDSA needs
// Ed25519; otherwise the error wraps [ErrAlgMismatch]. A token without kid
// (kid == "") gets the one key without kid that fits alg, if there is
// exactly one; a named key is never used for it, and no key is ever tried
// by guessing.
//
// A kid not in the set starts one fetch, shared by all callers, if no fetch
// started within Config.UnknownKIDCooldown; the caller waits for it (bounded
// by ctx) and gets the key if the issuer now publishes it. Within the
// cooldown the lookup fails at once with [ErrKeyNotFound] and one fetch is
// scheduled for when the cooldown ends. A kid that the last successful fetch
// did not find fails at once until the next successful fetch.
//
// Errors wrap [ErrKeyNotFound] when the token is at fault and
// [ErrUnavailable] when no usable key set is held or ctx ended while
// waiting for a fetch.
func (c *Cache) Key(ctx context.Context, kid, alg string) (any, error) {
	if len(kid) > maxKIDLen {
		return nil, errKIDTooLong
	}
	kind := algKind(alg)
	if kind == kindNone {
		return nil, errUnsupportedAlg
	}
	now := c.cfg.Now()
	if s := c.keys.Load(); s.usable(now) {
		if now.UnixNano() >= c.due.Load() {
			c.kick() // a refresh is due: the loop fetches, this call does not wait
		}
		k, err := s.lookup(kid, alg, kind)
		if !errors.Is(err, errUnknownKID) {
			return k, err
		}
	}
	return c.waitForKey(ctx, kid, alg, kind, now)
}

// waitForKey handles a kid missing from the set, or a lookup with no usable
// set at all: wait for one collapsed fetch if the cooldown allows, else fail
// at once.
func (c *Cache) waitForKey(ctx context.Context, kid, alg string, kind keyKind, now time.Time) (any, error) {
	ch, err := c.admit(now, kid)
	if ch == nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return c.lookupAfterFetch(kid, alg, kind, r.Err)
	case <-ctx.Done():
		return nil, fmt.Errorf("jwkscache: stopped waiting for the key set: %w: %w", ErrUnavailable, context.Cause(ctx))
	}
}

// admit decides, under one lock, whether a lookup that missed may wait for
// a fetch. It returns the fetch's channel, or nil and the error to return.
func (c *Cache) admit(now time.Time, kid string) (<-chan singleflight.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.keys.Load()
	usable := s.usable(now)
	if usable && s.byKID[kid] != nil {
		// A fetch finished between the caller's miss and this lock and
		// brought the kid: look again rather than report a cooldown.
		return fetchDone, nil
	}
	if usable && c.neg.has(kid, s.gen) {
		return nil, errKnownMissing
	}
	if ch := c.joinLocked(now, false); ch != nil {
		return ch, nil
	}
	c.deferLocked()
	switch {
	case usable && c.closed:
		return nil, errUnknownKID
	case usable:
		return nil, errCoolingDown
	}
	return nil, c.unavailableLocked(s)
}

// fetchDone stands for a fetch that has already ended: receiving from it
// at once yields a zero Result, and the caller looks the kid up again.
var fetchDone = func() <-chan singleflight.Result {
	ch := make(chan singleflight.Result)
	close(ch)
	return ch
}()

// lookupAfterFetch looks kid up again once the fetch the caller waited for
// has ended. A kid that a successful fetch did not find is remembered.
func (c *Cache) lookupAfterFetch(kid, alg string, kind keyKind, fetchErr error) (any, error) {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.keys.Load()
	if !s.usable(now) {
		return nil, c.unavailableLocked(s)
	}
	k, err := s.lookup(kid, alg, kind)
	if !errors.Is(err, errUnknownKID) {
		return k, err
	}
	if fetchErr != nil {
		return nil, fmt.Errorf("%w (refresh failed: %w)", errUnknownKID, fetchErr)
	}
	c.neg.add(kid, s.gen)
	return nil, errUnknownKID
}

// unavailableLocked is the error for a lookup with no usable set: why, and
// the last fetch error if there is one.
func (c *Cache) unavailableLocked(s *keySet) error {
	why := errTooStale
	if s == nil {
		why = errNothingFetched
	}
	if c.lastErr == nil {
		return why
	}
	return fmt.Errorf("%w: %w", why, c.lastErr)
}

// Keyfunc adapts the cache to golang-jwt: the returned function reads kid
// and alg from the token header and calls [Cache.Key] with ctx. A kid that
// is not a string, or a missing alg, is [ErrKeyNotFound].
func (c *Cache) Keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		if t == nil {
			return nil, errAlgNotString
		}
		alg, ok := t.Header["alg"].(string)
		if !ok {
			return nil, errAlgNotString
		}
		var kid string
		if v, present := t.Header["kid"]; present {
			if kid, ok = v.(string); !ok {
				return nil, errKIDNotString
			}
		}
		return c.Key(ctx, kid, alg)
	}
}
