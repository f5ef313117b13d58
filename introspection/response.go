package introspection

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/verifier"
)

// verdict is the outcome of one introspection response.
type verdict struct {
	claims *verifier.Claims // set when the token is accepted
	err    error            // set when it is refused or cannot be checked
	// final marks a refusal that stays true for this token (inactive,
	// expired, wrong issuer or audience, not an access token), which may
	// be cached; "not valid yet" and server faults are not final.
	final bool
}

// interpret reads an RFC 7662 §2.2 response body and applies this
// introspector's policy to it at time now.
func (i *Introspector) interpret(body []byte, now time.Time) verdict {
	set, err := claimset.Parse(body)
	if err != nil {
		return verdict{err: fmt.Errorf("introspection: malformed response from the endpoint: %w: %w", verifier.ErrUnavailable, err)}
	}
	switch {
	case set.Active == nil:
		// RFC 7662 §2.2: "active" is REQUIRED and a boolean. Without it the
		// server is faulty; this says nothing about the token.
		return verdict{err: fmt.Errorf("introspection: response has no boolean \"active\" member (RFC 7662 §2.2), got %s: %w",
			describeRaw(set.ActiveRaw), verifier.ErrUnavailable)}
	case !*set.Active:
		return refuse(verifier.ErrInvalidToken, "token is not active (revoked, expired or unknown to the issuer)")
	}
	if err := checkTokenType(set); err != nil {
		return verdict{err: err, final: true}
	}
	return i.checkClaims(set, now)
}

// checkClaims checks the claims of an active token with one leeway.
func (i *Introspector) checkClaims(s *claimset.Set, now time.Time) verdict {
	leeway := i.cfg.Leeway
	switch {
	case !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt.Add(leeway)):
		return refuse(verifier.ErrTokenExpired, "token expired (\"exp\" in the introspection response)")
	case !s.NotBefore.IsZero() && now.Add(leeway).Before(s.NotBefore):
		return verdict{err: fmt.Errorf("introspection: token not valid yet (\"nbf\"): %w", verifier.ErrInvalidToken)}
	case i.cfg.Issuer != "" && s.Issuer != "" && s.Issuer != i.cfg.Issuer:
		return refuse(verifier.ErrInvalidToken, "token is from another issuer")
	case i.cfg.Audience != "" && !slices.Contains(s.Audience, i.cfg.Audience):
		return refuse(verifier.ErrInvalidToken, "token is not for this audience")
	}
	c := verifier.Claims(s.Registered)
	return verdict{claims: &c}
}

func refuse(kind error, msg string) verdict {
	return verdict{err: fmt.Errorf("introspection: %s: %w", msg, kind), final: true}
}

// checkTokenType refuses an active token that is not a bearer access
// token. RFC 7662 §2.2 "token_type" takes the values of RFC 6749 §7.1;
// servers also send the RFC 8693 §3 type URIs or their short names. An
// absent token_type is accepted. A "DPoP" token is refused too: a
// DPoP-bound token must not be accepted as a bearer token (RFC 9449 §7.1).
// The claim markers are those the JWT verifier checks
// (claimset.Set.NotAccessToken).
func checkTokenType(s *claimset.Set) error {
	switch strings.ToLower(s.TokenType) {
	case "", "bearer", "access_token", "urn:ietf:params:oauth:token-type:access_token":
	default:
		return fmt.Errorf("introspection: token_type %q is not a bearer access token: %w", truncate(s.TokenType, 32), verifier.ErrNotAccessToken)
	}
	if why := s.NotAccessToken(); why != "" {
		return fmt.Errorf("introspection: token %s: %w", why, verifier.ErrNotAccessToken)
	}
	return nil
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

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
