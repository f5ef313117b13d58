package profiles

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/tokengate/tokengate/claims"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// Keycloak is Keycloak (and Red Hat build of Keycloak) access tokens of
// one realm. It sets:
//
//   - issuer {BaseURL}/realms/{Realm} (BaseURL ending in /auth for the
//     older WildFly-based servers) and the realm's key set
//     {issuer}/protocol/openid-connect/certs; the issuer must be the host
//     name clients use, as Keycloak writes the one a token was asked
//     through;
//   - audience Audience, the API's client as an audience mapper puts it in
//     "aud"; "account" is refused as an audience: every token of a user
//     with the default account roles carries it, so trusting it lets any
//     client of the realm call the API;
//   - the token kind from Keycloak's "typ" claim, which must be "Bearer":
//     ID ("ID") and refresh ("Refresh") tokens are refused by it. This
//     replaces the default detection, which would refuse the access
//     tokens of Keycloak before 25.0 for carrying "nonce";
//   - the client from "azp", required.
//
// Roles are in "realm_access.roles" ([Keycloak.RealmRoles]) and
// "resource_access.{client}.roles" ([Keycloak.ClientRoles]).
type Keycloak struct {
	BaseURL  string // such as "https://sso.example.com"; required
	Realm    string // required
	Audience string // this API's audience; required, and not "account"
}

// Config returns the verifier.Config of p.
func (p Keycloak) Config() (verifier.Config, error) {
	u, err := url.Parse(p.BaseURL)
	switch {
	case err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return verifier.Config{}, fmt.Errorf("profiles: Keycloak.BaseURL %q must be an absolute URL such as https://sso.example.com", p.BaseURL)
	case p.Realm == "" || strings.ContainsAny(p.Realm, "/?#"):
		return verifier.Config{}, fmt.Errorf("profiles: Keycloak.Realm %q must be a realm name", p.Realm)
	case p.Audience == "":
		return verifier.Config{}, fmt.Errorf("profiles: Keycloak.Audience is required (add an audience mapper for this API's client)")
	case p.Audience == "account":
		return verifier.Config{}, fmt.Errorf("profiles: Keycloak.Audience \"account\" is in every user's token; it is not an API's audience")
	}
	iss := strings.TrimSuffix(p.BaseURL, "/") + "/realms/" + p.Realm
	return verifier.Config{
		Issuer:    iss,
		Audience:  p.Audience,
		JWKSURL:   iss + "/protocol/openid-connect/certs",
		TokenKind: equal("keycloak", "typ", "Bearer"),
		Check:     all(equal("keycloak", "typ", "Bearer"), clientFrom("keycloak", "azp")),
	}, nil
}

// RealmRoles requires every one of roles in "realm_access.roles".
func (Keycloak) RealmRoles(roles ...string) scopes.Requirement {
	return claims.Contains("realm_access.roles", roles...)
}

// ClientRoles requires every one of roles in the roles of client, in
// "resource_access.{client}.roles".
func (Keycloak) ClientRoles(client string, roles ...string) scopes.Requirement {
	return claims.Contains(claims.Path("resource_access", client, "roles"), roles...)
}
