package jwkscache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Key returns the public key for a token whose header has kid and alg: an
// *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey, the types
// golang-jwt verifies with.
//
// The key must fit alg: a JWK "alg" must equal it (RFC 7517 §4.4), RS* and
// PS* need RSA, ES256/ES384/ES512 need P-256/P-384/P-521, EdDSA and Ed25519
// need Ed25519; otherwise the error wraps [ErrAlgMismatch]. A token without
// kid (kid == "") gets the one key without kid that fits alg, if there is
// exactly one; a named key is never used for it, and no key is ever tried
// by guessing.
//
// A kid not in the set joins the fetch in flight, or starts one if no
// fetch triggered by an unknown kid started within
// Config.UnknownKIDCooldown, and waits for it, at most Config.UnknownKIDWait
// and never past ctx. If the fetch brings the kid, the key is returned: an
// issuer that signs with a new key the moment it publishes it loses no
// request. Within the cooldown the lookup fails at once and one fetch is
// scheduled for when the cooldown ends.
//
// Errors wrap [ErrKeyNotFound] when the token is at fault: its kid is not
// in a key set fetched successfully since it was first asked for, or within
// the cooldown after such a fetch. They wrap [ErrUnavailable] when the key
// could not be looked for: no usable key set is held, the refresh failed or
// did not finish within the wait, or ctx ended.
func (c *Cache) Key(ctx context.Context, kid, alg string) (any, error) {
	kind, err := checkLookup(kid, alg)
	if err != nil {
		return nil, err
	}
	now := c.cfg.Now()
	if s := c.keys.Load(); s.usable(now) {
		if now.UnixNano() >= c.due.Load() {
			c.kick() // a refresh is due: the loop fetches, this call does not wait
		}
		k, err := s.lookup(kid, alg, kind)
		if !errors.Is(err, errUnknownKID) {
			c.hits.Add(1)
			return k, err
		}
	}
	c.misses.Add(1)
	return c.waitForKey(ctx, kid, alg, kind)
}

// checkLookup refuses, before any lookup, a kid too long to be one and an
// alg no key of a set can serve; it returns the kind of key alg needs.
func checkLookup(kid, alg string) (keyKind, error) {
	if len(kid) > maxKIDLen {
		return kindNone, errKIDTooLong
	}
	kind := algKind(alg)
	if kind == kindNone {
		return kindNone, errUnsupportedAlg
	}
	return kind, nil
}

// waitForKey handles a kid missing from the set, or a lookup with no usable
// set at all. It waits for at most two fetches, within one UnknownKIDWait:
// when the fetch it joined was not started for an unknown kid, that fetch
// may have begun before the issuer published the key, so one fetch of its
// own follows if the cooldown allows.
func (c *Cache) waitForKey(ctx context.Context, kid, alg string, kind keyKind) (any, error) {
	timer := time.NewTimer(c.cfg.UnknownKIDWait)
	defer timer.Stop()
	for attempt := 0; ; attempt++ {
		f, k, err := c.admit(kid, alg, kind)
		if f == nil {
			return k, err
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("jwkscache: stopped waiting for the key set refresh for kid %s: %w: %w", quote(kid), ErrUnavailable, context.Cause(ctx))
		case <-timer.C:
			return nil, fmt.Errorf("jwkscache: the key set refresh for kid %s did not finish within %v: %w", quote(kid), c.cfg.UnknownKIDWait, ErrUnavailable)
		}
		s := c.keys.Load()
		if !s.usable(c.cfg.Now()) {
			return nil, c.unavailable(s)
		}
		k, err = s.lookup(kid, alg, kind)
		switch {
		case !errors.Is(err, errUnknownKID):
			return k, err
		case f.err != nil:
			return nil, fmt.Errorf("jwkscache: kid %s is not in the key set held, and its refresh failed: %w: %w", quote(kid), ErrUnavailable, f.err)
		case f.triggered || attempt > 0:
			return nil, unknownKID(kid, s)
		}
	}
}

// admit decides, under one lock, what a lookup that missed does: wait for
// the returned fetch (in flight, or started now), or return the key or
// error given at once.
func (c *Cache) admit(kid, alg string, kind keyKind) (*flight, any, error) {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.keys.Load()
	usable := s.usable(now)
	if usable && s.byKID[kid] != nil {
		// A fetch finished between the caller's miss and this lock and
		// brought the kid: use it rather than wait or report a cooldown.
		k, err := s.lookup(kid, alg, kind)
		return nil, k, err
	}
	switch {
	case c.flight != nil:
		return c.flight, nil, nil
	case c.closed && usable:
		return nil, nil, unknownKID(kid, s)
	case c.closed:
		return nil, nil, c.unavailableLocked(s)
	case c.lastTriggered.IsZero() || now.Sub(c.lastTriggered) >= c.cfg.UnknownKIDCooldown:
		return c.startLocked(now, true), nil, nil
	}
	c.deferLocked()
	switch {
	case !usable:
		return nil, nil, c.unavailableLocked(s)
	case c.lastErr != nil:
		return nil, nil, fmt.Errorf("jwkscache: kid %s is not in the key set held, and the last refresh failed: %w: %w", quote(kid), ErrUnavailable, c.lastErr)
	}
	return nil, nil, fmt.Errorf("%w (refresh cooling down until %s)", unknownKID(kid, s), c.lastTriggered.Add(c.cfg.UnknownKIDCooldown).UTC().Format(time.RFC3339))
}

// unknownKID is the error for a kid that a good key set does not hold. It
// names the kids held, never key material.
func unknownKID(kid string, s *keySet) error {
	return fmt.Errorf("jwkscache: kid %s is not in the key set (it holds %s): %w", quote(kid), s.kidList(), errUnknownKID)
}

// unavailable is unavailableLocked for callers that do not hold c.mu.
func (c *Cache) unavailable(s *keySet) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unavailableLocked(s)
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
