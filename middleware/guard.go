package middleware

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/bearer"
	"github.com/tokengate/tokengate/scopes"
)

// DefaultRetryAfter is the Retry-After a 503 carries when
// [Guard.RetryAfter] is zero.
const DefaultRetryAfter = 5 * time.Second

// Require returns middleware that lets a request through only with a valid
// bearer access token that satisfies every one of reqs. It is the zero
// [Guard]'s Require: the token comes from the Authorization header alone,
// the challenge has no realm, and a refusal is answered with a short text
// body.
//
//	mux.Handle("GET /orders", middleware.Require(v, scopes.All("orders:read"))(orders))
//
// Require panics, like http.ServeMux given a bad pattern, when v is nil or a
// requirement is invalid (see scopes.Requirement.Validate).
func Require(v tokengate.TokenVerifier, reqs ...scopes.Requirement) func(http.Handler) http.Handler {
	return (*Guard)(nil).Require(v, reqs...)
}

// Guard holds the options of the middleware. The zero value is valid and is
// what [Require] uses; set fields to change one behaviour at a time:
//
//	g := &middleware.Guard{Realm: "orders", ResourceMetadata: metadataURL}
//	mux.Handle("GET /orders", g.Require(v, scopes.All("orders:read"))(orders))
//
// [Guard.Require] copies the Guard, so changing it later does not change
// middleware already built.
type Guard struct {
	// Realm is the realm attribute of every WWW-Authenticate challenge
	// (RFC 6750 §3). Zero value: no realm attribute. It must be printable
	// ASCII; quotes and backslashes are escaped.
	Realm string

	// ResourceMetadata is the URL of this resource's Protected Resource
	// Metadata document (RFC 9728 §3, served by [ProtectedResourceMetadata]),
	// sent as the resource_metadata attribute of every challenge
	// (RFC 9728 §5.1) so that clients can discover the authorization
	// server. It must be an absolute https URL (http only on loopback).
	// Zero value: no attribute. See [ResourceMetadataURL].
	ResourceMetadata string

	// ErrorHandler, if set, writes the body of a refusal, for example as
	// RFC 9457 problem details. The status and the WWW-Authenticate and
	// Retry-After headers are already decided: the handler may add headers
	// such as Content-Type, and whatever status it writes, e.Status is sent.
	// Zero value: a text/plain body with e.Description.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, e *Error)

	// OnError, if set, is called once for every refused request with the
	// full error chain, for logging and metrics. The chain never contains
	// the token (a verifier that put one there would break its own
	// contract). Zero value: nothing is called.
	OnError func(r *http.Request, err error)

	// Check, if set, is an extra requirement on the verified claims, run
	// after the scope requirements: a role, a tenant, a client_id
	// allow-list. Returning nil lets the request through. An error answers
	// 403 with an insufficient_scope challenge (RFC 6750 §3.1: "the request
	// requires higher privileges than provided by the access token") whose
	// scope attribute is omitted, since more scope would not help; a
	// returned *scopes.InsufficientScopeError instead names its Required
	// scopes. An error wrapping tokengate.ErrInvalidToken or
	// tokengate.ErrUnavailable answers 401 or 503 instead, so that a check
	// may reject a revoked token or report that its own backend is down.
	Check func(r *http.Request, c *tokengate.Claims) error

	// AllowPreflight lets CORS preflight requests (OPTIONS with Origin and
	// Access-Control-Request-Method headers) through without a token, as
	// browsers send them without credentials. Zero value: they need a
	// token like any other request.
	AllowPreflight bool

	// AllowQueryToken accepts a token in the access_token query parameter
	// (RFC 6750 §2.3). URLs end up in logs and browser history, which is
	// why the RFC advises against it. A success then carries
	// "Cache-Control: private". Zero value: the parameter is ignored.
	AllowQueryToken bool

	// AllowFormToken accepts a token in the access_token parameter of an
	// application/x-www-form-urlencoded POST, PUT or PATCH body
	// (RFC 6750 §2.2). At most [MaxFormBytes] of body are read (a larger
	// body is refused with 400) and the body is restored for the next
	// handler. Zero value: bodies are never read.
	AllowFormToken bool

	// MaxTokenBytes, if set, lowers the cap on the length of a token for
	// these routes; the cap is checked before anything else is done with
	// the request's credentials. It is secondary: the cap comes from the
	// verifier, so raising verifier.Config.MaxTokenBytes (or
	// introspection.Config.MaxTokenBytes) alone admits longer tokens end to
	// end, and a value here above the verifier's cap has no effect. For a
	// verifier that declares no cap (it has no MaxTokenBytes() int method)
	// this is the cap. Zero value: the verifier's cap, or 8192 for a
	// verifier without one. A negative value panics.
	MaxTokenBytes int

	// RetryAfter is the Retry-After of a 503, rounded up to whole seconds.
	// Zero value: [DefaultRetryAfter]. A negative value panics.
	RetryAfter time.Duration

	// TokenCookie, if set, names a cookie that may carry the token, for a
	// browser application that keeps it out of JavaScript's reach. Name it
	// with the "__Host-" prefix, which the browser honours only for a
	// cookie set with Secure, Path=/ and no Domain, so that no other
	// subdomain can plant one. A browser sends cookies with requests other
	// sites make it send, so a token from the cookie is refused (400,
	// invalid_request) unless CookieCheck accepts the request. A token by
	// both the cookie and another method is refused as two tokens. Zero
	// value: cookies are ignored.
	TokenCookie string

	// CookieCheck is the cross-site request check a request must pass for
	// its TokenCookie to count, such as
	// http.NewCrossOriginProtection().Check: it returns nil to accept.
	// It is required with TokenCookie, which panics without it, and runs
	// only for requests that carry the cookie.
	CookieCheck func(r *http.Request) error

	// TokenHeader, if set, names a request header that carries the bare
	// token (no "Bearer " scheme), as a proxy in front of the API may set
	// (X-Forwarded-Access-Token, say). One value only; the same size cap
	// and b64token syntax apply. Zero value: only Authorization.
	TokenHeader string

	// Logger receives the events an operator acts on: a request answered
	// 503 at Warn, at most one line per cause a minute; refusals (400,
	// 401, 403) at Debug only; accepted requests never. Each line names
	// the route, the check that failed and the values involved, and the
	// token's SHA-256 prefix, never the token. Zero value:
	// slog.Default().
	Logger *slog.Logger

	// Observer, if set, is told of every request's decision as well, for
	// metrics and traces (package otelgate). Zero value: none.
	Observer tokengate.Observer

	// Now is the clock of the log's rate limit. Zero value: time.Now.
	Now func() time.Time

	// DPoP, if set, also accepts DPoP-bound access tokens with the DPoP
	// scheme and a DPoP proof (RFC 9449 §7), checked by this checker (a
	// *dpop.Checker). Bearer tokens are still accepted, unless
	// RequireDPoP; challenges then offer both schemes (RFC 9449 §7.2). A
	// DPoP-bound token sent as a bearer token is always refused. Zero
	// value: the Bearer scheme only. See package dpop, and ExternalURL
	// below.
	DPoP tokengate.DPoPChecker

	// RequireDPoP refuses bearer tokens: only DPoP-bound tokens with their
	// proof are accepted. It needs DPoP, and excludes AllowQueryToken and
	// AllowFormToken.
	RequireDPoP bool

	// ExternalURL is the URL under which clients reach this server, as
	// "https://api.example.com" or "https://example.com/api": a DPoP
	// proof's "htu" must be it followed by the request's path (RFC 9449
	// §4.3). It comes from configuration because the Host and
	// X-Forwarded-* headers are the client's to choose. Required with DPoP
	// unless RequestURL is set; an absolute https URL (http only on
	// loopback) without query or fragment.
	ExternalURL string

	// RequestURL, if set, returns the URL without query and fragment that
	// a DPoP proof for r must name, instead of ExternalURL and the path:
	// for a server reached under several names. Whatever it reads from r
	// is trusted; zero value: ExternalURL and the path.
	RequestURL func(r *http.Request) string

	// ClientCertHeader names the request header in which a TLS-terminating
	// proxy forwards the client certificate, for certificate-bound tokens
	// (RFC 8705 §3): an RFC 9440 Client-Cert byte sequence or a URL-encoded
	// PEM certificate. Set it only when every request comes through that
	// proxy and the proxy overwrites the header, since anyone else can
	// send it. Zero value: only the certificate of the TLS connection
	// itself (r.TLS.PeerCertificates[0]) counts.
	ClientCertHeader string
}

