package scopes_test

import (
	"slices"
	"testing"

	"github.com/tokengate/tokengate/scopes"
)

// TestAppendParseAppendsWhatParseReturns: AppendParse adds to dst the
// scopes Parse returns, removing duplicates only among those it adds, and
// with room in dst allocates nothing.
func TestAppendParseAppendsWhatParseReturns(t *testing.T) {
	for _, s := range []string{"", "  ", "a", "a b  a c", " x y z "} {
		dst := append(make([]string, 0, 8), "a", "kept")
		got := scopes.AppendParse(dst, s)
		if want := append([]string{"a", "kept"}, scopes.Parse(s)...); !slices.Equal(got, want) {
			t.Errorf("AppendParse([a kept], %q) = %q, want %q", s, got, want)
		}
	}
	var buf [4]string
	if n := testing.AllocsPerRun(100, func() { scopes.AppendParse(buf[:0], "orders:read orders:write") }); n != 0 {
		t.Errorf("AppendParse with room allocates %v times, want 0", n)
	}
}
