package verifier_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/verifier"
)

// FuzzMultiVerify feeds arbitrary strings to a Multi of two issuers. It
// must never panic, never contact an issuer a token merely names (only
// the two configured hosts exist), refuse with ErrInvalidToken or
// ErrUnavailable only, and accept only a token one of the issuers' keys
// signed.
func FuzzMultiVerify(f *testing.F) {
	keys(f)
	a := newFakeIssuer(f, testKey{kid: "k1", alg: "RS256", priv: rsaKey})
	b := newFakeIssuer(f, testKey{kid: "k1", alg: "RS256", priv: rsaKey2})
	c := newClock()
	m, err := verifier.NewMulti(verifier.MultiConfig{Issuers: []verifier.Config{
		{Issuer: a.Issuer(), Audience: testAudience, Now: c.Now},
		{Issuer: b.Issuer(), Audience: testAudience, Now: c.Now},
	}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { m.Close() })
	signed := map[string]bool{}
	for _, iss := range []*fakeIssuer{a, b} {
		tok := sign(f, iss.key, nil, accessClaims(iss.Issuer(), c.Now(), nil))
		signed[tok] = true
		f.Add(tok)
		f.Add(sign(f, a.key, nil, accessClaims(iss.Issuer(), c.Now(), map[string]any{"iss": []string{iss.Issuer()}})))
	}
	f.Add(signRaw(f, a.key, `{"iss":"`+a.Issuer()+`","iss":"`+b.Issuer()+`"}`))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := m.Verify(t.Context(), token)
		switch {
		case err == nil && claims == nil:
			t.Fatal("Verify returned neither claims nor an error")
		case err != nil && claims != nil:
			t.Fatal("Verify returned claims and an error")
		case err != nil && !errors.Is(err, verifier.ErrInvalidToken) && !errors.Is(err, verifier.ErrUnavailable):
			t.Fatalf("Verify error %v wraps neither sentinel", err)
		case err == nil && !signed[token]:
			t.Fatalf("Verify accepted a token no issuer signed: %q", token)
		case err != nil && strings.Contains(err.Error(), token) && len(token) > 16:
			t.Fatalf("Verify error %q contains the token", err)
		}
	})
}
