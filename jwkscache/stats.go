package jwkscache

// Stats counts the lookups of a [Cache] since [New].
type Stats struct {
	// Hits counts the lookups answered from the key set held: the kid was
	// in it (whether its key fit the alg or not).
	Hits uint64

	// Misses counts the lookups that found no usable key set, or a kid
	// not in it, and so waited for a fetch or failed.
	Misses uint64
}

// Stats returns the lookup counts. Counting costs Key an atomic add.
func (c *Cache) Stats() Stats {
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load()}
}

// WithDefaults returns p with each zero field set to its default, or an
// error naming a field out of range, as [New] would report it: for a
// caller that schedules other work (such as retrying discovery) on the
// same policy.
func (p Policy) WithDefaults() (Policy, error) {
	if err := p.setDefaults(); err != nil {
		return Policy{}, err
	}
	return p, nil
}