// Require returns middleware that lets a request through only with a valid
// bearer access token that satisfies every one of reqs (all of them, as
// with scopes.AllOf). With no reqs any valid token will do.
//
// The requirements are validated and the challenge built here, once; the
// returned middleware then only verifies. On success the next handler finds
// the claims with tokengate.FromContext; on failure it is never called, and
// the response follows the behaviour table of the package documentation.
//
// Require panics when v is nil, a requirement is invalid, or a Guard field
// is out of range, as http.ServeMux does with a bad pattern: these are
// programming errors found at startup. A nil *Guard is the zero Guard.
func (g *Guard) Require(v tokengate.TokenVerifier, reqs ...scopes.Requirement) func(http.Handler) http.Handler {
	return g.protect(v, reqs, false)
}

// protect builds the middleware of Require and Optional.
func (g *Guard) protect(v tokengate.TokenVerifier, reqs []scopes.Requirement, optional bool) func(http.Handler) http.Handler {
	p, err := g.compile(v, reqs)
	if err != nil {
		panic(err)
	}
	if optional {
		p.rule = p.rule.AllowAnonymous()
	}
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: Require(...)(nil): no handler to protect")
		}
		return &handler{policy: p, next: next}
	}
}

// policy is a Guard compiled for one route.
type policy struct {
	opts       Guard
	v          tokengate.TokenVerifier
	rule       bearer.Rule
	sender     *bearer.Sender // nil: Bearer only
	maxBytes   int            // the token cap, from the verifier and the Guard
	challenge  bearer.Challenge
	retryAfter string
	site       *bearer.Site // where decisions are reported

	enabled      []method // the token methods besides Authorization
	otherMethods bool     // len(enabled) > 0
}

