package introspection

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/internal/claimset"
)

// extras are the response members claimset does not read: the token-kind
// marker of servers that do not rely on RFC 7662 "token_type", and the
// confirmation of a sender-constrained token.
type extras struct {
	tokenUse string // "token_use"; empty when absent or null
	cnf      string // the raw "cnf" member; empty when absent or null
}

// readExtras walks the response once more for the members of extras. It
// runs once per call to the endpoint, never on a cache hit.
func readExtras(body []byte) (extras, error) {
	var x extras
	var use string
	err := claimset.Members(body, func(name, value string) error {
		switch name {
		case "token_use":
			use = value
		case "cnf":
			x.cnf = value
		}
		return nil
	})
	if err != nil {
		return x, err
	}
	if x.cnf == "null" {
		x.cnf = ""
	}
	x.tokenUse, err = claimset.String("token_use", use)
	return x, err
}

// Values of "token_type" (RFC 7662 §2.2, from RFC 6749 §7.1; servers also
// send the RFC 8693 §3 type URIs or their short names) and of "token_use"
// that name a bearer access token.
var (
	accessTokenTypes = []string{"bearer", "access_token", "urn:ietf:params:oauth:token-type:access_token"}
	accessTokenUses  = []string{"access_token", "access"}
)

// checkKind refuses an active token that is not a bearer access token.
// The rules, and the servers they come from, are in the package
// documentation; each applies on its own, so that a response passes only
// if none of them refuses it:
//
//  1. "token_type" "DPoP" (RFC 9449 §6.2) needs "cnf"."jkt"; the binding
//     itself ("cnf": "jkt", RFC 9449 §6.2, or "x5t#S256", RFC 8705 §3) is
//     checked against each request's proof of possession by deliver, not
//     here, as the answer is cached for every request;
//  2. "token_type", when present, names an access token: a bearer one, or
//     "DPoP"; anything else is another kind of token;
//  3. "token_use", when present, is "access_token" (ORY Hydra) or
//     "access" (Cognito-style);
//  4. a response with neither is an access token only if its "aud"
//     contains Config.Audience; with Config.AnyAudience nothing can vouch
//     for it;
//  5. no claim marks an ID, logout or Keycloak refresh token
//     (claimset.Set.NotAccessToken, the JWT verifier's rule).
func (i *Introspector) checkKind(s *claimset.Set, x extras, cnf binding.Confirmation, q quoter) error {
	tt := strings.ToLower(s.TokenType)
	switch {
	case tt == "dpop" && cnf.JKT == "":
		return fmt.Errorf("introspection: \"token_type\" %s names a DPoP-bound token but \"cnf\" has no \"jkt\" to bind it to (RFC 9449 §6.2): %w",
			q.q(s.TokenType), tokengate.ErrSenderConstrained)
	case tt != "" && tt != "dpop" && !slices.Contains(accessTokenTypes, tt):
		return fmt.Errorf("introspection: \"token_type\" %s is not a bearer access token, want \"Bearer\": %w",
			q.q(s.TokenType), tokengate.ErrNotAccessToken)
	case x.tokenUse != "" && !slices.Contains(accessTokenUses, x.tokenUse):
		return fmt.Errorf("introspection: \"token_use\" %s is not an access token, want \"access_token\" or \"access\": %w",
			q.q(x.tokenUse), tokengate.ErrNotAccessToken)
	case tt == "" && x.tokenUse == "" && i.cfg.AnyAudience:
		return fmt.Errorf("introspection: the response names no kind of token (no \"token_type\" or \"token_use\"), and with Config.AnyAudience no audience can show it is an access token rather than a refresh token: %w",
			tokengate.ErrNotAccessToken)
	case tt == "" && x.tokenUse == "" && !slices.Contains(s.Audience, i.cfg.Audience):
		return fmt.Errorf("introspection: the response names no kind of token (no \"token_type\" or \"token_use\") and its \"aud\" %s does not contain Config.Audience %s, so it may be a refresh token: %w",
			q.list(s.Audience), quote(i.cfg.Audience), tokengate.ErrNotAccessToken)
	}
	if why := s.NotAccessToken(); why != "" {
		return fmt.Errorf("introspection: token %s: %w", why, tokengate.ErrNotAccessToken)
	}
	return nil
}
