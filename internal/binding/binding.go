// Package binding carries a request's proof of possession from the
// transport to the verifiers, and checks a sender-constrained token's
// confirmation ("cnf", RFC 7800 §3.1) against it: the key of a DPoP proof
// (RFC 9449 §6) and the client certificate of the TLS connection
// (RFC 8705 §3).
//
// The transport (internal/bearer) puts an [Evidence] in the request's
// context; verifier.JWT and introspection.Introspector call [Check] with
// the token's "cnf" for every request, after any cache, since the evidence
// belongs to the request and not to the token. A context without evidence
// is a bearer request: any "cnf" refuses the token (RFC 9449 §7.2).
//
// The package is internal so that only the transport, which checked the
// proof or read the certificate itself, can vouch for a request.
package binding

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/internal/netpolicy"
)

// The refusals of [Check]. Each wraps tokengate.ErrInvalidToken, and those
// of a binding the request cannot show wrap tokengate.ErrSenderConstrained.
var (
	// ErrNotDPoPBound reports a token presented with the DPoP scheme that
	// has no "cnf"."jkt" to bind it to the proof's key (RFC 9449 §7.1).
	ErrNotDPoPBound = fmt.Errorf("binding: token presented with the DPoP scheme is not DPoP-bound: %w", tokengate.ErrInvalidToken)

	// ErrKeyMismatch reports a "cnf"."jkt" that is not the thumbprint of
	// the proof's key (RFC 9449 §6.1, §7.1).
	ErrKeyMismatch = fmt.Errorf("binding: token is bound to another DPoP key: %w", tokengate.ErrInvalidToken)

	// ErrCertificateMismatch reports a "cnf"."x5t#S256" that is not the
	// thumbprint of the request's client certificate (RFC 8705 §3).
	ErrCertificateMismatch = fmt.Errorf("binding: token is bound to another client certificate: %w", tokengate.ErrInvalidToken)

	// ErrNoCertificate reports a certificate-bound token on a request
	// without a client certificate (RFC 8705 §3).
	ErrNoCertificate = fmt.Errorf("binding: token is bound to a client certificate the request does not present: %w", tokengate.ErrSenderConstrained)
)

// Confirmation is a token's "cnf" member, decoded.
type Confirmation struct {
	JKT   string // "jkt": RFC 7638 thumbprint of a DPoP key (RFC 9449 §6)
	X5T   string // "x5t#S256": thumbprint of a client certificate (RFC 8705 §3.1)
	Other string // the name of a member this package cannot check; "" when none
}

// Parse decodes raw, the "cnf" member as sent ("" when absent or null).
// Any confirmation method other than "jkt" and "x5t#S256" ("jwk", "kid",
// "x5t" of SHA-1, ...) is kept in Other, and [Check] refuses it: a
// binding that cannot be checked must not be ignored.
func Parse(raw string) (Confirmation, error) {
	var c Confirmation
	if raw == "" || raw == "null" {
		return c, nil
	}
	err := claimset.Members([]byte(raw), func(name, value string) error {
		var err error
		switch name {
		case "jkt":
			c.JKT, err = nonEmpty("cnf.jkt", value)
		case "x5t#S256":
			c.X5T, err = nonEmpty("cnf.x5t#S256", value)
		default:
			if c.Other == "" {
				c.Other = name
			}
		}
		return err
	})
	if err != nil {
		return Confirmation{}, fmt.Errorf("binding: \"cnf\" is not an object of string members: %w", err)
	}
	if c == (Confirmation{}) {
		c.Other = "{}" // an empty cnf confirms nothing, and is not a bearer token either
	}
	return c, nil
}

func nonEmpty(name, raw string) (string, error) {
	s, err := claimset.String(name, raw)
	if err == nil && s == "" {
		err = fmt.Errorf("%w: %q is empty", claimset.ErrMalformed, name)
	}
	return s, err
}

