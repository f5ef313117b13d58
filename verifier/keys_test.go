package verifier_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/verifier"
)

const cooldown = 30 * time.Second

func TestKeyRolloverFirstTokenVerifies(t *testing.T) {
	f := newFixture(t, nil)
	next := testKey{kid: "rsa-2", alg: "RS256", priv: rsaKey2}
	f.jwks.setKeys(f.rsa, next)
	f.clock.Advance(cooldown + time.Second) // the start-up fetch is outside the cooldown
	before := f.jwks.requests.Load()

	tok := sign(t, next, nil, accessClaims(testIssuer, f.clock.Now(), nil))
	if _, err := f.v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify(first token with the new kid) error = %v, want nil", err)
	}
	if got := f.jwks.requests.Load() - before; got != 1 {
		t.Errorf("key set fetched %d times for the new kid, want 1", got)
	}
	if _, err := f.v.Verify(t.Context(), f.token(t, nil, nil)); err != nil {
		t.Errorf("Verify(token with the old kid) error = %v, want nil while it is published", err)
	}
}

func TestRemovedKeyStopsVerifyingAfterRefresh(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token(t, nil, nil)
	if _, err := f.v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	f.jwks.setKeys(testKey{kid: "rsa-2", alg: "RS256", priv: rsaKey2})
	if err := f.cache.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh() error = %v", err)
	}
	if _, err := f.v.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrInvalidToken) {
		t.Fatalf("Verify(token of a retired key) error = %v, want %v", err, verifier.ErrInvalidToken)
	}
}

func TestKeySetDownAtStartIsUnavailable(t *testing.T) {
	keys(t)
	jwks := newJWKSServer(t, testKey{kid: "rsa-1", alg: "RS256", priv: rsaKey})
	jwks.setFailing(true)
	clock := newClock()
	cache, err := jwkscache.New(t.Context(), jwkscache.Config{URL: jwks.URL, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: testIssuer, Audience: testAudience, Keys: cache, Now: clock.Now})
	if err != nil {
		t.Fatalf("New() error = %v, want the verifier to start and report outages per request", err)
	}
	defer v.Close()
	tok := sign(t, testKey{kid: "rsa-1", alg: "RS256", priv: rsaKey}, nil, accessClaims(testIssuer, clock.Now(), nil))
	_, err = v.Verify(t.Context(), tok)
	if !errors.Is(err, verifier.ErrUnavailable) || errors.Is(err, verifier.ErrInvalidToken) {
		t.Fatalf("Verify() error = %v, want %v and not %v", err, verifier.ErrUnavailable, verifier.ErrInvalidToken)
	}
	jwks.setFailing(false)
	if err := cache.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh() error = %v", err)
	}
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify() after the key set came back: error = %v", err)
	}
}

func TestKeySetDownAfterStartKeepsCachedKeys(t *testing.T) {
	f := newFixture(t, nil)
	f.jwks.setFailing(true)
	if err := f.cache.Refresh(t.Context()); err == nil {
		t.Fatal("Refresh() of a failing endpoint = nil, want an error")
	}
	f.clock.Advance(cooldown + time.Second)
	if _, err := f.v.Verify(t.Context(), f.token(t, nil, nil)); err != nil {
		t.Fatalf("Verify() while the key set is down: error = %v, want cached keys to keep working", err)
	}
	if f.cache.Status().LastError == nil {
		t.Error("Status().LastError = nil, want the refresh failure")
	}
}

