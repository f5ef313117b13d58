package redisstore_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/redistest"
	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/redisstore"
)

// TestOneIntrospectionForThreeReplicas: three replicas on one Redis, a
// thousand concurrent checks each of one new token, one call to the
// authorization server. The introspection endpoint is held (an injected
// delay) so that the checks of every replica overlap the call.
func TestOneIntrospectionForThreeReplicas(t *testing.T) {
	srv := redistest.Start(t)
	iss := newIssuer(t)
	var replicas []*introspection.Introspector
	for range 3 {
		replicas = append(replicas, newReplica(t, iss, newStore(t, srv, redisstore.Config{}), introspection.Config{SharedLockWait: time.Minute}))
	}
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
	iss.SetFault(issuertest.EndpointIntrospect, issuertest.Fault{Delay: 200 * time.Millisecond, Times: 1})

	errs := make(chan error, 3000)
	var wg sync.WaitGroup
	for _, in := range replicas {
		for range 1000 {
			wg.Go(func() {
				c, err := in.Verify(t.Context(), tok)
				if err == nil && c.Subject != issuertest.Alice {
					err = errors.New("wrong subject")
				}
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Verify() error = %v", err)
		}
	}
	if n := introspections(iss, 3); n != 1 {
		t.Errorf("introspection calls = %d, want 1 for three replicas", n)
	}
}

// TestRedisHoldsNoToken: nothing in Redis, key or value, is the token,
// holds it, or is its plain SHA-256, which an attacker with read access
// could test guesses against; nor does it name the subject: values are
// encrypted.
func TestRedisHoldsNoToken(t *testing.T) {
	srv := redistest.Start(t)
	iss := newIssuer(t)
	store := newStore(t, srv, redisstore.Config{})
	in := newReplica(t, iss, store, introspection.Config{})
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
	if _, err := in.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	in.ForgetSubject(issuertest.Alice) // a marker too
	sum := sha256.Sum256([]byte(tok))
	forbidden := []string{tok, hex.EncodeToString(sum[:]), string(sum[:]), issuertest.Alice}
	raw := rawClient(t, srv)
	keys, err := raw.Keys(t.Context(), "*").Result()
	if err != nil || len(keys) < 2 {
		t.Fatalf("KEYS * = %q, %v; want an entry and a marker", keys, err)
	}
	for _, k := range keys {
		var values []string
		if raw.Type(t.Context(), k).Val() == "hash" {
			values = append(values, raw.HGet(t.Context(), k, "v").Val(), raw.HGet(t.Context(), k, "g").Val())
		} else {
			values = append(values, raw.Get(t.Context(), k).Val())
		}
		for _, f := range forbidden {
			for _, v := range append(values, k) {
				if strings.Contains(v, f) {
					t.Errorf("Redis key %q holds the token, its plain hash or the subject", k)
				}
			}
		}
	}
}

// TestRedisWriteCannotForgeAnswer: an attacker who can write to Redis
// replaces the sealed value of a refused token with another token's
// active answer, or alters it; the replica ignores the entry and asks the
// authorization server.
func TestRedisWriteCannotForgeAnswer(t *testing.T) {
	srv := redistest.Start(t)
	iss := newIssuer(t)
	store := newStore(t, srv, redisstore.Config{})
	a := newReplica(t, iss, store, introspection.Config{})
	active := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
	if _, err := a.Verify(t.Context(), active); err != nil {
		t.Fatal(err)
	}
	raw := rawClient(t, srv)
	keys := raw.Keys(t.Context(), "tokengate:i:*").Val()
	if len(keys) != 1 {
		t.Fatalf("entries = %q, want 1", keys)
	}
	activeValue := raw.HGet(t.Context(), keys[0], "v").Val()

	const unknown = "unknown-token-from-the-attacker"
	flipped := []byte(activeValue)
	flipped[len(flipped)-1] ^= 1
	for _, forged := range []string{activeValue, string(flipped)} {
		if _, err := a.Verify(t.Context(), unknown); !errors.Is(err, tokengate.ErrInvalidToken) {
			t.Fatalf("Verify(unknown) error = %v, want ErrInvalidToken", err)
		}
		for _, k := range raw.Keys(t.Context(), "tokengate:i:*").Val() {
			raw.HSet(t.Context(), k, "v", forged) // every entry, the refused one included
		}
		b := newReplica(t, iss, store, introspection.Config{})
		if _, err := b.Verify(t.Context(), unknown); !errors.Is(err, tokengate.ErrInvalidToken) {
			t.Fatalf("Verify(unknown) with a forged entry error = %v, want ErrInvalidToken", err)
		}
	}
}

// TestRevocationMarkerHidesOlderEntries: a marker hides the entries
// stored before it with its tag, not those stored after, nor entries
// without the tag.
func TestRevocationMarkerHidesOlderEntries(t *testing.T) {
	srv := redistest.Start(t)
	store := newStore(t, srv, redisstore.Config{})
	ctx := t.Context()
	mustSet := func(key string, tags ...string) {
		t.Helper()
		if err := store.Set(ctx, key, []byte("value-"+key), time.Minute, tags); err != nil {
			t.Fatalf("Set(%s) error = %v", key, err)
		}
	}
	get := func(key string) string {
		t.Helper()
		v, err := store.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get(%s) error = %v", key, err)
		}
		return string(v)
	}
	mustSet("a", "all", "sub:1")
	mustSet("b", "all", "sub:2")
	if err := store.Revoke(ctx, "sub:1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := get("a"); got != "" {
		t.Errorf("Get(a) after its tag's revocation = %q, want none", got)
	}
	if got := get("b"); got != "value-b" {
		t.Errorf("Get(b) = %q, want value-b: another tag", got)
	}
	mustSet("c", "all", "sub:1")
	if got := get("c"); got != "value-c" {
		t.Errorf("Get(c) stored after the revocation = %q, want value-c", got)
	}
	if err := store.Revoke(ctx, "all", time.Minute); err != nil {
		t.Fatal(err)
	}
	if get("b") != "" || get("c") != "" {
		t.Error("entries visible after the revocation of the tag all entries carry")
	}
}

func TestEntryBounds(t *testing.T) {
	srv := redistest.Start(t)
	store := newStore(t, srv, redisstore.Config{})
	raw := rawClient(t, srv)
	ctx := t.Context()
	if err := store.Set(ctx, "k", []byte("v"), 1500*time.Millisecond, []string{"all"}); err != nil {
		t.Fatal(err)
	}
	if ttl := raw.PTTL(ctx, "tokengate:i:k").Val(); ttl <= 0 || ttl > 1500*time.Millisecond {
		t.Errorf("PTTL of an entry = %v, want at most its 1.5s", ttl)
	}
	raw.HSet(ctx, "tokengate:i:k", "v", strings.Repeat("x", 1<<20)) // grown by a writer to Redis
	if v, err := store.Get(ctx, "k"); err != nil || v != nil {
		t.Errorf("Get() of a 1 MiB value = %d bytes, %v; want none", len(v), err)
	}
	if err := store.Set(ctx, "big", make([]byte, 1<<20), time.Minute, []string{"all"}); err != nil {
		t.Fatal(err)
	}
	if n := raw.Exists(ctx, "tokengate:i:big").Val(); n != 0 {
		t.Error("a 1 MiB value was stored, want values bounded")
	}
}

func TestLockIsExclusive(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newStore(t, srv, redisstore.Config{}), newStore(t, srv, redisstore.Config{})
	ctx := t.Context()
	unlock, err := a.Lock(ctx, "k", time.Minute)
	if err != nil || unlock == nil {
		t.Fatalf("Lock() = %v, %v; want the lock", unlock != nil, err)
	}
	if u, err := b.Lock(ctx, "k", time.Minute); err != nil || u != nil {
		t.Fatalf("second Lock() = %v, %v; want the lock held by another", u != nil, err)
	}
	unlock()
	u2, err := b.Lock(ctx, "k", time.Minute)
	if err != nil || u2 == nil {
		t.Fatalf("Lock() after unlock = %v, %v; want the lock", u2 != nil, err)
	}
	unlock() // a stale release does not free b's lock
	if u, _ := a.Lock(ctx, "k", time.Minute); u != nil {
		t.Error("an old unlock released another holder's lock")
	}
}

// TestReplicasShareAnswers: a token checked at one replica is a Redis hit
// at another, with no call.
func TestReplicasShareAnswers(t *testing.T) {
	srv := redistest.Start(t)
	iss := newIssuer(t)
	a := newReplica(t, iss, newStore(t, srv, redisstore.Config{}), introspection.Config{})
	b := newReplica(t, iss, newStore(t, srv, redisstore.Config{}), introspection.Config{})
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}})
	for _, in := range []*introspection.Introspector{a, b} {
		c, err := in.Verify(t.Context(), tok)
		if err != nil || c.Subject != issuertest.Alice || len(c.Scopes) != 1 {
			t.Fatalf("Verify() = %+v, %v", c, err)
		}
	}
	if n := introspections(iss, 2); n != 1 {
		t.Errorf("introspection calls = %d, want 1", n)
	}
}
