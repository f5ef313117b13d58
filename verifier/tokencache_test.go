package verifier_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/verifier"
)

// countingKeys counts the key lookups of a *jwkscache.Cache, so that a test
// tells a cache hit (no lookup) from a full verification (one). Embedding
// keeps the cache's Generation and Holds, through which the verifier
// learns that a key left the set.
type countingKeys struct {
	*jwkscache.Cache
	lookups atomic.Int64
}

func (k *countingKeys) Key(ctx context.Context, kid, alg string) (any, error) {
	k.lookups.Add(1)
	return k.Cache.Key(ctx, kid, alg)
}

// cacheFixture is a verifier whose key lookups are counted, over a real
// JWKS server and jwkscache.Cache.
type cacheFixture struct {
	*fixture
	keys *countingKeys
}

func newCacheFixture(t testing.TB, mod func(*verifier.Config), policy jwkscache.Policy, ks ...testKey) *cacheFixture {
	t.Helper()
	keys(t)
	f := &fixture{clock: newClock(), rsa: testKey{kid: "rsa-1", alg: "RS256", priv: rsaKey}}
	if len(ks) == 0 {
		ks = []testKey{f.rsa}
	}
	f.jwks = newJWKSServer(t, ks...)
	cache, err := jwkscache.New(t.Context(), jwkscache.Config{URL: f.jwks.URL, Policy: policy, Now: f.clock.Now})
	if err != nil {
		t.Fatalf("jwkscache.New() error = %v", err)
	}
	t.Cleanup(func() { cache.Close() })
	f.cache = cache
	counting := &countingKeys{Cache: cache}
	cfg := verifier.Config{Issuer: testIssuer, Audience: testAudience, Keys: counting, Now: f.clock.Now,
		Algorithms: []string{"RS256", "ES256", "EdDSA"}}
	if mod != nil {
		mod(&cfg)
	}
	v, err := verifier.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	t.Cleanup(func() { v.Close() })
	f.v = v
	return &cacheFixture{fixture: f, keys: counting}
}

// verifyLookups verifies token and returns the error and the number of key
// lookups it took: 0 for a cache hit.
func (f *cacheFixture) verifyLookups(t testing.TB, token string) (*verifier.Claims, int64, error) {
	t.Helper()
	before := f.keys.lookups.Load()
	c, err := f.v.Verify(t.Context(), token)
	return c, f.keys.lookups.Load() - before, err
}

func TestRepeatedTokenIsServedFromTheCache(t *testing.T) {
	f := newCacheFixture(t, nil, jwkscache.Policy{})
	tok := f.token(t, nil, nil)
	if _, n, err := f.verifyLookups(t, tok); err != nil || n != 1 {
		t.Fatalf("first Verify() = %d lookups, error %v; want 1, nil", n, err)
	}
	for range 5 {
		c, n, err := f.verifyLookups(t, tok)
		if err != nil || n != 0 {
			t.Fatalf("repeated Verify() = %d lookups, error %v; want 0 (a cache hit), nil", n, err)
		}
		if c.Subject != "alice" || len(c.Scopes) != 2 {
			t.Fatalf("repeated Verify() claims = %+v, want those of the token", c)
		}
	}
}

func TestCachedTokenRefusedAtItsExp(t *testing.T) {
	tests := []struct {
		name   string
		leeway time.Duration // Config.Leeway
		slack  time.Duration // what it means
	}{
		{"default leeway", 0, 30 * time.Second},
		{"no leeway", verifier.NoLeeway, 0},
		{"leeway of 2m", 2 * time.Minute, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCacheFixture(t, func(c *verifier.Config) { c.Leeway = tt.leeway }, jwkscache.Policy{})
			exp := f.clock.Now().Add(5 * time.Minute)
			tok := f.token(t, nil, map[string]any{"exp": exp.Unix()})
			if _, err := f.v.Verify(t.Context(), tok); err != nil {
				t.Fatalf("Verify() error = %v", err)
			}
			f.clock.Set(exp.Add(tt.slack - time.Second))
			if _, n, err := f.verifyLookups(t, tok); err != nil || n != 0 {
				t.Fatalf("Verify(1s before exp + leeway) = %d lookups, error %v; want a cache hit", n, err)
			}
			f.clock.Set(exp.Add(tt.slack)) // RFC 7519 §4.1.4: on or after exp, refused
			if _, err := f.v.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrTokenExpired) {
				t.Fatalf("Verify(cached token at exp + leeway) error = %v, want %v", err, verifier.ErrTokenExpired)
			}
			if n, _, _ := verifier.TokenCacheStats(f.v); n != 0 {
				t.Errorf("cache holds %d entries after the token expired, want 0", n)
			}
		})
	}
}

