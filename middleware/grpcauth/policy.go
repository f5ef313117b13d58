package grpcauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/bearer"
	"github.com/tokengate/tokengate/scopes"
)

// Policy says which methods need which scopes. Its zero value is valid and
// safe: every method needs a valid token, and is then refused with
// PermissionDenied because no method is allowed. Build interceptors with
// [Policy.UnaryServerInterceptor] and [Policy.StreamServerInterceptor];
// they copy the Policy, so changing it later changes nothing.
//
// A method is looked up by its full name, "/package.Service/Method", the
// FullMethod of grpc.UnaryServerInfo and grpc.StreamServerInfo:
//
//  1. listed in Public: called without any token check;
//  2. a key of Methods: needs a valid token and every requirement listed
//     (an empty list: any valid token);
//  3. anything else, including methods added to the server later: needs a
//     valid token and then what Unlisted says: with [DenyUnlisted], the
//     zero value, it is refused with PermissionDenied; with
//     [RequireDefault] it needs every requirement in Default (none: any
//     valid token). Unlisted methods are therefore never public.
type Policy struct {
	// Methods maps a full method name to the requirements that method
	// needs, all of them (as with scopes.AllOf).
	Methods map[string][]scopes.Requirement

	// Public lists full method names callable without a token, matched
	// exactly, such as "/grpc.health.v1.Health/Check". A token sent to a
	// public method is ignored: not verified, not in the context.
	Public []string

	// Unlisted says what a method neither in Methods nor in Public needs
	// beyond a valid token. Zero value: [DenyUnlisted], every such method
	// is refused to every caller.
	Unlisted Unlisted

	// Default lists the requirements of the unlisted methods when Unlisted
	// is [RequireDefault]; nil and empty alike mean any valid token. With
	// Unlisted left at DenyUnlisted it must be nil: requirements that would
	// be ignored panic at setup instead.
	Default []scopes.Requirement

	// Check, if set, is an extra requirement on the verified claims, run
	// after the method's scope requirements. It works as the HTTP
	// middleware's Guard.Check: an error answers PermissionDenied, unless it
	// wraps tokengate.ErrInvalidToken (Unauthenticated) or
	// tokengate.ErrUnavailable (Unavailable).
	Check func(ctx context.Context, method string, c *tokengate.Claims) error

	// OnError, if set, is called once for every refused call with the full
	// error chain, for logging and metrics; the chain never contains the
	// token.
	OnError func(ctx context.Context, method string, err error)

	// MaxTokenBytes, if set, lowers the cap on the length of a token,
	// checked before anything else. It is secondary: the cap comes from the
	// verifier, so raising verifier.Config.MaxTokenBytes (or
	// introspection.Config.MaxTokenBytes) alone admits longer tokens end to
	// end, and a value here above the verifier's cap has no effect. For a
	// verifier that declares no cap (it has no MaxTokenBytes() int method)
	// this is the cap. Zero value: the verifier's cap, or 8192 for a
	// verifier without one. A negative value panics.
	MaxTokenBytes int

	// Logger receives the events an operator acts on, as the HTTP
	// middleware's Guard.Logger does: a call answered Unavailable at Warn,
	// at most one line per cause a minute; refusals at Debug only; each
	// line with the method, the check that failed and the values involved,
	// and the token's SHA-256 prefix, never the token. Zero value:
	// slog.Default().
	Logger *slog.Logger

	// Observer, if set, is told of every call's decision as well, for
	// metrics and traces (package otelgate). Zero value: none.
	Observer tokengate.Observer

	// Now is the clock of the log's rate limit. Zero value: time.Now.
	Now func() time.Time

	// DPoP, if set, also accepts DPoP-bound access tokens: "authorization"
	// metadata "DPoP <token>" with a proof in the "dpop" metadata key
	// (RFC 9449 §7), checked by this checker (a *dpop.Checker), whose
	// "htm" is POST and "htu" ServiceURL followed by the full method. A
	// DPoP-bound token sent as a bearer token is always refused. Zero
	// value: the Bearer scheme only.
	DPoP tokengate.DPoPChecker

	// RequireDPoP refuses bearer tokens on every method that needs a
	// token. It needs DPoP.
	RequireDPoP bool

	// ServiceURL is the URL under which clients reach this server, as
	// "https://api.example.com": a proof's "htu" must be it followed by the
	// full method, "https://api.example.com/pkg.Service/Method". Required
	// with DPoP; an absolute https URL (http only on loopback) without
	// path, query or fragment.
	ServiceURL string

	// ClientCertMetadata names the metadata key in which a TLS-terminating
	// proxy forwards the client certificate, for certificate-bound tokens
	// (RFC 8705 §3), in the formats of the HTTP middleware's
	// Guard.ClientCertHeader. Set it only when every call comes through
	// that proxy and the proxy overwrites the key. Zero value: only the
	// certificate of the TLS connection (the peer's credentials.TLSInfo)
	// counts.
	ClientCertMetadata string
}

