package verifier

import (
	"context"

	"github.com/tokengate/tokengate"
)

var (
	_ tokengate.Readier       = (*JWT)(nil)
	_ tokengate.CacheReporter = (*JWT)(nil)
)

// Ready reports whether v can verify tokens now, for a readiness probe
// (see middleware.ReadyHandler): nil once the key set is held and usable,
// otherwise an error naming the issuer and saying what is missing: its
// metadata (the issuer was down at New and has not answered since) or a
// usable key set (no fetch has succeeded, or the set held is past
// KeyPolicy.MaxStaleness). While discovery is pending, Ready may start an
// attempt as a request would, at most once per
// KeyPolicy.UnknownKIDCooldown, and waits for it within ctx and
// KeyPolicy.UnknownKIDWait. A verifier that needs no key set (HMAC only)
// is always ready; one with Config.Keys is ready if its source is (a
// source with a Ready method) or else always.
func (v *JWT) Ready(ctx context.Context) error {
	switch {
	case v.owned != nil:
		return v.owned.ready(ctx)
	case v.cfg.Keys != nil:
		if r, ok := v.cfg.Keys.(tokengate.Readier); ok {
			return r.Ready(ctx)
		}
	}
	return nil
}

// Issuer returns Config.Issuer, the issuer whose tokens v verifies.
func (v *JWT) Issuer() string { return v.cfg.Issuer }

// CacheStats counts the lookups of the key set by kid (cache "keyset"),
// once the key cache is made; a Config.Keys source reports its own, if it
// can.
func (v *JWT) CacheStats() []tokengate.CacheStat {
	var out []tokengate.CacheStat
	if v.tokens != nil {
		hits, misses := v.tokens.counts()
		out = append(out, tokengate.CacheStat{Cache: "verified", Hits: hits, Misses: misses})
	}
	if v.owned != nil {
		if st, ok := v.owned.stats(); ok {
			out = append(out, tokengate.CacheStat{Cache: "keyset", Hits: st.Hits, Misses: st.Misses})
		}
		return out
	}
	if r, ok := v.cfg.Keys.(tokengate.CacheReporter); ok {
		out = append(out, r.CacheStats()...)
	}
	return out
}
