package introspection

import (
	"fmt"

	"github.com/tokengate/tokengate"
)

// checkSyntax refuses, without a call, a token that is empty, longer than
// max bytes, or not an RFC 6750 §2.1 b64token:
//
//	b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//
// Such a token cannot have been issued as a bearer token, and sending it
// on would only cost a call (or probe the endpoint's parser).
func checkSyntax(token string, max int) error {
	if token == "" {
		return fmt.Errorf("introspection: empty token: %w", tokengate.ErrInvalidToken)
	}
	if len(token) > max {
		return fmt.Errorf("introspection: token longer than %d bytes: %w", max, tokengate.ErrInvalidToken)
	}
	i := 0
	for i < len(token) && isTokenChar(token[i]) {
		i++
	}
	if i == 0 {
		return fmt.Errorf("introspection: token does not start with a b64token character (RFC 6750 §2.1): %w", tokengate.ErrInvalidToken)
	}
	for ; i < len(token); i++ {
		if token[i] != '=' {
			return fmt.Errorf("introspection: token has a character outside the b64token syntax at byte %d (RFC 6750 §2.1): %w", i, tokengate.ErrInvalidToken)
		}
	}
	return nil
}

func isTokenChar(c byte) bool { return tokenChars[c] }

// tokenChars marks the b64token characters other than "=".
var tokenChars = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") {
		t[c] = true
	}
	return t
}()
