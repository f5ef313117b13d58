package bearer

import (
	"context"
	"errors"
	"strings"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/scopes"
)

// Decision is a refusal as data: everything the HTTP middleware and the
// gRPC interceptors tell the client, decided once by [Rule.Authorize], and
// the cause for logs. A transport only maps Kind to a status or a code and
// writes the response.
type Decision struct {
	// Kind is the class of the refusal.
	Kind Kind

	// Code is the RFC 6750 §3.1 error code ("invalid_request",
	// "invalid_token", "insufficient_scope"); "" for Missing, which gets no
	// error information, and for Unavailable.
	Code string

	// Description is the error_description, from the fixed vocabulary of
	// [Describe]; "" for Missing.
	Description string

	// Scope is the space-separated scope attribute of an InsufficientScope
	// refusal (RFC 6750 §3: "the scope necessary to access the protected
	// resource"); "" otherwise, and "" for a denial that more scope would
	// not lift.
	Scope string

	// ACRValues and MaxAge are the acr_values (space-separated) and
	// max_age (seconds) attributes of an InsufficientUserAuthentication
	// refusal (RFC 9470 §3); "" otherwise, or when the route sets none.
	ACRValues string
	MaxAge    string

	// Err is the cause, for logs: it matches the verifier sentinels with
	// errors.Is. It is never shown to the client.
	Err error

	// DPoP is set when the error information belongs on the DPoP challenge
	// rather than the Bearer one (RFC 9449 §7.1): the request used the DPoP
	// scheme, or its proof was refused.
	DPoP bool

	// Nonce is the DPoP-Nonce to send with the refusal (RFC 9449 §9); ""
	// for none.
	Nonce string
}

// Rule is what one HTTP route or gRPC method needs of a verified token,
// fixed at setup by [NewRule] or [DenyRule]. The zero Rule admits any valid
// token.
type Rule struct {
	req    scopes.Requirement
	scope  string  // the scope attribute of a refusal by req, built once
	deny   error   // from DenyRule: refuse every verified token with this cause
	sender *Sender // from WithSender: the schemes and the DPoP checker; nil: Bearer only

	anonymous bool // from AllowAnonymous: no credentials at all is let through
}

// NewRule returns the Rule that needs every one of reqs (all of them, as
// with scopes.AllOf; none: any valid token). It reports an invalid
// requirement (scopes.Requirement.Validate).
func NewRule(reqs ...scopes.Requirement) (Rule, error) {
	req := scopes.AllOf(reqs...)
	if err := req.Validate(); err != nil {
		return Rule{}, err
	}
	return Rule{req: req, scope: ScopeString(req)}, nil
}

// DenyRule returns a Rule that refuses every token, once verified, with
// cause as a denial (403, PermissionDenied) naming no scope: the answer to
// a method that a policy does not list.
func DenyRule(cause error) Rule {
	return Rule{deny: Denied(cause)}
}

// errNoClaims stands for a verifier that broke its contract by returning
// neither claims nor an error; it classifies as Unavailable.
var errNoClaims = errors.New("bearer: verifier returned no claims and no error")

// Authorize is [Rule.AuthorizeRequest] for a bearer token and no more:
// the transport read token, or readErr when it could not read exactly one
// well-formed token.
func (r *Rule) Authorize(ctx context.Context, v tokengate.TokenVerifier, token string, readErr error, check func(*tokengate.Claims) error) (*tokengate.Claims, *Decision) {
	return r.AuthorizeRequest(ctx, v, &Presented{Token: token, ReadErr: readErr}, check)
}

