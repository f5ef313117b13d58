package issuertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

// metadata is the server's metadata document, served both as OpenID
// Provider Metadata (OIDC Discovery §3) and as OAuth 2.0 Authorization
// Server Metadata (RFC 8414 §2), which share their member names.
func (s *Server) metadata() map[string]any {
	var scopes []string
	for _, c := range s.cfg.clients {
		for _, sc := range c.Scopes {
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	clientAuth := []string{"client_secret_basic", "client_secret_post"}
	md := map[string]any{
		"issuer":                                        s.URL,
		"authorization_endpoint":                        s.endpointURL("/authorize"),
		"token_endpoint":                                s.endpointURL("/token"),
		"jwks_uri":                                      s.endpointURL("/jwks"),
		"userinfo_endpoint":                             s.endpointURL("/userinfo"),
		"introspection_endpoint":                        s.endpointURL("/introspect"),
		"revocation_endpoint":                           s.endpointURL("/revoke"),
		"scopes_supported":                              scopes,
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query"},
		"grant_types_supported":                         []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials},
		"subject_types_supported":                       []string{"public"},
		"id_token_signing_alg_values_supported":         s.keys.algs, // RS256 always (Discovery §3)
		"token_endpoint_auth_methods_supported":         append(clientAuth, "none"),
		"introspection_endpoint_auth_methods_supported": clientAuth,
		"revocation_endpoint_auth_methods_supported":    append(clientAuth, "none"),
		"code_challenge_methods_supported":              []string{"S256"},
		"claims_supported": []string{
			"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash",
			"name", "email", "email_verified",
		},
		"authorization_response_iss_parameter_supported": true,             // RFC 9207
		"dpop_signing_alg_values_supported":              DPoPAlgorithms(), // RFC 9449 §5.1
		"tls_client_certificate_bound_access_tokens":     s.cfg.mtls,       // RFC 8705 §3.3
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
	}
	s.addAuthnMetadata(md)
	return md
}

func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "max-age=300")
	writeJSON(w, http.StatusOK, s.metadata())
}

// handleJWKS serves the published keys (RFC 7517 §5) with a Cache-Control
// max-age that tells caches how long they may keep them.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(s.cfg.jwksMaxAge.Seconds())))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(s.keys.jwks())
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
