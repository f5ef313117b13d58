package verifier

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tokengate/tokengate/internal/claimset"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

// DefaultAlgorithms returns the algorithm allow-list used when
// Config.Algorithms is empty: asymmetric signatures only (RFC 8725 §3.1,
// §3.2). "none" and the HMAC algorithms are never in it. Each call returns
// a fresh slice, so the default cannot be changed by writing to it.
func DefaultAlgorithms() []string { return slices.Clone(defaultAlgorithms) }

var defaultAlgorithms = netpolicy.AsymmetricAlgorithms()

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
			return false, errorf(ErrNotAccessToken, nil, "header \"typ\" is %s, want \"at+jwt\" (RFC 9068 §4, Config.RequireAccessTokenType)", quote(typ))
		}
		return false, nil
	}
	return false, errorf(ErrNotAccessToken, nil, "header \"typ\" is %s, want \"at+jwt\" (RFC 9068 §2.1)", quote(typ))
}

// checkClaimsType refuses a token without typ "at+jwt" whose claims show
// it is not an access token; see claimset.Set.NotAccessToken.
func checkClaimsType(s *claimset.Set) error {
	if why := s.NotAccessToken(); why != "" {
		return errorf(ErrNotAccessToken, nil, "token %s", why)
	}
	return nil
}

// quote renders a value from a token for an error message (netpolicy.Quote):
// messages name values this way and never contain the token itself.
var quote = netpolicy.Quote

// quoteList renders a list of values as quote does each, in brackets, at
// most five of them.
func quoteList(list []string) string {
	const most = 5
	parts := make([]string, 0, min(len(list), most)+1)
	for _, s := range list[:min(len(list), most)] {
		parts = append(parts, quote(s))
	}
	if len(list) > most {
		parts = append(parts, fmt.Sprintf("and %d more", len(list)-most))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// stamp renders a time for an error message.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

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
