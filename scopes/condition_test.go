package scopes_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/scopes"
)

// hasMember is a Condition that holds when the claims contain a text.
type hasMember string

func (h hasMember) Check(claims []byte) error {
	if bytes.Contains(claims, []byte(h)) {
		return nil
	}
	return errors.New("claims lack " + string(h))
}
func (h hasMember) String() string { return "member " + string(h) }

// badCondition reports itself invalid at setup.
type badCondition struct{ hasMember }

func (badCondition) Validate() error { return errors.New("never met") }

func TestCheckClaims(t *testing.T) {
	granted := []string{"orders:read"}
	claims := []byte(`{"roles":["admin"]}`)
	admin, auditor := scopes.Where(hasMember("admin")), scopes.Where(hasMember("auditor"))
	tests := []struct {
		name        string
		req         scopes.Requirement
		wantMissing []string
		wantUnmet   []string // nil and wantMissing nil: satisfied
	}{
		{"scope and condition held", scopes.AllOf(scopes.All("orders:read"), admin), nil, nil},
		{"condition unmet", scopes.AllOf(scopes.All("orders:read"), auditor), nil, []string{"member auditor"}},
		{"both unmet, each named", scopes.AllOf(scopes.All("orders:write"), auditor), []string{"orders:write"}, []string{"member auditor"}},
		{"AnyOf: the condition is enough", scopes.AnyOf(scopes.All("orders:write"), admin), nil, nil},
		{"AnyOf: the scope is enough", scopes.AnyOf(scopes.All("orders:read"), auditor), nil, nil},
		{"AnyOf: neither, both named", scopes.AnyOf(scopes.All("orders:write"), auditor), []string{"orders:write"}, []string{"member auditor"}},
		{"the same condition twice is named once", scopes.AllOf(auditor, auditor), nil, []string{"member auditor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.CheckClaims(granted, claims)
			if tt.wantMissing == nil && tt.wantUnmet == nil {
				if err != nil {
					t.Fatalf("CheckClaims() error = %v, want nil", err)
				}
				return
			}
			var se *scopes.InsufficientScopeError
			if !errors.As(err, &se) {
				t.Fatalf("CheckClaims() error = %v, want *InsufficientScopeError", err)
			}
			if !reflect.DeepEqual(se.Missing, tt.wantMissing) || !reflect.DeepEqual(se.Unmet, tt.wantUnmet) {
				t.Errorf("Missing, Unmet = %q, %q; want %q, %q", se.Missing, se.Unmet, tt.wantMissing, tt.wantUnmet)
			}
			if tt.wantUnmet != nil && !strings.Contains(err.Error(), "claims lack auditor") {
				t.Errorf("Error() = %q, want it to carry the condition's own error", err)
			}
		})
	}
}

// TestCheckWithoutClaimsFailsClosed: Check, which has no claims, counts a
// condition unmet rather than skipping it.
func TestCheckWithoutClaimsFailsClosed(t *testing.T) {
	req := scopes.AllOf(scopes.All("orders:read"), scopes.Where(hasMember("admin")))
	var se *scopes.InsufficientScopeError
	if err := req.Check([]string{"orders:read"}); !errors.As(err, &se) || len(se.Unmet) != 1 {
		t.Fatalf("Check() error = %v, want the condition unmet", err)
	}
	if err := req.CheckClaims([]string{"orders:read"}, nil); err == nil {
		t.Fatal("CheckClaims(nil claims) = nil, want the condition unmet")
	}
}

func TestConditionValidateAndString(t *testing.T) {
	if err := scopes.AllOf(scopes.All("a"), scopes.Where(badCondition{"x"})).Validate(); err == nil || !strings.Contains(err.Error(), "never met") {
		t.Errorf("Validate() error = %v, want the condition's own", err)
	}
	if err := scopes.AnyOf(scopes.Where(hasMember("x"))).Validate(); err != nil {
		t.Errorf("Validate(AnyOf(condition)) error = %v, want nil", err)
	}
	got := scopes.AllOf(scopes.All("a"), scopes.Where(hasMember("x"))).String()
	if got != "(all(a) and member x)" {
		t.Errorf("String() = %q", got)
	}
	if s := scopes.AllOf(scopes.All("a"), scopes.Where(hasMember("x"))).Scopes(); !reflect.DeepEqual(s, []string{"a"}) {
		t.Errorf("Scopes() = %q, want only the scopes", s)
	}
}