// Unlisted is the choice a [Policy] makes for the methods it does not list.
// The zero value is [DenyUnlisted], the safe one.
type Unlisted uint8

const (
	// DenyUnlisted refuses every method that is neither in Policy.Methods
	// nor in Policy.Public, once the token is verified, with
	// PermissionDenied: a method added to the server later stays closed
	// until someone lists it.
	DenyUnlisted Unlisted = iota

	// RequireDefault lets an unlisted method through for a valid token
	// that meets every requirement in Policy.Default (none: any valid
	// token). It is what the one-line interceptors use.
	RequireDefault
)

// rule is what one method needs.
type rule struct {
	public bool
	bearer.Rule
}

// compiled is a Policy checked and frozen for one verifier.
type compiled struct {
	v          tokengate.TokenVerifier
	sender     *bearer.Sender // nil: Bearer only
	serviceURL string
	certKey    string // Policy.ClientCertMetadata, lower case
	methods    map[string]rule
	def        rule
	denyRest   bool
	check      func(ctx context.Context, method string, c *tokengate.Claims) error
	onError    func(ctx context.Context, method string, err error)
	maxBytes   int          // the token cap, from the verifier and the Policy
	site       *bearer.Site // where decisions are reported
}

// compile validates p; a nil p is the zero Policy.
func (p *Policy) compile(v tokengate.TokenVerifier) (*compiled, error) {
	var opts Policy
	if p != nil {
		opts = *p
	}
	if v == nil {
		return nil, errors.New("grpcauth: nil TokenVerifier")
	}
	if err := opts.checkSettings(); err != nil {
		return nil, err
	}
	sender, err := opts.compileSender()
	if err != nil {
		return nil, err
	}
	c := &compiled{
		v: v, sender: sender, serviceURL: strings.TrimSuffix(opts.ServiceURL, "/"), certKey: strings.ToLower(opts.ClientCertMetadata),
		methods:  make(map[string]rule, len(opts.Methods)+len(opts.Public)),
		denyRest: opts.Unlisted == DenyUnlisted, check: opts.Check, onError: opts.OnError,
		maxBytes: bearer.MaxTokenBytes(v, opts.MaxTokenBytes),
		site:     bearer.NewSite("grpc", opts.Logger, opts.Now, opts.Observer),
	}
	if c.def.Rule, err = bearer.NewRule(opts.Default...); err != nil {
		return nil, fmt.Errorf("grpcauth: Policy.Default: %w", err)
	}
	c.def.Rule = c.def.WithSender(sender)
	for name, reqs := range opts.Methods {
		if err := checkMethodName(name); err != nil {
			return nil, err
		}
		r, err := bearer.NewRule(reqs...)
		if err != nil {
			return nil, fmt.Errorf("grpcauth: Policy.Methods[%q]: %w", name, err)
		}
		c.methods[name] = rule{Rule: r.WithSender(sender)}
	}
	for _, name := range opts.Public {
		if err := checkMethodName(name); err != nil {
			return nil, err
		}
		if _, dup := opts.Methods[name]; dup {
			return nil, fmt.Errorf("grpcauth: %q is both public and in Policy.Methods", name)
		}
		c.methods[name] = rule{public: true}
	}
	return c, nil
}

// checkSettings reports the fields that are out of range or contradict
// each other.
func (p *Policy) checkSettings() error {
	switch {
	case p.MaxTokenBytes < 0:
		return fmt.Errorf("grpcauth: Policy.MaxTokenBytes is %d; want 0 (default) or more", p.MaxTokenBytes)
	case p.Unlisted > RequireDefault:
		return fmt.Errorf("grpcauth: Policy.Unlisted is %d; want DenyUnlisted or RequireDefault", p.Unlisted)
	case p.Unlisted == DenyUnlisted && p.Default != nil:
		return errors.New("grpcauth: Policy.Default is set but Policy.Unlisted is DenyUnlisted, which ignores it; set Unlisted: grpcauth.RequireDefault")
	}
	return nil
}

// checkMethodName accepts "/service/method" with both parts non-empty,
// which catches the common slip of leaving out the leading slash.
func checkMethodName(name string) error {
	svc, method, ok := strings.Cut(strings.TrimPrefix(name, "/"), "/")
	if !strings.HasPrefix(name, "/") || !ok || svc == "" || method == "" || strings.Contains(method, "/") {
		return fmt.Errorf("grpcauth: method %q is not a full method name like \"/package.Service/Method\"", name)
	}
	return nil
}

// lookup returns the rule for a full method name. A method the policy does
// not list still needs a token; under DenyUnlisted it is then refused.
func (c *compiled) lookup(method string) rule {
	if r, ok := c.methods[method]; ok {
		return r
	}
	if c.denyRest {
		return rule{Rule: bearer.DenyRule(fmt.Errorf("%w: %.80q", errUnlisted, method)).WithSender(c.sender)}
	}
	return c.def
}
