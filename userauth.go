package tokengate

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// ErrInsufficientUserAuthentication reports a valid token whose user
// authentication falls short of what the route requires: an "acr" not in
// the route's set, or an "auth_time" older than its maximum age
// (RFC 9470 §3). It does not wrap ErrInvalidToken: the token is valid, and
// the client is to send the user through the authorization server again.
// HTTP 401 error="insufficient_user_authentication" with acr_values and
// max_age, gRPC Unauthenticated. [StepUpError] carries the detail.
var ErrInsufficientUserAuthentication error = &sentinel{msg: "tokengate: insufficient user authentication"}

// StepUpError is a refusal for insufficient user authentication
// (RFC 9470 §3): what the client should ask the authorization server for
// in a new authorization request (the acr_values and max_age parameters
// of OIDC Core §3.1.2.1). It matches ErrInsufficientUserAuthentication
// with errors.Is.
type StepUpError struct {
	// ACRValues lists the acceptable authentication context class
	// references, most preferred first; nil when any will do.
	ACRValues []string

	// MaxAge is the oldest authentication accepted; zero when any age
	// will do.
	MaxAge time.Duration

	// Reason names the check that failed and both values, for logs.
	Reason string
}

// Error returns the reason for logs.
func (e *StepUpError) Error() string {
	return "tokengate: insufficient user authentication: " + e.Reason
}

// Unwrap returns ErrInsufficientUserAuthentication.
func (e *StepUpError) Unwrap() error { return ErrInsufficientUserAuthentication }

// MaxAgeSeconds renders MaxAge as the max_age attribute of RFC 9470 §3,
// whole seconds rounded down; "" when MaxAge is zero.
func (e *StepUpError) MaxAgeSeconds() string {
	if e.MaxAge <= 0 {
		return ""
	}
	return strconv.FormatInt(int64(e.MaxAge/time.Second), 10)
}

// DecodeClaims decodes the claims that middleware stored in ctx into a T,
// as [Claims.Decode] does: the typed custom claims of a request, in one
// call from a handler.
//
//	type orderClaims struct {
//		Tenant string   `json:"tenant"`
//		Roles  []string `json:"roles"`
//	}
//	c, err := tokengate.DecodeClaims[orderClaims](r.Context())
//
// It reports ErrNoClaims when ctx carries none.
func DecodeClaims[T any](ctx context.Context) (T, error) {
	var v T
	c, ok := FromContext(ctx)
	if !ok {
		return v, ErrNoClaims
	}
	err := c.Decode(&v)
	return v, err
}

// ErrNoClaims is returned by [DecodeClaims] for a context without claims:
// a handler not behind the middleware, or a public gRPC method.
var ErrNoClaims = errors.New("tokengate: no claims in the context")