func TestCachedTokenRefusedWhenTheClockGoesBackBeforeNbf(t *testing.T) {
	f := newCacheFixture(t, nil, jwkscache.Policy{})
	now := f.clock.Now()
	tok := f.token(t, nil, map[string]any{"nbf": now.Unix()})
	if _, err := f.v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	f.clock.Set(now.Add(-31 * time.Second)) // past the 30s leeway (RFC 7519 §4.1.5)
	if _, err := f.v.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrNotYetValid) {
		t.Fatalf("Verify(cached token, clock before nbf - leeway) error = %v, want %v", err, verifier.ErrNotYetValid)
	}
}

func TestCachedTokenRefusedAfterTheRefreshThatRemovedItsKey(t *testing.T) {
	ed := testKey{kid: "ed-1", alg: "EdDSA", priv: edKey}
	f := newCacheFixture(t, nil, jwkscache.Policy{}, testKey{kid: "rsa-1", alg: "RS256", priv: rsaKey}, ed)
	gone, kept := f.token(t, nil, nil), sign(t, ed, nil, accessClaims(testIssuer, f.clock.Now(), nil))
	for _, tok := range []string{gone, kept, gone, kept} {
		if _, err := f.v.Verify(t.Context(), tok); err != nil {
			t.Fatalf("Verify() error = %v", err)
		}
	}
	f.jwks.setKeys(ed)
	if err := f.cache.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh() error = %v", err)
	}
	if _, err := f.v.Verify(t.Context(), gone); !errors.Is(err, verifier.ErrInvalidToken) || !errors.Is(err, jwkscache.ErrKeyNotFound) {
		t.Fatalf("Verify(cached token of the removed key) error = %v, want %v and %v", err, verifier.ErrInvalidToken, jwkscache.ErrKeyNotFound)
	}
	if _, n, err := f.verifyLookups(t, kept); err != nil || n != 0 {
		t.Errorf("Verify(cached token of the kept key) = %d lookups, error %v; want a cache hit", n, err)
	}
}

func TestCachedTokenRefusedWhenItsKidNowNamesAnotherKey(t *testing.T) {
	f := newCacheFixture(t, nil, jwkscache.Policy{})
	tok := f.token(t, nil, nil)
	if _, err := f.v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	f.jwks.setKeys(testKey{kid: "rsa-1", alg: "RS256", priv: rsaKey2}) // same kid, new key
	if err := f.cache.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh() error = %v", err)
	}
	if _, err := f.v.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrBadSignature) {
		t.Fatalf("Verify(cached token, kid reused for another key) error = %v, want %v", err, verifier.ErrBadSignature)
	}
}

func TestCachedTokenUnavailableOnceTheKeySetIsTooStale(t *testing.T) {
	policy := jwkscache.Policy{MaxRefreshInterval: time.Hour, MaxStaleness: time.Hour}
	f := newCacheFixture(t, nil, policy)
	tok := f.token(t, nil, map[string]any{"exp": f.clock.Now().Add(24 * time.Hour).Unix()})
	if _, err := f.v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	f.jwks.setFailing(true)
	f.clock.Advance(2*time.Hour + time.Second) // fresh for 1h, then served stale for 1h
	if _, err := f.v.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrUnavailable) {
		t.Fatalf("Verify(cached token, key set past MaxStaleness) error = %v, want %v", err, verifier.ErrUnavailable)
	}
}

// flipLastSignatureByte returns tok with the last byte of its decoded
// signature changed, re-encoded canonically.
func flipLastSignatureByte(t testing.TB, tok string) string {
	t.Helper()
	i := strings.LastIndexByte(tok, '.')
	sig := decodeB64(t, tok[i+1:])
	sig[len(sig)-1] ^= 0x01
	return tok[:i+1] + b64(sig)
}

// ecdsaTwin returns tok with its ES256 signature (r, s) replaced by
// (r, n−s), which verifies as well: ECDSA signatures are malleable.
func ecdsaTwin(t testing.TB, tok string, pub *ecdsa.PublicKey) string {
	t.Helper()
	i := strings.LastIndexByte(tok, '.')
	sig := decodeB64(t, tok[i+1:])
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(pub.Curve.Params().N, s)
	s.FillBytes(sig[32:])
	return tok[:i+1] + b64(sig)
}

