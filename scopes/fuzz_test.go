package scopes_test

import (
	"strings"
	"testing"

	"github.com/tokengate/tokengate/scopes"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "a", "a b", "  a  b  ", "read:admin admin", "\x00 \xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := scopes.Parse(s)
		seen := map[string]bool{}
		for _, tok := range got {
			if tok == "" || strings.Contains(tok, " ") || seen[tok] {
				t.Fatalf("Parse(%q) = %q: empty, spaced or repeated token", s, got)
			}
			seen[tok] = true
		}
		// Every granted scope satisfies a requirement naming exactly it, and
		// a requirement naming something not granted is never satisfied.
		for _, tok := range got {
			if err := scopes.All(tok).Check(got); err != nil {
				t.Fatalf("All(%q).Check(%q) = %v", tok, got, err)
			}
		}
		if err := scopes.All(s + "\x01").Check(got); err == nil {
			t.Fatalf("All(%q).Check(%q) = nil", s+"\x01", got)
		}
	})
}
