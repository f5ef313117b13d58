package profiles

import (
	"fmt"

	"github.com/tokengate/tokengate/claims"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

const entraLogin = "https://login.microsoftonline.com/"

// EntraV2 is Microsoft Entra ID (Azure AD) v2.0 access tokens for an API
// registered in one tenant, whose manifest asks for v2 tokens
// (accessTokenAcceptedVersion 2). It sets:
//
//   - issuer https://login.microsoftonline.com/{TenantID}/v2.0 and the
//     tenant's v2 key set, RS256 only;
//   - audience ClientID, the API's application (client) ID GUID, which v2
//     tokens always carry, and any of Audiences;
//   - checks "ver" is "2.0" and "tid" is TenantID (the access-tokens
//     document's tenant check);
//   - the client from "azp" (the default, client_id then azp), required.
//
// Roles are in "roles" ([EntraV2.Roles]); scopes in "scp", which the
// verifier reads. It relaxes nothing. Tokens for Microsoft Graph are not
// for your API and fail the audience check. For several tenants, list
// each with [EntraTenants] in a verifier.MultiConfig; never trust
// whatever tenant a token names.
type EntraV2 struct {
	TenantID  string   // directory (tenant) ID GUID; required
	ClientID  string   // the API's application (client) ID GUID; required
	Audiences []string // further accepted "aud" values; optional
}

// Config returns the verifier.Config of p.
func (p EntraV2) Config() (verifier.Config, error) {
	if err := checkEntra("EntraV2", p.TenantID, p.ClientID, true); err != nil {
		return verifier.Config{}, err
	}
	iss := entraLogin + p.TenantID + "/v2.0"
	return verifier.Config{
		Issuer:     iss,
		Audience:   p.ClientID,
		Audiences:  p.Audiences,
		JWKSURL:    entraLogin + p.TenantID + "/discovery/v2.0/keys",
		Algorithms: []string{"RS256"},
		Check:      all(equal("entra v2", "ver", "2.0"), equal("entra v2", "tid", p.TenantID), hasClient("entra v2")),
	}, nil
}

// Roles requires every one of roles in the token's "roles" claim (app
// roles, and the application permissions of app-only tokens).
func (EntraV2) Roles(roles ...string) scopes.Requirement { return claims.Contains("roles", roles...) }

// EntraV1 is Microsoft Entra ID v1.0 access tokens (the manifest's
// accessTokenAcceptedVersion null or 1, whichever endpoint the client
// used). It sets:
//
//   - issuer https://sts.windows.net/{TenantID}/ (with the trailing slash)
//     and the tenant's v1 key set, RS256 only;
//   - audiences: every value v1 tokens may carry for the API, which is
//     each of its app ID URIs, with or without a trailing slash, or its
//     client ID GUID: list them in Audiences, and ClientID;
//   - checks "ver" is "1.0" and "tid" is TenantID;
//   - the client from "appid", required.
//
// Roles are in "roles". It relaxes nothing.
type EntraV1 struct {
	TenantID  string   // directory (tenant) ID GUID; required
	ClientID  string   // the API's application (client) ID GUID; optional if Audiences is set
	Audiences []string // the API's app ID URIs as tokens carry them, such as "api://orders" and "api://orders/"
}

// Config returns the verifier.Config of p.
func (p EntraV1) Config() (verifier.Config, error) {
	if err := checkEntra("EntraV1", p.TenantID, p.ClientID, len(p.Audiences) == 0); err != nil {
		return verifier.Config{}, err
	}
	return verifier.Config{
		Issuer:     "https://sts.windows.net/" + p.TenantID + "/",
		Audience:   p.ClientID,
		Audiences:  p.Audiences,
		JWKSURL:    entraLogin + p.TenantID + "/discovery/keys",
		Algorithms: []string{"RS256"},
		Check:      all(equal("entra v1", "ver", "1.0"), equal("entra v1", "tid", p.TenantID), clientFrom("entra v1", "appid")),
	}, nil
}

// Roles requires every one of roles in the token's "roles" claim.
func (EntraV1) Roles(roles ...string) scopes.Requirement { return claims.Contains("roles", roles...) }

func checkEntra(profile, tenant, client string, clientRequired bool) error {
	if !guid.MatchString(tenant) {
		return fmt.Errorf("profiles: %s.TenantID %q must be the tenant's GUID (lower case): a name such as \"common\" would trust every tenant", profile, tenant)
	}
	if client == "" && !clientRequired {
		return nil
	}
	if !guid.MatchString(client) {
		return fmt.Errorf("profiles: %s.ClientID %q must be the API's application ID GUID", profile, client)
	}
	return nil
}

// EntraTenants returns the configs of one API registered for several
// tenants (a multi-tenant app): one EntraV2 issuer per listed tenant, for
// verifier.MultiConfig.Issuers. A token naming a tenant not listed is
// refused without any request:
//
//	cfgs, err := profiles.EntraTenants(clientID, tenantA, tenantB)
//	v, err := verifier.NewMulti(verifier.MultiConfig{Issuers: cfgs})
func EntraTenants(clientID string, tenants ...string) ([]verifier.Config, error) {
	if len(tenants) == 0 {
		return nil, fmt.Errorf("profiles: EntraTenants needs at least one tenant")
	}
	var out []verifier.Config
	for _, t := range tenants {
		cfg, err := EntraV2{TenantID: t, ClientID: clientID}.Config()
		if err != nil {
			return nil, err
		}
		out = append(out, cfg)
	}
	return out, nil
}
