package issuertest

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
)

// codeVerifier is the form of a PKCE code_verifier: 43 to 128 unreserved
// characters (RFC 7636 §4.1).
var codeVerifier = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// handleToken is the token endpoint (RFC 6749 §3.2).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	form, oerr := parsePost(w, r, "resource")
	if oerr != nil {
		oerr.write(w)
		return
	}
	client, oerr := s.authenticateClient(r, form)
	if oerr != nil {
		oerr.write(w)
		return
	}
	pop, oerr := s.requestBinding(r) // DPoP proof, client certificate (dpop.go)
	if oerr != nil {
		oerr.write(w)
		return
	}
	var resp map[string]any
	switch form.Get("grant_type") {
	case GrantAuthorizationCode:
		resp, oerr = s.codeGrant(client, form, pop)
	case GrantRefreshToken:
		resp, oerr = s.refreshGrant(client, form, pop)
	case GrantClientCredentials:
		resp, oerr = s.clientCredentialsGrant(client, form, pop)
	case "":
		oerr = badRequest("invalid_request", "grant_type is missing")
	default:
		oerr = badRequest("unsupported_grant_type", "unsupported grant_type")
	}
	if oerr != nil {
		oerr.write(w)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, resp)
}

// codeGrant redeems an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6).
// A code is single-use: any attempt consumes it, and a second attempt
// revokes the tokens issued from it.
func (s *Server) codeGrant(client *Client, form url.Values, pop binding) (map[string]any, *oauthError) {
	if !client.allows(GrantAuthorizationCode) {
		return nil, badRequest("unauthorized_client", "the client may not use this grant")
	}
	if form.Get("code") == "" {
		return nil, badRequest("invalid_request", "code is missing")
	}
	c, err := s.store.redeemCode(form.Get("code"))
	switch {
	case errors.Is(err, errReplay):
		return nil, badRequest("invalid_grant", "the code was already used; the tokens issued from it are revoked")
	case err != nil:
		return nil, badRequest("invalid_grant", "unknown code")
	case !s.now().Before(c.exp):
		return nil, badRequest("invalid_grant", "the code has expired")
	case c.grant.clientID != client.ID:
		return nil, badRequest("invalid_grant", "the code was issued to another client")
	case form.Get("redirect_uri") != c.redirectURI:
		return nil, badRequest("invalid_grant", "redirect_uri does not match the authorization request")
	}
	if oerr := checkVerifier(form.Get("code_verifier"), c.challenge); oerr != nil {
		return nil, oerr
	}
	aud, oerr := narrowResources(form["resource"], c.grant.audience)
	if oerr != nil {
		return nil, oerr
	}
	return s.issue(client, c.grant, c.grant.scopes, c.grant.scopes, aud, true, pop), nil
}

// checkVerifier checks a PKCE code_verifier against the S256 challenge:
// BASE64URL(SHA256(verifier)) compared in constant time (RFC 7636 §4.6).
func checkVerifier(verifier, challenge string) *oauthError {
	switch {
	case verifier == "":
		return badRequest("invalid_request", "code_verifier is required (PKCE)")
	case !codeVerifier.MatchString(verifier):
		return badRequest("invalid_request", "code_verifier must be 43 to 128 unreserved characters")
	}
	sum := sha256.Sum256([]byte(verifier))
	if !equal(b64.EncodeToString(sum[:]), challenge) {
		return badRequest("invalid_grant", "code_verifier does not match the code_challenge")
	}
	return nil
}

