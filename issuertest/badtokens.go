package issuertest

import (
	"time"
)

// The bad-token helpers mint access tokens that a strict verifier
// rejects, each standing for one attack or mistake. They take the same
// [TokenRequest] as [Server.AccessToken] and change one thing, so that a
// test can show that exactly that thing is refused. They are JWTs even with
// [WithOpaqueAccessTokens], and none is recorded: introspection reports
// them inactive.

// WrongIssuer is the iss of [Server.WrongIssuerToken].
const WrongIssuer = "https://evil.example.test"

// WrongAudience is the aud of [Server.WrongAudienceToken].
const WrongAudience = "https://other-api.example.test"

// A NamedToken is a token and the name of the attack it stands for.
type NamedToken struct {
	Name  string
	Token string
}

// BadTokens returns one token of each bad-token helper, named after it,
// for a table test that every one is rejected.
func (s *Server) BadTokens(req TokenRequest) []NamedToken {
	return []NamedToken{
		{"expired", s.ExpiredToken(req)},
		{"not yet valid", s.NotYetValidToken(req)},
		{"wrong audience", s.WrongAudienceToken(req)},
		{"wrong issuer", s.WrongIssuerToken(req)},
		{"id token as access token", s.IDTokenAsAccessToken(req)},
		{"signed by a key not in the jwks", s.ForeignKeyToken(req)},
		{"alg none", s.AlgNoneToken(req)},
		{"hs256 keyed with the public key", s.HS256PublicKeyToken(req)},
		{"missing kid", s.MissingKIDToken(req)},
		{"unknown kid", s.UnknownKIDToken(req)},
	}
}

// claims returns the claims AccessToken would sign for req, without
// recording a token.
func (s *Server) claims(req TokenRequest) map[string]any {
	req = req.withDefaults()
	ttl := req.Lifetime
	if ttl <= 0 {
		ttl = s.cfg.accessTTL
	}
	now := s.now()
	aud := req.Audience
	if len(aud) == 0 {
		aud = []string{s.Audience()}
	}
	c := map[string]any{
		"iss": s.URL, "sub": req.ClientID, "aud": audienceClaim(aud), "client_id": req.ClientID,
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(), "jti": randomToken()[:22],
	}
	if req.Subject != "" {
		c["sub"], c["auth_time"] = req.Subject, now.Unix()
	}
	if len(req.Scopes) > 0 {
		c["scope"] = joinScopes(req.Scopes)
	}
	override(c, req.Claims)
	return c
}

// mint signs claims for req after the changes, with the current key.
func (s *Server) mint(req TokenRequest, changes map[string]any) string {
	c := s.claims(req)
	override(c, changes)
	return s.MintJWT(req.Header, c)
}

// ExpiredToken's exp is one minute ago: a stolen token replayed after its
// lifetime (RFC 7519 §4.1.4). It was issued a lifetime before that.
func (s *Server) ExpiredToken(req TokenRequest) string {
	now := s.now()
	return s.mint(req, map[string]any{
		"iat": now.Add(-time.Minute - s.cfg.accessTTL).Unix(),
		"exp": now.Add(-time.Minute).Unix(),
	})
}

// NotYetValidToken's nbf and iat are an hour ahead: a token minted for later
// use, or by an issuer whose clock is wrong (RFC 7519 §4.1.5). Its exp is
// a lifetime after that.
func (s *Server) NotYetValidToken(req TokenRequest) string {
	later := s.now().Add(time.Hour)
	return s.mint(req, map[string]any{
		"nbf": later.Unix(),
		"iat": later.Unix(),
		"exp": later.Add(s.cfg.accessTTL).Unix(),
	})
}

// WrongAudienceToken's aud is [WrongAudience]: a token issued for another
// API replayed against this one (RFC 9068 §4, RFC 8707).
func (s *Server) WrongAudienceToken(req TokenRequest) string {
	return s.mint(req, map[string]any{"aud": WrongAudience})
}

