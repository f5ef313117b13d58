package tokengate

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
)

// TokenRef stands for a token in logs and events without revealing it:
// the only thing it gives out, however it is printed or logged, is a
// prefix of the token's SHA-256 (16 hex digits), enough to tell requests
// with the same token apart from others and too short to be of use to
// anyone who reads the log. The zero TokenRef stands for no token.
type TokenRef struct {
	token string // never given out
}

// RefToken returns the TokenRef of token.
func RefToken(token string) TokenRef { return TokenRef{token: token} }

// tokenHashBytes is how much of the SHA-256 a TokenRef shows.
const tokenHashBytes = 8

// Hash returns the first 16 hex digits of the token's SHA-256, or "" for
// no token.
func (t TokenRef) Hash() string {
	if t.token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(t.token))
	return hex.EncodeToString(sum[:tokenHashBytes])
}

// IsZero reports whether t stands for no token.
func (t TokenRef) IsZero() bool { return t.token == "" }

// String returns [TokenRef.Hash], so that %v and %s print the hash.
func (t TokenRef) String() string { return t.Hash() }

// GoString returns [TokenRef.Hash], so that %#v prints the hash too.
func (t TokenRef) GoString() string { return t.Hash() }

// LogValue returns [TokenRef.Hash], so that log/slog logs the hash.
func (t TokenRef) LogValue() slog.Value { return slog.StringValue(t.Hash()) }
