package netpolicy

import (
	"strconv"
	"unicode/utf8"
)

// IsB64Token reports whether s matches the b64token of RFC 6750 §2.1, the
// syntax of a bearer token:
//
//	b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
func IsB64Token(s string) bool { return B64TokenError(s) < 0 }

// B64TokenError returns the index of the first byte of s outside the
// b64token syntax, or -1 when s is a b64token (an empty s fails at 0).
func B64TokenError(s string) int {
	i := 0
	for i < len(s) && tokenChars[s[i]] {
		i++
	}
	if i == 0 {
		return 0
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	if i == len(s) {
		return -1
	}
	return i
}

// tokenChars is isTokenChar as a table: every request's token is checked,
// and a lookup per byte costs a third of the comparisons.
var tokenChars = func() (t [256]bool) {
	for c := range t {
		t[c] = isTokenChar(byte(c))
	}
	return t
}()

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '+', '/':
		return true
	}
	return false
}

// maxQuoted is how much of a value from outside an error message shows.
const maxQuoted = 80

// Quote renders a value from a token, a document or a response for an
// error message: at most 80 bytes of it, quoted with control characters
// escaped, so that a log line can be neither flooded nor split. Error
// messages name values this way and never contain a token itself.
func Quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) { // cut on a character boundary
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}
