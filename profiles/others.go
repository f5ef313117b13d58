package profiles

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/tokengate/tokengate/claims"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// Okta is the access tokens of an Okta custom authorization server (API
// Access Management), the only Okta tokens meant for your API: the org
// authorization server's are for Okta's own APIs. It sets:
//
//   - issuer https://{Domain}/oauth2/{AuthServerID} (AuthServerID
//     default "default") and its key set {issuer}/v1/keys, RS256 only;
//   - audience Audience, default "api://default", the default server's;
//   - the client from "cid", required (Okta writes neither client_id nor
//     azp).
//
// Scopes are in "scp", an array, which the verifier reads. Groups are a
// custom claim, "groups" unless GroupsClaim says otherwise
// ([Okta.Groups]). It relaxes nothing.
type Okta struct {
	Domain       string // the Okta domain, such as "example.okta.com"; required
	AuthServerID string // default "default"
	Audience     string // default "api://default"
	GroupsClaim  string // default "groups"
}

// Config returns the verifier.Config of p.
func (p Okta) Config() (verifier.Config, error) {
	if err := hostName("Okta", "Domain", p.Domain); err != nil {
		return verifier.Config{}, err
	}
	p = p.withDefaults()
	iss := "https://" + p.Domain + "/oauth2/" + p.AuthServerID
	return verifier.Config{
		Issuer:     iss,
		Audience:   p.Audience,
		JWKSURL:    iss + "/v1/keys",
		Algorithms: []string{"RS256"},
		Check:      clientFrom("okta", "cid"),
	}, nil
}

func (p Okta) withDefaults() Okta {
	if p.AuthServerID == "" {
		p.AuthServerID = "default"
	}
	if p.Audience == "" {
		p.Audience = "api://default"
	}
	if p.GroupsClaim == "" {
		p.GroupsClaim = "groups"
	}
	return p
}

// Groups requires every one of groups in the groups claim.
func (p Okta) Groups(groups ...string) scopes.Requirement {
	return claims.Contains(claims.Path(p.withDefaults().GroupsClaim), groups...)
}

// Auth0 is the access tokens of an Auth0 API. It sets:
//
//   - issuer https://{Domain}/ (Auth0 keeps the trailing slash; Domain is
//     the tenant's, such as "example.eu.auth0.com", or a custom domain)
//     and its key set {issuer}.well-known/jwks.json, RS256 and PS256;
//   - audience Audience, the API identifier, matched exactly ("https://x"
//     and "https://x/" are two APIs); "aud" may be an array that also
//     names /userinfo;
//   - with RFC9068, the header "typ" must be "at+jwt" (the tenant's
//     "RFC 9068" access token profile); with the default "Auth0" profile
//     tokens are typed "JWT";
//   - a client ("azp", or "client_id" in the RFC 9068 profile), required.
//
// Permissions are in "permissions" when RBAC adds them ([Auth0.Permissions]).
// It relaxes nothing.
type Auth0 struct {
	Domain   string // required
	Audience string // the API identifier; required
	RFC9068  bool   // the tenant issues the RFC 9068 token profile
}

// Config returns the verifier.Config of p.
func (p Auth0) Config() (verifier.Config, error) {
	if err := hostName("Auth0", "Domain", p.Domain); err != nil {
		return verifier.Config{}, err
	}
	if err := requireField("Auth0", "Audience", p.Audience); err != nil {
		return verifier.Config{}, err
	}
	iss := "https://" + p.Domain + "/"
	return verifier.Config{
		Issuer:                 iss,
		Audience:               p.Audience,
		JWKSURL:                iss + ".well-known/jwks.json",
		Algorithms:             []string{"RS256", "PS256"},
		RequireAccessTokenType: p.RFC9068,
		Check:                  hasClient("auth0"),
	}, nil
}

// Permissions requires every one of permissions in "permissions".
func (Auth0) Permissions(permissions ...string) scopes.Requirement {
	return claims.Contains("permissions", permissions...)
}

