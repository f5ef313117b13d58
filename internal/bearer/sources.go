package bearer

import (
	"errors"
	"fmt"

	"github.com/tokengate/tokengate"
)

// ErrCrossSite reports a token sent in a cookie with a request that failed
// the cross-site request check the route configured. A browser attaches
// cookies to requests other sites make it send, so a cookie alone is no
// proof that the user meant the request (cross-site request forgery); it
// wraps tokengate.ErrInvalidRequest (400) and is refused before the token
// is verified.
var ErrCrossSite = fmt.Errorf("bearer: a token in a cookie came with a request that failed the cross-site request check: %w", tokengate.ErrInvalidRequest)

// Absent reports whether err says the request carries no credentials at
// all: no Authorization header (and no token by any other method the
// transport reads). A header for another scheme is not absent: it is a
// credential this route cannot use, refused as Missing, never taken for
// an anonymous request.
func Absent(err error) bool { return errors.Is(err, errNoHeader) }

// NoCredentials is the read error of a transport that found no
// credentials by any method it reads; [Absent] reports it.
func NoCredentials() error { return errNoHeader }

// AllowAnonymous returns a copy of r under which a request without any
// credentials ([Absent]) is let through without claims: Authorize returns
// nil claims and a nil decision, and the verifier is not called. Every
// other request is decided as under r: a bad token is refused, never
// taken for no token, and a valid one must meet r's requirements.
func (r Rule) AllowAnonymous() Rule {
	r.anonymous = true
	return r
}

// IsToken reports whether s is a token (RFC 9110 §5.6.2): the syntax of an
// auth-scheme, a header name and a cookie name (RFC 6265 §4.1.1).
func IsToken(s string) bool { return isSchemeName(s) }