func (g *Guard) compile(v tokengate.TokenVerifier, reqs []scopes.Requirement) (*policy, error) {
	var opts Guard
	if g != nil {
		opts = *g
	}
	if v == nil {
		return nil, errors.New("middleware: Require with a nil TokenVerifier")
	}
	rule, err := bearer.NewRule(reqs...)
	if err != nil {
		return nil, fmt.Errorf("middleware: invalid requirement: %w", err)
	}
	ch := bearer.Challenge{Realm: opts.Realm, ResourceMetadata: opts.ResourceMetadata}
	if err := ch.Validate(); err != nil {
		return nil, fmt.Errorf("middleware: Guard: %w", err)
	}
	if opts.MaxTokenBytes < 0 {
		return nil, fmt.Errorf("middleware: Guard.MaxTokenBytes is %d; want 0 (default) or more", opts.MaxTokenBytes)
	}
	if opts.RetryAfter < 0 {
		return nil, fmt.Errorf("middleware: Guard.RetryAfter is %v; want 0 (default) or more", opts.RetryAfter)
	}
	if opts.RetryAfter == 0 {
		opts.RetryAfter = DefaultRetryAfter
	}
	if err := opts.checkSources(); err != nil {
		return nil, err
	}
	sender, err := opts.compileSender()
	if err != nil {
		return nil, err
	}
	secs := (opts.RetryAfter + time.Second - 1) / time.Second
	p := &policy{
		opts:       opts,
		v:          v,
		rule:       rule.WithSender(sender),
		sender:     sender,
		maxBytes:   bearer.MaxTokenBytes(v, opts.MaxTokenBytes),
		challenge:  ch,
		retryAfter: strconv.FormatInt(int64(secs), 10),
		site:       bearer.NewSite("http", opts.Logger, opts.Now, opts.Observer),
	}
	p.enableMethods()
	return p, nil
}

// handler is the middleware for one route.
type handler struct {
	*policy
	next http.Handler
}

// ServeHTTP reads the token and hands it to the decision path shared with
// package grpcauth (bearer.Rule.Authorize): the verifier, the route's
// scopes, then Guard.Check. What is left here is the response.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.opts.AllowPreflight && isPreflight(r) {
		h.next.ServeHTTP(w, r)
		return
	}
	p, fromQuery := h.present(r)
	q := bearer.Request{Route: r.Pattern, Target: r.URL.Path, Presented: p}
	claims, d := h.site.Authorize(r.Context(), &h.rule, &q, h.v, func(c *tokengate.Claims) error {
		if h.opts.Check == nil {
			return nil
		}
		return h.opts.Check(r, c)
	})
	switch {
	case d != nil:
		h.refuse(w, r, d)
		return
	case claims == nil: // Optional, and no credentials
		h.next.ServeHTTP(w, r)
		return
	}
	if nonce := h.sender.Nonce(p.Scheme); nonce != "" {
		w.Header().Set("DPoP-Nonce", nonce) // RFC 9449 §9
	}
	if fromQuery {
		// RFC 6750 §2.3: success responses to a query-token request
		// SHOULD be marked private.
		w.Header().Set("Cache-Control", "private")
	}
	h.next.ServeHTTP(w, r.WithContext(tokengate.NewContext(r.Context(), claims)))
}

// isPreflight reports a CORS preflight request (Fetch standard, "CORS-
// preflight request"): OPTIONS with Origin and Access-Control-Request-Method.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions &&
		r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}
