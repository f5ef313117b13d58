// Package grpcauth protects gRPC servers with OAuth 2.0 bearer access tokens:
// unary and stream server interceptors that mirror the HTTP middleware of
// package middleware, with the same token rules and the same classification
// of failures.
//
// # One line for a whole server
//
// When every method needs a valid token with the same scopes:
//
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(grpcauth.UnaryServerInterceptor(v, scopes.All("orders:read"))),
//		grpc.ChainStreamInterceptor(grpcauth.StreamServerInterceptor(v, scopes.All("orders:read"))),
//	)
//
// v is any verifier.TokenVerifier: a verifier.JWT or an
// introspection.Introspector. Handlers read the caller's claims with
// verifier.FromContext(ctx), or verifier.FromContext(stream.Context()).
//
// # Per-method requirements and public methods
//
// A [Policy] names requirements by full method name, lists the methods open
// without a token, and says what every other method needs:
//
//	p := &grpcauth.Policy{
//		Methods: map[string][]scopes.Requirement{
//			"/orders.v1.Orders/Get":    {scopes.All("orders:read")},
//			"/orders.v1.Orders/Cancel": {scopes.All("orders:write")},
//		},
//		Public: []string{"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"},
//	}
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(p.UnaryServerInterceptor(v)),
//		grpc.ChainStreamInterceptor(p.StreamServerInterceptor(v)),
//	)
//
// A method that is neither in Methods nor in Public still needs a valid
// token, and is then refused with PermissionDenied: deny by default
// ([DenyUnlisted], the zero value of Policy.Unlisted), so a method added to
// the server later is closed until someone opens it. To give unlisted
// methods a requirement instead, say so in the named field:
//
//	p.Unlisted = grpcauth.RequireDefault
//	p.Default = []scopes.Requirement{scopes.All("orders:read")} // none: any valid token
//
// # The token and the answers
//
// The token is read from the "authorization" metadata as "Bearer <token>"
// (per-RPC credentials such as google.golang.org/grpc/credentials/oauth send
// exactly that), with the scheme case-insensitive, exactly one value, and a
// size cap applied first: the verifier's own (verifier.Config.MaxTokenBytes,
// introspection.Config.MaxTokenBytes; 8192 bytes by default), so raising it
// there admits longer tokens here too. The status codes follow
// the behaviour table shared with the HTTP middleware:
//
//	situation                                       code
//	no token, or another scheme                     Unauthenticated
//	bad, expired, wrong iss or aud, ID token, ...   Unauthenticated
//	two authorization values, malformed value       InvalidArgument
//	valid token, missing scope (or denied)          PermissionDenied
//	valid token, missing role or claim              PermissionDenied, naming it
//	acr or auth_time short (RFC 9470 §3)            Unauthenticated, with acr_values and max_age
//	issuer's keys or introspection unreachable      Unavailable
//
// Unknown and Internal are never returned. A verifier error that wraps none
// of the verifier sentinels, and a check cut short by the caller's context,
// are Unavailable: never let through, never blamed on the token. The status
// message comes from a fixed vocabulary ("grpcauth: the access token
// expired") and never contains the token.
//
// Two authorization values are InvalidArgument, as the DESIGN.md behaviour
// table says for "two tokens in one request"; they are refused, never
// resolved by picking one.
//
// # Sender-constrained tokens
//
// A token bound to a TLS client certificate (RFC 8705 §3) is accepted from
// a peer whose TLS connection presents that certificate. DPoP-bound tokens
// (RFC 9449) need Policy.DPoP, a proof checker of package dpop, and
// Policy.ServiceURL: the call carries "authorization: DPoP <token>" and a
// proof in the "dpop" metadata key for htm POST and htu the service URL
// followed by the full method; the next server nonce, when the checker
// uses nonces, comes back in the "dpop-nonce" header. A DPoP-bound token
// sent as a bearer token is always refused (RFC 9449 §7.2).
package grpcauth
