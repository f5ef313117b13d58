package verifier

import (
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tokengate/tokengate/internal/binding"
)

// Defaults and fixed costs of the verified-token cache; see
// Config.TokenCacheSize and Config.TokenCacheBytes.
const (
	defaultTokenCacheSize  = 10_000
	defaultTokenCacheBytes = 32 << 20

	// cacheWays is the number of slots of one set: a token can sit in any
	// slot of the one set its hash picks.
	cacheWays = 8

	// entryOverhead is what an entry costs beyond the bytes of its token
	// and payload: the entry itself (about 430 bytes, the cache's own
	// Claims included), the copy of the claims hits share (208 bytes), its
	// slot and slack for the allocator's size classes.
	entryOverhead = 768
)

// tokenCache remembers the tokens that passed every check of Verify, keyed
// by the exact token string, so that a token presented again costs a
// lookup and a clock check instead of a signature check.
//
// The table is a fixed array of sets of cacheWays slots. A seeded hash of
// the token's tail picks the set; within it, only an entry whose token
// equals the token byte for byte is a hit: the hash chooses where to look
// and never decides a hit, so two tokens never share an entry. Slots are
// atomic pointers to entries that never change after they are published
// (but for the atomics in them), so a lookup takes no lock and writes
// nothing shared but a slot's first hit mark and a striped hit counter.
// Every change is made under mu.
//
// Eviction is CLOCK: an entry that has been hit since the hand last passed
// it gets a second chance, so a flood of tokens presented once pushes out
// other such tokens before the ones clients reuse. A full set evicts one of
// its own entries the same way.
//
// Admission: when inserting a token would evict another (its set is
// full, or the cache is at its bounds: an insert had to evict to stay
// within them, and nothing has left the cache otherwise since), the token
// enters only when it is verified in full a second time while a
// doorkeeper still holds its hash: a table of hashes, half as many as the
// cache's entries, of tokens verified once meanwhile. A token verified
// only once then costs no insert and evicts nothing, so a working set
// larger than the cache, or a flood of distinct tokens, does not churn
// it; a token its client reuses enters at its second use.
type tokenCache struct {
	seed       maphash.Seed
	maxEntries int
	maxBytes   int64
	table      atomic.Pointer[cacheTable] // nil when empty: allocated by the first insert

	mu      sync.Mutex // guards the fields below, and every store to a table's slots
	n       int        // entries in the table
	bytes   int64      // sum of the entries' size
	hand    int        // the next slot the CLOCK sweep looks at
	closed  bool       // no inserts any more (JWT.Close)
	seq     uint64     // counts inserts
	evicted uint64     // entries removed to make room, for tests

	// lookups count hits and misses for metrics, striped over cache lines
	// (see stripe), so that cores counting hits of one token in parallel
	// do not write one counter. tampered counts the hits that found the
	// shared claims changed by a caller (see cacheEntry.out).
	lookups  [statStripes]statStripe
	tampered atomic.Uint64
	warned   atomic.Bool // the first tampering was logged

	full     atomic.Bool     // at the bounds: admission goes through door
	door     []atomic.Uint64 // tags of tokens verified once while full; a power of two long
	declined atomic.Uint64   // verified tokens not admitted, for tests
}

// statStripes is the number of stripes of the lookup counters: 64 lines
// of 64 bytes, 4 KiB per verifier.
const statStripes = 64

type statStripe struct {
	hits, misses atomic.Uint64
	_            [48]byte // to 64 bytes: two stripes never share a cache line
}

// stripe picks the counter stripe of the calling goroutine from the
// address of a variable on its stack, which no other running goroutine
// shares: the address is only hashed, never dereferenced. A goroutine
// keeps its stripe from hit to hit (as long as its stack does not move),
// so a stripe's line stays in the cache of the core running it, and two
// goroutines running at once share one with odds of 1 in 64, where a
// stripe chosen by the token would put every request for one popular
// token on one line.
func stripe() int {
	var probe byte
	addr := uint64(uintptr(unsafe.Pointer(&probe)))
	return int(((addr >> 11) * 0x9E3779B97F4A7C15) >> (64 - 6)) // 2 KiB, the smallest stack, apart: a Fibonacci hash to 6 bits
}

// counts returns the lookups that hit and missed so far.
func (c *tokenCache) counts() (hits, misses uint64) {
	for i := range c.lookups {
		hits += c.lookups[i].hits.Load()
		misses += c.lookups[i].misses.Load()
	}
	return hits, misses
}

