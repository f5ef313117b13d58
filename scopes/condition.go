package scopes

import (
	"errors"
	"fmt"
)

// A Condition is a requirement on a verified token's claims other than its
// scopes: a role, a claim's value, a recent sign-in. Packages claims and
// stepup make them; [Where] turns one into a [Requirement], so that it
// combines with scope requirements in [AllOf] and [AnyOf] and in the one
// line that protects a route:
//
//	middleware.Require(v, scopes.All("orders:read"), claims.Contains("roles", "orders-admin"))
//
// A program may write its own. A Condition must be safe for concurrent use.
type Condition interface {
	// Check returns nil when claims, the token's claim set as JSON (every
	// claim as received, tokengate.Claims.Raw), meet the condition, and
	// otherwise an error for logs naming the check and the values found
	// and wanted. It must not retain claims.
	Check(claims []byte) error

	// String names what the condition requires, from its configuration
	// alone and never from a token, such as `claim "roles" containing
	// "orders-admin"`. A refusal names it to the client (in the 403's
	// error_description), so it must not hold secrets.
	String() string
}

// Where returns a Requirement that holds when c holds for the token's
// claims. If c has a method Validate() error, [Requirement.Validate] calls
// it, so that a condition built from bad arguments is reported when the
// route is set up.
func Where(c Condition) Requirement {
	return Requirement{op: opAll, cond: c}
}

// errNoClaims is the cause of a condition counted unmet by
// [Requirement.Check], which has no claims to check it against.
var errNoClaims = errors.New("scopes: a condition needs the token's claims: use Requirement.CheckClaims")

func validateCondition(c Condition) error {
	if c == nil {
		return nil
	}
	if v, ok := c.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("scopes: condition %s: %w", c, err)
		}
	}
	return nil
}

// unmet collects what made a requirement fail: the scopes missing and the
// conditions unmet, each once.
type unmet struct {
	scopes []string
	names  []string
	errs   []error
}

func (u *unmet) scope(s string) {
	if !contains(u.scopes, s) {
		u.scopes = append(u.scopes, s)
	}
}

// check checks c and records it when unmet; it reports whether it was.
func (u *unmet) check(c Condition, claims []byte) bool {
	err := errNoClaims
	if claims != nil {
		err = c.Check(claims)
	}
	if err == nil {
		return false
	}
	if name := c.String(); !contains(u.names, name) {
		u.names = append(u.names, name)
		u.errs = append(u.errs, err)
	}
	return true
}

func (u *unmet) add(o *unmet) {
	for _, s := range o.scopes {
		u.scope(s)
	}
	for i, name := range o.names {
		if !contains(u.names, name) {
			u.names = append(u.names, name)
			u.errs = append(u.errs, o.errs[i])
		}
	}
}

func (u *unmet) empty() bool { return len(u.scopes) == 0 && len(u.names) == 0 }

func (u *unmet) error(required []string) error {
	e := &InsufficientScopeError{Required: required, Missing: u.scopes, Unmet: u.names}
	if len(u.errs) > 0 {
		e.Err = errors.Join(u.errs...)
	}
	return e
}
