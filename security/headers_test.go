package security_test

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/verifier"
)

// Header attacks: keys named or carried by the token itself (RFC 8725
// §3.10), critical extensions (RFC 7515 §4.1.11) and hostile "kid" values.

// TestKeyURLsInTheHeaderAreNeverFetched signs with an attacker's key and
// points "jku" and "x5u" at a server that would serve the attacker's key
// set; the server must get no request at all.
func TestKeyURLsInTheHeaderAreNeverFetched(t *testing.T) {
	s := newIssuerSetup(t, nil)
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	evil := newCounter(t, string(jwksDoc(t, rsaJWK("attacker-1", "RS256", &attacker.PublicKey))))
	realKID := s.iss.SigningKeyID()
	tests := []struct {
		name   string
		header map[string]any
		want   want
	}{
		{"jku at the attacker's key set, kid of the issuer's key", hdr("RS256", realKID, "jku", evil.URL+"/jwks.json"), badSignature},
		{"jku at the attacker's key set, the attacker's kid", hdr("RS256", "attacker-1", "jku", evil.URL+"/jwks.json"), invalidToken},
		{"jku without kid", hdr("RS256", "", "jku", evil.URL+"/jwks.json"), invalidToken},
		{"x5u at the attacker's certificate, kid of the issuer's key", hdr("RS256", realKID, "x5u", evil.URL+"/cert.pem"), badSignature},
		{"x5u at the attacker's certificate, the attacker's kid", hdr("RS256", "attacker-1", "x5u", evil.URL+"/cert.pem"), invalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.refuses(t, signWith(t, "RS256", attacker, tt.header, s.claims(nil)), tt.want)
		})
	}
	t.Run("jku on a token the issuer signed is ignored, not fetched", func(t *testing.T) {
		s.accepts(t, s.iss.MintJWT(map[string]any{"jku": evil.URL + "/jwks.json", "x5u": evil.URL + "/cert.pem"}, s.claims(nil)))
	})
	if n := evil.hits.Load(); n != 0 {
		t.Errorf("the attacker's server got %d requests, want 0", n)
	}
}

func TestHeaderAttacks(t *testing.T) {
	f := newFixtureSetup(t, fixture(t, "jwks.json"), nil)
	f.accepts(t, token(t, "valid-rs256"))
	tests := []struct {
		name    string
		fixture string
	}{
		{"embedded jwk of the attacker's key (RFC 8725 §3.10)", "embedded-jwk-of-attacker-key"},
		{"embedded x5c certificate of the attacker's key", "embedded-x5c-of-attacker-key"},
		{"crit naming an unknown extension (RFC 7515 §4.1.11)", "crit-unknown-extension"},
		{"kid with path traversal", "kid-path-traversal"},
		{"kid with quotes (injection)", "kid-quotes"},
		{"kid with CR LF (header injection)", "kid-crlf"},
		{"kid with NUL (C string truncation)", "kid-nul"},
		{"kid as a number", "kid-number"},
		{"kid as an array", "kid-array"},
		{"kid as an object", "kid-object"},
		{"kid as null", "kid-null"},
		{"kid of the real key in another case", "kid-of-real-key-case"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.refuses(t, token(t, tt.fixture), invalidToken)
		})
	}
	// The first unknown kid looks once (it might be a key the issuer just
	// published); the cooldown refuses the rest without a fetch.
	if n := f.keys.hits.Load(); n > 2 {
		t.Errorf("the key set was fetched %d times, want at most twice (at start, and once for the first unknown kid)", n)
	}
}

// TestHugeKIDIsRefusedWithoutAFetch: a 64 KiB kid, signed by the issuer's
// real key, is refused by the size cap; with the cap raised far above it,
// by the kid length limit, and never sent to the key set endpoint.
func TestHugeKIDIsRefusedWithoutAFetch(t *testing.T) {
	const big = 1 << 20
	kid := strings.Repeat("k", 64<<10)
	t.Run("default token size cap", func(t *testing.T) {
		s := newIssuerSetup(t, nil)
		tok := s.iss.MintJWT(map[string]any{"kid": kid}, s.claims(nil))
		c, err := s.v.Verify(t.Context(), tok)
		if c != nil {
			t.Fatal("Verify() accepted a 64 KiB kid")
		}
		wantSentinel(t, "Verify()", err, verifier.ErrMalformedToken)
		wantAnswer(t, s.get(t, "Bearer "+tok), want{verifier.ErrInvalidToken, http.StatusUnauthorized, chTooLarge}, tok)
	})
	t.Run("size cap raised to 1 MiB", func(t *testing.T) {
		s := newIssuerSetup(t, func(c *verifier.Config) { c.MaxTokenBytes = big })
		s.gate = newGate(t, s.v, &middleware.Guard{MaxTokenBytes: big})
		s.clock.Advance(cooldownPassed) // a fetch would be allowed now
		before := s.iss.Requests("jwks")
		s.refuses(t, s.iss.MintJWT(map[string]any{"kid": kid}, s.claims(nil)), invalidToken)
		if n := s.iss.Requests("jwks") - before; n != 0 {
			t.Errorf("a 64 KiB kid caused %d key set fetches, want 0", n)
		}
	})
}
