package verifier

// TokenCacheStats reports the entries of v's cache of verified tokens, the
// bytes they count and how many were evicted to make room, for the tests
// of package verifier_test.
func TokenCacheStats(v *JWT) (entries int, bytes int64, evicted uint64) {
	if v.tokens == nil {
		return 0, 0, 0
	}
	return v.tokens.stats()
}

// TamperedHits counts the hits that found the claims v's cache shares
// written to by a caller.
func TamperedHits(v *JWT) uint64 {
	if v.tokens == nil {
		return 0
	}
	return v.tokens.tampered.Load()
}

// DeclinedTokens counts the verified tokens v's full cache did not admit.
func DeclinedTokens(v *JWT) uint64 {
	if v.tokens == nil {
		return 0
	}
	return v.tokens.declined.Load()
}
