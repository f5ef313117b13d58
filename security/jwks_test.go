package security_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tokengate/tokengate/verifier"
)

// Key set attacks and faults (RFC 7517 §4.2, §5; RFC 8725 §3.5; the
// refresh policy of jwkscache/doc.go): the verifier must never wait without
// bound, fetch without bound, read without bound, or forget good keys
// because the issuer answered badly.

// withKID returns token with its header replaced by one naming kid; the
// signature no longer matters, as the key lookup comes first.
func withKID(t testing.TB, token, kid string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	return b64(mustJSON(t, hdr("RS256", kid))) + "." + parts[1] + "." + parts[2]
}

func TestRandomKIDFloodIsBounded(t *testing.T) {
	f := newFixtureSetup(t, fixture(t, "jwks.json"), nil)
	valid := token(t, "valid-rs256")
	f.clock.Advance(cooldownPassed) // the first unknown kid may fetch once
	var wg sync.WaitGroup
	errs := make(chan string, 1000)
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				tok := withKID(t, valid, fmt.Sprintf("random-%d-%d", g, i))
				if a := f.get(t, "Bearer "+tok); a.status != http.StatusUnauthorized || a.challenge != chInvalid {
					errs <- fmt.Sprintf("random kid: %d %q", a.status, a.challenge)
				}
				if i%5 == 0 {
					if a := f.get(t, "Bearer "+valid); a.status != http.StatusOK {
						errs <- fmt.Sprintf("valid token during the flood: %d", a.status)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := f.keys.hits.Load(); n > 2 {
		t.Errorf("500 random kids caused %d key set fetches (1 at start), want at most 1 more per cooldown", n-1)
	}
	_, err := f.v.Verify(t.Context(), withKID(t, valid, "one-more"))
	wantSentinel(t, "Verify(unknown kid)", err, verifier.ErrInvalidToken)
}

// TestUnresponsiveKeySetEndpoint: a slow (slower than the fetch timeout)
// or hanging endpoint costs at most one bounded fetch; with nothing cached
// the answer is 503, never 401; with keys cached they keep working.
func TestUnresponsiveKeySetEndpoint(t *testing.T) {
	valid := token(t, "valid-rs256")
	for _, mode := range []string{"hanging", "endless body", "oversized body"} {
		t.Run(mode+", nothing cached: 503", func(t *testing.T) {
			if mode == "hanging" {
				skipWaitInShort(t)
			}
			keys := newDocServer(t, fixture(t, "jwks.json"))
			misbehave(keys, mode)
			f := newFixtureSetupOn(t, keys, withShortFetch)
			f.refuses(t, valid, unavailable)
			f.clock.Advance(cooldownPassed) // now a request may wait for one fetch
			f.refuses(t, valid, unavailable)
		})
		t.Run(mode+" after a good fetch: old keys keep working", func(t *testing.T) {
			if mode == "hanging" {
				skipWaitInShort(t)
			}
			f := newFixtureSetup(t, fixture(t, "jwks.json"), withShortFetch)
			misbehave(f.keys, mode)
			if err := f.cache.Refresh(t.Context()); err == nil {
				t.Error("Refresh() of a misbehaving endpoint = nil, want an error")
			}
			f.accepts(t, valid)
			// A kid the held set lacks could be a key published since:
			// with the refresh failing it cannot be checked (503), which
			// tells the client to retry rather than to drop its token.
			f.refuses(t, withKID(t, valid, "rotated"), unavailable)
		})
	}
}

// withShortFetch makes key set fetches give up after shortTimeout.
func withShortFetch(c *verifier.Config) { c.KeyPolicy.Timeout = shortTimeout }

func misbehave(s *docServer, mode string) {
	switch mode {
	case "hanging":
		s.setHang()
	case "endless body":
		s.setEndless()
	case "oversized body":
		// A good key set padded past the 1 MiB limit: only the limit
		// refuses it.
		good := strings.TrimSuffix(strings.TrimSpace(string(s.good)), "}")
		s.set(good + `,"padding":"` + strings.Repeat("A", 2<<20) + `"}`)
	}
}

// TestBadKeySetAfterAGoodFetch: an empty set or garbage leaves the last
// good set in place (RFC 5861 §4 stale-if-error), so an attacker who can
// disturb the endpoint cannot make good tokens fail.
func TestBadKeySetAfterAGoodFetch(t *testing.T) {
	for _, doc := range []string{"jwks-empty.json", "jwks-garbage.json"} {
		t.Run(doc, func(t *testing.T) {
			f := newFixtureSetup(t, fixture(t, "jwks.json"), nil)
			f.keys.set(fixture(t, doc))
			if err := f.cache.Refresh(t.Context()); err == nil {
				t.Fatalf("Refresh() with %s = nil, want an error", doc)
			}
			f.accepts(t, token(t, "valid-rs256"))
			f.accepts(t, token(t, "valid-es256"))
			if st := f.cache.Status(); !slices.Equal(st.KIDs, []string{"ec-1", "rsa-1"}) || st.LastError == nil {
				t.Errorf("Status() = KIDs %q, LastError %v; want the old kids and the error", st.KIDs, st.LastError)
			}
		})
	}
}

// TestUnfitKeysInTheSetAreNeverUsed: a key set may hold keys no verifier
// should use; tokens signed with them are refused while the good keys of
// the same set keep working.
func TestUnfitKeysInTheSetAreNeverUsed(t *testing.T) {
	tests := []struct {
		name, jwks, token, kid string
		mod                    func(*verifier.Config)
		want                   want
	}{
		{"symmetric oct key in a public set: a published secret", "jwks-with-oct-key.json", "hs256-signed-with-oct-key", "hmac-1", nil, algNotAllowed},
		{"oct key, HS256 allowed with a secret of our own", "jwks-with-oct-key.json", "hs256-signed-with-oct-key", "hmac-1", func(c *verifier.Config) {
			c.Algorithms, c.HMACSecret = []string{"RS256", "HS256"}, []byte(strings.Repeat("s", 32))
		}, badSignature},
		{"key with use enc (RFC 7517 §4.2)", "jwks-with-enc-key.json", "signed-with-enc-key", "enc-1", nil, invalidToken},
		{"RSA key under 2048 bits (RFC 7518 §3.3)", "jwks-with-1024-bit-key.json", "signed-with-1024-bit-key", "weak-1", nil, invalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureSetup(t, fixture(t, tt.jwks), tt.mod)
			f.accepts(t, token(t, "valid-rs256"))
			f.refuses(t, token(t, tt.token), tt.want)
			st := f.cache.Status()
			if slices.Contains(st.KIDs, tt.kid) || len(st.Skipped) == 0 {
				t.Errorf("Status() = KIDs %q, Skipped %q; want %s skipped", st.KIDs, st.Skipped, tt.kid)
			}
		})
	}
}
