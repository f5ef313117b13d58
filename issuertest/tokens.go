package issuertest

import (
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"maps"
	"strings"
	"time"
)

// A TokenRequest describes a token to mint with [Server.AccessToken],
// [Server.IDToken] or one of the bad-token helpers. The zero value is a
// valid request: a client_credentials-style access token of
// [ServiceClientID] for the default audience with no scopes.
type TokenRequest struct {
	// Subject is the user the token is about (sub, with auth_time set to
	// now). Empty means a token a client got for itself: sub is the client
	// ID and there is no auth_time. For ID tokens empty means the default
	// user.
	Subject string
	// ClientID is the client_id (and for ID tokens aud and azp). Default:
	// [PublicClientID] when Subject is set, else [ServiceClientID].
	ClientID string
	// Scopes become the space-separated scope claim; none means no claim.
	Scopes []string
	// Audience is the aud claim of an access token; default: the server's
	// default audience. One value is written as a string, several as an
	// array.
	Audience []string
	// Lifetime is the time to exp; default: the server's access or ID token
	// lifetime.
	Lifetime time.Duration
	// Nonce is the nonce claim of an ID token; unused for access tokens.
	Nonce string
	// Header and Claims override members of the JWS header and the claims
	// after the server has set its own: a value replaces the member, a nil
	// value removes it. The signature is always made with the current
	// key's algorithm, whatever "alg" says. Ignored for opaque tokens,
	// except that Claims changes what introspection reports.
	Header map[string]any
	Claims map[string]any
}

func (r TokenRequest) withDefaults() TokenRequest {
	if r.ClientID == "" {
		r.ClientID = ServiceClientID
		if r.Subject != "" {
			r.ClientID = PublicClientID
		}
	}
	return r
}

// AccessToken mints an access token without any browser flow and records
// it, so that introspection, revocation and /userinfo know it. It is a JWT
// per RFC 9068 (typ at+jwt; iss, sub, aud, client_id, scope, iat, exp, jti
// and auth_time when Subject is set) signed by the current key, or an
// opaque token with [WithOpaqueAccessTokens].
//
//	tok := iss.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}})
func (s *Server) AccessToken(req TokenRequest) string {
	req = req.withDefaults()
	g := &grant{clientID: req.ClientID, subject: req.Subject, scopes: req.Scopes, audience: req.Audience}
	if req.Subject == "" {
		g.subject = req.ClientID
	} else {
		g.authTime = s.now()
	}
	if len(g.audience) == 0 {
		g.audience = []string{s.Audience()}
	}
	token, _ := s.issueAccess(g, g.scopes, g.audience, req.Lifetime, req.Header, req.Claims)
	return token
}

// IDToken mints an OpenID Connect ID token (OIDC Core §2) for Subject
// (default: the default user), with aud and azp set to ClientID (default
// [PublicClientID]), auth_time, and nonce when Nonce is set. Its header typ
// is JWT, and it is signed with the client's ID token algorithm (RS256
// unless the client registered another). It is not recorded anywhere: it is
// not an access token.
func (s *Server) IDToken(req TokenRequest) string {
	if req.Subject == "" {
		req.Subject = s.cfg.defaultUser
	}
	req = req.withDefaults()
	g := &grant{clientID: req.ClientID, subject: req.Subject, authTime: s.now(), nonce: req.Nonce}
	return s.signedIDToken(g, "", req.Lifetime, req.Header, req.Claims)
}

// RefreshToken mints a refresh token as the token endpoint issues one
// after Subject (default: the default user) signed in to ClientID
// (default [PublicClientID]), for Scopes and Audience (default: the
// server's default audience). It is recorded: introspection reports it
// active with token_type "refresh_token", and the refresh_token grant
// accepts it once and rotates it. Use it to test that an API refuses a
// refresh token presented as a bearer credential, without running the
// authorization code flow.
func (s *Server) RefreshToken(req TokenRequest) string {
	if req.Subject == "" {
		req.Subject = s.cfg.defaultUser
	}
	req = req.withDefaults()
	g := &grant{clientID: req.ClientID, subject: req.Subject, scopes: req.Scopes, audience: req.Audience, authTime: s.now()}
	if len(g.audience) == 0 {
		g.audience = []string{s.Audience()}
	}
	now := s.now()
	return s.store.putRefresh(&refreshRecord{grant: g, scope: req.Scopes, iat: now, exp: now.Add(s.cfg.refreshTTL), jti: randomToken()[:22]})
}

