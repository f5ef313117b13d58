// Package tokengate protects Go APIs with OAuth 2.0 bearer access tokens.
//
// The library is split by job; start with the package you need:
//
//   - [github.com/tokengate/tokengate/verifier] checks JWT access tokens
//     locally against the issuer's key set.
//   - [github.com/tokengate/tokengate/introspection] checks tokens
//     remotely with RFC 7662 token introspection, with a bounded cache.
//   - [github.com/tokengate/tokengate/middleware] protects net/http routes
//     in one line, and [github.com/tokengate/tokengate/middleware/grpcauth]
//     gRPC methods.
//   - [github.com/tokengate/tokengate/scopes] expresses what a route
//     requires.
//   - [github.com/tokengate/tokengate/issuertest] runs a real, strict
//     authorization server in tests, so an API is tested end to end without
//     an identity provider.
//
// This package holds the contract every verifier and both transports
// share, and depends on nothing but the standard library and tokengate's
// own internals: [Claims], [TokenVerifier], the errors every verifier
// returns, and [NewContext] and [FromContext]. Package verifier re-exports
// each under the same name, so code may use either; a service that only
// introspects thus links no JWT library.
package tokengate
