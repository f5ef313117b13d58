package verifier

import (
	"context"
	"fmt"

	"github.com/tokengate/tokengate/internal/binding"
)

// checkBinding checks a token's "cnf" (raw, "" when absent) against what
// the request proved: the key of its DPoP proof (RFC 9449 §6.1, §7.1) or
// its TLS client certificate (RFC 8705 §3), which the transport put in
// ctx. It runs for every request, as the proof belongs to the request and
// not to the token. Without such evidence, as when Verify is called
// directly, a token with "cnf" is refused as sender-constrained
// (RFC 9449 §7.2). It returns the parsed "cnf", for the cache.
func checkBinding(ctx context.Context, raw string) (binding.Confirmation, error) {
	c, err := binding.Parse(raw)
	if err != nil {
		return c, errorf(ErrMalformedToken, err, "token \"cnf\" %s", quote(raw))
	}
	return c, checkConfirmation(ctx, c)
}

// checkConfirmation checks a parsed "cnf" against the request's evidence:
// what a cached token's hit does, without parsing "cnf" again.
func checkConfirmation(ctx context.Context, c binding.Confirmation) error {
	if err := binding.Check(ctx, c); err != nil {
		return fmt.Errorf("verifier: %w", err) // wraps ErrInvalidToken
	}
	return nil
}
