package verifier

import (
	"context"

	"github.com/tokengate/tokengate"
)

// The contract every verifier and both transports share lives in the root
// package tokengate, which depends on no JWT library; these names are the
// same types and values, so code written against either compiles and
// errors.Is matches across both.

// Claims are the verified claims of an access token; see [tokengate.Claims].
type Claims = tokengate.Claims

// TokenVerifier checks a bearer access token; see [tokengate.TokenVerifier].
type TokenVerifier = tokengate.TokenVerifier

// TokenVerifierFunc adapts a function to a [TokenVerifier].
type TokenVerifierFunc = tokengate.TokenVerifierFunc

// NewContext returns a copy of ctx that carries c.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return tokengate.NewContext(ctx, c)
}

// FromContext returns the claims that middleware stored in ctx, and whether
// there were any.
func FromContext(ctx context.Context) (*Claims, bool) { return tokengate.FromContext(ctx) }

// The errors of the contract; see the root package for what each means.
// Every rejection of a token wraps ErrInvalidToken.
var (
	ErrInvalidToken        = tokengate.ErrInvalidToken
	ErrUnavailable         = tokengate.ErrUnavailable
	ErrNotAccessToken      = tokengate.ErrNotAccessToken
	ErrTokenExpired        = tokengate.ErrTokenExpired
	ErrWrongIssuer         = tokengate.ErrWrongIssuer
	ErrWrongAudience       = tokengate.ErrWrongAudience
	ErrBadSignature        = tokengate.ErrBadSignature
	ErrAlgorithmNotAllowed = tokengate.ErrAlgorithmNotAllowed
	ErrNotYetValid         = tokengate.ErrNotYetValid
	ErrMalformedToken      = tokengate.ErrMalformedToken
	ErrSenderConstrained   = tokengate.ErrSenderConstrained
	ErrNoToken             = tokengate.ErrNoToken
	ErrInvalidRequest      = tokengate.ErrInvalidRequest
	ErrInvalidDPoPProof    = tokengate.ErrInvalidDPoPProof
	ErrUseDPoPNonce        = tokengate.ErrUseDPoPNonce
)

// NoLeeway, as Config.Leeway, tolerates no clock skew at all; the zero
// Leeway means the default. It is [tokengate.NoLeeway].
const NoLeeway = tokengate.NoLeeway
