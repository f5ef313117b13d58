package verifier

import (
	"fmt"
	"strings"

	"github.com/tokengate/tokengate/internal/claimset"
)

// DefaultAlgorithms is the algorithm allow-list used when Config.Algorithms
// is empty: asymmetric signatures only (RFC 8725 §3.1, §3.2). "none" and
// the HMAC algorithms are never in it.
var DefaultAlgorithms = []string{
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
	"EdDSA",
}

var hmacAlgorithms = map[string]bool{"HS256": true, "HS384": true, "HS512": true}

// checkType applies the token type policy to the JOSE header "typ".
//
// RFC 9068 §2.1 has issuers mark JWT access tokens with typ "at+jwt" (or
// "application/at+jwt": RFC 7515 §4.1.9 lets the "application/" prefix be
// omitted, and media types are case-insensitive), and §4 has resource
// servers check it. Many providers still send "JWT" or no typ at all, so
// unless strict is set those are let through to the claim checks in
// checkClaimsType. Any other type names another kind of JWT that the issuer
// signs with the same keys (a logout token "logout+jwt", a DPoP proof
// "dpop+jwt", an introspection response "token-introspection+jwt", a
// security event "secevent+jwt", ...) and is refused (RFC 8725 §3.11).
func checkType(typ string, strict bool) (accessTyped bool, err error) {
	typ = strings.ToLower(typ)
	typ = strings.TrimPrefix(typ, "application/")
	switch typ {
	case "at+jwt":
		return true, nil
	case "", "jwt":
		if strict {
			return false, errorf(ErrNotAccessToken, nil, "header \"typ\" must be \"at+jwt\" (RFC 9068 §4)")
		}
		return false, nil
	}
	return false, errorf(ErrNotAccessToken, nil, "header \"typ\" %q is not an access token type (RFC 9068 §2.1)", truncate(typ, 40))
}

// checkClaimsType refuses a token without typ "at+jwt" whose claims show
// it is not an access token; see claimset.Set.NotAccessToken.
func checkClaimsType(s *claimset.Set) error {
	if why := s.NotAccessToken(); why != "" {
		return errorf(ErrNotAccessToken, nil, "token %s", why)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// tokenError is a rejection with the sentinel class it belongs to and the
// underlying cause, both reachable with errors.Is.
type tokenError struct {
	msg   string
	kind  error
	cause error
}

func (e *tokenError) Error() string {
	if e.cause != nil {
		return "verifier: " + e.msg + ": " + e.cause.Error()
	}
	return "verifier: " + e.msg
}

func (e *tokenError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

func errorf(kind, cause error, format string, args ...any) error {
	return &tokenError{msg: fmt.Sprintf(format, args...), kind: kind, cause: cause}
}
