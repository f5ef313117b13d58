// Package bearer holds the parts of bearer-token handling that the HTTP
// middleware and the gRPC interceptors share, so that both read tokens by
// the same rules and answer the same failure the same way.
//
// A request goes through two steps. [ParseHeader] takes the values of the
// Authorization header (or the gRPC "authorization" metadata key) and
// returns the token, enforcing RFC 6750 §2.1 and a size cap before anything
// else:
//
//	token, err := bearer.ParseHeader(r.Header.Values("Authorization"), bearer.MaxTokenBytes(v, 0))
//
// [Rule.Authorize] is the one decision path both transports share: it runs
// the verifier, the route's scope requirements ([NewRule]) and the route's
// extra check, in that order, and returns the claims or a [Decision], the
// refusal as data (its [Kind] from [Classify], run once, the RFC 6750 §3.1
// error code, a description from the fixed vocabulary of [Describe], the
// scope attribute and the cause for logs):
//
//	claims, d := rule.Authorize(ctx, v, token, err, check)
//
// A transport keeps only the last step: it maps d.Kind to an HTTP status or
// a gRPC code and writes the response, for HTTP with [Challenge.Render]
// building the WWW-Authenticate value (RFC 6750 §3, RFC 9728 §5.1):
//
//	ch := bearer.Challenge{Realm: "orders"}
//	w.Header().Set("WWW-Authenticate", ch.Render(d.Kind, d.Description, d.Scope))
//
// The token cap a transport applies comes from its verifier when the
// verifier declares one ([TokenCap], [MaxTokenBytes]).
//
// Nothing here ever copies the token, a key id, a claim value or an
// upstream body into a response.
package bearer
