package tokengate

import (
	"context"
	"time"
)

// TokenVerifier checks a bearer access token and returns its claims.
//
// Verify returns an error wrapping [ErrInvalidToken] when the token must be
// refused and one wrapping [ErrUnavailable] when it cannot be checked now.
// It never returns claims together with an error. Implementations are safe
// for concurrent use. The verifier package's JWT checks tokens locally;
// the introspection package's Introspector asks the issuer.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*Claims, error)
}

// TokenVerifierFunc adapts a function to a [TokenVerifier].
type TokenVerifierFunc func(ctx context.Context, token string) (*Claims, error)

// Verify calls f(ctx, token).
func (f TokenVerifierFunc) Verify(ctx context.Context, token string) (*Claims, error) {
	return f(ctx, token)
}

// NoLeeway, as the Leeway of a verifier's Config, tolerates no clock skew:
// "exp" is passed the instant it is reached. A zero Leeway means the
// verifier's default (30s), which is what most deployments want.
const NoLeeway = time.Duration(-1)
