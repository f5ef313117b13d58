package grpcauth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tokengate/tokengate/internal/bearer"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// UnaryServerInterceptor returns an interceptor under which every unary
// method needs a valid bearer token satisfying every one of reqs (any valid
// token when there are none). It is the one-line form; use a [Policy] for
// per-method requirements and public methods.
//
//	grpc.NewServer(
//		grpc.ChainUnaryInterceptor(grpcauth.UnaryServerInterceptor(v, scopes.All("orders:read"))),
//		grpc.ChainStreamInterceptor(grpcauth.StreamServerInterceptor(v, scopes.All("orders:read"))),
//	)
//
// It panics when v is nil or a requirement is invalid.
func UnaryServerInterceptor(v verifier.TokenVerifier, reqs ...scopes.Requirement) grpc.UnaryServerInterceptor {
	return everyMethod(reqs).UnaryServerInterceptor(v)
}

// StreamServerInterceptor is the streaming twin of [UnaryServerInterceptor].
func StreamServerInterceptor(v verifier.TokenVerifier, reqs ...scopes.Requirement) grpc.StreamServerInterceptor {
	return everyMethod(reqs).StreamServerInterceptor(v)
}

// everyMethod is the Policy of the one-line form.
func everyMethod(reqs []scopes.Requirement) *Policy {
	return &Policy{Default: append([]scopes.Requirement{}, reqs...)}
}

// UnaryServerInterceptor returns an interceptor that enforces p on unary
// methods. On success the handler finds the claims with
// verifier.FromContext. It panics when v is nil or p is invalid (a
// malformed method name, a method both public and listed, an invalid
// requirement), as these are found at startup.
func (p *Policy) UnaryServerInterceptor(v verifier.TokenVerifier) grpc.UnaryServerInterceptor {
	c := p.mustCompile(v)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := c.authorize(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor returns an interceptor that enforces p on
// streaming methods (server, client and bidirectional streaming). The stream
// is wrapped only to return the context with the claims.
func (p *Policy) StreamServerInterceptor(v verifier.TokenVerifier) grpc.StreamServerInterceptor {
	c := p.mustCompile(v)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := c.authorize(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		if ctx == ss.Context() {
			return handler(srv, ss) // a public method
		}
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
	}
}

func (p *Policy) mustCompile(v verifier.TokenVerifier) *compiled {
	c, err := p.compile(v)
	if err != nil {
		panic(err)
	}
	return c
}

// serverStream overrides Context and nothing else.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *serverStream) Context() context.Context { return s.ctx }

// errUnlisted is the cause of a refusal of a method the policy does not
// list, when Policy.Default is nil.
var errUnlisted = errors.New("grpcauth: method is not listed in the policy and Policy.Default is nil")

// authorize returns ctx with the caller's claims, ctx itself for a public
// method, or a status error.
func (c *compiled) authorize(ctx context.Context, method string) (context.Context, error) {
	r, listed := c.lookup(method)
	if r.public {
		return ctx, nil
	}
	claims, err := c.verify(ctx, method, r, listed)
	if err != nil {
		if c.onError != nil {
			c.onError(ctx, method, err)
		}
		return nil, toStatus(err, r.scope)
	}
	return verifier.NewContext(ctx, claims), nil
}

// verify runs the checks in order: the token from the "authorization"
// metadata, the verifier, the policy, the method's scopes, the Check.
func (c *compiled) verify(ctx context.Context, method string, r rule, listed bool) (*verifier.Claims, error) {
	token, err := bearer.ParseHeader(metadata.ValueFromIncomingContext(ctx, "authorization"), c.maxBytes)
	if err != nil {
		return nil, err
	}
	claims, err := c.v.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	if claims == nil {
		return nil, errors.New("grpcauth: verifier returned no claims and no error")
	}
	if !listed {
		return nil, bearer.Denied(fmt.Errorf("%w: %s", errUnlisted, method))
	}
	if err := r.req.Check(claims.Scopes); err != nil {
		return nil, err
	}
	if c.check != nil {
		if err := c.check(ctx, method, claims); err != nil {
			return nil, &checkError{bearer.Denied(err)}
		}
	}
	return claims, nil
}

// checkError marks an error returned by Policy.Check.
type checkError struct{ err error }

func (e *checkError) Error() string { return "grpcauth: check: " + e.err.Error() }
func (e *checkError) Unwrap() error { return e.err }

// toStatus is the gRPC twin of the HTTP middleware's decision: the same
// bearer.Classify, the gRPC column of the behaviour table, and a message
// from the same fixed vocabulary. routeScope is the method's required
// scopes, named on PermissionDenied as a WWW-Authenticate scope attribute
// would name them.
func toStatus(err error, routeScope string) error {
	k := bearer.Classify(err)
	msg := bearer.Describe(err)
	if k == bearer.Missing {
		msg = "the request carries no bearer access token"
	}
	if k == bearer.InsufficientScope {
		if s := scopeOf(err, routeScope); s != "" {
			msg += " (" + s + ")"
		}
	}
	return status.Error(grpcCode(k), "grpcauth: "+msg)
}

// grpcCode is the gRPC column of the behaviour table. Unknown and Internal
// are never used.
func grpcCode(k bearer.Kind) codes.Code {
	switch k {
	case bearer.Missing, bearer.InvalidToken:
		return codes.Unauthenticated
	case bearer.InvalidRequest:
		return codes.InvalidArgument
	case bearer.InsufficientScope:
		return codes.PermissionDenied
	}
	return codes.Unavailable
}

// scopeOf names the scopes a PermissionDenied is about: the method's, or
// those of an InsufficientScopeError from Policy.Check; none for a denial
// by the policy or by a Check that gave no scopes.
func scopeOf(err error, routeScope string) string {
	var ce *checkError
	var se *scopes.InsufficientScopeError
	switch {
	case errors.Is(err, bearer.ErrDenied):
		return ""
	case !errors.As(err, &ce):
		return routeScope
	case errors.As(err, &se):
		return strings.Join(se.Required, " ")
	}
	return ""
}
