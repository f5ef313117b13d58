package bearer

import (
	"errors"
	"strings"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/scopes"
)

// stepUp returns the step-up challenge err calls for (RFC 9470 §3), or nil:
// err is a *tokengate.StepUpError, or a refusal by a route's requirement
// in which nothing but user authentication fell short. A requirement that
// also misses a scope or a claim is not answered with a step-up: a new
// sign-in would not grant those, so the 403 comes first.
func stepUp(err error) *tokengate.StepUpError {
	var se *scopes.InsufficientScopeError
	if !errors.As(err, &se) {
		var su *tokengate.StepUpError
		if errors.As(err, &su) {
			return su
		}
		return nil
	}
	if len(se.Missing) > 0 || len(se.Unmet) == 0 || se.Err == nil {
		return nil
	}
	causes := []error{se.Err}
	if j, ok := se.Err.(interface{ Unwrap() []error }); ok {
		causes = j.Unwrap()
	}
	var all []*tokengate.StepUpError
	for _, c := range causes {
		var su *tokengate.StepUpError
		if !errors.As(c, &su) {
			return nil
		}
		all = append(all, su)
	}
	if len(all) != len(se.Unmet) {
		return nil
	}
	return mergeStepUp(all)
}

// mergeStepUp combines the step-up refusals of several requirements of one
// route into one challenge that satisfies them all: the acr values every
// requirement with a set accepts (in the first set's order; the first set
// when none is common) and the smallest max age.
func mergeStepUp(errs []*tokengate.StepUpError) *tokengate.StepUpError {
	if len(errs) == 1 {
		return errs[0]
	}
	out := &tokengate.StepUpError{}
	var reasons []string
	for _, e := range errs {
		reasons = append(reasons, e.Reason)
		switch {
		case e.ACRValues == nil:
		case out.ACRValues == nil:
			out.ACRValues = append([]string(nil), e.ACRValues...)
		default:
			if common := intersect(out.ACRValues, e.ACRValues); len(common) > 0 {
				out.ACRValues = common
			}
		}
		if e.MaxAge > 0 && (out.MaxAge == 0 || e.MaxAge < out.MaxAge) {
			out.MaxAge = e.MaxAge
		}
	}
	out.Reason = strings.Join(reasons, "; ")
	return out
}

func intersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		for _, t := range b {
			if s == t {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// stepUpDescription is the error_description of a step-up refusal, from
// the fixed vocabulary (the wording of RFC 9470 §3's examples).
func stepUpDescription(su *tokengate.StepUpError) string {
	switch {
	case len(su.ACRValues) > 0 && su.MaxAge > 0:
		return "a more recent authentication at a different level is required"
	case su.MaxAge > 0:
		return "a more recent authentication is required"
	}
	return "a different authentication level is required"
}

// unmetDescription is the error_description of a refusal that missed
// claims a route requires: the fixed opening and the names of the route's
// unmet requirements, which come from the route's configuration and never
// from the token, reduced to the characters RFC 6750 §3 allows.
func unmetDescription(se *scopes.InsufficientScopeError) string {
	var parts []string
	for _, s := range se.Missing {
		parts = append(parts, "scope "+s)
	}
	parts = append(parts, se.Unmet...)
	return clean("the access token lacks what this resource requires: "+strings.Join(parts, ", "), 300)
}

// clean keeps the bytes RFC 6750 §3 allows in error_description
// (%x20-21 / %x23-5B / %x5D-7E), writes a double quote or backslash as a
// single quote, and cuts the result at max bytes.
func clean(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < max; i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\'')
		case c >= 0x20 && c <= 0x7e:
			b.WriteByte(c)
		}
	}
	return b.String()
}
