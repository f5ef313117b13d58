// Package profiles holds small presets of verifier.Config for identity
// providers whose access tokens differ from RFC 9068 in ways a verifier
// must know: where the client id lives, where roles live, whether tokens
// carry "aud", the issuer's format and the token types.
//
// A profile sets what its provider needs and nothing more. Each type's
// documentation lists every setting, and names every relaxation of the
// verifier's defaults with the check that replaces it (Cognito's missing
// audience, Google's ID tokens); no profile weakens a check silently. The
// one line:
//
//	v, err := profiles.New(ctx, profiles.Keycloak{BaseURL: "https://sso.example.com", Realm: "shop", Audience: "orders-api"})
//
// and a route that needs a realm role next to a scope:
//
//	kc := profiles.Keycloak{...}
//	mux.Handle("POST /refunds", middleware.Require(v, scopes.All("refunds:write"), kc.RealmRoles("refunds"))(refunds))
//
// Config returns the verifier.Config for further settings (an HTTP
// client, a clock) or for verifier.MultiConfig.Issuers, which is how one
// API trusts several providers or tenants:
//
//	cfgs, err := profiles.EntraTenants(apiClientID, tenantA, tenantB)
//	v, err := verifier.NewMulti(verifier.MultiConfig{Issuers: cfgs})
//
//	profile   issuer                                      audience             client from  roles                          token kind
//	EntraV2   login.microsoftonline.com/{tid}/v2.0        API client GUID      azp          roles                          ver 2.0, tid
//	EntraV1   sts.windows.net/{tid}/                      app ID URIs, GUID    appid        roles                          ver 1.0, tid
//	Cognito   cognito-idp.{region}.amazonaws.com/{pool}   none (relaxed)       client_id    cognito:groups                 token_use access; client_id allow-list
//	Keycloak  {base}/realms/{realm}                       configured, not      azp          realm_access.roles,            typ claim Bearer
//	                                                      "account"                         resource_access.{c}.roles
//	Okta      {domain}/oauth2/{server}                    api://default        cid          groups (configurable)          -
//	Auth0     https://{domain}/                           API identifier       azp or       permissions                    typ at+jwt with RFC9068
//	                                                                           client_id
//	Google    accounts.google.com, both spellings         service URL          azp          -                              ID tokens accepted (relaxed)
//	Zitadel   https://{domain}                            project ID           azp          urn:zitadel:iam:org:project:   -
//	                                                                                        roles (object keys)
//	Hydra     as configured                               configured           client_id    - (ext.*)                      -
//
// The tests check each profile against tokens shaped exactly like its
// provider's documented ones, kept in testdata/providers, whose README
// names the document each shape follows.
package profiles
