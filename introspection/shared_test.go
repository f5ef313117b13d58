package introspection_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

// TestSharedCacheOneCallAcrossReplicas: three replicas, a thousand
// concurrent checks each of one new token, one call to the endpoint. The
// call is held until the lock has been tried three times, so that other
// replicas wait for the answer rather than only arrive after it.
func TestSharedCacheOneCallAcrossReplicas(t *testing.T) {
	g := newGate(activeBody(time.Hour))
	e := newEndpoint(t, g.ServeHTTP)
	store := newMemShared()
	clock := newClock()
	var replicas []*introspection.Introspector
	for range 3 {
		replicas = append(replicas, newReplica(t, e, clock, store, introspection.Config{SharedLockWait: time.Minute}))
	}
	store.lockTried = make(chan struct{}, 10_000)

	const perReplica = 1000
	errs := make(chan error, 3*perReplica)
	var wg sync.WaitGroup
	for _, in := range replicas {
		for range perReplica {
			wg.Go(func() {
				c, err := in.Verify(t.Context(), "new-token")
				if err == nil && c.Subject != "alice" {
					err = errors.New("wrong subject")
				}
				errs <- err
			})
		}
	}
	<-g.arrived
	for range 3 {
		<-store.lockTried
	}
	close(g.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Verify() error = %v", err)
		}
	}
	wantCalls(t, e, 1)
}

func TestSharedHitMakesNoCall(t *testing.T) {
	e := newEndpoint(t, reply(activeBody(time.Hour)))
	store := newMemShared()
	clock := newClock()
	a := newReplica(t, e, clock, store, introspection.Config{})
	b := newReplica(t, e, clock, store, introspection.Config{})
	verify(t, a, "tok", nil)
	c := verify(t, b, "tok", nil)
	wantCalls(t, e, 1)
	if c.Subject != "alice" || c.ClientID != "web" || len(c.Scopes) != 2 {
		t.Errorf("claims from the shared cache = %+v, want those of the answer", c)
	}
	// A process hit never reaches the store.
	gets, _, _, _ := store.counts()
	verify(t, b, "tok", nil)
	if g, _, _, _ := store.counts(); g != gets {
		t.Errorf("shared Get calls after a process hit = %d, want %d", g, gets)
	}
}

// TestSharedKeysAreKeyedHashes: the store sees neither the token nor its
// plain SHA-256, which anyone could test a guessed token against.
func TestSharedKeysAreKeyedHashes(t *testing.T) {
	e := newEndpoint(t, reply(activeBody(time.Hour)))
	store := newMemShared()
	in := newReplica(t, e, newClock(), store, introspection.Config{})
	const token = "secret-token-value"
	verify(t, in, token, nil)
	key, entry := store.only(t)
	plain := sha256.Sum256([]byte(token))
	if key == hex.EncodeToString(plain[:]) || strings.Contains(key, token) {
		t.Errorf("shared key = %q, want a keyed hash of the token", key)
	}
	if bytes.Contains(entry.value, []byte(token)) || bytes.Contains(entry.value, plain[:]) {
		t.Error("shared entry holds the token or its plain hash")
	}
	for _, tag := range entry.tags {
		if strings.Contains(tag, "alice") || strings.Contains(tag, "web") {
			t.Errorf("shared tag %q names a subject or client, want keyed hashes", tag)
		}
	}
}

func TestSharedEntryTTL(t *testing.T) {
	tests := []struct {
		name string
		body string
		cfg  introspection.Config
		want time.Duration
		err  error
	}{
		{"active: MaxCacheTTL", activeBody(time.Hour), introspection.Config{MaxCacheTTL: time.Minute}, time.Minute, nil},
		{"active: exp sooner", activeBody(20 * time.Second), introspection.Config{MaxCacheTTL: time.Minute}, 20 * time.Second, nil},
		{"inactive: NegativeCacheTTL", inactiveBody, introspection.Config{NegativeCacheTTL: 3 * time.Second}, 3 * time.Second, verifier.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, reply(tt.body))
			store := newMemShared()
			in := newReplica(t, e, newClock(), store, tt.cfg)
			verify(t, in, "tok", tt.err)
			if _, entry := store.only(t); entry.ttl != tt.want {
				t.Errorf("shared entry TTL = %v, want %v", entry.ttl, tt.want)
			}
		})
	}
}

