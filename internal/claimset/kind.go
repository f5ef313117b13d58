package claimset

import "strings"

// NotAccessToken says why the claims are those of a token that is not an
// access token, or returns "" when nothing says so. The JWT verifier and
// the introspector both refuse such tokens (RFC 8725 §3.11, RFC 9068 §4):
//
//   - an OpenID Connect ID token carries "nonce", "at_hash" or "c_hash"
//     (OIDC Core §2, §3.1.3.6, §3.3.2.11);
//   - a logout or security event token carries "events" (RFC 8417 §2.2,
//     OIDC Back-Channel Logout §2.4);
//   - Keycloak marks its tokens with a "typ" claim: "Bearer" for access
//     tokens, "ID", "Refresh", "Offline" or "Logout" for the others.
func (s *Set) NotAccessToken() string {
	switch {
	case s.Nonce != "", s.AtHash != "", s.CHash != "":
		return "carries OpenID Connect ID token claims (nonce, at_hash or c_hash): ID tokens are not API credentials"
	case s.HasEvents:
		return "carries \"events\": a logout or security event token"
	}
	switch t := strings.ToLower(s.Typ); t {
	case "id", "refresh", "offline", "logout":
		return "has a \"typ\" claim of " + t + ", not an access token"
	}
	return ""
}
