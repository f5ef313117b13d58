package tokengate

// CacheStat counts the lookups of one of a verifier's caches since the
// verifier was made.
type CacheStat struct {
	// Cache names the cache: "keyset" (the keys of a JWKS, looked up by
	// kid), "introspection" (introspection results) or "verified"
	// (verified tokens).
	Cache string

	// Hits counts the lookups the cache answered, Misses those it could
	// not: an unknown kid, a token not cached.
	Hits, Misses uint64
}

// CacheReporter is implemented by a verifier that keeps caches, as
// verifier.JWT (its key set) and introspection.Introspector (its results)
// do. A metrics package reads the counts when it collects, so that the
// lookups themselves pay nothing for being counted but an atomic add.
type CacheReporter interface {
	CacheStats() []CacheStat
}
