package bearer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/binding"
)

// Scheme is the authorization scheme a request presented its token with.
type Scheme uint8

const (
	// SchemeBearer is RFC 6750's, and the way of the query and form
	// parameters.
	SchemeBearer Scheme = iota

	// SchemeDPoP is RFC 9449 §7.1's: "Authorization: DPoP <token>" with a
	// DPoP proof header.
	SchemeDPoP
)

// dpopScheme is the DPoP scheme's name, compared case-insensitively
// (RFC 9110 §11.1).
const dpopScheme = "dpop"

var (
	// ErrMalformedDPoP reports a DPoP credential that is not "DPoP", one
	// space and a token68 (RFC 9449 §7.1).
	ErrMalformedDPoP = fmt.Errorf("bearer: malformed DPoP credential: %w", tokengate.ErrInvalidRequest)

	// ErrBearerNotAccepted reports a bearer token on a route that requires
	// DPoP: the request carries no credential the route accepts, so it
	// gets the bare DPoP challenge.
	ErrBearerNotAccepted = fmt.Errorf("bearer: this resource accepts only DPoP-bound tokens with the DPoP scheme (RFC 9449 §7.1): %w", tokengate.ErrNoToken)

	// ErrForwardedCertificate reports a client certificate header from a
	// TLS-terminating proxy that repeats, is too large, or decodes to
	// nothing.
	ErrForwardedCertificate = fmt.Errorf("bearer: malformed forwarded client certificate: %w", tokengate.ErrInvalidRequest)

	// errUnconfirmed stands for a verifier that accepted a DPoP request's
	// token without checking its binding to the proof's key (a
	// TokenVerifierFunc unaware of DPoP): never let through.
	errUnconfirmed = fmt.Errorf("bearer: the verifier did not check the token's DPoP binding: %w", tokengate.ErrUnavailable)
)

// Sender is a route's policy on sender-constrained tokens: whether it
// accepts the DPoP scheme, whether it still accepts Bearer, and the proof
// checker. A nil *Sender accepts Bearer only. Certificate-bound tokens
// (RFC 8705) need no policy: the transport passes the client certificate
// whenever the connection has one.
type Sender struct {
	dpop    tokengate.DPoPChecker
	require bool
	algs    string // the algs attribute of the DPoP challenge
}

// NewSender returns the policy that accepts the DPoP scheme with proofs
// checked by dpop, and the Bearer scheme too unless requireDPoP. A nil
// dpop means Bearer only, and then requireDPoP is an error.
func NewSender(dpop tokengate.DPoPChecker, requireDPoP bool) (*Sender, error) {
	if dpop == nil {
		if requireDPoP {
			return nil, errors.New("requiring DPoP needs a DPoP checker")
		}
		return nil, nil
	}
	algs := dpop.Algorithms()
	if len(algs) == 0 {
		return nil, errors.New("the DPoP checker accepts no algorithm")
	}
	for _, a := range algs {
		if !isSchemeName(a) {
			return nil, fmt.Errorf("the DPoP checker's algorithm %q is not a token", a)
		}
	}
	return &Sender{dpop: dpop, require: requireDPoP, algs: strings.Join(algs, " ")}, nil
}

// WithSender returns a copy of r that accepts the schemes of s.
func (r Rule) WithSender(s *Sender) Rule {
	r.sender = s
	return r
}

func (s *Sender) acceptsDPoP() bool   { return s != nil && s.dpop != nil }
func (s *Sender) acceptsBearer() bool { return s == nil || !s.require }

// RequiresDPoP reports whether the route refuses the Bearer scheme, as
// RFC 9728's dpop_bound_access_tokens_required advertises.
func (s *Sender) RequiresDPoP() bool { return s != nil && s.require }

// Algorithms returns the DPoP proof algorithms the route accepts, nil for
// Bearer only.
func (s *Sender) Algorithms() []string {
	if !s.acceptsDPoP() {
		return nil
	}
	return strings.Fields(s.algs)
}

// Nonce returns the DPoP-Nonce to send with a successful response to a
// request made with scheme (RFC 9449 §9), "" for none.
func (s *Sender) Nonce(scheme Scheme) string {
	if scheme != SchemeDPoP || !s.acceptsDPoP() {
		return ""
	}
	return s.dpop.Nonce()
}