// refreshGrant rotates a refresh token (RFC 6749 §6, RFC 9700 §4.14.2):
// each use returns a new one and invalidates the old; reusing an old one
// revokes the whole family.
func (s *Server) refreshGrant(client *Client, form url.Values, pop binding) (map[string]any, *oauthError) {
	if !client.allows(GrantRefreshToken) {
		return nil, badRequest("unauthorized_client", "the client may not use this grant")
	}
	if form.Get("refresh_token") == "" {
		return nil, badRequest("invalid_request", "refresh_token is missing")
	}
	rec, err := s.store.peekRefresh(form.Get("refresh_token"), client.ID)
	switch {
	case errors.Is(err, errReplay):
		return nil, badRequest("invalid_grant", "the refresh token was already used; its family is revoked")
	case err != nil:
		return nil, badRequest("invalid_grant", "unknown, expired or revoked refresh token")
	}
	if oerr := rec.checkKey(pop); oerr != nil {
		return nil, oerr
	}
	scopes := rec.scope
	if form.Has("scope") {
		var aerr *authError
		narrow := &Client{Scopes: rec.scope}
		if scopes, aerr = allowedScopes(narrow, form.Get("scope")); aerr != nil {
			return nil, badRequest("invalid_scope", "the scope exceeds what was granted")
		}
	}
	aud, oerr := narrowResources(form["resource"], rec.grant.audience)
	if oerr != nil {
		return nil, oerr
	}
	if s.store.useRefresh(rec) != nil {
		return nil, badRequest("invalid_grant", "the refresh token was already used; its family is revoked")
	}
	return s.issue(client, rec.grant, scopes, rec.scope, aud, false, pop), nil
}

// clientCredentialsGrant issues an access token to a confidential client
// for itself (RFC 6749 §4.4), without a refresh token (§4.4.3).
func (s *Server) clientCredentialsGrant(client *Client, form url.Values, pop binding) (map[string]any, *oauthError) {
	if client.public() || !client.allows(GrantClientCredentials) {
		return nil, badRequest("unauthorized_client", "the client may not use this grant")
	}
	scopes, aerr := allowedScopes(client, form.Get("scope"))
	if aerr != nil {
		return nil, badRequest(aerr.code, aerr.description)
	}
	aud, aerr := s.resources(form["resource"])
	if aerr != nil {
		return nil, badRequest(aerr.code, aerr.description)
	}
	g := &grant{clientID: client.ID, subject: client.ID, scopes: scopes, audience: aud}
	token, ttl := s.issueAccess(g, scopes, aud, 0, nil, pop.cnf())
	return map[string]any{
		"access_token": token, "token_type": pop.tokenType(),
		"expires_in": int64(ttl.Seconds()), "scope": joinScopes(scopes),
	}, nil
}

// narrowResources checks the resource parameters of a token request
// against the audiences the grant allows (RFC 8707 §2.2); none means all.
func narrowResources(requested, granted []string) ([]string, *oauthError) {
	if len(requested) == 0 {
		return granted, nil
	}
	var aud []string
	for _, r := range requested {
		if !slices.Contains(granted, r) {
			return nil, badRequest("invalid_target", "the resource was not granted: "+quoted(r))
		}
		if !slices.Contains(aud, r) {
			aud = append(aud, r)
		}
	}
	return aud, nil
}

// issue makes the token response of a user grant: an access token for
// scopes, a refresh token (keeping refreshScope) if the client may
// refresh, and an ID token with at_hash when openid was granted; the nonce
// only in the first ID token (OIDC Core §12.2).
func (s *Server) issue(client *Client, g *grant, scopes, refreshScope, aud []string, withNonce bool, pop binding) map[string]any {
	token, ttl := s.issueAccess(g, scopes, aud, 0, nil, pop.cnf())
	resp := map[string]any{
		"access_token": token, "token_type": pop.tokenType(),
		"expires_in": int64(ttl.Seconds()), "scope": joinScopes(scopes),
	}
	if client.allows(GrantRefreshToken) {
		now := s.now()
		resp["refresh_token"] = s.store.putRefresh(&refreshRecord{
			grant: g, scope: refreshScope, iat: now, exp: now.Add(s.cfg.refreshTTL), jti: randomToken()[:22],
			jkt: refreshKey(client, pop),
		})
	}
	if slices.Contains(scopes, "openid") {
		id := &grant{clientID: g.clientID, subject: g.subject, authTime: g.authTime, acr: g.acr}
		if withNonce {
			id.nonce = g.nonce
		}
		resp["id_token"] = s.signedIDToken(id, token, 0, nil, nil)
	}
	return resp
}
