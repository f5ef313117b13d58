package bearer

import (
	"context"
	"errors"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/scopes"
)

// Kind is the class of a refusal. It is the one classification that both
// the HTTP middleware and the gRPC interceptors turn into a response, so the
// two cannot drift apart (DESIGN.md, behaviour contract):
//
//	Kind               HTTP  challenge                     gRPC
//	Missing            401   bare Bearer                   Unauthenticated
//	InvalidToken       401   error="invalid_token"         Unauthenticated
//	InvalidRequest     400   error="invalid_request"       InvalidArgument
//	InsufficientScope  403   error="insufficient_scope"    PermissionDenied
//	Unavailable        503   none; Retry-After             Unavailable
//	InsufficientUserAuthentication
//	                   401   error="insufficient_user_authentication",
//	                         acr_values, max_age (RFC 9470 §3)
//	                                                       Unauthenticated
//	InvalidDPoPProof   401   DPoP error="invalid_dpop_proof" Unauthenticated
//	UseDPoPNonce       401   DPoP error="use_dpop_nonce"   Unauthenticated
type Kind uint8

// The kinds of refusal. The zero Kind is not a valid class.
const (
	Missing Kind = iota + 1
	InvalidRequest
	InvalidToken
	InsufficientScope
	Unavailable
	InsufficientUserAuthentication
	InvalidDPoPProof // RFC 9449 §7.1
	UseDPoPNonce     // RFC 9449 §9
)

var kindNames = [...]string{
	Missing:           "missing",
	InvalidRequest:    "invalid_request",
	InvalidToken:      "invalid_token",
	InsufficientScope: "insufficient_scope",
	Unavailable:       "unavailable",

	InsufficientUserAuthentication: "insufficient_user_authentication",
	InvalidDPoPProof:               "invalid_dpop_proof",
	UseDPoPNonce:                   "use_dpop_nonce",
}

// String returns the kind's name; for the kinds that RFC 6750 §3.1,
// RFC 9470 §3 and RFC 9449 §7.1 give an error code it is that code.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// code returns the RFC 6750 §3.1 or RFC 9449 §7.1 error code of k: its
// name, "" for Missing and Unavailable.
func (k Kind) code() string {
	switch k {
	case InvalidRequest, InvalidToken, InsufficientScope, InsufficientUserAuthentication, InvalidDPoPProof, UseDPoPNonce:
		return k.String()
	}
	return ""
}

// Classify maps an error from header parsing, a verifier, a scope check or
// an application check to its Kind. The order of the checks is the policy:
//
//  0. a user authentication that falls short (RFC 9470 §3) and nothing
//     else: a *tokengate.StepUpError, or a *scopes.InsufficientScopeError
//     whose only unmet conditions are such: InsufficientUserAuthentication;
//  1. a missing scope (*scopes.InsufficientScopeError) or [ErrDenied]:
//     InsufficientScope;
//  2. tokengate.ErrInvalidRequest: InvalidRequest;
//  3. tokengate.ErrNoToken: Missing;
//  4. context.Canceled or context.DeadlineExceeded anywhere in the chain:
//     Unavailable. The check was cut short, which says nothing about the
//     token, so a 401 would be a lie that makes clients drop good tokens;
//  5. tokengate.ErrUseDPoPNonce: UseDPoPNonce; tokengate.ErrInvalidDPoPProof:
//     InvalidDPoPProof (RFC 9449 §7.1, §9);
//  6. tokengate.ErrInvalidToken: InvalidToken;
//  7. anything else, tokengate.ErrUnavailable included: Unavailable.
//
// Rule 7 is deliberate: a verifier error that wraps no sentinel means the
// verifier itself failed (a bug, an unexpected response). Refusing with 503
// keeps the request out without blaming the token, and never lets it
// through. A nil error is not a refusal; Classify returns Unavailable for it
// too, so that a caller's bug can only ever deny.
func Classify(err error) Kind {
	k, _ := classify(err)
	return k
}

// classify is [Classify] that also reports whether err belongs to a class
// (rules 1 to 6, or tokengate.ErrUnavailable) rather than falling to rule 7.
func classify(err error) (Kind, bool) {
	var scopeErr *scopes.InsufficientScopeError
	switch {
	case err == nil:
		return Unavailable, false
	case stepUp(err) != nil:
		return InsufficientUserAuthentication, true
	case errors.As(err, &scopeErr), errors.Is(err, ErrDenied):
		return InsufficientScope, true
	case errors.Is(err, tokengate.ErrInvalidRequest):
		return InvalidRequest, true
	case errors.Is(err, tokengate.ErrNoToken):
		return Missing, true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Unavailable, true
	case errors.Is(err, tokengate.ErrUseDPoPNonce):
		return UseDPoPNonce, true
	case errors.Is(err, tokengate.ErrInvalidDPoPProof):
		return InvalidDPoPProof, true
	case errors.Is(err, tokengate.ErrInvalidToken):
		return InvalidToken, true
	}
	return Unavailable, errors.Is(err, tokengate.ErrUnavailable)
}

// Denied prepares the error of an application check (a role, a client
// allow-list) for [Classify]. An error that already belongs to a class (it
// wraps a verifier sentinel, a context error or a missing scope) keeps it:
// a check may say the token is revoked (401) or that its backend is down
// (503). Any other error is marked with [ErrDenied], so it answers 403 /
// PermissionDenied rather than the 503 an unexplained verifier error gets.
func Denied(err error) error {
	_, err = denied(err)
	return err
}

// denied is [Denied] that also returns the Kind of the result, so that a
// refusal by a check is classified once.
func denied(err error) (Kind, error) {
	k, known := classify(err)
	if err == nil || known {
		return k, err
	}
	return InsufficientScope, &deniedError{err: err}
}

// deniedError keeps the check's own error in the chain for logs while
// matching ErrDenied.
type deniedError struct{ err error }

func (e *deniedError) Error() string {
	return "bearer: access denied by the route's check: " + e.err.Error()
}
func (e *deniedError) Unwrap() []error { return []error{ErrDenied, e.err} }
