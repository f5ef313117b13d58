// Package bearer holds the parts of bearer-token handling that the HTTP
// middleware and the gRPC interceptors share, so that both read tokens by
// the same rules and answer the same failure the same way.
//
// A request goes through three steps. [ParseHeader] takes the values of the
// Authorization header (or the gRPC "authorization" metadata key) and
// returns the token, enforcing RFC 6750 §2.1 and a size cap before anything
// else:
//
//	token, err := bearer.ParseHeader(r.Header.Values("Authorization"), 0)
//
// A failure from parsing, from a verifier.TokenVerifier, from a
// scopes.Requirement or from an application check is then reduced to one
// [Kind] by [Classify]. Callers map the Kind to an HTTP status or a gRPC code
// and nothing else decides. Finally [Describe] picks a client-facing
// error_description from a fixed vocabulary and [Challenge.Render] builds the
// WWW-Authenticate value (RFC 6750 §3, RFC 9728 §5.1):
//
//	k := bearer.Classify(err)
//	ch := bearer.Challenge{Realm: "orders"}
//	w.Header().Set("WWW-Authenticate", ch.Render(k, bearer.Describe(err), "orders:read"))
//
// Nothing here ever copies the token, a key id, a claim value or an
// upstream body into a response.
package bearer
