package issuertest

import (
	"net/http"
	"strings"
)

// introspectionDialect is how /introspect describes tokens: as this
// server does by default (RFC 7662, with token_type telling access tokens
// from refresh tokens), or as a named authorization server does, so that
// a resource server can be tested against the answers it will really
// get. The named dialects follow what was measured on those servers.
type introspectionDialect uint8

const (
	dialectRFC7662 introspectionDialect = iota
	dialectHydra
	dialectNodeOIDC
)

// WithHydraIntrospection makes /introspect answer as the admin API of ORY
// Hydra v2 does (measured on v2.3.0):
//
//   - no client authentication is asked for, as on Hydra's admin port;
//     credentials that are sent are ignored;
//   - token_type is "Bearer" for refresh tokens too; token_use tells the
//     kinds apart: "access_token" or "refresh_token";
//   - aud is always an array (empty when there is none), and a refresh
//     token's is the audience of its grant, as its access tokens have;
//   - ID tokens, like every token it did not record, are {"active": false}.
//
// A resource server that reads only token_type and checks no audience
// accepts Hydra's refresh tokens as access tokens.
func WithHydraIntrospection() Option {
	return optionFunc(func(c *config) { c.introspection = dialectHydra })
}

// WithNodeOIDCIntrospection makes /introspect answer as node-oidc-provider
// v9 does (measured on v9.13.3):
//
//   - an access token has token_type "Bearer";
//   - a refresh token has no token_type and no aud;
//   - a token in JWT format (three dot-separated parts: JWT access tokens,
//     ID tokens, forged JWTs) is answered 400 with
//     {"error": "unsupported_token_type"}, once the client has
//     authenticated.
//
// Combine it with [WithOpaqueAccessTokens] for access tokens it can
// introspect. A resource server that takes every 400 for an outage
// answers ID tokens with 503 instead of 401.
func WithNodeOIDCIntrospection() Option {
	return optionFunc(func(c *config) { c.introspection = dialectNodeOIDC })
}

// open reports whether the dialect's endpoint needs no client
// authentication.
func (d introspectionDialect) open() bool { return d == dialectHydra }

// refuse returns the error the dialect answers for token before looking
// it up, if any.
func (d introspectionDialect) refuse(token string) *oauthError {
	if d == dialectNodeOIDC && strings.Count(token, ".") == 2 {
		return &oauthError{status: http.StatusBadRequest, code: "unsupported_token_type",
			description: "issuertest (node-oidc-provider dialect): tokens in JWT format are not introspected"}
	}
	return nil
}

// access adjusts the description of an active access token.
func (d introspectionDialect) access(resp map[string]any) {
	if d == dialectHydra {
		resp["token_use"] = "access_token"
		resp["aud"] = audienceArray(resp["aud"])
	}
}

// refresh adjusts the description of an active refresh token whose grant
// is for audience.
func (d introspectionDialect) refresh(resp map[string]any, audience []string) {
	switch d {
	case dialectHydra:
		resp["token_type"], resp["token_use"] = "Bearer", "refresh_token"
		resp["aud"] = append([]string{}, audience...)
	case dialectNodeOIDC:
		delete(resp, "token_type")
		delete(resp, "aud")
	}
}

// audienceArray writes an aud claim as Hydra does: always an array.
func audienceArray(aud any) any {
	switch a := aud.(type) {
	case nil:
		return []string{}
	case string:
		return []string{a}
	case []string:
		return append([]string{}, a...)
	}
	return aud // set by a test's Claims: as given
}
