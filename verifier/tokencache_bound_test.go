package verifier_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// hsTokens makes distinct HS256 access tokens by hand (the standard
// library only, and fast enough for a flood).
type hsTokens struct {
	secret []byte
	now    time.Time
}

func (h hsTokens) token(i int) string {
	head := b64([]byte(`{"alg":"HS256","typ":"at+jwt"}`))
	payload := b64(fmt.Appendf(nil, `{"iss":%q,"sub":"user-%d","aud":%q,"scope":"orders:read","exp":%d,"iat":%d,"jti":"%08d"}`,
		testIssuer, i, testAudience, h.now.Add(time.Hour).Unix(), h.now.Unix(), i))
	mac := hmac.New(sha256.New, h.secret)
	mac.Write([]byte(head + "." + payload))
	return head + "." + payload + "." + b64(mac.Sum(nil))
}

func newHMACVerifier(t testing.TB, h hsTokens, size int, bytes int64) *verifier.JWT {
	t.Helper()
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: testIssuer, Audience: testAudience,
		Algorithms: []string{"HS256"}, HMACSecret: h.secret, TokenCacheSize: size, TokenCacheBytes: bytes,
		Now: func() time.Time { return h.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func TestFloodOfDistinctTokensStaysWithinTheBound(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	tests := []struct {
		name    string
		entries int
		bytes   int64
	}{
		{"bound by entries", 1_000, 32 << 20},
		{"bound by bytes", 100_000, 2 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hsTokens{secret: []byte("0123456789abcdef0123456789abcdef"), now: time.Unix(1_800_000_000, 0)}
			v := newHMACVerifier(t, h, tt.entries, tt.bytes)
			before := heapInUse()
			for i := range n {
				if _, err := v.Verify(t.Context(), h.token(i)); err != nil {
					t.Fatalf("Verify(token %d) error = %v", i, err)
				}
				if i%10_000 == 0 || i == n-1 {
					entries, bytes, _ := verifier.TokenCacheStats(v)
					if entries > tt.entries || bytes > tt.bytes {
						t.Fatalf("after %d tokens the cache holds %d entries and %d bytes, over the bound of %d and %d", i+1, entries, bytes, tt.entries, tt.bytes)
					}
				}
			}
			// Every token was kept, evicted, or not admitted by the full
			// cache; once full, a flood of tokens seen once churns it no
			// more (tokenCache.admits).
			entries, bytes, evicted := verifier.TokenCacheStats(v)
			declined := verifier.DeclinedTokens(v)
			if int(evicted+declined) != n-entries {
				t.Errorf("%d tokens: %d kept, %d evicted, %d declined; want them to add up", n, entries, evicted, declined)
			}
			if evicted > uint64(tt.entries) {
				t.Errorf("a flood of %d distinct tokens evicted %d entries, want at most the cache's %d: once full, tokens seen once are not admitted", n, evicted, tt.entries)
			}
			// The table of slots is fixed: 24 bytes a slot (the pointer,
			// its tag and its mark), at most twice TokenCacheSize slots.
			// The rest of what the cache holds must be within what its
			// entries count.
			table := uint64(48 * tt.entries)
			grew := heapInUse() - min(before, heapInUse())
			t.Logf("%d tokens: %d entries kept counting %d bytes, heap grew by %d", n, entries, bytes, grew)
			if grew > uint64(bytes)+table+(256<<10) {
				t.Errorf("heap grew by %d bytes for %d cached entries counting %d bytes (+%d of table), want no more", grew, entries, bytes, table)
			}
			runtime.KeepAlive(v)
		})
	}
}

func TestEntrySizeBoundsTheMemoryAnEntryKeeps(t *testing.T) {
	const n = 5_000
	h := hsTokens{secret: []byte("0123456789abcdef0123456789abcdef"), now: time.Unix(1_800_000_000, 0)}
	v := newHMACVerifier(t, h, 2*n, 1<<30) // room to spare: a full set evicts early
	tokens := make([]string, n)            // made first, so that only the cache grows below
	for i := range tokens {
		tokens[i] = h.token(i)
	}
	before := heapInUse()
	for _, tok := range tokens {
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	grew := heapInUse() - before
	entries, bytes, _ := verifier.TokenCacheStats(v)
	if entries < n*95/100 {
		t.Fatalf("cache holds %d entries, want about %d", entries, n)
	}
	t.Logf("%d entries keep %d bytes alive (%.0f each) and count %d (%.0f each)", entries, grew, float64(grew)/float64(entries), bytes, float64(bytes)/float64(entries))
	if table := uint64(48 * n); grew > uint64(bytes)+table {
		t.Errorf("%d entries keep %d bytes alive (%.0f each) but count %d (%.0f each): the count is not an upper bound",
			n, grew, float64(grew)/n, bytes, float64(bytes)/n)
	}
	runtime.KeepAlive(tokens)
	runtime.KeepAlive(v)
}

func TestCachedClaimsCannotCorruptTheCache(t *testing.T) {
	f := newCacheFixture(t, nil, jwkscache.Policy{})
	tok := f.token(t, nil, map[string]any{"aud": []string{testAudience, "other"}})
	first, err := f.v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	want := deepCopy(first)
	for range 2 { // the claims of the fresh check, then those of a hit
		c, err := f.v.Verify(t.Context(), tok)
		if err != nil {
			t.Fatal(err)
		}
		// Everything a handler may do to its copy: reassign fields,
		// append (the slices are clipped, so append copies).
		c.Subject, c.ClientID, c.ExpiresAt = "mallory", "evil", c.ExpiresAt.Add(time.Hour)
		c.Scopes = append(c.Scopes, "admin")
		c.Audience = append(c.Audience, "evil")
		c.Raw = append(c.Raw, ' ')
		c.Scopes, c.Audience = c.Scopes[:1], nil
	}
	got, err := f.v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("claims after handlers changed their copies = %+v, want %+v", got, want)
	}
}

// TestTokengatePathsDoNotWriteThroughCachedClaims runs cached claims
// through everything tokengate does with claims on a request (Require's
// scope check, FromContext, Decode into a struct and a map) and checks
// that none of it wrote into the arrays they share with the cache.
func TestTokengatePathsDoNotWriteThroughCachedClaims(t *testing.T) {
	f := newCacheFixture(t, nil, jwkscache.Policy{})
	tok := f.token(t, nil, map[string]any{"roles": []string{"a", "b"}})
	first, err := f.v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	want := deepCopy(first)
	h := middleware.Require(f.v, scopes.All("orders:read"), scopes.Any("orders:write", "x"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			c, ok := tokengate.FromContext(r.Context())
			var s struct {
				Roles []string `json:"roles"`
				Sub   string   `json:"sub"`
			}
			var m map[string]any
			if !ok || c.Decode(&s) != nil || c.Decode(&m) != nil {
				http.Error(w, "no claims", http.StatusInternalServerError)
			}
		}))
	for range 3 {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200", w.Code)
		}
	}
	if got, _ := f.v.Verify(t.Context(), tok); !reflect.DeepEqual(got, want) {
		t.Errorf("cached claims after requests = %+v, want %+v", got, want)
	}
}

