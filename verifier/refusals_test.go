package verifier_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/verifier"
)

// TestRefusalsNameTheCheckAndBothValues: every refusal says which check
// failed and, where the check compares, what the token had and what was
// wanted, quoted and truncated; no message contains the token.
func TestRefusalsNameTheCheckAndBothValues(t *testing.T) {
	f := newFixture(t, nil)
	now := f.clock.Now()
	long := strings.Repeat("x", 200) + "\n"
	tests := []struct {
		name     string
		header   map[string]any
		claims   map[string]any
		sentinel error
		contains []string
	}{
		{"wrong issuer", nil, map[string]any{"iss": "https://other.example.test"}, verifier.ErrWrongIssuer,
			[]string{`"iss" is "https://other.example.test"`, `want "` + testIssuer + `"`}},
		{"wrong audience", nil, map[string]any{"aud": []string{"api-a", "api-b"}}, verifier.ErrWrongAudience,
			[]string{`"aud" is ["api-a", "api-b"]`, `want "` + testAudience + `"`}},
		{"expired", nil, map[string]any{"exp": now.Add(-time.Hour).Unix()}, verifier.ErrTokenExpired,
			[]string{`"exp" ` + now.Add(-time.Hour).UTC().Format(time.RFC3339), "it is " + now.UTC().Format(time.RFC3339), "leeway 30s"}},
		{"not yet valid", nil, map[string]any{"nbf": now.Add(time.Hour).Unix()}, verifier.ErrNotYetValid,
			[]string{`"nbf" ` + now.Add(time.Hour).UTC().Format(time.RFC3339), "it is " + now.UTC().Format(time.RFC3339)}},
		{"issued in the future", nil, map[string]any{"iat": now.Add(time.Hour).Unix()}, verifier.ErrNotYetValid,
			[]string{`"iat" ` + now.Add(time.Hour).UTC().Format(time.RFC3339)}},
		{"typ of another kind", map[string]any{"typ": "dpop+jwt"}, nil, verifier.ErrNotAccessToken,
			[]string{`"typ" is "dpop+jwt"`, `want "at+jwt"`}},
		{"long issuer truncated", nil, map[string]any{"iss": long}, verifier.ErrWrongIssuer,
			[]string{`"` + strings.Repeat("x", 80) + `"...`}},
		{"control characters escaped", nil, map[string]any{"iss": "evil\r\nSet-Cookie: x"}, verifier.ErrWrongIssuer,
			[]string{`"evil\r\nSet-Cookie: x"`}},
		{"unknown kid names the kids held", map[string]any{"kid": "nope"}, nil, verifier.ErrInvalidToken,
			[]string{`kid "nope"`, `"rsa-1"`}},
		{"sender-constrained", nil, map[string]any{"cnf": map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}, verifier.ErrSenderConstrained,
			[]string{`"cnf"."jkt" "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"`, "want none", "bearer token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := sign(t, f.rsa, tt.header, accessClaims(testIssuer, now, tt.claims))
			_, err := f.v.Verify(t.Context(), tok)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("Verify() error = %v, want %v", err, tt.sentinel)
			}
			msg := err.Error()
			for _, want := range tt.contains {
				if !strings.Contains(msg, want) {
					t.Errorf("Verify() error = %q, want it to contain %q", msg, want)
				}
			}
			if strings.Contains(msg, tok) || strings.Contains(msg, strings.Split(tok, ".")[2]) || strings.Contains(msg, "\r") {
				t.Errorf("Verify() error %q contains the token or a raw control character", msg)
			}
		})
	}
	t.Run("algorithm not allowed names it and the allow-list", func(t *testing.T) {
		tok := unsigned(t, map[string]any{"kid": "rsa-1"}, accessClaims(testIssuer, now, nil))
		_, err := f.v.Verify(t.Context(), tok)
		if !errors.Is(err, verifier.ErrAlgorithmNotAllowed) || !strings.Contains(err.Error(), `"alg" is "none"`) || !strings.Contains(err.Error(), "RS256") {
			t.Errorf("Verify(alg none) error = %v, want ErrAlgorithmNotAllowed naming \"none\" and the allow-list", err)
		}
	})
}