// ParseHeader is [ParseHeader] for a route with policy s: it also accepts
// "DPoP <token>" when s accepts DPoP (RFC 9449 §7.1), and refuses a bearer
// token with [ErrBearerNotAccepted] when s requires DPoP. It returns the
// scheme the token came with.
func (s *Sender) ParseHeader(values []string, maxBytes int) (Scheme, string, error) {
	if !s.acceptsDPoP() {
		token, err := ParseHeader(values, maxBytes)
		return SchemeBearer, token, err
	}
	v, err := oneValue(values, maxBytes)
	if err != nil {
		return SchemeBearer, "", err
	}
	name, rest, hasSpace := strings.Cut(v, " ")
	switch {
	case equalFold(name, dpopScheme):
		if !hasSpace || !ValidToken(rest) {
			return SchemeDPoP, "", ErrMalformedDPoP
		}
		return SchemeDPoP, rest, nil
	case equalFold(name, scheme) && !s.acceptsBearer():
		return SchemeBearer, "", ErrBearerNotAccepted
	}
	token, err := parseCredentials(v)
	return SchemeBearer, token, err
}

// Presented is what a transport read from one request.
type Presented struct {
	// Scheme, Token and ReadErr: the token and how it came, or why no
	// token could be read.
	Scheme  Scheme
	Token   string
	ReadErr error

	// Proofs, Method and URL are the request's DPoP header values, its
	// method and its URL without query as the route's configuration
	// names it: what a DPoP proof must match. Read for SchemeDPoP only.
	Proofs []string
	Method string
	URL    string

	// Certificate is the "x5t#S256" of the request's TLS client
	// certificate ([CertificateThumbprint]), "" when there is none.
	Certificate string
}

// evidence checks the proof of a DPoP request and gathers what the request
// proves it holds; nil when it proves nothing.
func (s *Sender) evidence(ctx context.Context, p *Presented) (*binding.Evidence, tokengate.DPoPProof, error) {
	var ev *binding.Evidence
	var proof tokengate.DPoPProof
	if p.Scheme == SchemeDPoP {
		if !s.acceptsDPoP() {
			return nil, proof, ErrOtherScheme
		}
		var err error
		proof, err = s.dpop.CheckProof(ctx, tokengate.DPoPRequest{Proofs: p.Proofs, Method: p.Method, URL: p.URL, AccessToken: p.Token})
		if err != nil {
			return nil, proof, err
		}
		ev = &binding.Evidence{DPoP: true, JKT: proof.JKT}
	}
	if p.Certificate != "" {
		if ev == nil {
			ev = &binding.Evidence{}
		}
		ev.X5T = p.Certificate
	}
	return ev, proof, nil
}

// CertificateThumbprint is the "x5t#S256" of a DER certificate (RFC 8705
// §3.1), for [Presented.Certificate].
func CertificateThumbprint(der []byte) string { return binding.CertificateThumbprint(der) }

// Challenges returns the WWW-Authenticate values of refusal d on a route
// with policy s, or none for Unavailable. A route that accepts Bearer gets
// a Bearer challenge, one that accepts DPoP a DPoP challenge with the
// algs attribute (RFC 9449 §7.1); where both are accepted, both are sent
// (RFC 9449 §7.2). The error information goes on the challenge of the
// scheme that failed (Decision.DPoP), which comes first; the other is
// bare; a route that accepts DPoP only puts every error on its DPoP
// challenge.
func (c Challenge) Challenges(s *Sender, d *Decision) []string {
	if d.Kind < Missing || d.Kind > UseDPoPNonce || d.Kind == Unavailable {
		return nil
	}
	onDPoP := d.DPoP || !s.acceptsBearer()
	var out []string
	if s.acceptsBearer() {
		out = append(out, c.forScheme("Bearer", !onDPoP, d, ""))
	}
	if s.acceptsDPoP() {
		dp := c.forScheme("DPoP", onDPoP, d, s.algs)
		if onDPoP {
			return append([]string{dp}, out...)
		}
		out = append(out, dp)
	}
	return out
}

// forScheme renders one challenge, with d's error information if failed.
func (c Challenge) forScheme(scheme string, failed bool, d *Decision, algs string) string {
	if !failed {
		return c.write(scheme, &Decision{Kind: Missing}, algs)
	}
	return c.write(scheme, d, algs)
}