func deepCopy(c *verifier.Claims) *verifier.Claims {
	d := *c
	d.Audience, d.Scopes, d.Raw = slices.Clone(c.Audience), slices.Clone(c.Scopes), slices.Clone(c.Raw)
	return &d
}

// TestTokenCacheUnderConcurrentHitsInsertsPurgesAndRotation is for -race:
// goroutines hit cached tokens, insert new ones, forget and purge, while
// the key set drops one of its two keys. Once that refresh has returned,
// no Verify that starts may accept a token of the dropped key.
func TestTokenCacheUnderConcurrentHitsInsertsPurgesAndRotation(t *testing.T) {
	ed, es := testKey{kid: "ed-1", alg: "EdDSA", priv: edKey}, testKey{kid: "ec-1", alg: "ES256", priv: p256Key}
	f := newCacheFixture(t, func(c *verifier.Config) { c.TokenCacheSize = 64 }, jwkscache.Policy{}, ed, es)
	mint := func(k testKey, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = sign(t, k, nil, accessClaims(testIssuer, f.clock.Now(), map[string]any{"jti": fmt.Sprint(k.kid, i)}))
		}
		return out
	}
	kept, dropped := mint(ed, 40), mint(es, 40)
	var rotated atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	worker := func(seed uint64, forget bool) {
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, seed))
		for i := range 400 {
			if forget && i%50 == 0 {
				f.v.ForgetAll()
			}
			pool := kept
			if r.IntN(2) == 0 {
				pool = dropped
			}
			tok := pool[r.IntN(len(pool))]
			if forget && i%7 == 0 {
				f.v.Forget(tok)
			}
			after := rotated.Load()
			_, err := f.v.Verify(t.Context(), tok)
			switch {
			case slices.Contains(kept, tok) && err != nil:
				errs <- fmt.Errorf("Verify(token of the kept key) error = %v", err)
				return
			case after && slices.Contains(dropped, tok) && !errors.Is(err, verifier.ErrInvalidToken):
				errs <- fmt.Errorf("Verify(token of the dropped key, after the refresh) error = %v, want %v", err, verifier.ErrInvalidToken)
				return
			}
		}
	}
	for i := range 4 {
		wg.Add(1)
		go worker(uint64(i), i == 0)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.jwks.setKeys(ed)
		if err := f.cache.Refresh(t.Context()); err != nil {
			errs <- err
			return
		}
		rotated.Store(true)
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if entries, bytes, _ := verifier.TokenCacheStats(f.v); entries > 64 || bytes < 0 {
		t.Errorf("cache holds %d entries counting %d bytes, want at most 64 and a sane count", entries, bytes)
	}
}