// cacheTable is the fixed array of slots. Beside each slot it keeps its
// entry's hash (tags) and its CLOCK state (marks), so that a lookup and
// an eviction read one cache line of a set's tags or marks and touch only
// the entry they want, not every entry of the set.
type cacheTable struct {
	mask  uint64 // sets - 1; sets is a power of two
	slots []atomic.Pointer[cacheEntry]
	tags  []atomic.Uint64 // the entry's hash with the low bit set; 0 for an empty slot
	marks []atomic.Uint64 // the entry's insertion number << 1, | 1 once it was hit since the hand passed
}

// tagOf is the tag of an entry of hash h: never 0, the tag of no entry.
func tagOf(h uint64) uint64 { return h | 1 }

// cacheEntry is one verified token and what a hit must re-check.
type cacheEntry struct {
	token  string
	hash   uint64
	claims Claims                 // the cache's own copy, never handed out; slices clipped to their length
	shared Claims                 // the copy hits hand out at first, allocated with the entry
	spare  [spareStrings]string   // the array of claims.Audience and claims.Scopes when they fit
	out    atomic.Pointer[Claims] // the copy every hit hands out, read-only (see JWT.handOut): shared, or a later one
	cnf    binding.Confirmation   // the token's "cnf", parsed once, checked against every request's proof; zero for a bearer token

	expiresBefore time.Time // exp + leeway: a hit at or after it is refused
	validFrom     time.Time // latest of nbf and iat, less the leeway; zero if neither

	// The key that verified the token, and the generation of the key set
	// that served it, for a source that has generations (keyVersions).
	versioned bool
	kid, alg  string
	key       any
	gen       atomic.Uint64
	keyUntil  atomic.Int64 // UnixNano after which the source stops serving the set; stored before gen

	size int64 // bytes counted against maxBytes
	slot int   // index in table.slots; guarded by tokenCache.mu
}

// newTokenCache returns a cache of at most maxEntries entries and maxBytes
// bytes, or nil (no cache) when maxEntries is negative.
func newTokenCache(maxEntries int, maxBytes int64) *tokenCache {
	if maxEntries < 0 {
		return nil
	}
	door := 16
	for door < maxEntries/2 {
		door *= 2
	}
	return &tokenCache{seed: maphash.MakeSeed(), maxEntries: maxEntries, maxBytes: maxBytes,
		door: make([]atomic.Uint64, door)}
}

// admits reports whether the token of hash h, which passed every check,
// may enter the cache: always when it can without evicting another;
// otherwise at its second full verification while the doorkeeper
// remembers the first.
func (c *tokenCache) admits(h uint64) bool {
	if !c.full.Load() && c.setHasRoom(h) {
		return true
	}
	d := &c.door[(h>>32)&uint64(len(c.door)-1)] // other bits than the set's
	if d.Load() == tagOf(h) {
		d.Store(0)
		return true
	}
	d.Store(tagOf(h))
	c.declined.Add(1)
	return false
}

// setHasRoom reports whether the set of hash h has a free slot (or no
// table is made yet): reading its tags, one cache line.
func (c *tokenCache) setHasRoom(h uint64) bool {
	t := c.table.Load()
	if t == nil {
		return true
	}
	base := int(h&t.mask) * cacheWays
	for i := base; i < base+cacheWays; i++ {
		if t.tags[i].Load() == 0 {
			return true
		}
	}
	return false
}

// get returns the entry for token, or nil. It takes no lock.
func (c *tokenCache) get(token string) *cacheEntry {
	return c.lookup(token, c.hash(token))
}

// lookup is get for a token whose hash h the caller has.
func (c *tokenCache) lookup(token string, h uint64) *cacheEntry {
	t := c.table.Load()
	if t == nil {
		return nil
	}
	base, tag := int(h&t.mask)*cacheWays, tagOf(h)
	for i := base; i < base+cacheWays; i++ {
		if t.tags[i].Load() != tag {
			continue
		}
		// The tag only says where to look: the slot may have changed
		// since, and two tokens may share a hash. The token decides.
		if e := t.slots[i].Load(); e != nil && e.token == token {
			if m := t.marks[i].Load(); m&1 == 0 {
				t.marks[i].Or(1)
			}
			return e
		}
	}
	return nil
}

// hashedTail is how much of a token's end the set is chosen by.
const hashedTail = 32

// hash picks a token's set from its last hashedTail bytes, which lie in
// its signature: they differ between any two tokens an issuer signs (the
// (r, n−s) twin of an ECDSA signature included), and cannot be chosen by
// anyone else, so hashing the whole token (a kilobyte or more) would only
// cost time. Tokens with the same tail still never share an entry: they
// are told apart by the comparison of the whole token.
func (c *tokenCache) hash(token string) uint64 {
	return maphash.String(c.seed, token[max(0, len(token)-hashedTail):])
}

