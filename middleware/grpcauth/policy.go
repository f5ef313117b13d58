package grpcauth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
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
//     valid token and then, when Default is nil, is refused with
//     PermissionDenied; when Default is non-nil, needs every requirement in
//     Default. Unlisted methods are therefore never public.
type Policy struct {
	// Methods maps a full method name to the requirements that method
	// needs, all of them (as with scopes.AllOf).
	Methods map[string][]scopes.Requirement

	// Public lists full method names callable without a token, matched
	// exactly, such as "/grpc.health.v1.Health/Check". A token sent to a
	// public method is ignored: not verified, not in the context.
	Public []string

	// Default is what a method neither in Methods nor in Public needs.
	// nil (the zero value) denies such methods to every caller;
	// a non-nil empty slice admits any valid token.
	Default []scopes.Requirement

	// Check, if set, is an extra requirement on the verified claims, run
	// after the method's scope requirements. It works as the HTTP
	// middleware's Guard.Check: an error answers PermissionDenied, unless it
	// wraps verifier.ErrInvalidToken (Unauthenticated) or
	// verifier.ErrUnavailable (Unavailable).
	Check func(ctx context.Context, method string, c *verifier.Claims) error

	// OnError, if set, is called once for every refused call with the full
	// error chain, for logging and metrics; the chain never contains the
	// token.
	OnError func(ctx context.Context, method string, err error)

	// MaxTokenBytes caps the token length, checked before anything else.
	// Zero value: 8192. A negative value panics.
	MaxTokenBytes int
}

// rule is what one method needs.
type rule struct {
	public bool
	req    scopes.Requirement
	scope  string // the scopes req names, for the status message
}

// compiled is a Policy checked and frozen for one verifier.
type compiled struct {
	v        verifier.TokenVerifier
	methods  map[string]rule
	def      rule
	denyRest bool
	check    func(ctx context.Context, method string, c *verifier.Claims) error
	onError  func(ctx context.Context, method string, err error)
	maxBytes int
}

// compile validates p; a nil p is the zero Policy.
func (p *Policy) compile(v verifier.TokenVerifier) (*compiled, error) {
	var opts Policy
	if p != nil {
		opts = *p
	}
	if v == nil {
		return nil, errors.New("grpcauth: nil TokenVerifier")
	}
	if opts.MaxTokenBytes < 0 {
		return nil, fmt.Errorf("grpcauth: Policy.MaxTokenBytes is %d; want 0 (default) or more", opts.MaxTokenBytes)
	}
	c := &compiled{
		v: v, methods: make(map[string]rule, len(opts.Methods)+len(opts.Public)),
		denyRest: opts.Default == nil, check: opts.Check, onError: opts.OnError, maxBytes: opts.MaxTokenBytes,
	}
	var err error
	if c.def, err = newRule(opts.Default); err != nil {
		return nil, fmt.Errorf("grpcauth: Policy.Default: %w", err)
	}
	for name, reqs := range opts.Methods {
		if err := checkMethodName(name); err != nil {
			return nil, err
		}
		if c.methods[name], err = newRule(reqs); err != nil {
			return nil, fmt.Errorf("grpcauth: Policy.Methods[%q]: %w", name, err)
		}
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

func newRule(reqs []scopes.Requirement) (rule, error) {
	req := scopes.AllOf(reqs...)
	if err := req.Validate(); err != nil {
		return rule{}, err
	}
	return rule{req: req, scope: strings.Join(req.Scopes(), " ")}, nil
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

// lookup returns the rule for a full method name, and false for a method
// the policy does not list (which still needs a token).
func (c *compiled) lookup(method string) (rule, bool) {
	if r, ok := c.methods[method]; ok {
		return r, true
	}
	return c.def, !c.denyRest
}
