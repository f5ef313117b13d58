package bench

import (
	"strings"
	"testing"
	"time"
)

// TestImplsAcceptTheFixture checks that every verifier compared accepts
// the token each benchmark measures, so that no benchmark times an error.
func TestImplsAcceptTheFixture(t *testing.T) {
	f := getFixture(t)
	for _, im := range impls {
		for _, alg := range algs {
			t.Run(im.name+"/"+alg, func(t *testing.T) {
				verify := im.new(t, f, alg)
				if err := verify(t.Context(), f.tokens[alg]); err != nil {
					t.Errorf("%s: Verify(%s token) error = %v, want nil", im.name, alg, err)
				}
			})
		}
	}
}

// TestImplsRejectWhatTheyMustCheck makes the comparison honest: every
// verifier compared refuses a token that fails one of the checks they are
// all configured for, so none is faster for skipping one.
func TestImplsRejectWhatTheyMustCheck(t *testing.T) {
	f := getFixture(t)
	past := f.now.Add(-2 * time.Hour)
	type forged struct {
		name  string
		token func(alg string) string
	}
	tests := []forged{
		{"wrong audience (RFC 9068 §4)", func(alg string) string {
			return f.sign(alg, f.claims(map[string]any{"aud": "https://other-api.example.test"}))
		}},
		{"wrong issuer", func(alg string) string {
			return f.sign(alg, f.claims(map[string]any{"iss": "https://evil.example.test"}))
		}},
		{"expired", func(alg string) string {
			return f.sign(alg, f.claims(map[string]any{"iat": past.Unix(), "exp": past.Add(time.Hour).Unix()}))
		}},
		{"signature of another token", func(alg string) string {
			good := f.tokens[alg]
			other := f.sign(alg, f.claims(map[string]any{"sub": "admin"}))
			return other[:strings.LastIndexByte(other, '.')] + good[strings.LastIndexByte(good, '.'):]
		}},
		{"alg not in the allow-list (RS512 with the RSA key's kid)", func(string) string {
			k := f.keys["RS256"]
			return signWith(k, map[string]any{"alg": "RS512", "typ": "at+jwt", "kid": k.kid}, f.claims(nil))
		}},
		{"alg none", func(alg string) string {
			tok := f.tokens[alg]
			return b64([]byte(`{"alg":"none","typ":"at+jwt"}`)) + tok[strings.IndexByte(tok, '.'):strings.LastIndexByte(tok, '.')] + "."
		}},
	}
	for _, tt := range tests {
		for _, im := range impls {
			for _, alg := range algs {
				t.Run(tt.name+"/"+im.name+"/"+alg, func(t *testing.T) {
					verify := im.new(t, f, alg)
					if err := verify(t.Context(), tt.token(alg)); err == nil {
						t.Errorf("%s: Verify(%s) error = nil, want a rejection", im.name, tt.name)
					}
				})
			}
		}
	}
}

// TestFreshPoolMissesTokengatesCache keeps the fresh-token benchmarks
// honest about tokengate's cache: the verifier they measure, its cache
// full of filler tokens, gets not one hit from two turns of the fresh
// pool, so every Verify they time is a full check.
func TestFreshPoolMissesTokengatesCache(t *testing.T) {
	f := getFixture(t)
	for _, alg := range algs {
		v := newFreshTokengateJWT(t, f, alg)
		hits := func() uint64 {
			for _, st := range v.CacheStats() {
				if st.Cache == "verified" {
					return st.Hits
				}
			}
			t.Fatal("no verified-token cache stats")
			return 0
		}
		before := hits()
		for range 2 {
			for _, tok := range f.pool(alg) {
				if _, err := v.Verify(t.Context(), tok); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n := hits() - before; n != 0 {
			t.Errorf("%s: %d of %d fresh-pool verifications were cache hits, want 0", alg, n, 2*freshPool)
		}
	}
}
