// Package claims expresses what a route requires of a token's claims
// beyond its scopes: a role in "roles", in Keycloak's "realm_access.roles"
// or in Auth0's "permissions", a claim equal to a value, a nested claim.
// Each constructor returns a scopes.Requirement, so claim requirements
// combine with scope requirements in the same one line:
//
//	mux.Handle("POST /refunds", middleware.Require(v,
//		scopes.All("refunds:write"),
//		claims.Contains("realm_access.roles", "refunds-admin"),
//		claims.Equal("tid", "11111111-2222-3333-4444-555555555555"),
//	)(refunds))
//
// and in scopes.AnyOf: scopes.AnyOf(scopes.All("admin"), claims.Contains("roles", "admin")).
//
// Matching is exact and case-sensitive, as claim names and values are
// (RFC 7519 §4): "Admin" is not "admin", there are no wildcards, and a
// string is never split. A path names a claim and the members under it,
// separated by dots ("resource_access.orders-api.roles"); build a path
// whose names hold dots (Auth0's namespaced "https://example.test/roles")
// with [Path].
//
// A token that does not meet a requirement is refused with 403 and an
// insufficient_scope challenge whose error_description names what the
// route required (from the route's configuration, never the token's
// values); the error for logs names the claim, the value found and the
// value wanted.
package claims

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/scopes"
)

// Equal requires the claim at path to be exactly value: a string, a
// number, a boolean, or any value encoding/json renders, compared as JSON
// values (the string "true" is not the boolean true, 2 equals 2.0).
func Equal(path string, value any) scopes.Requirement {
	c := &condition{op: opEqual, path: path, names: splitPath(path)}
	b, err := json.Marshal(value)
	if err != nil {
		c.invalid = fmt.Errorf("value %v cannot be rendered as JSON: %w", value, err)
	} else if c.invalid = json.Unmarshal(b, &c.want); c.invalid == nil {
		c.wantText = string(b)
	}
	return scopes.Where(c)
}

// Contains requires the claim at path to hold every one of values: as an
// element of an array of strings ("roles", "groups", "permissions"), as a
// member name of an object (ZITADEL's roles claim), or as the claim itself
// when it is a single string.
func Contains(path string, values ...string) scopes.Requirement {
	return scopes.Where(&condition{op: opAll, path: path, names: splitPath(path), values: slices.Clone(values)})
}

// ContainsAny requires the claim at path to hold at least one of values,
// as [Contains] reads it.
func ContainsAny(path string, values ...string) scopes.Requirement {
	return scopes.Where(&condition{op: opAny, path: path, names: splitPath(path), values: slices.Clone(values)})
}

// Present requires the claim at path to be there and not null.
func Present(path string) scopes.Requirement {
	return scopes.Where(&condition{op: opPresent, path: path, names: splitPath(path)})
}

// Path joins claim names into a path, escaping each name's dots and
// backslashes, for names that hold them:
//
//	claims.Contains(claims.Path("https://example.test/roles"), "admin")
//	claims.Contains(claims.Path("resource_access", "orders-api", "roles"), "refund")
func Path(names ...string) string {
	esc := make([]string, len(names))
	for i, n := range names {
		esc[i] = strings.NewReplacer(`\`, `\\`, `.`, `\.`).Replace(n)
	}
	return strings.Join(esc, ".")
}

// splitPath cuts a path at its unescaped dots.
func splitPath(path string) []string {
	var names []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '\\' && i+1 < len(path):
			i++
			cur.WriteByte(path[i])
		case c == '.':
			names = append(names, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(names, cur.String())
}

type op uint8

const (
	opEqual op = iota
	opAll
	opAny
	opPresent
)

// condition is one requirement on one claim; it implements
// scopes.Condition.
type condition struct {
	op       op
	path     string   // as written, for messages
	names    []string // path, split
	values   []string // opAll, opAny
	want     any      // opEqual, decoded from wantText
	wantText string   // opEqual, as JSON
	invalid  error    // a construction error, reported by Validate
}

// Validate reports a condition that could never be met or that names a
// value a client could not be told about.
func (c *condition) Validate() error {
	if c.invalid != nil {
		return c.invalid
	}
	if slices.Contains(c.names, "") {
		return fmt.Errorf("path %q has an empty name", c.path)
	}
	if (c.op == opAll || c.op == opAny) && len(c.values) == 0 {
		return errors.New("no values to look for")
	}
	for _, v := range c.values {
		if v == "" {
			return errors.New("an empty value can never be held")
		}
	}
	return nil
}

// String names the requirement, for the client and for logs.
func (c *condition) String() string {
	switch c.op {
	case opEqual:
		return fmt.Sprintf("claim %q equal to %s", c.path, c.wantText)
	case opPresent:
		return fmt.Sprintf("claim %q present", c.path)
	case opAny:
		return fmt.Sprintf("claim %q containing one of %s", c.path, quoteAll(c.values))
	}
	return fmt.Sprintf("claim %q containing %s", c.path, quoteAll(c.values))
}

func quoteAll(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, " and ")
}

// Check checks claims, the token's claim set as JSON.
func (c *condition) Check(claims []byte) error {
	raw, found, err := claimset.Lookup(claims, c.names...)
	switch {
	case err != nil:
		return fmt.Errorf("claims: the token's claims are malformed: %w", err)
	case !found || raw == "null":
		return fmt.Errorf("claims: the token has no claim %s; want %s", netpolicy.Quote(c.path), c)
	}
	switch c.op {
	case opPresent:
		return nil
	case opEqual:
		var got any
		if err := json.Unmarshal([]byte(raw), &got); err != nil || !reflect.DeepEqual(got, c.want) {
			return c.mismatch(raw, "want "+netpolicy.Quote(c.wantText))
		}
		return nil
	}
	held := claimset.Strings(raw)
	for _, v := range c.values {
		has := slices.Contains(held, v)
		switch {
		case has && c.op == opAny:
			return nil
		case !has && c.op == opAll:
			return c.mismatch(raw, "want it to contain "+netpolicy.Quote(v))
		}
	}
	if c.op == opAny {
		return c.mismatch(raw, "want it to contain one of "+quoteAll(c.values))
	}
	return nil
}

func (c *condition) mismatch(raw, want string) error {
	return fmt.Errorf("claims: claim %s is %s, %s", netpolicy.Quote(c.path), netpolicy.Quote(compact(raw)), want)
}

// compact drops the insignificant white space of a JSON value, so a
// message shows the value itself within the quoting limit.
func compact(raw string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(raw)) != nil {
		return raw
	}
	return b.String()
}
