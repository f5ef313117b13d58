package introspection_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

// switchable answers with whatever body was last set.
type switchable struct {
	mu   sync.Mutex // guards body
	body string
}

func (s *switchable) set(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body = body
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body := s.body
	s.mu.Unlock()
	reply(body)(w, r)
}

func TestCacheActiveResult(t *testing.T) {
	e := newEndpoint(t, reply(activeBody(time.Hour)))
	in := newIntrospector(t, e, newClock(), introspection.Config{CacheSize: 10})
	first := verify(t, in, "token-a", nil)
	second := verify(t, in, "token-a", nil)
	wantCalls(t, e, 1)

	// Each caller has its own Claims: one handler's change is not seen by
	// the next request.
	first.Subject = "mallory"
	if second.Subject != "alice" || verify(t, in, "token-a", nil).Subject != "alice" {
		t.Error("changing one caller's claims changed the cached claims")
	}
	verify(t, in, "token-b", nil)
	wantCalls(t, e, 2)
}

// TestCachedClaimsAreCopies stops one handler from corrupting the claims
// every later request gets: writing into the Scopes, Audience or Raw of
// returned claims, whether they came from the call or from the cache,
// leaves the next cache hit intact.
func TestCachedClaimsAreCopies(t *testing.T) {
	body := activeBody(time.Hour)
	e := newEndpoint(t, reply(body))
	in := newIntrospector(t, e, newClock(), introspection.Config{CacheSize: 10})
	for range 2 { // the first from the call, the second from the cache
		c := verify(t, in, "token-a", nil)
		c.Scopes[0], c.Audience[0] = "admin", "https://evil.test"
		c.Raw[len(c.Raw)-2] = 'X'
		got := verify(t, in, "token-a", nil)
		if got.Scopes[0] != "orders:read" || got.Audience[0] != testAudience || string(got.Raw) != body {
			t.Fatalf("next cache hit: Scopes %q, Audience %q, Raw %s: a caller's write reached the cache", got.Scopes, got.Audience, got.Raw)
		}
	}
	wantCalls(t, e, 1)
}

func TestCacheDisabledWithZeroSize(t *testing.T) {
	e := newEndpoint(t, reply(activeBody(time.Hour)))
	in := newIntrospector(t, e, newClock(), introspection.Config{})
	for range 3 {
		verify(t, in, "token-a", nil)
	}
	wantCalls(t, e, 3)

	inactive := newEndpoint(t, reply(inactiveBody))
	in = newIntrospector(t, inactive, newClock(), introspection.Config{})
	for range 3 {
		verify(t, in, "junk", verifier.ErrInvalidToken)
	}
	wantCalls(t, inactive, 3)
}

// TestCacheTTLCappedAtExp checks an entry is not used once the token's
// exp passes, even though MaxCacheTTL would keep it longer.
// TestCacheTTLCapped: an active entry lives min(exp - now, MaxCacheTTL).
// One second before the cap it answers without a call; at the cap it is
// dead, the endpoint is asked again, and a revocation there is seen.
func TestCacheTTLCapped(t *testing.T) {
	tests := []struct {
		name        string
		lifetime    time.Duration // of the token: exp - now
		maxCacheTTL time.Duration
	}{
		{name: "at exp", lifetime: time.Minute, maxCacheTTL: time.Hour},
		{name: "at MaxCacheTTL", lifetime: 24 * time.Hour, maxCacheTTL: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			srv := &switchable{body: activeBody(tt.lifetime)}
			e := newEndpoint(t, srv.ServeHTTP)
			in := newIntrospector(t, e, clock, introspection.Config{CacheSize: 10, MaxCacheTTL: tt.maxCacheTTL})

			verify(t, in, "token-a", nil)
			clock.Advance(59 * time.Second)
			verify(t, in, "token-a", nil)
			wantCalls(t, e, 1)

			srv.set(inactiveBody)
			clock.Advance(time.Second)
			verify(t, in, "token-a", verifier.ErrInvalidToken)
			wantCalls(t, e, 2)
		})
	}
}

// TestCacheExpiredEntryRefused checks a token whose exp has passed is
// refused even if the endpoint, asked again, still calls it active.
func TestCacheExpiredEntryRefused(t *testing.T) {
	clock := newClock()
	e := newEndpoint(t, reply(activeBody(time.Minute)))
	in := newIntrospector(t, e, clock, introspection.Config{CacheSize: 10, Leeway: time.Second})
	verify(t, in, "token-a", nil)
	clock.Advance(2 * time.Minute)
	verify(t, in, "token-a", verifier.ErrTokenExpired)
	wantCalls(t, e, 2)
}