// TestFullCacheEvictsTheOldestTokensFirst: with room for 8 tokens, the 8
// tokens presented last are the ones kept, whatever slots they took, and
// a token hit since gets a second chance over one that was not.
func TestFullCacheEvictsTheOldestTokensFirst(t *testing.T) {
	h := hsTokens{secret: []byte("0123456789abcdef0123456789abcdef"), now: time.Unix(1_800_000_000, 0)}
	v := newHMACVerifier(t, h, 8, 1<<20)
	verify := func(i int) (hit bool) {
		t.Helper()
		before := verifiedHits(v)
		if _, err := v.Verify(t.Context(), h.token(i)); err != nil {
			t.Fatal(err)
		}
		return verifiedHits(v) > before
	}
	// A full cache admits a token at its second verification
	// (tokenCache.admits): each token is presented twice.
	use := func(i int) { verify(i); verify(i) }
	for i := range 16 {
		use(i)
	}
	for i := 8; i < 16; i++ {
		if !verify(i) {
			t.Errorf("token %d, among the last 8 presented, was evicted", i)
		}
	}
	use(100) // evicts one of 8..15, all hit: the oldest, 8
	for i := 9; i < 16; i++ {
		if !verify(i) {
			t.Errorf("token %d was evicted before the older token 8", i)
		}
	}
	if verify(8) {
		t.Error("token 8, the oldest, was kept and a newer one evicted")
	}
}

// TestFloodOfOneTimeTokensDoesNotEvictReusedOnes stops a client (or an
// attacker holding many valid tokens) that presents a stream of distinct
// tokens once each from pushing the tokens other clients reuse out of a
// full cache: once full, a token enters only at its second verification.
func TestFloodOfOneTimeTokensDoesNotEvictReusedOnes(t *testing.T) {
	h := hsTokens{secret: []byte("0123456789abcdef0123456789abcdef"), now: time.Unix(1_800_000_000, 0)}
	const size = 64
	v := newHMACVerifier(t, h, size, 1<<20)
	verify := func(i int) bool {
		t.Helper()
		before := verifiedHits(v)
		if _, err := v.Verify(t.Context(), h.token(i)); err != nil {
			t.Fatal(err)
		}
		return verifiedHits(v) > before
	}
	// Clients reuse 2×size tokens: more than fit, so the cache fills and
	// evicts; the reused tokens are those it holds after three rounds.
	for range 2 {
		for i := range 2 * size {
			verify(i)
		}
	}
	var reused []int
	for i := range 2 * size {
		if verify(i) {
			reused = append(reused, i)
		}
	}
	if len(reused) < size/2 {
		t.Fatalf("only %d of %d reused tokens were cached", len(reused), 2*size)
	}
	for i := range 20 * size { // the flood: each token once
		verify(1_000_000 + i)
	}
	for _, i := range reused {
		if !verify(i) {
			t.Errorf("reused token %d was evicted by the flood", i)
		}
	}
	if d := verifier.DeclinedTokens(v); d < 20*size-size {
		t.Errorf("the full cache declined %d of the flood's %d tokens, want nearly all", d, 20*size)
	}
}

// verifiedHits is the hits v's cache of verified tokens counted.
func verifiedHits(v *verifier.JWT) uint64 {
	for _, st := range v.CacheStats() {
		if st.Cache == "verified" {
			return st.Hits
		}
	}
	return 0
}
