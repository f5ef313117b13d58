package introspection

import (
	"fmt"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/netpolicy"
)

// checkSyntax refuses, without a call, a token that is empty, longer than
// max bytes, or not an RFC 6750 §2.1 b64token (netpolicy.IsB64Token). Such
// a token cannot have been issued as a bearer token, and sending it on
// would only cost a call (or probe the endpoint's parser).
func checkSyntax(token string, max int) error {
	switch i := netpolicy.B64TokenError(token); {
	case token == "":
		return fmt.Errorf("introspection: empty token: %w", tokengate.ErrInvalidToken)
	case len(token) > max:
		return fmt.Errorf("introspection: token of %d bytes is longer than MaxTokenBytes %d: %w", len(token), max, tokengate.ErrInvalidToken)
	case i == 0:
		return fmt.Errorf("introspection: token does not start with a b64token character (RFC 6750 §2.1): %w", tokengate.ErrInvalidToken)
	case i > 0:
		return fmt.Errorf("introspection: token has a character outside the b64token syntax at byte %d (RFC 6750 §2.1): %w", i, tokengate.ErrInvalidToken)
	}
	return nil
}