// Evidence is what a request proves it holds, set by the transport.
type Evidence struct {
	// DPoP is set when the token came with the DPoP scheme and its proof
	// passed; JKT is then the thumbprint of the proof's key.
	DPoP bool
	JKT  string

	// X5T is the base64url SHA-256 thumbprint of the DER of the
	// request's client certificate (RFC 8705 §3.1); "" when none.
	X5T string

	confirmed atomic.Bool // set by Check once a DPoP binding held
}

// Confirmed reports whether a verifier checked the token's DPoP binding
// against this evidence. A transport refuses a DPoP request whose
// verifier did not, so that a verifier unaware of bindings cannot let a
// proof for one key stand for a token of another.
func (e *Evidence) Confirmed() bool { return e.confirmed.Load() }

// evidenceKey is the context key of *Evidence.
type evidenceKey struct{}

func (evidenceKey) String() string { return "tokengate binding evidence" }

// NewContext returns a copy of ctx that carries e.
func NewContext(ctx context.Context, e *Evidence) context.Context {
	return context.WithValue(ctx, evidenceKey{}, e)
}

// FromContext returns the evidence in ctx, or nil.
func FromContext(ctx context.Context) *Evidence {
	e, _ := ctx.Value(evidenceKey{}).(*Evidence)
	return e
}

// Check checks the token confirmation c against the evidence in ctx, for
// every request, in this order:
//
//  1. a confirmation method this package cannot check refuses the token;
//  2. a token presented with the DPoP scheme must have "jkt" (RFC 9449
//     §7.1), and a token with "jkt" must come with the DPoP scheme
//     (RFC 9449 §7.2: never as a bearer token);
//  3. "jkt" equals the thumbprint of the proof's key (RFC 9449 §6.1);
//  4. "x5t#S256" equals the thumbprint of the request's client
//     certificate, compared as sent: a thumbprint in another encoding
//     (hex, padded or standard base64) does not match (RFC 8705 §3.1).
func Check(ctx context.Context, c Confirmation) error {
	ev := FromContext(ctx)
	dpop := ev != nil && ev.DPoP
	switch {
	case c.Other != "":
		return fmt.Errorf("binding: token \"cnf\" has member %s, want \"jkt\" or \"x5t#S256\": a binding that cannot be checked: %w",
			netpolicy.Quote(c.Other), tokengate.ErrSenderConstrained)
	case c.JKT == "" && dpop:
		return fmt.Errorf("%w (RFC 9449 §7.1): it has no \"cnf\".\"jkt\", want %s", ErrNotDPoPBound, netpolicy.Quote(ev.JKT))
	case c.JKT != "" && !dpop:
		return fmt.Errorf("binding: token \"cnf\".\"jkt\" %s binds it to a DPoP key, want none: it came as a bearer token, and DPoP-bound tokens need the DPoP scheme and a proof (RFC 9449 §7.2): %w",
			netpolicy.Quote(c.JKT), tokengate.ErrSenderConstrained)
	case c.JKT != "" && c.JKT != ev.JKT:
		return fmt.Errorf("%w: \"cnf\".\"jkt\" %s, proof key thumbprint %s (RFC 9449 §6.1)", ErrKeyMismatch, netpolicy.Quote(c.JKT), netpolicy.Quote(ev.JKT))
	case c.X5T != "" && (ev == nil || ev.X5T == ""):
		return fmt.Errorf("%w: \"cnf\".\"x5t#S256\" %s (RFC 8705 §3)", ErrNoCertificate, netpolicy.Quote(c.X5T))
	case c.X5T != "" && c.X5T != ev.X5T:
		return fmt.Errorf("%w: \"cnf\".\"x5t#S256\" %s, certificate thumbprint %s (RFC 8705 §3.1)", ErrCertificateMismatch, netpolicy.Quote(c.X5T), netpolicy.Quote(ev.X5T))
	}
	if dpop {
		ev.confirmed.Store(true)
	}
	return nil
}
