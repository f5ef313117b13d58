package jwkscache

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"time"
)

// Generation counts the key sets the cache has installed: 0 until the
// first good fetch, then one more for every fetch that replaced the set
// (whether or not its keys changed). A verifier that remembers tokens
// compares it with the generation it saw, and asks [Cache.Holds] only when
// it moved. It never locks or fetches.
func (c *Cache) Generation() uint64 {
	if s := c.keys.Load(); s != nil {
		return s.gen
	}
	return 0
}

// Holds reports whether the key set held now would serve pub for a token
// with kid and alg, as [Cache.Key] would (the same kid, a key equal to pub
// that fits alg), and if so that set's [Cache.Generation] and the instant
// after which Key stops serving it (Config.MaxStaleness). It never fetches
// nor waits: a kid that is not held is simply not held.
func (c *Cache) Holds(kid, alg string, pub crypto.PublicKey) (gen uint64, usableUntil time.Time, ok bool) {
	s := c.keys.Load()
	if !s.usable(c.cfg.Now()) {
		return 0, time.Time{}, false
	}
	kind, err := checkLookup(kid, alg)
	if err != nil {
		return 0, time.Time{}, false
	}
	k, err := s.lookup(kid, alg, kind)
	if err != nil || !samePublicKey(k, pub) {
		return 0, time.Time{}, false
	}
	return s.gen, s.usableTill, true
}

// samePublicKey reports whether a and b are the same public key. The
// values are public, so plain comparisons serve (the Equal methods of
// crypto/rsa and crypto/ecdsa compare in constant time, at the cost of
// copying both values); the same pointer, the usual case, costs nothing.
func samePublicKey(a, b crypto.PublicKey) bool {
	switch a := a.(type) {
	case *rsa.PublicKey:
		b, ok := b.(*rsa.PublicKey)
		return ok && (a == b || a.E == b.E && a.N.Cmp(b.N) == 0)
	case *ecdsa.PublicKey:
		b, ok := b.(*ecdsa.PublicKey)
		return ok && (a == b || a.Curve == b.Curve && a.X.Cmp(b.X) == 0 && a.Y.Cmp(b.Y) == 0)
	case ed25519.PublicKey:
		b, ok := b.(ed25519.PublicKey)
		return ok && bytes.Equal(a, b)
	}
	return false
}