func TestSignatureTwinsNeverShareAnEntry(t *testing.T) {
	es := testKey{kid: "ec-1", alg: "ES256", priv: p256Key}
	f := newCacheFixture(t, nil, jwkscache.Policy{}, es)
	tok := sign(t, es, nil, accessClaims(testIssuer, f.clock.Now(), nil))
	twin := ecdsaTwin(t, tok, &p256Key.PublicKey)
	tampered := flipLastSignatureByte(t, tok)

	// The tampered twin is refused before and after the token is cached.
	if _, err := f.v.Verify(t.Context(), tampered); !errors.Is(err, verifier.ErrBadSignature) {
		t.Fatalf("Verify(tampered, before) error = %v, want %v", err, verifier.ErrBadSignature)
	}
	for _, tk := range []string{tok, tok, twin, twin} {
		if _, err := f.v.Verify(t.Context(), tk); err != nil {
			t.Fatalf("Verify() error = %v, want nil (both halves of the ECDSA twin verify)", err)
		}
	}
	if n, _, _ := verifier.TokenCacheStats(f.v); n != 2 {
		t.Errorf("cache holds %d entries for a token and its (r, n-s) twin, want 2", n)
	}
	for range 2 {
		if _, n, err := f.verifyLookups(t, tampered); !errors.Is(err, verifier.ErrBadSignature) || n != 1 {
			t.Fatalf("Verify(tampered, after) = %d lookups, error %v; want a full check and %v", n, err, verifier.ErrBadSignature)
		}
	}
	rsaTok := f.token(t, nil, nil)
	if _, err := f.v.Verify(t.Context(), flipLastSignatureByte(t, rsaTok)); err == nil {
		t.Error("Verify(RS256 token with one signature byte changed) error = nil, want a refusal")
	}
}

func TestTwoVerifiersNeverShareEntries(t *testing.T) {
	f := newCacheFixture(t, nil, jwkscache.Policy{})
	other, err := verifier.New(t.Context(), verifier.Config{Issuer: testIssuer, Audience: "https://other-api.example.test",
		Keys: f.keys, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tok := f.token(t, nil, nil)
	for range 2 {
		if _, err := f.v.Verify(t.Context(), tok); err != nil {
			t.Fatalf("Verify(for us) error = %v", err)
		}
		if _, err := other.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrWrongAudience) {
			t.Fatalf("other.Verify(token cached by a verifier of another audience) error = %v, want %v", err, verifier.ErrWrongAudience)
		}
	}
}

func TestForgetMakesTheNextVerifyCheckAgain(t *testing.T) {
	tests := []struct {
		name   string
		forget func(v *verifier.JWT, tok string)
	}{
		{"Forget", func(v *verifier.JWT, tok string) { v.Forget(tok) }},
		{"ForgetAll", func(v *verifier.JWT, _ string) { v.ForgetAll() }},
		{"Forget of another token keeps it", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCacheFixture(t, nil, jwkscache.Policy{})
			tok := f.token(t, nil, nil)
			if _, err := f.v.Verify(t.Context(), tok); err != nil {
				t.Fatal(err)
			}
			want := int64(1)
			if tt.forget == nil {
				f.v.Forget(tok + "x")
				want = 0
			} else {
				tt.forget(f.v, tok)
			}
			if _, n, err := f.verifyLookups(t, tok); err != nil || n != want {
				t.Errorf("Verify() after %s = %d lookups, error %v; want %d, nil", tt.name, n, err, want)
			}
		})
	}
}

func TestCloseEmptiesTheCacheAndStopsCaching(t *testing.T) {
	f := newCacheFixture(t, nil, jwkscache.Policy{})
	tok := f.token(t, nil, nil)
	if _, err := f.v.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	f.v.Close()
	if n, _, _ := verifier.TokenCacheStats(f.v); n != 0 {
		t.Fatalf("cache holds %d entries after Close, want 0", n)
	}
	for range 2 {
		if _, n, err := f.verifyLookups(t, tok); err != nil || n != 1 {
			t.Fatalf("Verify() after Close = %d lookups, error %v; want a full check, nil", n, err)
		}
	}
}

func TestTokenCacheOff(t *testing.T) {
	f := newCacheFixture(t, func(c *verifier.Config) { c.TokenCacheSize = -1 }, jwkscache.Policy{})
	tok := f.token(t, nil, nil)
	for range 3 {
		if _, n, err := f.verifyLookups(t, tok); err != nil || n != 1 {
			t.Fatalf("Verify() with the cache off = %d lookups, error %v; want 1, nil", n, err)
		}
	}
}

func TestTokenCacheBytesMustNotBeNegative(t *testing.T) {
	_, err := verifier.New(t.Context(), verifier.Config{Issuer: testIssuer, Audience: testAudience,
		Algorithms: []string{"HS256"}, HMACSecret: make([]byte, 32), TokenCacheBytes: -1})
	if err == nil || !strings.Contains(err.Error(), "TokenCacheBytes") {
		t.Fatalf("New(TokenCacheBytes -1) error = %v, want one naming Config.TokenCacheBytes", err)
	}
}

func decodeB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return b
}