func TestCacheDefaultMaxCacheTTLIsFiveMinutes(t *testing.T) {
	clock := newClock()
	e := newEndpoint(t, reply(`{"active":true,"aud":"https://api.test"}`)) // no exp: MaxCacheTTL alone
	in := newIntrospector(t, e, clock, introspection.Config{CacheSize: 10})
	verify(t, in, "token-a", nil)
	clock.Advance(5*time.Minute - time.Second)
	verify(t, in, "token-a", nil)
	wantCalls(t, e, 1)
	clock.Advance(time.Second)
	verify(t, in, "token-a", nil)
	wantCalls(t, e, 2)
}

func TestNegativeCache(t *testing.T) {
	clock := newClock()
	e := newEndpoint(t, reply(inactiveBody))
	in := newIntrospector(t, e, clock, introspection.Config{CacheSize: 10})

	verify(t, in, "junk", verifier.ErrInvalidToken)
	clock.Advance(9 * time.Second)
	verify(t, in, "junk", verifier.ErrInvalidToken)
	wantCalls(t, e, 1)
	clock.Advance(time.Second) // default NegativeCacheTTL is 10s
	verify(t, in, "junk", verifier.ErrInvalidToken)
	wantCalls(t, e, 2)
}

func TestNegativeCacheKeepsFinalRefusalsOnly(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		want   error
		cached bool
	}{
		{"refresh token", `{"active":true,"token_type":"refresh_token"}`, verifier.ErrNotAccessToken, true},
		{"expired", fmt.Sprintf(`{"active":true,"aud":"https://api.test","exp":%d}`, at(-time.Hour)), verifier.ErrTokenExpired, true},
		{"wrong audience", `{"active":true,"token_type":"Bearer","aud":"https://other.test"}`, verifier.ErrWrongAudience, true},
		{"untyped, not for this audience", `{"active":true,"aud":"https://other.test"}`, verifier.ErrNotAccessToken, true},
		{"not valid yet may become valid", fmt.Sprintf(`{"active":true,"aud":"https://api.test","nbf":%d}`, at(time.Hour)), verifier.ErrNotYetValid, false},
		{"faulty server", `{"active":"yes"}`, verifier.ErrUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			e := newEndpoint(t, reply(tt.body))
			in := newIntrospector(t, e, clock, introspection.Config{CacheSize: 10, Audience: "https://api.test"})
			verify(t, in, "token-a", tt.want)
			clock.Advance(time.Second) // past the breaker's pause after the faulty server
			verify(t, in, "token-a", tt.want)
			want := int64(2)
			if tt.cached {
				want = 1
			}
			wantCalls(t, e, want)
		})
	}
}

func TestNegativeCacheDisabled(t *testing.T) {
	e := newEndpoint(t, reply(inactiveBody))
	in := newIntrospector(t, e, newClock(), introspection.Config{CacheSize: 10, NegativeCacheSize: -1})
	verify(t, in, "junk", verifier.ErrInvalidToken)
	verify(t, in, "junk", verifier.ErrInvalidToken)
	wantCalls(t, e, 2)
}

// TestJunkSprayDoesNotEvictActiveTokens sends many distinct junk tokens
// after a good one: they fill only the negative cache, so the good token
// is still answered from the cache.
func TestJunkSprayDoesNotEvictActiveTokens(t *testing.T) {
	var goodCalls int
	var mu sync.Mutex // guards goodCalls
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		if form.Get("token") == "good" {
			mu.Lock()
			goodCalls++
			mu.Unlock()
			reply(activeBody(time.Hour))(w, r)
			return
		}
		reply(inactiveBody)(w, r)
	})
	// No bound on new tokens here: this is about the caches alone.
	in := newIntrospector(t, e, newClock(), introspection.Config{CacheSize: 4, NewTokenRate: -1})
	verify(t, in, "good", nil)
	for n := range 200 {
		verify(t, in, fmt.Sprintf("junk%d", n), verifier.ErrInvalidToken)
	}
	verify(t, in, "good", nil)
	mu.Lock()
	defer mu.Unlock()
	if goodCalls != 1 {
		t.Errorf("good token introspected %d times, want 1: junk evicted it", goodCalls)
	}
}

func TestCacheFaultsNotCached(t *testing.T) {
	srv := &switchable{body: "oops"}
	e := newEndpoint(t, srv.ServeHTTP)
	clock := newClock()
	in := newIntrospector(t, e, clock, introspection.Config{CacheSize: 10})
	verify(t, in, "token-a", verifier.ErrUnavailable)
	srv.set(activeBody(time.Hour))
	clock.Advance(time.Second) // the breaker's default pause
	verify(t, in, "token-a", nil)
	verify(t, in, "token-a", nil)
	wantCalls(t, e, 2)
}

func TestNegativeCacheWithoutActiveCache(t *testing.T) {
	e := newEndpoint(t, reply(inactiveBody))
	in := newIntrospector(t, e, newClock(), introspection.Config{NegativeCacheSize: 5})
	verify(t, in, "junk", verifier.ErrInvalidToken)
	verify(t, in, "junk", verifier.ErrInvalidToken)
	wantCalls(t, e, 1)
}
