package verifier_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/verifier"
)

// FuzzVerify feeds arbitrary strings to Verify. It must never panic, must
// return claims or an error but not both, must refuse with ErrInvalidToken
// or ErrUnavailable only, and must accept only a string that the test key
// signed: every token the fuzzer derives from the seeds (a flipped bit, a
// respelled segment, an extra character) has to be refused.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f, nil)
	signed := map[string]bool{}
	sign := func(header, overrides map[string]any) string {
		tok := fx.token(f, header, overrides)
		signed[tok] = true
		return tok
	}
	good := sign(nil, nil)
	parts := strings.Split(good, ".")
	seeds := []string{
		good,
		sign(map[string]any{"typ": "JWT"}, map[string]any{"aud": []string{"x", testAudience}}),
		sign(map[string]any{"kid": nil}, nil),
		sign(nil, map[string]any{"exp": fx.clock.Now().Add(-30 * time.Minute).Unix()}),
		sign(map[string]any{"crit": []string{"x"}}, nil),
		sign(nil, map[string]any{"nonce": "n"}),
		unsigned(f, map[string]any{"alg": "none"}, accessClaims(testIssuer, fx.clock.Now(), nil)),
		parts[0] + "." + parts[1] + ".",
		parts[0] + "." + parts[1],
		good + ".x.y",
		good[:len(good)-1] + "B",
		`{"payload":"` + parts[1] + `","signatures":[]}`,
		"", ".", "..", "a.b.c", "\x00.\xff.\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := fx.v.Verify(t.Context(), token)
		if err == nil {
			if c == nil {
				t.Fatalf("Verify(%q) = nil, nil", token)
			}
			if !signed[token] {
				t.Fatalf("Verify(%q) accepted a string the test key never signed", token)
			}
			return
		}
		if c != nil {
			t.Fatalf("Verify(%q) = %v and error %v: want one", token, c, err)
		}
		invalid, unavailable := errors.Is(err, verifier.ErrInvalidToken), errors.Is(err, verifier.ErrUnavailable)
		if invalid == unavailable {
			t.Fatalf("Verify(%q) error = %v: want exactly one of ErrInvalidToken, ErrUnavailable", token, err)
		}
		if len(token) > 8 && strings.Contains(err.Error(), token) {
			t.Fatalf("Verify(%q) error text contains the token", token)
		}
	})
}

// FuzzVerifyTampered changes one byte of a token the test key signed
// (replaced, inserted or deleted at pos, counted from the end): random strings almost never come
// that close to a valid token, but a near miss is where a lax decoder lets
// a second spelling of a signed token through. Only the signed string
// itself may verify.
func FuzzVerifyTampered(f *testing.F) {
	fx := newFixture(f, nil)
	tokens := []string{
		fx.token(f, nil, nil),
		fx.token(f, map[string]any{"kid": nil}, map[string]any{"aud": []string{"x", testAudience}}),
	}
	for _, seed := range []struct {
		which, op uint8
		pos       uint16
		b         byte
	}{{0, 0, 0, 'e'}, {0, 0, 9999, 'B'}, {1, 1, 40, '.'}, {1, 2, 100, 0}, {0, 1, 9999, '\n'}} {
		f.Add(seed.which, seed.op, seed.pos, seed.b)
	}
	f.Fuzz(func(t *testing.T, which, op uint8, pos uint16, b byte) {
		good := tokens[int(which)%len(tokens)]
		i := len(good) - 1 - int(pos)%len(good) // from the end: the signature's tail is where spellings differ
		var tok string
		switch op % 3 {
		case 0:
			tok = good[:i] + string([]byte{b}) + good[i+1:]
		case 1:
			tok = good[:i] + string([]byte{b}) + good[i:]
		default:
			tok = good[:i] + good[i+1:]
		}
		c, err := fx.v.Verify(t.Context(), tok)
		if tok == good {
			return
		}
		if err == nil || c != nil {
			t.Fatalf("Verify() accepted a signed token with byte %d changed (op %d, %q): %v", i, op%3, b, c)
		}
		if !errors.Is(err, verifier.ErrInvalidToken) {
			t.Fatalf("Verify(tampered token) error = %v, want %v", err, verifier.ErrInvalidToken)
		}
	})
}
