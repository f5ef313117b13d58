package tokengate

import (
	"context"
	"time"
)

// Observer is told what tokengate decides and what it fetches, for logs,
// metrics and traces. It is the one hook every part reports through: the
// middleware and the gRPC interceptors report each request's decision,
// the verifiers their key set and discovery fetches and their
// introspection calls. The logging the Logger fields configure is an
// Observer too, and package otelgate provides one for OpenTelemetry.
//
// Events are emitted from one place per kind: a request's decision right
// after the decision path shared by both transports, a fetch right after
// it ends. An Observer is called on the request's goroutine (or the
// fetch's) and must not block; it must be safe for concurrent use.
type Observer interface {
	// Begin is called as an operation of a bracketed kind ([OpAuthorize],
	// [OpIntrospect]) starts. It returns the context the operation runs
	// in, the one later passed to End: an observer that traces returns one
	// carrying a span, so that the calls the operation makes are its
	// children. An observer with nothing to add returns ctx.
	Begin(ctx context.Context, op Op) context.Context

	// End is called once per operation, when it has ended. For the
	// bracketed kinds ctx is the context Begin returned. [OpKeyFetch] and
	// [OpDiscovery] run on contexts of their own, serve every request
	// waiting for them and have no Begin: End gets a context without a
	// span, and e.Start says when the fetch started.
	End(ctx context.Context, e Event)
}

// Op is the kind of operation an [Event] reports.
type Op uint8

// The operations.
const (
	// OpAuthorize is one request's decision: reading the token, the
	// verifier, the scopes and the route's check. Bracketed.
	OpAuthorize Op = iota + 1

	// OpIntrospect is one call to an introspection endpoint (RFC 7662
	// §2). Bracketed; it runs within the OpAuthorize of the request that
	// started it.
	OpIntrospect

	// OpKeyFetch is one fetch of an issuer's key set (JWKS).
	OpKeyFetch

	// OpDiscovery is one fetch of an issuer's metadata (OpenID Connect
	// Discovery, RFC 8414).
	OpDiscovery
)

var opNames = [...]string{
	OpAuthorize:  "authorize",
	OpIntrospect: "introspect",
	OpKeyFetch:   "keyset_fetch",
	OpDiscovery:  "discovery",
}

// String returns the operation's name: "authorize", "introspect",
// "keyset_fetch" or "discovery".
func (op Op) String() string {
	if int(op) < len(opNames) && opNames[op] != "" {
		return opNames[op]
	}
	return "unknown"
}

// Outcome is what became of an operation, from a fixed vocabulary, so
// that it can label a metric.
type Outcome string

// The outcomes of [OpAuthorize]. The refusals are named as the kinds of
// refusal of the behaviour table (and, for three of them, as their
// RFC 6750 §3.1 error codes).
const (
	OutcomeAccepted          Outcome = "accepted"           // a valid token that meets the route's requirements
	OutcomeAnonymous         Outcome = "anonymous"          // no credentials on a route where they are optional
	OutcomeMissing           Outcome = "missing"            // 401 without error code: no bearer token
	OutcomeInvalidRequest    Outcome = "invalid_request"    // 400
	OutcomeInvalidToken      Outcome = "invalid_token"      // 401
	OutcomeInsufficientScope Outcome = "insufficient_scope" // 403
	OutcomeUnavailable       Outcome = "unavailable"        // 503: the token cannot be checked now

	OutcomeInsufficientUserAuthentication Outcome = "insufficient_user_authentication" // 401: step-up needed (RFC 9470)
	OutcomeInvalidDPoPProof               Outcome = "invalid_dpop_proof"               // 401: the DPoP proof is refused (RFC 9449 §7.1)
	OutcomeUseDPoPNonce                   Outcome = "use_dpop_nonce"                   // 401: the DPoP proof lacks the server's nonce (RFC 9449 §9)
)

// The outcomes of [OpKeyFetch], [OpDiscovery] and [OpIntrospect].
const (
	OutcomeOK      Outcome = "ok"      // a fetch that brought a usable document
	OutcomeActive  Outcome = "active"  // an introspection answer that accepts the token
	OutcomeRefused Outcome = "refused" // an introspection answer that refuses the token (inactive, wrong audience, ...)
	OutcomeError   Outcome = "error"   // a fetch or call that failed: the issuer is down or faulty
)

// Event reports one operation. It never holds a token: [Event.Token]
// gives out only a prefix of the token's SHA-256.
type Event struct {
	// Op is the kind of operation.
	Op Op

	// Outcome is what became of it.
	Outcome Outcome

	// Err is the cause of a refusal or a failure, for logs; nil otherwise.
	// It matches the sentinel errors of this package with errors.Is. Its
	// text names the check and the values involved, never the token.
	Err error

	// Check names the check a refused request failed, from a fixed
	// vocabulary ("exp", "aud", "iss", "signature", "scope", ...; see
	// the README's "Running it in production"); "" otherwise.
	Check string

	// Transport is "http" or "grpc" for OpAuthorize; "" otherwise.
	Transport string

	// Route is the route's pattern (http.Request.Pattern, as set by
	// http.ServeMux) or the gRPC full method: a value of bounded
	// cardinality, fit to label a metric. "" when the router sets no
	// pattern.
	Route string

	// Target is what the request asked for, for logs: the URL path, or
	// the gRPC full method. It is not fit to label a metric.
	Target string

	// Issuer is the issuer the token was checked against: the verified
	// "iss", or the verifier's configured issuer. "" when unknown.
	Issuer string

	// URL is the address fetched or called, for OpKeyFetch, OpDiscovery
	// and OpIntrospect.
	URL string

	// Token stands for the request's token, if any (OpAuthorize).
	Token TokenRef

	// Start is when the operation started, and Duration how long it took.
	Start    time.Time
	Duration time.Duration
}
