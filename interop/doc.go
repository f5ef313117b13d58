// Package interop checks tokengate against a real authorization server
// that is not our own: node-oidc-provider (panva/node-oidc-provider, the
// version pinned in package.json), started on loopback by the tests and
// configured for RFC 9068 JWT access tokens through resource indicators
// (RFC 8707), opaque access tokens, introspection (RFC 7662) and
// revocation (RFC 7009). The tests drive code + PKCE without a browser
// (provider.mjs signs the user in and consents at once) and check the
// verifier, the introspector and the middleware against what the server
// issues.
//
// It is a module of its own, so nothing it needs enters tokengate's
// go.mod, and needs Node.js 18.12 or later:
//
//	cd interop && npm ci && go test ./...
//
// The tests install the npm packages themselves (npm ci) when
// node_modules is missing.
package interop