// AuthorizeRequest is the one decision path of both transports. Given what
// the transport read from the request, it runs the checks in order:
//
//  1. p.ReadErr refuses at once, except that a Rule made by
//     [Rule.AllowAnonymous] lets a request without credentials through
//     with nil claims and a nil Decision;
//  2. for the DPoP scheme, the proof, all but its replay check
//     (tokengate.DPoPChecker.CheckProof, RFC 9449 §4.3);
//  3. v.Verify, with the request's proof of possession (the proof's key,
//     the client certificate) in the context, against which the verifier
//     checks the token's "cnf" (RFC 9449 §6, RFC 8705 §3); a verifier
//     that returns neither claims nor an error is refused as Unavailable,
//     never let through, and so is one that did not check a DPoP binding;
//  4. for the DPoP scheme, the replay check (DPoPChecker.UseProof), so
//     that only proofs for valid bound tokens are recorded;
//  5. the Rule: the cause of a [DenyRule], or the scope requirements;
//  6. check, if not nil: the route's extra requirement on the claims, its
//     error prepared by [Denied].
//
// It returns the verified claims, or nil and the refusal (or, for a
// request let through without credentials, nil and nil). [Classify] runs
// once per refusal.
func (r *Rule) AuthorizeRequest(ctx context.Context, v tokengate.TokenVerifier, p *Presented, check func(*tokengate.Claims) error) (*tokengate.Claims, *Decision) {
	if p.ReadErr != nil {
		if r.anonymous && Absent(p.ReadErr) {
			return nil, nil
		}
		return nil, r.refuse(p, p.ReadErr)
	}
	ev, proof, err := r.sender.evidence(ctx, p)
	if err != nil {
		return nil, r.refuse(p, err)
	}
	vctx := ctx
	if ev != nil {
		vctx = binding.NewContext(ctx, ev)
	}
	claims, err := v.Verify(vctx, p.Token)
	switch {
	case err != nil:
		return nil, r.refuse(p, err)
	case claims == nil:
		return nil, r.refuse(p, errNoClaims)
	case p.Scheme == SchemeDPoP && !ev.Confirmed():
		return nil, r.refuse(p, errUnconfirmed)
	}
	if p.Scheme == SchemeDPoP {
		if err := r.sender.dpop.UseProof(ctx, proof); err != nil {
			return nil, r.refuse(p, err)
		}
	}
	if r.deny != nil {
		return nil, r.refuse(p, r.deny)
	}
	if err := r.req.CheckClaims(claims.Scopes, claims.Raw); err != nil {
		return nil, r.refuse(p, err)
	}
	if check == nil {
		return claims, nil
	}
	if err := check(claims); err != nil {
		k, err := denied(err)
		return nil, r.withScheme(p, decide(k, err, checkScope(err)))
	}
	return claims, nil
}

// Refuse returns the decision for err, a refusal by anything but the
// route's check: reading the token, the verifier, the Rule. Its scope
// attribute is the Rule's own (none for a [DenyRule]).
func (r *Rule) Refuse(err error) *Decision {
	return decide(Classify(err), err, r.scope)
}

// refuse is [Rule.Refuse] for a request presented as p.
func (r *Rule) refuse(p *Presented, err error) *Decision {
	return r.withScheme(p, r.Refuse(err))
}

// withScheme marks a refusal of a DPoP request, or of a proof, as the
// DPoP challenge's, with the nonce to send (RFC 9449 §7.1, §9).
func (r *Rule) withScheme(p *Presented, d *Decision) *Decision {
	if p.Scheme == SchemeDPoP || d.Kind == InvalidDPoPProof || d.Kind == UseDPoPNonce {
		d.DPoP = true
		if r.sender.acceptsDPoP() {
			d.Nonce = r.sender.dpop.Nonce()
		}
	}
	return d
}

// decide builds the decision for err, already classified as k. scope is
// the attribute to name should k be InsufficientScope.
func decide(k Kind, err error, scope string) *Decision {
	d := &Decision{Kind: k, Code: k.code(), Description: describe(k, err), Err: err}
	var se *scopes.InsufficientScopeError
	switch {
	case k == InsufficientUserAuthentication:
		if su := stepUp(err); su != nil {
			d.ACRValues, d.MaxAge = strings.Join(su.ACRValues, " "), su.MaxAgeSeconds()
		}
	case k == InsufficientScope && errors.As(err, &se) && len(se.Unmet) > 0:
		if len(se.Missing) > 0 {
			d.Scope = scope // more scope is part of the answer
		}
	case k == InsufficientScope:
		d.Scope = scope
	}
	return d
}

// checkScope is the scope attribute of a refusal by the route's check: the
// Required scopes of a *scopes.InsufficientScopeError it returned, and none
// for a plain denial, which more scope would not lift.
func checkScope(err error) string {
	var se *scopes.InsufficientScopeError
	if errors.Is(err, ErrDenied) || !errors.As(err, &se) {
		return ""
	}
	return strings.Join(se.Required, " ")
}