// Google is Google-signed ID tokens used as API credentials, as Cloud Run
// and service-to-service calls use them: Google's access tokens are
// opaque and cannot be verified locally. It sets:
//
//   - issuer https://accounts.google.com and its other spelling
//     "accounts.google.com" (an alias), with Google's key set, RS256 only;
//   - audience Audience: the receiving service's URL or OAuth client ID;
//   - RELAXATION: ID tokens are accepted, since they are Google's
//     credential for this use: the default refusal of tokens that carry
//     "nonce" or "at_hash" is off (verifier.Config.TokenKind accepts
//     every kind), leaving the audience check to bind the token to this
//     service;
//   - the client from "azp", required.
type Google struct {
	Audience string // the service URL or client ID the tokens are minted for; required
}

// Config returns the verifier.Config of p.
func (p Google) Config() (verifier.Config, error) {
	if err := requireField("Google", "Audience", p.Audience); err != nil {
		return verifier.Config{}, err
	}
	return verifier.Config{
		Issuer:        "https://accounts.google.com",
		IssuerAliases: []string{"accounts.google.com"},
		Audience:      p.Audience,
		JWKSURL:       "https://www.googleapis.com/oauth2/v3/certs",
		Algorithms:    []string{"RS256"},
		TokenKind:     func(*verifier.Claims) error { return nil },
		Check:         clientFrom("google", "azp"),
	}, nil
}

// Zitadel is the JWT access tokens of a ZITADEL instance (for apps whose
// token type is "JWT"; "Bearer" apps get opaque tokens, for
// introspection). It sets:
//
//   - issuer https://{Domain} and its key set {issuer}/oauth/v2/keys;
//   - audience ProjectID, which ZITADEL puts in the "aud" array beside the
//     client IDs;
//   - the client from "azp", required.
//
// Roles are the member names of "urn:zitadel:iam:org:project:roles"
// ([Zitadel.Roles]). It relaxes nothing.
type Zitadel struct {
	Domain    string // the instance or custom domain; required
	ProjectID string // required
}

// Config returns the verifier.Config of p.
func (p Zitadel) Config() (verifier.Config, error) {
	if err := hostName("Zitadel", "Domain", p.Domain); err != nil {
		return verifier.Config{}, err
	}
	if err := requireField("Zitadel", "ProjectID", p.ProjectID); err != nil {
		return verifier.Config{}, err
	}
	iss := "https://" + p.Domain
	return verifier.Config{
		Issuer:   iss,
		Audience: p.ProjectID,
		JWKSURL:  iss + "/oauth/v2/keys",
		Check:    clientFrom("zitadel", "azp"),
	}, nil
}

// Roles requires every one of roles among the project roles granted.
func (Zitadel) Roles(roles ...string) scopes.Requirement {
	return claims.Contains("urn:zitadel:iam:org:project:roles", roles...)
}

// Hydra is the JWT access tokens of ORY Hydra (strategies.access_token
// jwt; opaque ones are for introspection). It sets:
//
//   - issuer Issuer exactly as URLS_SELF_ISSUER is configured, trailing
//     slash or not, and its key set {issuer}/.well-known/jwks.json;
//   - audience Audience, in Hydra's "aud" array;
//   - the client from "client_id", required.
//
// Scopes are in "scp" (an array, by default) or "scope"; the verifier
// reads both. Hydra has no roles claim; consent-session claims are under
// "ext" ([Hydra.Ext]). It relaxes nothing.
type Hydra struct {
	Issuer   string // required
	Audience string // required
}

// Config returns the verifier.Config of p.
func (p Hydra) Config() (verifier.Config, error) {
	if u, err := url.Parse(p.Issuer); err != nil || u.Host == "" {
		return verifier.Config{}, fmt.Errorf("profiles: Hydra.Issuer %q must be the issuer URL Hydra is configured with", p.Issuer)
	}
	if err := requireField("Hydra", "Audience", p.Audience); err != nil {
		return verifier.Config{}, err
	}
	return verifier.Config{
		Issuer:   p.Issuer,
		Audience: p.Audience,
		JWKSURL:  strings.TrimSuffix(p.Issuer, "/") + "/.well-known/jwks.json",
		Check:    clientFrom("hydra", "client_id"),
	}, nil
}

// Ext requires the consent-session claim ext.{name} to hold every one of
// values.
func (Hydra) Ext(name string, values ...string) scopes.Requirement {
	return claims.Contains(claims.Path("ext", name), values...)
}