// TestSenderConstrainedTokenRefusedAsBearer: a token bound to a DPoP key
// (RFC 9449 §7.1, §7.2) or to a TLS client certificate (RFC 8705 §3) is
// useless to a thief only if the binding is checked; a verifier that cannot
// check it must refuse the token rather than accept it as a bearer token.
func TestSenderConstrainedTokenRefusedAsBearer(t *testing.T) {
	f := newFixture(t, nil)
	for _, cnf := range []map[string]any{
		{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},      // RFC 9449 §6.1
		{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}, // RFC 8705 §3.1
	} {
		tok := sign(t, f.rsa, nil, accessClaims(testIssuer, f.clock.Now(), map[string]any{"cnf": cnf}))
		if _, err := f.v.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrSenderConstrained) || !errors.Is(err, verifier.ErrInvalidToken) {
			t.Errorf("Verify(cnf %v) error = %v, want ErrSenderConstrained (an ErrInvalidToken)", cnf, err)
		}
	}
	tok := sign(t, f.rsa, nil, accessClaims(testIssuer, f.clock.Now(), map[string]any{"cnf": nil}))
	if _, err := f.v.Verify(t.Context(), tok); err != nil {
		t.Errorf("Verify(no cnf) error = %v", err)
	}
}

// TestSegmentsWithLineBreaksRefused: Go's base64 decoders skip CR and LF,
// which RFC 7515 §2 and §5.2 do not allow in a compact JWS: a header or
// payload with a line break inside is another spelling of a signed token,
// and is refused like a respelled signature.
func TestSegmentsWithLineBreaksRefused(t *testing.T) {
	f := newFixture(t, nil)
	parts := strings.Split(f.token(t, nil, nil), ".")
	// signed signs the segments as they are, line breaks and all, as an
	// issuer (or a forger holding its key) could.
	signed := func(head, payload string) string {
		sig, err := jwt.SigningMethodRS256.Sign(head+"."+payload, rsaKey)
		if err != nil {
			t.Fatal(err)
		}
		return head + "." + payload + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	if _, err := f.v.Verify(t.Context(), signed(parts[0], parts[1])); err != nil {
		t.Fatalf("Verify(canonical) error = %v", err)
	}
	for _, nl := range []string{"\n", "\r", "\r\n"} {
		for i := range 2 {
			p := append([]string(nil), parts[:2]...)
			p[i] = p[i][:5] + nl + p[i][5:]
			if _, err := f.v.Verify(t.Context(), signed(p[0], p[1])); !errors.Is(err, verifier.ErrMalformedToken) {
				t.Errorf("Verify(segment %d with %q) error = %v, want ErrMalformedToken", i, nl, err)
			}
		}
	}
	// Padding is not the canonical encoding either (RFC 7515 §2).
	for i := range 2 {
		p := append([]string(nil), parts[:2]...)
		p[i] = base64.URLEncoding.EncodeToString(mustDecode(t, p[i]))
		if !strings.HasSuffix(p[i], "=") {
			p[i] += "=="
		}
		if _, err := f.v.Verify(t.Context(), signed(p[0], p[1])); !errors.Is(err, verifier.ErrMalformedToken) {
			t.Errorf("Verify(padded segment %d) error = %v, want ErrMalformedToken", i, err)
		}
	}
}

func mustDecode(t testing.TB, seg string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRotationUnderLoadRightAfterStart: the done-when of the key-rotation
// issue. The issuer rotates a second after the verifier started and signs
// with the new key at once (ORY Hydra, node-oidc-provider); 64 concurrent
// clients then send tokens of the new key. No request is refused, and the
// key set is fetched exactly once more.
func TestRotationUnderLoadRightAfterStart(t *testing.T) {
	clock := issuertest.NewClock(time.Now())
	iss := issuertest.NewServer(issuertest.WithClock(clock.Now))
	defer iss.Close()
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	before := iss.Requests(issuertest.EndpointJWKS)
	clock.Advance(time.Second)
	iss.RotateKey()
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})

	var refused atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 64 {
		wg.Go(func() {
			<-start
			for range 20 {
				if _, err := v.Verify(context.Background(), tok); err != nil {
					refused.Add(1)
					t.Logf("Verify() error = %v", err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if n := refused.Load(); n != 0 {
		t.Errorf("%d of 1280 requests refused after the rotation, want 0", n)
	}
	if got := iss.Requests(issuertest.EndpointJWKS) - before; got != 1 {
		t.Errorf("the rotation caused %d key set fetches, want exactly 1", got)
	}
}

// TestNoLeeway: a zero Leeway is the 30s default; NoLeeway tolerates no
// skew at all, so a token one second past "exp" is refused.
func TestNoLeeway(t *testing.T) {
	for _, tt := range []struct {
		name   string
		leeway time.Duration
		wantOK bool
	}{
		{"zero is the default 30s", 0, true},
		{"NoLeeway", verifier.NoLeeway, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *verifier.Config) { c.Leeway = tt.leeway })
			tok := f.token(t, nil, map[string]any{"exp": f.clock.Now().Add(-time.Second).Unix()})
			_, err := f.v.Verify(t.Context(), tok)
			if (err == nil) != tt.wantOK {
				t.Errorf("Verify(exp 1s ago) error = %v, want accepted %v", err, tt.wantOK)
			}
		})
	}
}
