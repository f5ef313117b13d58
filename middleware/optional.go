package middleware

import (
	"net/http"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/scopes"
)

// Optional returns middleware for a route where authentication is
// optional, such as a catalogue that shows more to a signed-in user. A
// request that carries no credentials at all reaches the next handler
// without claims (tokengate.FromContext reports none), and the verifier
// is not called. Every other request is decided as by [Guard.Require]: a
// bad, expired or malformed token is refused, never taken for no token,
// and a valid token must satisfy every one of reqs. A header for another
// scheme ("Authorization: Basic ...") is refused as under Require:
// credentials this route cannot use are not the absence of credentials.
//
// Guard.Check runs only for requests with a verified token. Optional
// panics as Require does.
func (g *Guard) Optional(v tokengate.TokenVerifier, reqs ...scopes.Requirement) func(http.Handler) http.Handler {
	return g.protect(v, reqs, true)
}
