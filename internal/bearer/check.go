package bearer

import (
	"context"
	"errors"

	"github.com/tokengate/tokengate"
)

// CheckOf names the check a refusal failed, for logs and metrics: a word
// from a fixed vocabulary chosen by the refusal's kind and sentinel, never
// built from the error's text, so that it can label a metric. The values
// the check compared are in the error's text (d.Err), for logs only.
func CheckOf(d *Decision) string {
	switch d.Kind {
	case Missing:
		return "present"
	case InvalidRequest:
		return pickCheck(d.Err, invalidRequestChecks, "request")
	case InvalidToken:
		return pickCheck(d.Err, invalidTokenChecks, "token")
	case InsufficientScope:
		if errors.Is(d.Err, ErrDenied) {
			return "route_check"
		}
		return "scope"
	}
	if errors.Is(d.Err, context.DeadlineExceeded) || errors.Is(d.Err, context.Canceled) {
		return "deadline"
	}
	if errors.Is(d.Err, tokengate.ErrUnavailable) {
		return "issuer"
	}
	return "verifier" // a verifier that broke its contract
}

// check pairs a sentinel with the name of the check that returns it.
type check struct {
	sentinel error
	name     string
}

// The check names, most specific first within each class, as in
// Describe's vocabulary.
var (
	invalidRequestChecks = []check{
		{ErrMultipleTokens, "one_token"},
		{ErrCrossSite, "csrf"},
		{ErrMalformed, "syntax"},
		{ErrFormTooLarge, "form_size"},
	}
	invalidTokenChecks = []check{
		{ErrTooLarge, "size"},
		{tokengate.ErrTokenExpired, "exp"},
		{tokengate.ErrNotAccessToken, "token_type"},
		{tokengate.ErrWrongIssuer, "iss"},
		{tokengate.ErrWrongAudience, "aud"},
		{tokengate.ErrBadSignature, "signature"},
		{tokengate.ErrAlgorithmNotAllowed, "alg"},
		{tokengate.ErrNotYetValid, "nbf_iat"},
		{tokengate.ErrSenderConstrained, "cnf"},
		{tokengate.ErrMalformedToken, "format"},
	}
)

func pickCheck(err error, checks []check, def string) string {
	for _, c := range checks {
		if errors.Is(err, c.sentinel) {
			return c.name
		}
	}
	return def
}
