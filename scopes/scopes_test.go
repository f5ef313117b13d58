package scopes_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/scopes"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{name: "empty", in: "", want: nil},
		{name: "one", in: "orders:read", want: []string{"orders:read"}},
		{name: "several (RFC 6749 §3.3)", in: "openid orders:read orders:write", want: []string{"openid", "orders:read", "orders:write"}},
		{name: "runs of spaces", in: "  a   b ", want: []string{"a", "b"}},
		{name: "duplicates kept once", in: "a b a", want: []string{"a", "b"}},
		{name: "only spaces", in: "   ", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scopes.Parse(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestValid(t *testing.T) {
	for _, s := range []string{"a", "orders:read", "https://api.example.test/read", "!#[]~"} {
		if !scopes.Valid(s) {
			t.Errorf("Valid(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "a b", `a"b`, `a\b`, "é", "a\x00", "a\tb"} {
		if scopes.Valid(s) {
			t.Errorf("Valid(%q) = true, want false (RFC 6749 §3.3 scope-token)", s)
		}
	}
}

func TestCheck(t *testing.T) {
	granted := []string{"orders:read", "read:admin", "profile"}
	tests := []struct {
		name        string
		req         scopes.Requirement
		wantMissing []string // nil: satisfied
	}{
		{name: "zero value requires nothing", req: scopes.Requirement{}},
		{name: "All() requires nothing", req: scopes.All()},
		{name: "All satisfied", req: scopes.All("orders:read", "profile")},
		{name: "All missing one", req: scopes.All("orders:read", "orders:write"), wantMissing: []string{"orders:write"}},
		{name: "All missing two", req: scopes.All("x", "orders:read", "y"), wantMissing: []string{"x", "y"}},
		{name: "Any satisfied by one", req: scopes.Any("orders:write", "orders:read")},
		{name: "Any with none granted", req: scopes.Any("a", "b"), wantMissing: []string{"a", "b"}},
		{name: "exact match only: read:admin does not satisfy admin", req: scopes.All("admin"), wantMissing: []string{"admin"}},
		{name: "exact match only: prefix", req: scopes.All("orders"), wantMissing: []string{"orders"}},
		{name: "case-sensitive", req: scopes.All("Profile"), wantMissing: []string{"Profile"}},
		{name: "AllOf satisfied", req: scopes.AllOf(scopes.All("profile"), scopes.Any("x", "orders:read"))},
		{name: "AllOf one failing", req: scopes.AllOf(scopes.All("profile"), scopes.Any("x", "y")), wantMissing: []string{"x", "y"}},
		{name: "AnyOf one holding", req: scopes.AnyOf(scopes.All("x"), scopes.All("profile"))},
		{name: "AnyOf none holding", req: scopes.AnyOf(scopes.All("x", "profile"), scopes.All("y")), wantMissing: []string{"x", "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Check(granted)
			if tt.wantMissing == nil {
				if err != nil {
					t.Fatalf("Check(%q) error = %v, want nil", granted, err)
				}
				return
			}
			var ise *scopes.InsufficientScopeError
			if !errors.As(err, &ise) {
				t.Fatalf("Check(%q) error = %v, want *InsufficientScopeError", granted, err)
			}
			if !reflect.DeepEqual(ise.Missing, tt.wantMissing) {
				t.Errorf("Missing = %q, want %q", ise.Missing, tt.wantMissing)
			}
			if !reflect.DeepEqual(ise.Required, tt.req.Scopes()) {
				t.Errorf("Required = %q, want %q", ise.Required, tt.req.Scopes())
			}
		})
	}
}

func TestCheckNoGrants(t *testing.T) {
	if err := scopes.All("a").Check(nil); err == nil {
		t.Fatal("All(a).Check(nil) = nil, want an error")
	}
	if err := scopes.All().Check(nil); err != nil {
		t.Fatalf("All().Check(nil) = %v, want nil", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		req     scopes.Requirement
		wantErr bool
	}{
		{name: "fine", req: scopes.AllOf(scopes.All("a"), scopes.Any("b", "c"))},
		{name: "zero", req: scopes.Requirement{}},
		{name: "space in scope", req: scopes.All("a b"), wantErr: true},
		{name: "empty scope", req: scopes.All(""), wantErr: true},
		{name: "quote in scope", req: scopes.Any(`a"`), wantErr: true},
		{name: "empty Any can never hold", req: scopes.Any(), wantErr: true},
		{name: "empty AnyOf can never hold", req: scopes.AnyOf(), wantErr: true},
		{name: "bad nested", req: scopes.AllOf(scopes.All("ok"), scopes.All("not ok")), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.req.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() error = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestScopesAndString(t *testing.T) {
	r := scopes.AllOf(scopes.All("a", "b"), scopes.Any("c", "a"))
	if got, want := r.Scopes(), []string{"a", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Scopes() = %q, want %q", got, want)
	}
	if got, want := r.String(), "(all(a, b) and any(c, a))"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestParseMegabyteIsLinear: a 1 MiB scope string of distinct scopes, as an
// introspection response can carry, parses with every scope once. With a
// quadratic duplicate check this took minutes (a CPU denial of service);
// the deadline only catches that, it measures nothing.
func TestParseMegabyteIsLinear(t *testing.T) {
	var b strings.Builder
	n := 0
	for b.Len() < 1<<20 {
		fmt.Fprintf(&b, "s%d ", n)
		n++
	}
	b.WriteString("s0 s1 s7") // duplicates at the end are dropped
	done := make(chan []string, 1)
	go func() { done <- scopes.Parse(b.String()) }()
	select {
	case got := <-done:
		if len(got) != n || got[0] != "s0" || got[n-1] != fmt.Sprintf("s%d", n-1) {
			t.Fatalf("Parse(1 MiB) = %d scopes (first %q), want %d distinct in order", len(got), got[0], n)
		}
	case <-time.After(time.Minute):
		t.Fatal("Parse(1 MiB of scopes) did not finish within a minute: not linear")
	}
}

// TestParseDedupesPastTheScanLimit: duplicates are dropped the same way
// on both sides of the list length where Parse switches to a map (16).
func TestParseDedupesPastTheScanLimit(t *testing.T) {
	var in []string
	for i := range 3 * 16 {
		in = append(in, fmt.Sprintf("s%d", i%32))
	}
	got := scopes.Parse(strings.Join(in, " "))
	if len(got) != 32 {
		t.Fatalf("Parse() = %d scopes, want %d distinct", len(got), 32)
	}
	for i, s := range got {
		if s != fmt.Sprintf("s%d", i) {
			t.Fatalf("Parse()[%d] = %q, want s%d (first occurrence order)", i, s, i)
		}
	}
}