// put inserts e, whose hash the caller set, replacing an entry for the
// same token, and evicts until the bounds hold. An entry larger than the
// whole byte bound is not kept.
func (c *tokenCache) put(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || e.size > c.maxBytes || c.maxEntries == 0 {
		return
	}
	t := c.table.Load()
	if t == nil {
		t = newCacheTable(c.maxEntries)
		c.table.Store(t)
	}
	base, tag := int(e.hash&t.mask)*cacheWays, tagOf(e.hash)
	free := -1
	for i := base; i < base+cacheWays; i++ {
		switch tg := t.tags[i].Load(); {
		case tg == 0:
			free = max(free, i)
		case tg == tag:
			if old := t.slots[i].Load(); old.token == e.token {
				c.removeLocked(t, old)
				free = i
			}
		}
	}
	if free < 0 {
		free = c.victimLocked(t, base)
		c.removeLocked(t, t.slots[free].Load())
		c.evicted++
	}
	for c.n > 0 && (c.n >= c.maxEntries || c.bytes+e.size > c.maxBytes) {
		c.evictLocked(t)
		c.full.Store(true)
	}
	c.seq++
	e.slot = free
	c.n++
	c.bytes += e.size
	t.marks[free].Store(c.seq << 1)
	t.slots[free].Store(e)
	t.tags[free].Store(tag)
}

func newCacheTable(maxEntries int) *cacheTable {
	sets := 1 << bits.Len(uint((maxEntries+cacheWays-1)/cacheWays-1)) // the power of two ≥ maxEntries/cacheWays
	n := sets * cacheWays
	return &cacheTable{mask: uint64(sets - 1), slots: make([]atomic.Pointer[cacheEntry], n),
		tags: make([]atomic.Uint64, n), marks: make([]atomic.Uint64, n)}
}

// victimLocked picks the slot of a full set to reuse: the oldest entry not
// hit since it was last looked at here, clearing the marks of those that
// were (a second chance, as the sweep gives over the whole table); the
// oldest entry when all were hit. It reads the set's marks, not its
// entries.
func (c *tokenCache) victimLocked(t *cacheTable, base int) int {
	victim, oldest := -1, base
	for i := base; i < base+cacheWays; i++ {
		m := t.marks[i].Load()
		if m>>1 < t.marks[oldest].Load()>>1 {
			oldest = i
		}
		if m&1 != 0 {
			t.marks[i].And(^uint64(1))
		} else if victim < 0 || m>>1 < t.marks[victim].Load()>>1 {
			victim = i
		}
	}
	if victim < 0 {
		return oldest
	}
	return victim
}

// evictLocked advances the CLOCK hand to the next entry not hit since the
// hand last passed it, clearing the marks it passes, and removes it. It
// needs at least one entry in t; two turns of the hand always find one.
func (c *tokenCache) evictLocked(t *cacheTable) {
	for steps := 0; ; steps++ {
		i := c.hand
		c.hand = (c.hand + 1) % len(t.slots)
		if t.tags[i].Load() == 0 {
			continue
		}
		// Hits mark entries without the lock; past two turns, the next
		// entry goes whatever its mark, so that the sweep always ends.
		if m := t.marks[i].Load(); m&1 != 0 && steps < 2*len(t.slots) {
			t.marks[i].And(^uint64(1))
			continue
		}
		c.removeLocked(t, t.slots[i].Load())
		c.evicted++
		return
	}
}

func (c *tokenCache) removeLocked(t *cacheTable, e *cacheEntry) {
	t.tags[e.slot].Store(0)
	t.slots[e.slot].Store(nil)
	c.n--
	c.bytes -= e.size
}

// remove drops e if it is still in the cache: it expired, its key left
// the set, or it was forgotten. That makes room, so the cache admits
// every token again until it is back at its bound.
func (c *tokenCache) remove(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.table.Load(); t != nil && t.slots[e.slot].Load() == e {
		c.removeLocked(t, e)
		c.full.Store(false)
	}
}

// forget drops the entry for token, if any.
func (c *tokenCache) forget(token string) {
	if e := c.get(token); e != nil {
		c.remove(e)
	}
}

// purge drops every entry and the table itself; with stop, the cache also
// takes no more entries.
func (c *tokenCache) purge(stop bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.table.Store(nil)
	c.n, c.bytes, c.hand = 0, 0, 0
	c.closed = c.closed || stop
	c.full.Store(false)
}

// each calls fn with every entry, under the lock; fn returns false to have
// the entry removed.
func (c *tokenCache) each(fn func(e *cacheEntry) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.table.Load()
	if t == nil {
		return
	}
	for i := range t.slots {
		if e := t.slots[i].Load(); e != nil && !fn(e) {
			c.removeLocked(t, e)
			c.full.Store(false)
		}
	}
}

// stats returns the number of entries and the bytes they count, for tests.
func (c *tokenCache) stats() (entries int, bytes int64, evicted uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.bytes, c.evicted
}
