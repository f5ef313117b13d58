package issuertest

import (
	"net/http"
	"slices"
	"strings"
)

// handleIntrospect is the introspection endpoint (RFC 7662 §2). Only an
// authenticated client allowed to introspect may call it. Unknown,
// expired, revoked and malformed tokens are all just inactive (§2.2).
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	form, oerr := parsePost(w, r)
	if oerr == nil {
		oerr = s.introspector(r, form)
	}
	if oerr == nil && form.Get("token") == "" {
		oerr = badRequest("invalid_request", "token is missing")
	}
	if oerr == nil {
		oerr = s.cfg.introspection.refuse(form.Get("token"))
	}
	if oerr != nil {
		oerr.write(w)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, s.introspect(form.Get("token")))
}

// introspector authenticates the caller of /introspect (RFC 7662 §2.1),
// unless the dialect's endpoint is open.
func (s *Server) introspector(r *http.Request, form map[string][]string) *oauthError {
	if s.cfg.introspection.open() {
		return nil
	}
	client, oerr := s.authenticateClient(r, form)
	switch {
	case oerr != nil:
		return oerr
	case client.public():
		return invalidClient("a public client may not introspect", false)
	case !client.Introspect:
		return &oauthError{status: http.StatusForbidden, code: "unauthorized_client", description: "the client may not introspect"}
	}
	return nil
}

// introspect describes a token (RFC 7662 §2.2): every claim of an active
// access token with token_type Bearer, the metadata of an active refresh
// token with token_type refresh_token, else only active false; a dialect
// other than the default then adjusts the description.
func (s *Server) introspect(token string) map[string]any {
	if a, ok := s.store.lookupAccess(token); ok {
		resp := cloneClaims(a.claims)
		resp["active"] = true
		resp["token_type"] = introspectedType(a.claims) // dpop.go
		if _, user := a.claims["auth_time"]; user {
			resp["username"] = a.claims["sub"]
		}
		s.cfg.introspection.access(resp)
		return resp
	}
	if rt, ok := s.store.lookupRefresh(token); ok {
		g := rt.grant
		resp := map[string]any{
			"active": true, "token_type": "refresh_token",
			"iss": s.URL, "sub": g.subject, "username": g.subject, "client_id": g.clientID,
			"aud": audienceClaim(g.audience), "iat": rt.iat.Unix(), "exp": rt.exp.Unix(), "jti": rt.jti,
		}
		if len(rt.scope) > 0 {
			resp["scope"] = joinScopes(rt.scope)
		}
		s.cfg.introspection.refresh(resp, g.audience)
		return resp
	}
	return map[string]any{"active": false}
}

// handleRevoke is the revocation endpoint (RFC 7009 §2). A client may
// revoke only its own tokens; an unknown token is not an error (§2.2).
// Revoking a refresh token revokes its family; an access token is revoked
// alone.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	form, oerr := parsePost(w, r)
	if oerr != nil {
		oerr.write(w)
		return
	}
	client, oerr := s.authenticateClient(r, form)
	if oerr != nil {
		oerr.write(w)
		return
	}
	if form.Get("token") == "" {
		badRequest("invalid_request", "token is missing").write(w)
		return
	}
	// token_type_hint is only a hint, and every token is looked up anyway.
	ok, g := s.store.revoke(form.Get("token"), client.ID)
	if !ok {
		badRequest("unauthorized_client", "the token was issued to another client").write(w)
		return
	}
	if g != nil {
		s.notifyRevoked(g.subject) // a grant ended: its subject's receivers hear of it
	}
	noStore(w)
	w.WriteHeader(http.StatusOK)
}

// handleUserinfo is the UserInfo endpoint (OIDC Core §5.3). The access
// token comes in the Authorization header only (RFC 6750 §2.1) and must be
// active and carry the openid scope.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	token, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="issuertest"`)
		http.Error(w, "issuertest: a bearer token is required", http.StatusUnauthorized)
		return
	}
	a, ok := s.store.lookupAccess(token)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="issuertest", error="invalid_token"`)
		http.Error(w, "issuertest: invalid token", http.StatusUnauthorized)
		return
	}
	scope, _ := a.claims["scope"].(string)
	scopes := strings.Fields(scope)
	if !slices.Contains(scopes, "openid") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="issuertest", error="insufficient_scope", scope="openid"`)
		http.Error(w, "issuertest: the openid scope is required", http.StatusForbidden)
		return
	}
	sub, _ := a.claims["sub"].(string)
	info := map[string]any{"sub": sub}
	if u, ok := s.users[sub]; ok {
		if slices.Contains(scopes, "profile") && u.Name != "" {
			info["name"] = u.Name
		}
		if slices.Contains(scopes, "email") && u.Email != "" {
			info["email"], info["email_verified"] = u.Email, true
		}
	}
	noStore(w)
	writeJSON(w, http.StatusOK, info)
}

// bearerToken reads the one Authorization header of the form
// "Bearer <token>" (RFC 6750 §2.1).
func bearerToken(r *http.Request) (string, bool) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}
