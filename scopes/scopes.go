// Package scopes parses the scopes granted in a token and checks them
// against what a route requires.
//
// Granted scopes arrive as the space-delimited "scope" claim (RFC 6749
// §3.3, RFC 9068 §2.2.3) or as the "scp" claim some providers issue; [Parse]
// splits the former. A [Requirement] is built once, when routes are set up,
// with [All], [Any], [AllOf] and [AnyOf], and checked per request with
// [Requirement.Check]:
//
//	orders := scopes.All("orders:read")
//	if err := orders.Check(claims.Scopes); err != nil {
//		// err is an *InsufficientScopeError naming the missing scopes.
//	}
//
// Matching is exact and case-sensitive (RFC 6749 §3.3): "read:admin" never
// satisfies "admin", and there are no wildcards or hierarchies.
package scopes

import (
	"fmt"
	"slices"
	"strings"
)

// Parse splits a space-delimited scope string into its scope tokens
// (RFC 6749 §3.3). Runs of spaces are tolerated and duplicates are kept once;
// the result is nil for an empty string.
func Parse(s string) []string {
	if strings.TrimLeft(s, " ") == "" {
		return nil
	}
	return AppendParse(make([]string, 0, strings.Count(s, " ")+1), s)
}

// AppendParse appends the scope tokens of s to dst, as Parse splits them
// (duplicates among them kept once), and returns the extended slice: a
// caller with room in dst parses without allocating.
func AppendParse(dst []string, s string) []string {
	start := len(dst)
	out := dst
	var seen map[string]struct{} // built once the list outgrows a scan
	for len(s) > 0 {
		i := strings.IndexByte(s, ' ')
		var tok string
		if i < 0 {
			tok, s = s, ""
		} else {
			tok, s = s[:i], s[i+1:]
		}
		if tok == "" {
			continue
		}
		if seen == nil && len(out)-start == scanLimit {
			seen = make(map[string]struct{}, cap(out)-start)
			for _, v := range out[start:] {
				seen[v] = struct{}{}
			}
		}
		if seen != nil {
			if _, dup := seen[tok]; dup {
				continue
			}
			seen[tok] = struct{}{}
		} else if slices.Contains(out[start:], tok) {
			continue
		}
		out = append(out, tok)
	}
	return out
}

// scanLimit is the list length up to which Parse finds duplicates by a
// scan, which for the few scopes of a real token is cheaper than a map;
// past it a map keeps the parse linear in the length of s, so a megabyte
// of scopes from an introspection response costs milliseconds, not
// minutes.
const scanLimit = 16