// WrongIssuerToken's iss is [WrongIssuer], though it is signed by the
// server's key: a token of another tenant or issuer sharing keys, which a
// verifier that checks only the signature would accept (RFC 9068 §4).
func (s *Server) WrongIssuerToken(req TokenRequest) string {
	return s.mint(req, map[string]any{"iss": WrongIssuer})
}

// IDTokenAsAccessToken is an ID token (header typ JWT, azp, nonce,
// auth_time, no client_id or scope) for the user of req, whose aud holds
// both the client and the API audience, so that only the token type gives
// it away: a client forwarding its ID token to an API as a bearer
// credential (RFC 9068 §4 requires typ at+jwt; OIDC Core §2).
func (s *Server) IDTokenAsAccessToken(req TokenRequest) string {
	if req.Subject == "" {
		req.Subject = s.cfg.defaultUser
	}
	req = req.withDefaults()
	aud := req.Audience
	if len(aud) == 0 {
		aud = []string{s.Audience()}
	}
	now := s.now()
	claims := map[string]any{
		"iss": s.URL, "sub": req.Subject, "aud": append([]string{req.ClientID}, aud...),
		"azp": req.ClientID, "nonce": "n-" + randomToken()[:8],
		"iat": now.Unix(), "exp": now.Add(s.cfg.idTTL).Unix(), "auth_time": now.Unix(),
	}
	override(claims, req.Claims)
	header := map[string]any{"typ": "JWT"}
	override(header, req.Header)
	return s.MintJWT(header, claims)
}

// ForeignKeyToken is signed by a key that is not in the JWKS, with the kid
// of the server's current key: an attacker's own key, which a verifier
// that trusts the kid without checking the signature would accept.
func (s *Server) ForeignKeyToken(req TokenRequest) string {
	current := s.keys.signer()
	foreign := sharedKey(&foreignKeysMu, foreignKeys, current.alg)
	h := map[string]any{"alg": current.alg, "kid": current.kid, "typ": "at+jwt"}
	override(h, req.Header)
	return encodeJWS(foreign.priv, foreign.alg, h, s.claims(req))
}

// AlgNoneToken has alg none and an empty signature (RFC 7519 §6, "unsecured
// JWT"): the classic attack on a verifier that lets the token pick its own
// algorithm.
func (s *Server) AlgNoneToken(req TokenRequest) string {
	k := s.keys.signer()
	h := map[string]any{"alg": "none", "kid": k.kid, "typ": "at+jwt"}
	override(h, req.Header)
	return signingInput(h, s.claims(req)) + "."
}

// HS256PublicKeyToken has alg HS256 and is an HMAC-SHA256 keyed with the
// PEM encoding (PKIX, "PUBLIC KEY") of the current public key: the algorithm
// confusion attack on a verifier that hands the public key to whatever
// algorithm the token names (CVE-2015-9235 and its kin).
func (s *Server) HS256PublicKeyToken(req TokenRequest) string {
	k := s.keys.signer()
	h := map[string]any{"alg": "HS256", "kid": k.kid, "typ": "at+jwt"}
	override(h, req.Header)
	input := signingInput(h, s.claims(req))
	return input + "." + b64.EncodeToString(hmacSHA256(publicPEM(k.public()), []byte(input)))
}

// MissingKIDToken is signed by the current key but has no kid, although
// every key this server publishes has one: a verifier that then tries
// every key it knows, without the kid and alg checks, can be led to a key
// it should not use for this token. A verifier should refuse a token
// without kid unless the issuer publishes a key without kid for it (as
// tokengate's verifier does), or always.
func (s *Server) MissingKIDToken(req TokenRequest) string {
	header := map[string]any{"kid": nil}
	override(header, req.Header)
	return s.MintJWT(header, s.claims(req))
}

// UnknownKIDToken is signed by the current key under a kid that is not in
// the JWKS: a verifier must not fall back to trying other keys, and should
// not refetch the JWKS for every such token (a cheap way to flood the
// issuer).
func (s *Server) UnknownKIDToken(req TokenRequest) string {
	header := map[string]any{"kid": "unknown-" + randomToken()[:16]}
	override(header, req.Header)
	return s.MintJWT(header, s.claims(req))
}