// MintJWT signs header and claims with the current key, for hostile tokens
// no other helper makes. The header starts as alg, kid and typ at+jwt and
// header's members override it (a nil value removes one); claims are used
// exactly as given. The signature is always made with the current key's
// algorithm. The token is not recorded: introspection reports it inactive.
func (s *Server) MintJWT(header, claims map[string]any) string {
	k := s.keys.signer()
	h := map[string]any{"alg": k.alg, "kid": k.kid, "typ": "at+jwt"}
	override(h, header)
	return encodeJWS(k.priv, k.alg, h, claims)
}

// issueAccess mints and records an access token of grant g.
func (s *Server) issueAccess(g *grant, scopes, audience []string, ttl time.Duration, header, extra map[string]any) (string, time.Duration) {
	if ttl <= 0 {
		ttl = s.cfg.accessTTL
	}
	now := s.now()
	claims := map[string]any{
		"iss":       s.URL,
		"sub":       g.subject,
		"aud":       audienceClaim(audience),
		"client_id": g.clientID,
		"iat":       now.Unix(),
		"exp":       now.Add(ttl).Unix(),
		"jti":       randomToken()[:22],
	}
	if len(scopes) > 0 {
		claims["scope"] = joinScopes(scopes)
	}
	if !g.authTime.IsZero() {
		claims["auth_time"] = g.authTime.Unix()
	}
	if g.acr != "" {
		claims["acr"] = g.acr // RFC 9068 §2.2.1, RFC 9470 §4
	}
	override(claims, extra)
	var token string
	if s.cfg.opaque {
		token = randomToken()
	} else {
		k := s.keys.signer()
		h := map[string]any{"alg": k.alg, "kid": k.kid, "typ": "at+jwt"} // RFC 9068 §2.1
		override(h, header)
		token = encodeJWS(k.priv, k.alg, h, claims)
	}
	exp := now.Add(ttl)
	if n, ok := numericDate(claims["exp"]); ok {
		exp = time.Unix(n, 0) // an overridden exp decides introspection too
	}
	s.store.putAccess(token, &accessRecord{claims: claims, exp: exp, grant: g})
	return token, ttl
}

// numericDate reads a NumericDate claim set by Go code or decoded JSON.
func numericDate(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	}
	return 0, false
}

// signedIDToken mints an ID token of grant g (OIDC Core §2, §3.1.3.6); a
// non-empty accessToken adds its at_hash.
func (s *Server) signedIDToken(g *grant, accessToken string, ttl time.Duration, header, extra map[string]any) string {
	if ttl <= 0 {
		ttl = s.cfg.idTTL
	}
	now := s.now()
	claims := map[string]any{
		"iss":       s.URL,
		"sub":       g.subject,
		"aud":       g.clientID,
		"azp":       g.clientID,
		"iat":       now.Unix(),
		"exp":       now.Add(ttl).Unix(),
		"auth_time": g.authTime.Unix(),
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	if g.acr != "" {
		claims["acr"] = g.acr
	}
	k := s.keys.signerFor(s.idTokenAlg(g.clientID))
	if accessToken != "" {
		claims["at_hash"] = halfHash(k.alg, accessToken)
	}
	override(claims, extra)
	h := map[string]any{"alg": k.alg, "kid": k.kid, "typ": "JWT"}
	override(h, header)
	return encodeJWS(k.priv, k.alg, h, claims)
}

// halfHash is the at_hash of token (OIDC Core §3.1.3.6): the left half of
// its hash with the hash function of the signing algorithm; SHA-512 for
// EdDSA with Ed25519.
func halfHash(alg, token string) string {
	var h hash.Hash = sha256.New()
	if alg == AlgEdDSA {
		h = sha512.New()
	}
	h.Write([]byte(token))
	sum := h.Sum(nil)
	return b64.EncodeToString(sum[:len(sum)/2])
}

// audienceClaim writes one audience as a string and several as an array
// (RFC 7519 §4.1.3).
func audienceClaim(aud []string) any {
	if len(aud) == 1 {
		return aud[0]
	}
	return append([]string(nil), aud...)
}

// override applies changes to m: a nil value deletes the member.
func override(m, changes map[string]any) {
	for k, v := range changes {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
}

// joinScopes writes scopes as the scope claim or parameter (RFC 6749 §3.3).
func joinScopes(scopes []string) string { return strings.Join(scopes, " ") }

// cloneClaims copies a claims map for a response.
func cloneClaims(m map[string]any) map[string]any { return maps.Clone(m) }
