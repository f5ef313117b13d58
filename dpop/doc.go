// Package dpop checks DPoP proofs (RFC 9449,
// https://www.rfc-editor.org/rfc/rfc9449), so that an API accepts an access
// token only from the client holding the private key it is bound to: a
// stolen DPoP-bound token is useless without that key.
//
// A [Checker] is made once and given to the transport, which then accepts
// the DPoP authorization scheme on that route:
//
//	proofs, err := dpop.New(dpop.Config{})
//	g := &middleware.Guard{DPoP: proofs, ExternalURL: "https://api.example.com"}
//	mux.Handle("GET /orders", g.Require(jwt, scopes.All("orders:read"))(orders))
//
// For each request "Authorization: DPoP <token>" with a "DPoP: <proof>"
// header, the transport hands the proof to [Checker.CheckProof], which
// checks it (RFC 9449 §4.3): exactly one proof, of bounded size; "typ"
// dpop+jwt; an asymmetric "alg" of Config.Algorithms; a "jwk" holding a
// public RSA (2048 to 4096 bits), EC (P-256, P-384, P-521) or Ed25519 key
// and no private member; the signature, with golang-jwt's algorithms;
// "htm" and "htu" equal to the request's method and configured URL; "iat"
// within Config.MaxAge and Config.Leeway; "ath" the hash of the token; and
// with Config.RequireNonce a server nonce (RFC 9449 §9). The proof key's
// RFC 7638 thumbprint ([Thumbprint]) then goes to the verifier, which
// refuses the token unless its "cnf"."jkt" is that thumbprint; once the
// token passed, [Checker.UseProof] records the proof's "jti" in the replay
// store, so that a proof is accepted once (RFC 9449 §11.1). Only proofs
// for valid tokens bound to their key are recorded, so that a client
// without a token cannot fill the store.
//
// The replay store is a [MemoryStore] by default: bounded, and refusing
// (503) rather than forgetting when full. Replicas share a
// tokengate.ReplayStore instead, so that a proof used at one is refused at
// every other.
//
// Every refusal wraps tokengate.ErrInvalidDPoPProof (401,
// error="invalid_dpop_proof") or tokengate.ErrUseDPoPNonce (401,
// error="use_dpop_nonce", with a DPoP-Nonce header); error messages name
// the check that failed and both values, never the token.
package dpop
