package bearer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/netpolicy"
)

// DefaultMaxTokenBytes caps the length of a bearer token when the caller
// sets no cap of its own. Real access tokens are far smaller (a signed JWT
// with a few dozen claims is 1-2 KiB); the cap bounds the work an attacker
// can make the verifier do before a single byte is parsed.
const DefaultMaxTokenBytes = netpolicy.DefaultMaxTokenBytes

// The errors below are the reasons this package and the middleware give for
// a refusal before any verifier runs. Each wraps one of the verifier
// sentinels, so [Classify] needs no knowledge of them, and [Describe] picks
// their client-facing wording.
var (
	// ErrMultipleTokens reports a request offering more than one credential:
	// two Authorization header values, or a token by two methods
	// (RFC 6750 §2: "Clients MUST NOT use more than one method").
	ErrMultipleTokens = fmt.Errorf("bearer: more than one access token in request: %w", tokengate.ErrInvalidRequest)

	// ErrMalformed reports a bearer credential that does not follow
	// RFC 6750 §2.1: no token after the scheme, more than one space, extra
	// parts, or characters outside b64token.
	ErrMalformed = fmt.Errorf("bearer: malformed bearer credential: %w", tokengate.ErrInvalidRequest)

	// ErrOtherScheme reports an Authorization header for another scheme
	// (Basic, DPoP, ...). For this middleware the request carries no bearer
	// token, so it wraps tokengate.ErrNoToken and earns a bare challenge.
	ErrOtherScheme = fmt.Errorf("bearer: authorization scheme is not Bearer: %w", tokengate.ErrNoToken)

	// ErrTooLarge reports a credential longer than the token size cap. No
	// real token is that long, so it is an invalid token (401), and it is
	// refused before any parsing.
	ErrTooLarge = fmt.Errorf("bearer: access token exceeds the size cap: %w", tokengate.ErrInvalidToken)

	// ErrFormTooLarge reports a form-encoded body too large to search for
	// an access_token parameter (RFC 6750 §2.2) within the middleware's
	// bound.
	ErrFormTooLarge = fmt.Errorf("bearer: form body too large to search for an access token: %w", tokengate.ErrInvalidRequest)

	// ErrDenied marks a refusal by an application check on otherwise valid
	// claims (a role, a client allow-list). It answers 403 / PermissionDenied
	// like a missing scope; see [Denied].
	ErrDenied = errors.New("bearer: access denied by the route's check")
)

// errNoHeader is returned by [ParseHeader] when there is no value at all.
var errNoHeader = fmt.Errorf("bearer: no authorization header: %w", tokengate.ErrNoToken)

// scheme is the authentication scheme name of RFC 6750 §2.1, compared
// case-insensitively as RFC 9110 §11.1 requires.
const scheme = "bearer"

// ParseHeader returns the token from the values of the Authorization header
// (HTTP) or the "authorization" metadata key (gRPC). maxBytes caps the token
// length; zero or less means [DefaultMaxTokenBytes].
//
// The checks run in this order, each a case of its own:
//   - any value longer than the cap allows: [ErrTooLarge], before anything else;
//   - no value: an error wrapping tokengate.ErrNoToken;
//   - two or more values: [ErrMultipleTokens];
//   - a scheme other than Bearer: [ErrOtherScheme];
//   - anything but "Bearer" + exactly one space + a b64token: [ErrMalformed].
func ParseHeader(values []string, maxBytes int) (string, error) {
	v, err := oneValue(values, maxBytes)
	if err != nil {
		return "", err
	}
	return parseCredentials(v)
}

// oneValue applies the size cap and returns the one header value: the
// first three checks of [ParseHeader].
func oneValue(values []string, maxBytes int) (string, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxTokenBytes
	}
	for _, v := range values {
		if len(v) > len(scheme)+1+maxBytes {
			return "", ErrTooLarge
		}
	}
	switch len(values) {
	case 0:
		return "", errNoHeader
	case 1:
		return values[0], nil
	}
	return "", ErrMultipleTokens
}

// parseCredentials splits one header value into scheme and token
// (RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; this parser admits
// exactly one SP, as every client sends, and refuses the rest as ambiguous).
func parseCredentials(v string) (string, error) {
	name, rest, hasSpace := strings.Cut(v, " ")
	if !equalFold(name, scheme) {
		if !isSchemeName(name) {
			// Empty, or a scheme name with a tab, a comma, a control
			// character...: not a credential at all (RFC 9110 §11.1).
			return "", ErrMalformed
		}
		return "", ErrOtherScheme
	}
	if !hasSpace || !ValidToken(rest) {
		return "", ErrMalformed
	}
	return rest, nil
}

// CheckToken applies the size cap and the b64token syntax to a token taken
// from somewhere other than the Authorization header (a form body or the
// query, RFC 6750 §2.2 and §2.3), so that every method obeys the same rules.
func CheckToken(token string, maxBytes int) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxTokenBytes
	}
	if len(token) > maxBytes {
		return ErrTooLarge
	}
	if !ValidToken(token) {
		return ErrMalformed
	}
	return nil
}

// ValidToken reports whether s matches b64token (RFC 6750 §2.1); see
// netpolicy.IsB64Token.
func ValidToken(s string) bool { return netpolicy.IsB64Token(s) }

// isSchemeName reports whether s is a token (RFC 9110 §5.6.2), the syntax
// of an auth-scheme.
func isSchemeName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// equalFold reports whether s equals lower, an all-lowercase ASCII string,
// ignoring ASCII case only (RFC 9110 §11.1: scheme names are
// case-insensitive; they are ASCII tokens, so no Unicode folding applies).
func equalFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
