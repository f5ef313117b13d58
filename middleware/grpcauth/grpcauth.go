package grpcauth

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/bearer"
	"github.com/tokengate/tokengate/scopes"
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
func UnaryServerInterceptor(v tokengate.TokenVerifier, reqs ...scopes.Requirement) grpc.UnaryServerInterceptor {
	return everyMethod(reqs).UnaryServerInterceptor(v)
}

// StreamServerInterceptor is the streaming twin of [UnaryServerInterceptor].
func StreamServerInterceptor(v tokengate.TokenVerifier, reqs ...scopes.Requirement) grpc.StreamServerInterceptor {
	return everyMethod(reqs).StreamServerInterceptor(v)
}

// everyMethod is the Policy of the one-line form.
func everyMethod(reqs []scopes.Requirement) *Policy {
	return &Policy{Unlisted: RequireDefault, Default: reqs}
}

// UnaryServerInterceptor returns an interceptor that enforces p on unary
// methods. On success the handler finds the claims with
// tokengate.FromContext. It panics when v is nil or p is invalid (a
// malformed method name, a method both public and listed, an invalid
// requirement), as these are found at startup.
func (p *Policy) UnaryServerInterceptor(v tokengate.TokenVerifier) grpc.UnaryServerInterceptor {
	c := p.mustCompile(v)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		authed, nonce, err := c.authorize(ctx, info.FullMethod)
		if nonce != "" {
			_ = grpc.SetHeader(ctx, metadata.Pairs(nonceKey, nonce)) // RFC 9449 §9
		}
		if err != nil {
			return nil, err
		}
		return handler(authed, req)
	}
}

// StreamServerInterceptor returns an interceptor that enforces p on
// streaming methods (server, client and bidirectional streaming). The stream
// is wrapped only to return the context with the claims.
func (p *Policy) StreamServerInterceptor(v tokengate.TokenVerifier) grpc.StreamServerInterceptor {
	c := p.mustCompile(v)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, nonce, err := c.authorize(ss.Context(), info.FullMethod)
		if nonce != "" {
			_ = ss.SetHeader(metadata.Pairs(nonceKey, nonce)) // RFC 9449 §9
		}
		if err != nil {
			return err
		}
		if ctx == ss.Context() {
			return handler(srv, ss) // a public method
		}
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
	}
}

func (p *Policy) mustCompile(v tokengate.TokenVerifier) *compiled {
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
// list, when Policy.Unlisted is DenyUnlisted.
var errUnlisted = errors.New("grpcauth: method is not listed in the policy and Policy.Unlisted is DenyUnlisted")

// authorize returns ctx with the caller's claims, ctx itself for a public
// method, or a status error, and the DPoP-Nonce to send ("" for none). The
// decision is bearer.Rule.AuthorizeRequest's, the path the HTTP middleware
// shares; what is left here is the gRPC code and the message.
func (c *compiled) authorize(ctx context.Context, method string) (context.Context, string, error) {
	r := c.lookup(method)
	if r.public {
		return ctx, "", nil
	}
	p := c.present(ctx, method)
	q := bearer.Request{Route: method, Target: method, Presented: p}
	claims, d := c.site.Authorize(ctx, &r.Rule, &q, c.v, func(claims *tokengate.Claims) error {
		if c.check == nil {
			return nil
		}
		return c.check(ctx, method, claims)
	})
	if d != nil {
		if c.onError != nil {
			c.onError(ctx, method, d.Err)
		}
		return nil, d.Nonce, toStatus(d)
	}
	return tokengate.NewContext(ctx, claims), c.sender.Nonce(p.Scheme), nil
}

// toStatus is the gRPC twin of the HTTP middleware's response: the gRPC
// column of the behaviour table and a message from the decision's fixed
// vocabulary. PermissionDenied names the scopes a WWW-Authenticate scope
// attribute would name.
func toStatus(d *bearer.Decision) error {
	msg := d.Description
	switch {
	case d.Kind == bearer.Missing:
		msg = "the request carries no bearer access token"
	case d.Kind == bearer.InsufficientScope && d.Scope != "":
		msg += " (" + d.Scope + ")"
	case d.Kind == bearer.InsufficientUserAuthentication:
		// RFC 9470 §3's challenge attributes, for the client to step up.
		msg += stepUpAttributes(d)
	}
	return status.Error(grpcCode(d.Kind), "grpcauth: "+msg)
}

// grpcCode is the gRPC column of the behaviour table. Unknown and Internal
// are never used.
func grpcCode(k bearer.Kind) codes.Code {
	switch k {
	case bearer.Missing, bearer.InvalidToken, bearer.InsufficientUserAuthentication, bearer.InvalidDPoPProof, bearer.UseDPoPNonce:
		return codes.Unauthenticated
	case bearer.InvalidRequest:
		return codes.InvalidArgument
	case bearer.InsufficientScope:
		return codes.PermissionDenied
	}
	return codes.Unavailable
}

// stepUpAttributes renders the acr_values and max_age of a step-up refusal
// as the message's suffix: ` (acr_values="a b", max_age="300")`.
func stepUpAttributes(d *bearer.Decision) string {
	var parts []string
	if d.ACRValues != "" {
		parts = append(parts, `acr_values="`+d.ACRValues+`"`)
	}
	if d.MaxAge != "" {
		parts = append(parts, `max_age="`+d.MaxAge+`"`)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
