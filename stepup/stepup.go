// Package stepup lets a route require how the user authenticated: an
// authentication context class ("acr") from an allowed set, or an
// authentication ("auth_time") no older than a maximum age, as OAuth 2.0
// Step Up Authentication Challenge (RFC 9470,
// https://www.rfc-editor.org/rfc/rfc9470) describes. Each constructor
// returns a scopes.Requirement, so a step-up requirement sits in the same
// one line as the route's scopes:
//
//	mux.Handle("POST /transfers", middleware.Require(v,
//		scopes.All("transfers:write"),
//		stepup.ACR("urn:example:mfa"),
//		stepup.MaxAge(5*time.Minute),
//	)(transfers))
//
// A token that falls short is refused with 401 and
//
//	WWW-Authenticate: Bearer error="insufficient_user_authentication",
//	  error_description="...", acr_values="urn:example:mfa", max_age="300"
//
// (RFC 9470 §3), or gRPC Unauthenticated with the same attributes in the
// message. The client then sends the user through the authorization
// server again with those acr_values and max_age parameters (OIDC Core
// §3.1.2.1), and retries with the new token. The token's claims must
// carry "acr" and "auth_time" (RFC 9470 §4, RFC 9068 §2.2.1), as the
// access tokens of issuertest do.
package stepup

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/scopes"
)

// Policy is what a route requires of the user's authentication. The zero
// Policy requires nothing.
type Policy struct {
	// ACR lists the acceptable "acr" values, most preferred first: the
	// challenge's acr_values. Empty: any acr, or none.
	ACR []string

	// MaxAge is the oldest authentication accepted: "auth_time" must be
	// no more than MaxAge before now. The challenge's max_age is MaxAge in
	// whole seconds. Zero: any age, and no auth_time needed.
	MaxAge time.Duration

	// Now is the clock. Default time.Now. Pass the verifier's clock in
	// tests.
	Now func() time.Time
}

// Requirement returns the scopes.Requirement of p.
func (p Policy) Requirement() scopes.Requirement {
	if p.Now == nil {
		p.Now = time.Now
	}
	p.ACR = append([]string(nil), p.ACR...)
	return scopes.Where(&p)
}

// ACR requires the token's "acr" to be one of values, most preferred
// first (RFC 9470 §3: acr_values).
func ACR(values ...string) scopes.Requirement { return Policy{ACR: values}.Requirement() }

// MaxAge requires the user to have authenticated no more than d ago, by
// the token's "auth_time" (RFC 9470 §3: max_age).
func MaxAge(d time.Duration) scopes.Requirement { return Policy{MaxAge: d}.Requirement() }

// Validate reports a policy no token could meet or no client could be
// told about.
func (p *Policy) Validate() error {
	if p.MaxAge < 0 {
		return fmt.Errorf("MaxAge %v is negative", p.MaxAge)
	}
	if p.MaxAge > 0 && p.MaxAge < time.Second {
		return fmt.Errorf("MaxAge %v is under the one second max_age can express", p.MaxAge)
	}
	for _, v := range p.ACR {
		// acr_values is a space-separated list in a quoted-string: no
		// space, quote, backslash or control character in a value.
		if !scopes.Valid(v) {
			return fmt.Errorf("ACR value %q is empty or has a space, quote, backslash or non-ASCII byte", v)
		}
	}
	return nil
}

// String names the requirement.
func (p *Policy) String() string {
	var parts []string
	if len(p.ACR) > 0 {
		parts = append(parts, "acr one of "+strings.Join(p.ACR, " "))
	}
	if p.MaxAge > 0 {
		parts = append(parts, fmt.Sprintf("authentication within %v", p.MaxAge))
	}
	if len(parts) == 0 {
		return "any authentication"
	}
	return strings.Join(parts, " and ")
}

// Check checks the token's "acr" and "auth_time". A shortfall is a
// *tokengate.StepUpError naming both values.
func (p *Policy) Check(claims []byte) error {
	if len(p.ACR) > 0 {
		raw, _, err := claimset.Lookup(claims, "acr")
		acr, serr := claimset.String("acr", raw)
		switch {
		case err != nil || serr != nil:
			return p.refuse("token \"acr\" is not a string")
		case acr == "":
			return p.refuse(fmt.Sprintf("token has no \"acr\"; want one of %s", strings.Join(p.ACR, " ")))
		case !contains(p.ACR, acr):
			return p.refuse(fmt.Sprintf("token \"acr\" is %s; want one of %s", netpolicy.Quote(acr), strings.Join(p.ACR, " ")))
		}
	}
	if p.MaxAge > 0 {
		at, err := authTime(claims)
		now := p.Now()
		switch {
		case err != nil:
			return p.refuse(err.Error())
		case at.IsZero():
			return p.refuse(fmt.Sprintf("token has no \"auth_time\"; want one within %v", p.MaxAge))
		case now.Sub(at) > p.MaxAge:
			return p.refuse(fmt.Sprintf("token \"auth_time\" %s is %v old at %s; want at most %v",
				at.UTC().Format(time.RFC3339), now.Sub(at).Round(time.Second), now.UTC().Format(time.RFC3339), p.MaxAge))
		}
	}
	return nil
}

// authTime reads "auth_time", a NumericDate (OIDC Core §2).
func authTime(claims []byte) (time.Time, error) {
	raw, found, err := claimset.Lookup(claims, "auth_time")
	if err != nil || !found || raw == "null" {
		return time.Time{}, err
	}
	// Parse the one member through the same decoder as every NumericDate.
	s, err := claimset.Parse([]byte(`{"iat":` + raw + `}`))
	if err != nil {
		return time.Time{}, errors.New("token \"auth_time\" is not a number")
	}
	return s.IssuedAt, nil
}

func (p *Policy) refuse(reason string) error {
	return &tokengate.StepUpError{ACRValues: append([]string(nil), p.ACR...), MaxAge: p.MaxAge, Reason: reason}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