// TestRandomKidFloodIsBounded: 1000 tokens with random kids from 50
// goroutines are all refused as invalid and cause at most one key set
// fetch. The kid is looked up before the signature is checked, so the
// flood reuses one signature: minting 1000 RSA signatures would measure
// the machine, not the verifier.
func TestRandomKidFloodIsBounded(t *testing.T) {
	f := newFixture(t, nil)
	before := f.jwks.requests.Load()
	valid := f.token(t, nil, nil)
	payloadAndSig := valid[strings.IndexByte(valid, '.'):]
	var wg sync.WaitGroup
	var accepted, unavailable atomic.Int64
	for g := range 50 {
		wg.Go(func() {
			for i := range 20 {
				head := fmt.Sprintf(`{"alg":"RS256","typ":"at+jwt","kid":"random-%d-%d"}`, g, i)
				tok := base64.RawURLEncoding.EncodeToString([]byte(head)) + payloadAndSig
				_, err := f.v.Verify(t.Context(), tok)
				switch {
				case err == nil:
					accepted.Add(1)
				case !errors.Is(err, verifier.ErrInvalidToken):
					unavailable.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if accepted.Load() != 0 || unavailable.Load() != 0 {
		t.Fatalf("flood: %d accepted, %d not refused as invalid; want 0 and 0", accepted.Load(), unavailable.Load())
	}
	if got := f.jwks.requests.Load() - before; got > 1 {
		t.Errorf("1000 random kids caused %d key set fetches within one cooldown, want at most 1", got)
	}
}

// TestNoRequestWaitsDuringCooldown: once an unknown kid has triggered a
// fetch, another unknown kid within the cooldown is refused at once, even
// when the key set endpoint hangs.
func TestNoRequestWaitsDuringCooldown(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.v.Verify(t.Context(), f.token(t, map[string]any{"kid": "first-unknown"}, nil)); !errors.Is(err, verifier.ErrInvalidToken) {
		t.Fatalf("Verify(unknown kid) error = %v, want %v after a fetch without it", err, verifier.ErrInvalidToken)
	}
	before := f.jwks.requests.Load()
	// Make the endpoint hang: a request that waited for a fetch would
	// hang with it, and end with ErrUnavailable.
	release := make(chan struct{})
	defer close(release)
	f.jwks.setHang(release)
	_, err := f.v.Verify(t.Context(), f.token(t, map[string]any{"kid": "unknown"}, nil))
	if !errors.Is(err, verifier.ErrInvalidToken) {
		t.Fatalf("Verify(unknown kid in cooldown) error = %v, want an immediate %v", err, verifier.ErrInvalidToken)
	}
	if got := f.jwks.requests.Load() - before; got != 0 {
		t.Errorf("a kid within the cooldown made %d fetches, want 0", got)
	}
}

func TestHeaderURLsAreNeverFetched(t *testing.T) {
	// RFC 8725 §3.10: jku, x5u, jwk and x5c come from the attacker.
	var hits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer evil.Close()
	f := newFixture(t, nil)
	attacker := testKey{kid: "evil", alg: "RS256", priv: rsaKey2}
	tests := []struct {
		name   string
		header map[string]any
	}{
		{name: "jku pointing at the attacker's key set", header: map[string]any{"jku": evil.URL + "/jwks"}},
		{name: "x5u pointing at the attacker's certificate", header: map[string]any{"x5u": evil.URL + "/cert"}},
		{name: "embedded jwk of the attacker's key", header: map[string]any{"jwk": jwk(attacker)}},
		{name: "embedded x5c", header: map[string]any{"x5c": []string{"MIIB"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := sign(t, attacker, tt.header, accessClaims(testIssuer, f.clock.Now(), nil))
			if _, err := f.v.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrInvalidToken) {
				t.Fatalf("Verify() error = %v, want %v", err, verifier.ErrInvalidToken)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the attacker's server got %d requests, want 0", n)
	}
}

func TestConcurrentVerify(t *testing.T) {
	f := newFixture(t, nil)
	good := f.token(t, nil, nil)
	bad := f.token(t, nil, map[string]any{"aud": "other"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if _, err := f.v.Verify(t.Context(), good); err != nil {
					t.Errorf("Verify(good) error = %v", err)
					return
				}
				if _, err := f.v.Verify(t.Context(), bad); err == nil {
					t.Error("Verify(bad) error = nil")
					return
				}
			}
		}()
	}
	wg.Wait()
}
