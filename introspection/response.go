package introspection

import (
	"fmt"
	"slices"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/internal/claimset"
)

// verdict is the outcome of one introspection call.
type verdict struct {
	claims *tokengate.Claims    // set when the token is accepted
	cnf    binding.Confirmation // the accepted token's binding ("cnf")
	err    error                // set when it is refused or cannot be checked
	// final marks a refusal that stays true for this token (inactive,
	// expired, wrong issuer or audience, not an access token), which may
	// be cached; "not valid yet" and server faults are not final.
	final bool
	// trips marks a fault that says the endpoint is failing, which opens
	// the breaker.
	trips bool

	// For the shared cache (shared.go): body is the 200 answer the verdict
	// was read from; refusal is the "error" of a 400 that refused the
	// token; notAfter, when set, caps how long the verdict is cached (an
	// answer from the shared cache keeps the lifetime it was stored with).
	body     []byte
	refusal  string
	notAfter time.Time
}

// interpret reads an RFC 7662 §2.2 response body and applies this
// introspector's policy to it at time now. q quotes values from the
// response for error messages.
func (i *Introspector) interpret(body []byte, now time.Time, q quoter) verdict {
	set, err := claimset.Parse(body)
	if err != nil {
		return trip(fmt.Errorf("introspection: malformed response from the endpoint: %w: %w", tokengate.ErrUnavailable, err))
	}
	x, err := readExtras(body)
	if err != nil {
		return trip(fmt.Errorf("introspection: malformed response from the endpoint: %w: %w", tokengate.ErrUnavailable, err))
	}
	switch {
	case set.Active == nil:
		// RFC 7662 §2.2: "active" is REQUIRED and a boolean. Without it the
		// server is faulty; this says nothing about the token.
		return trip(fmt.Errorf("introspection: response has no boolean \"active\" member (RFC 7662 §2.2), got %s: %w",
			describeRaw(set.ActiveRaw), tokengate.ErrUnavailable))
	case !*set.Active:
		return refuse(tokengate.ErrInvalidToken, "the endpoint says the token is not active (\"active\" false, want true): revoked, expired or unknown to the issuer")
	}
	cnf, err := binding.Parse(x.cnf)
	if err != nil {
		return trip(fmt.Errorf("introspection: malformed \"cnf\" %s in the response: %w: %w", q.q(x.cnf), tokengate.ErrUnavailable, err))
	}
	if err := i.checkKind(set, x, cnf, q); err != nil {
		return verdict{err: err, final: true}
	}
	v := i.checkClaims(set, now, q)
	v.cnf = cnf
	return v
}

// checkClaims checks the claims of an active token with one leeway.
func (i *Introspector) checkClaims(s *claimset.Set, now time.Time, q quoter) verdict {
	leeway := i.cfg.Leeway
	switch {
	case !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt.Add(leeway)):
		return refuse(tokengate.ErrTokenExpired, fmt.Sprintf("token expired: \"exp\" %s is not after now %s less the leeway %v",
			instant(s.ExpiresAt), instant(now), leeway))
	case !s.NotBefore.IsZero() && now.Add(leeway).Before(s.NotBefore):
		return verdict{err: fmt.Errorf("introspection: token not valid yet: \"nbf\" %s is after now %s plus the leeway %v: %w",
			instant(s.NotBefore), instant(now), leeway, tokengate.ErrNotYetValid)}
	case i.cfg.Issuer != "" && s.Issuer != "" && s.Issuer != i.cfg.Issuer:
		return refuse(tokengate.ErrWrongIssuer, fmt.Sprintf("token from another issuer: \"iss\" %s is not Config.Issuer %s",
			q.q(s.Issuer), quote(i.cfg.Issuer)))
	case i.cfg.Audience != "" && !slices.Contains(s.Audience, i.cfg.Audience):
		return refuse(tokengate.ErrWrongAudience, fmt.Sprintf("token for another audience: \"aud\" %s does not contain Config.Audience %s",
			q.list(s.Audience), quote(i.cfg.Audience)))
	}
	c := tokengate.Claims(s.Registered)
	return verdict{claims: &c}
}

func refuse(kind error, msg string) verdict {
	return verdict{err: fmt.Errorf("introspection: %s: %w", msg, kind), final: true}
}

// describeRaw names the JSON type of a member, for an error message; the
// value itself is not quoted, as a faulty server might echo the token.
func describeRaw(raw string) string {
	if len(raw) == 0 {
		return "no member"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 'n':
		return "null"
	}
	return "a number"
}
