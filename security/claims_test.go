package security_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/issuertest"
)

// Claim attacks (RFC 7519 §4.1, RFC 9068 §4, RFC 8725 §3.8, §3.9): tokens
// signed by the issuer's real key, through issuertest, so that only the
// claim check under test can refuse them. The verifier's leeway is the
// default 30s.

const leeway = 30 * time.Second

func TestClaimAttacks(t *testing.T) {
	s := newIssuerSetup(t, nil)
	now := s.clock.Now()
	s.accepts(t, s.iss.MintJWT(nil, s.claims(nil)))
	tests := []struct {
		name    string
		changes map[string]any
		want    want
	}{
		{"exp missing (RFC 9068 §2.2: required)", map[string]any{"exp": nil}, invalidToken},
		{"exp an hour ago: a replayed token", map[string]any{"exp": now.Add(-time.Hour).Unix()}, expired},
		{"exp equal to now once the leeway is counted (RFC 7519 §4.1.4: on or after)", map[string]any{"exp": now.Add(-leeway).Unix()}, expired},
		{"exp one second beyond the leeway", map[string]any{"exp": now.Add(-leeway - time.Second).Unix()}, expired},
		{"exp as a string", map[string]any{"exp": "9999999999"}, malformedToken},
		{"exp as null", map[string]any{"exp": json.RawMessage("null")}, invalidToken},
		{"exp hugely negative", map[string]any{"exp": -1e300}, expired},
		{"nbf in the future beyond the leeway (RFC 7519 §4.1.5)", map[string]any{"nbf": now.Add(leeway + time.Second).Unix()}, notYetValid},
		{"iat in the future beyond the leeway", map[string]any{"iat": now.Add(leeway + time.Second).Unix()}, notYetValid},
		{"iss of another issuer (RFC 9068 §4)", map[string]any{"iss": issuertest.WrongIssuer}, wrongIssuer},
		{"iss with a trailing slash", map[string]any{"iss": s.iss.URL + "/"}, wrongIssuer},
		{"iss differing in case", map[string]any{"iss": strings.ToUpper(s.iss.URL)}, wrongIssuer},
		{"iss missing", map[string]any{"iss": nil}, wrongIssuer},
		{"aud missing (RFC 9068 §4)", map[string]any{"aud": nil}, wrongAudience},
		{"aud of another API", map[string]any{"aud": issuertest.WrongAudience}, wrongAudience},
		{"aud an array without us", map[string]any{"aud": []string{issuertest.WrongAudience, "https://third.example.test"}}, wrongAudience},
		{"aud a number", map[string]any{"aud": 42}, malformedToken},
		{"aud an array holding a number", map[string]any{"aud": []any{42}}, malformedToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.refuses(t, s.iss.MintJWT(nil, s.claims(tt.changes)), tt.want)
		})
	}
}

// TestClaimBoundariesAccepted are the edges that must still pass, so that
// the refusals above are about the attack and not an off-by-one.
func TestClaimBoundariesAccepted(t *testing.T) {
	s := newIssuerSetup(t, nil)
	now := s.clock.Now()
	tests := []struct {
		name    string
		changes map[string]any
	}{
		{"exp equal to now, inside the leeway", map[string]any{"exp": now.Unix()}},
		{"exp one second inside the leeway", map[string]any{"exp": now.Add(-leeway + time.Second).Unix()}},
		{"exp huge: clamped, never wrapped into the past", map[string]any{"exp": 1e300}},
		{"nbf at the edge of the leeway", map[string]any{"nbf": now.Add(leeway).Unix()}},
		{"aud an array with us", map[string]any{"aud": []string{issuertest.WrongAudience, s.iss.Audience()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.accepts(t, s.iss.MintJWT(nil, s.claims(tt.changes)))
		})
	}
}

// TestExpiredTokenWithBadSignatureReportsTheSignature: the signature is
// checked before any claim is believed (CVE-2024-51744), so a forged,
// expired token is reported as badly signed, never as merely expired (which
// would tell a client to refresh, and an attacker that the forgery passed).
func TestExpiredTokenWithBadSignatureReportsTheSignature(t *testing.T) {
	s := newIssuerSetup(t, nil)
	tok := s.iss.ExpiredToken(issuertest.TokenRequest{Subject: issuertest.Alice})
	parts := strings.Split(tok, ".")
	forged := parts[0] + "." + parts[1] + "." + b64(make([]byte, 256))
	_, err := s.v.Verify(t.Context(), forged)
	if !errors.Is(err, jwt.ErrTokenSignatureInvalid) || errors.Is(err, jwt.ErrTokenExpired) {
		t.Fatalf("Verify() error = %v, want a signature error and not an expiry", err)
	}
	s.refuses(t, forged, badSignature)
	s.refuses(t, tok, expired) // the genuine token is expired
}