// TestSharedRefusalServedToOtherReplicas: a negative answer is shared
// too, the 400 "unsupported_token_type" refusal of node-oidc-provider
// included.
func TestSharedRefusalServedToOtherReplicas(t *testing.T) {
	tests := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"inactive", reply(inactiveBody)},
		{"400 unsupported_token_type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"unsupported_token_type"}`))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, tt.h)
			store := newMemShared()
			clock := newClock()
			verify(t, newReplica(t, e, clock, store, introspection.Config{}), "tok", verifier.ErrInvalidToken)
			verify(t, newReplica(t, e, clock, store, introspection.Config{}), "tok", verifier.ErrInvalidToken)
			wantCalls(t, e, 1)
		})
	}
}

// TestSharedEntryForgeryRefused: write access to the store does not let
// an attacker make a token active. An entry not sealed with the shared
// secret, altered, or moved from another token's key is ignored, and the
// endpoint decides.
func TestSharedEntryForgeryRefused(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, store *memShared, victimKey string)
	}{
		{"sealed with another secret", func(t *testing.T, store *memShared, victimKey string) {
			e := newEndpoint(t, reply(activeBody(time.Hour)))
			other := newMemShared()
			verify(t, newReplica(t, e, newClock(), other, introspection.Config{SharedSecret: bytes.Repeat([]byte("x"), 32)}), "inactive-token", nil)
			_, forged := other.only(t)
			store.put(victimKey, forged.value)
		}},
		{"one bit flipped", func(t *testing.T, store *memShared, victimKey string) {
			v := store.value(victimKey)
			v[len(v)-20] ^= 1
			store.put(victimKey, v)
		}},
		{"lifetime stretched", func(t *testing.T, store *memShared, victimKey string) {
			v := store.value(victimKey)
			v[3] ^= 0x10
			store.put(victimKey, v)
		}},
		{"entry of another token", func(t *testing.T, store *memShared, victimKey string) {
			e := newEndpoint(t, reply(activeBody(time.Hour)))
			verify(t, newReplica(t, e, newClock(), store, introspection.Config{}), "active-token", nil)
			for _, k := range store.keys() {
				if k != victimKey {
					store.put(victimKey, store.value(k))
				}
			}
		}},
		{"truncated", func(t *testing.T, store *memShared, victimKey string) {
			store.put(victimKey, store.value(victimKey)[:20])
		}},
		{"oversized", func(t *testing.T, store *memShared, victimKey string) {
			store.put(victimKey, bytes.Repeat([]byte("x"), 1<<20))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, reply(inactiveBody))
			store := newMemShared()
			clock := newClock()
			logger, lines := testLogger(t)
			verify(t, newReplica(t, e, clock, store, introspection.Config{}), "inactive-token", verifier.ErrInvalidToken)
			victimKey := store.keys()[0]
			tt.tamper(t, store, victimKey)
			verify(t, newReplica(t, e, clock, store, introspection.Config{Logger: logger}), "inactive-token", verifier.ErrInvalidToken)
			wantCalls(t, e, 2)
			if !strings.Contains(strings.Join(lines(), ""), "shared cache entry ignored") {
				t.Errorf("log = %q, want the ignored entry reported", lines())
			}
		})
	}
}

// TestSharedEntryCheckedAtReadersClock: an entry is read as a fresh
// answer: an active answer whose exp has passed at the reader is refused.
func TestSharedEntryCheckedAtReadersClock(t *testing.T) {
	e := newEndpoint(t, reply(activeBody(time.Hour)))
	store := newMemShared()
	clock := newClock()
	verify(t, newReplica(t, e, clock, store, introspection.Config{MaxCacheTTL: 2 * time.Hour}), "tok", nil)
	late := newClock()
	late.Advance(2 * time.Hour)
	verify(t, newReplica(t, newEndpoint(t, reply(inactiveBody)), late, store, introspection.Config{}), "tok", verifier.ErrInvalidToken)
}

func TestSharedConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  introspection.Config
		want string
	}{
		{"no secret", introspection.Config{SharedCache: newMemShared()}, "Config.SharedSecret has 0 bytes"},
		{"short secret", introspection.Config{SharedCache: newMemShared(), SharedSecret: []byte("short")}, "Config.SharedSecret has 5 bytes"},
		{"secret without cache", introspection.Config{SharedSecret: sharedSecret}, "Config.SharedCache is not"},
		{"negative timeout", introspection.Config{SharedCache: newMemShared(), SharedSecret: sharedSecret, SharedTimeout: -1}, "SharedTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Endpoint, cfg.ClientID, cfg.ClientSecret, cfg.Audience = "https://as.test/introspect", "api", "secret", testAudience
			_, err := introspection.New(t.Context(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
