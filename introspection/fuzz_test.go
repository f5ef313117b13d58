package introspection

import (
	"errors"
	"testing"
	"time"

	"github.com/tokengate/tokengate/verifier"
)

// FuzzInterpret feeds arbitrary response bodies to the response check: it
// must never panic, must return claims or an error but not both, must
// classify every error, and must accept only a body whose "active" is the
// JSON boolean true.
func FuzzInterpret(f *testing.F) {
	for _, seed := range []string{
		`{"active":true}`, `{"active":false}`, `{"active":"true"}`, `{}`, `null`, `[]`, ``,
		`{"active":true,"exp":1e400,"nbf":-1e400,"aud":[1]}`,
		`{"active":true,"token_type":"refresh_token"}`,
		`{"active":true,"token_use":"refresh_token","aud":["https://api.test"]}`,
		`{"active":true,"token_use":1}`, `{"active":true,"cnf":{"jkt":"x"}}`, `{"active":true,"cnf":null}`,
		`{"active":true,"scope":"a b","scp":["c"],"aud":["x","y"],"iss":"https://issuer.test"}`,
	} {
		f.Add([]byte(seed))
	}
	in := &Introspector{cfg: Config{Leeway: 30 * time.Second, Issuer: "https://issuer.test", Audience: "https://api.test"}}
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		v := in.interpret(body, now, quoter{token: "fuzz-token"})
		switch {
		case (v.claims == nil) == (v.err == nil):
			t.Fatalf("interpret(%q) = claims %v, error %v: want exactly one", body, v.claims, v.err)
		case v.err != nil && !errors.Is(v.err, verifier.ErrInvalidToken) && !errors.Is(v.err, verifier.ErrUnavailable):
			t.Fatalf("interpret(%q) error = %v: neither ErrInvalidToken nor ErrUnavailable", body, v.err)
		case v.final && errors.Is(v.err, verifier.ErrUnavailable):
			t.Fatalf("interpret(%q) marks a server fault as cacheable", body)
		case v.trips && !errors.Is(v.err, verifier.ErrUnavailable):
			t.Fatalf("interpret(%q) lets a refusal trip the breaker", body)
		}
	})
}

// FuzzCheckSyntax checks that every accepted token is a b64token.
func FuzzCheckSyntax(f *testing.F) {
	for _, seed := range []string{"abc", "a+/=", "==", "a=b", "a b", "", "\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		if checkSyntax(token, 64) != nil {
			return
		}
		if token == "" || len(token) > 64 || token[0] == '=' {
			t.Fatalf("checkSyntax(%q) accepted it", token)
		}
		seenPad := false
		for i := 0; i < len(token); i++ {
			c := token[i]
			switch {
			case c == '=':
				seenPad = true
			case seenPad || !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'):
				t.Fatalf("checkSyntax(%q) accepted byte %q at %d", token, c, i)
			}
		}
	})
}