// Valid reports whether s is a well-formed scope token: one or more
// characters from %x21 / %x23-5B / %x5D-7E (RFC 6749 §3.3), so no space,
// double quote or backslash.
func Valid(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

type op uint8

const (
	opAll op = iota // every scope and every sub-requirement must hold
	opAny           // at least one scope or sub-requirement must hold
)

// Requirement is a condition on the scopes a token grants. The zero value
// requires nothing. Requirements are immutable and safe for concurrent use.
type Requirement struct {
	op     op
	scopes []string
	subs   []Requirement
	cond   Condition // from Where: a requirement on claims other than scopes
}

// All returns a Requirement that holds when every one of scopes is granted.
// All() with no scopes requires nothing.
func All(scopes ...string) Requirement {
	return Requirement{op: opAll, scopes: dedupe(scopes)}
}

// Any returns a Requirement that holds when at least one of scopes is
// granted. Any() with no scopes can never hold; [Requirement.Validate]
// reports it.
func Any(scopes ...string) Requirement {
	return Requirement{op: opAny, scopes: dedupe(scopes)}
}

// AllOf returns a Requirement that holds when every one of reqs holds.
func AllOf(reqs ...Requirement) Requirement {
	return Requirement{op: opAll, subs: append([]Requirement(nil), reqs...)}
}

// AnyOf returns a Requirement that holds when at least one of reqs holds.
// AnyOf() with no requirements can never hold.
func AnyOf(reqs ...Requirement) Requirement {
	return Requirement{op: opAny, subs: append([]Requirement(nil), reqs...)}
}

func dedupe(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Validate reports a requirement that names a malformed scope token or that
// can never hold (an empty [Any] or [AnyOf]). Middleware calls it once, when
// a route is set up.
func (r Requirement) Validate() error {
	if err := validateCondition(r.cond); err != nil {
		return err
	}
	for _, s := range r.scopes {
		if !Valid(s) {
			return fmt.Errorf("scopes: %q is not a valid scope token (RFC 6749 §3.3)", s)
		}
	}
	if r.op == opAny && len(r.scopes) == 0 && len(r.subs) == 0 && r.cond == nil {
		return fmt.Errorf("scopes: Any or AnyOf with nothing to choose from can never be satisfied")
	}
	for _, s := range r.subs {
		if err := s.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Scopes returns every scope r names, each once, in the order written. It is
// the value of the "scope" attribute of an insufficient_scope challenge
// (RFC 6750 §3).
func (r Requirement) Scopes() []string {
	var out []string
	r.collect(&out)
	return out
}

func (r Requirement) collect(out *[]string) {
	for _, s := range r.scopes {
		if !contains(*out, s) {
			*out = append(*out, s)
		}
	}
	for _, s := range r.subs {
		s.collect(out)
	}
}

// Check returns nil when granted satisfies r, and otherwise an
// *[InsufficientScopeError] whose Missing field lists the scopes that, had
// they been granted, were needed. A requirement with conditions ([Where])
// needs the token's claims: Check counts every condition as unmet, so use
// [Requirement.CheckClaims] for those.
func (r Requirement) Check(granted []string) error {
	return r.CheckClaims(granted, nil)
}

// CheckClaims is [Requirement.Check] for a requirement that may hold
// conditions on other claims: claims is the token's claim set as JSON
// (tokengate.Claims.Raw). It returns nil when both the scopes and the
// conditions are satisfied, and otherwise an *[InsufficientScopeError]
// naming the scopes missing and the conditions unmet.
func (r Requirement) CheckClaims(granted []string, claims []byte) error {
	var u unmet
	if r.eval(granted, claims, &u) {
		return nil
	}
	return u.error(r.Scopes())
}

// eval reports whether r holds for granted and claims and, when it does
// not, adds to u what made it fail.
func (r Requirement) eval(granted []string, claims []byte, u *unmet) bool {
	var failed unmet
	if r.op == opAll {
		for _, s := range r.scopes {
			if !contains(granted, s) {
				failed.scope(s)
			}
		}
		if r.cond != nil {
			failed.check(r.cond, claims)
		}
		for _, sub := range r.subs {
			sub.eval(granted, claims, &failed)
		}
		u.add(&failed)
		return failed.empty()
	}
	for _, s := range r.scopes {
		if contains(granted, s) {
			return true
		}
		failed.scope(s)
	}
	if r.cond != nil && !failed.check(r.cond, claims) {
		return true
	}
	for _, sub := range r.subs {
		if sub.eval(granted, claims, &failed) {
			return true
		}
	}
	u.add(&failed)
	return false
}

// String renders r for logs and error messages, for example
// `all(orders:read) and any(admin, support)`.
func (r Requirement) String() string {
	var parts []string
	if r.cond != nil {
		parts = append(parts, r.cond.String())
	}
	if len(r.scopes) > 0 || len(r.subs) == 0 && r.cond == nil {
		name := "all"
		if r.op == opAny {
			name = "any"
		}
		parts = append(parts, name+"("+strings.Join(r.scopes, ", ")+")")
	}
	for _, s := range r.subs {
		parts = append(parts, s.String())
	}
	if len(parts) == 1 {
		return parts[0]
	}
	sep := " and "
	if r.op == opAny {
		sep = " or "
	}
	return "(" + strings.Join(parts, sep) + ")"
}
