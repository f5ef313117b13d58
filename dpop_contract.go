package tokengate

import (
	"context"
	"time"
)

// The DPoP errors (RFC 9449 §7.1). They are refusals of a request's proof,
// not of its token, so they do not wrap ErrInvalidToken: a client that sees
// them keeps its token and sends a new proof.
var (
	// ErrInvalidDPoPProof reports a DPoP proof that is missing, malformed,
	// badly signed, for another request, too old, replayed, or not for
	// the presented access token (RFC 9449 §4.3). HTTP 401 with
	// error="invalid_dpop_proof", gRPC Unauthenticated.
	ErrInvalidDPoPProof error = &sentinel{msg: "tokengate: invalid DPoP proof"}

	// ErrUseDPoPNonce reports a DPoP proof without the server nonce the
	// resource requires, or with a stale one (RFC 9449 §9): the client
	// retries with the nonce of the DPoP-Nonce response header. HTTP 401
	// with error="use_dpop_nonce", gRPC Unauthenticated.
	ErrUseDPoPNonce error = &sentinel{msg: "tokengate: DPoP proof needs the server's nonce"}
)

// DPoPRequest is what a transport hands a [DPoPChecker]: the proofs a
// request carries and what they must match (RFC 9449 §4.3).
type DPoPRequest struct {
	// Proofs are the values of the request's DPoP header (gRPC: "dpop"
	// metadata); exactly one is valid.
	Proofs []string

	// Method is the request's HTTP method, which "htm" must equal.
	Method string

	// URL is the request's target URI without query and fragment, which
	// "htu" must equal. It comes from the route's configuration, never
	// from the request's Host header.
	URL string

	// AccessToken is the token presented with the proof, whose hash
	// "ath" must be.
	AccessToken string
}

// DPoPProof is a proof that passed every check of [DPoPChecker.CheckProof]
// but the replay check.
type DPoPProof struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the proof's public key,
	// base64url-encoded: what the access token's "cnf"."jkt" must be
	// (RFC 9449 §6.1).
	JKT string

	// ReplayKey identifies the proof for the replay check, and Until is
	// the last instant it would be accepted.
	ReplayKey string
	Until     time.Time
}

// DPoPChecker checks DPoP proofs (RFC 9449 §4.3) for the HTTP middleware
// and the gRPC interceptors; package dpop's Checker is the implementation.
// A transport calls CheckProof before the access token is verified, and
// UseProof once the token is verified and bound to the proof's key, so that
// only proofs for valid, bound tokens fill the replay store.
// Implementations are safe for concurrent use.
type DPoPChecker interface {
	// CheckProof checks everything about req's one proof but whether it
	// was used before: an error wraps ErrInvalidDPoPProof,
	// ErrUseDPoPNonce or ErrUnavailable.
	CheckProof(ctx context.Context, req DPoPRequest) (DPoPProof, error)

	// UseProof records p as used (RFC 9449 §11.1). A proof seen before
	// is refused with an error wrapping ErrInvalidDPoPProof; a store that
	// cannot decide, with one wrapping ErrUnavailable.
	UseProof(ctx context.Context, p DPoPProof) error

	// Algorithms lists the proof algorithms accepted, for the algs
	// attribute of the DPoP challenge (RFC 9449 §7.1).
	Algorithms() []string

	// Nonce returns the server nonce a client should put in its next
	// proof, sent as the DPoP-Nonce response header (RFC 9449 §9), or ""
	// when the checker uses no nonces.
	Nonce() string
}
