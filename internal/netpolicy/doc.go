// Package netpolicy holds, once, the rules every tokengate package applies to
// what crosses the network: which URLs may be called, how much of a body is
// read, which redirects are followed, what a token may look like before it
// is parsed, and how a value from outside is shown in an error. It depends
// on the standard library only and sits at the bottom of the import graph,
// so that the rules cannot drift apart between packages.
package netpolicy

import "time"

// Limits and defaults shared by the verifiers and the transports.
const (
	// DefaultMaxTokenBytes caps a token's length before any decoding.
	DefaultMaxTokenBytes = 8192

	// DefaultLeeway is the clock skew tolerated for "exp", "nbf" and
	// "iat" when a Config leaves Leeway zero; MaxLeeway bounds it.
	DefaultLeeway = 30 * time.Second
	MaxLeeway     = 5 * time.Minute

	// DefaultTimeout bounds one outbound call when a Config leaves its
	// timeout zero.
	DefaultTimeout = 10 * time.Second

	// MaxBodyBytes bounds a discovery document, a key set or an
	// introspection response unless a Config sets less.
	MaxBodyBytes = 1 << 20
)

// AsymmetricAlgorithms are the JWS signature algorithms tokengate verifies
// with public keys (RFC 7518 §3.1, RFC 8037 §3.1, and Ed25519 from
// RFC 9864 §2), in the order of the default allow-list. Callers get a
// fresh slice.
func AsymmetricAlgorithms() []string {
	return []string{
		"RS256", "RS384", "RS512",
		"PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512",
		"EdDSA", "Ed25519",
	}
}
