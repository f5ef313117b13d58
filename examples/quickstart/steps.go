package main

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/issuertest"
)

// Step 1 (RFC 7636 §4.1, §4.2; RFC 6749 §10.12).
func (s *story) preparePKCE() error {
	s.verifier = oauth2.GenerateVerifier()
	challenge := oauth2.S256ChallengeFromVerifier(s.verifier)
	s.state, s.nonce = random(16), random(16)
	s.rep.say("code_verifier  %s  (random, kept by the client, %d chars; RFC 7636 wants 43-128)", short(s.verifier), len(s.verifier))
	s.rep.say("code_challenge %s  = BASE64URL(SHA-256(code_verifier)), sent in the authorization request", challenge)
	s.rep.say("state          %s  (random, kept by the client: the redirect must bring it back, against CSRF)", s.state)
	s.rep.say("nonce          %s  (random: the ID token must carry it, against replayed ID tokens)", s.nonce)
	sum := sha256.Sum256([]byte(s.verifier))
	if n := len(s.verifier); n < 43 || n > 128 {
		return fmt.Errorf("code_verifier has %d characters", n)
	}
	return expect("code_challenge", challenge, base64.RawURLEncoding.EncodeToString(sum[:]))
}

// Step 2 (RFC 6749 §4.1.1).
func (s *story) authorizationRequest() error {
	u := s.oauth.AuthCodeURL(s.state,
		oauth2.S256ChallengeOption(s.verifier),
		oauth2.SetAuthURLParam("nonce", s.nonce),
		oauth2.SetAuthURLParam("login_hint", issuertest.Alice),
	)
	s.rep.say("GET %s", u[:strings.IndexByte(u, '?')])
	q, err := url.Parse(u)
	if err != nil {
		return err
	}
	why := map[string]string{
		"response_type":         "code: the authorization code flow",
		"client_id":             "which client asks",
		"redirect_uri":          "where the browser returns; must match a registered URI exactly",
		"scope":                 "openid asks for an ID token; the API scopes ask for access",
		"state":                 "echoed back unchanged; the client checks it",
		"code_challenge":        "binds the code to this client's code_verifier",
		"code_challenge_method": "S256; plain is refused",
		"nonce":                 "goes into the ID token",
		"login_hint":            "which user signs in (the test issuer's non-interactive login)",
		"access_type":           "",
	}
	for _, name := range []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "nonce", "login_hint"} {
		s.rep.say("  %-22s %-44s %s", name, q.Query().Get(name), why[name])
	}
	if strings.Contains(u, s.verifier) {
		return errors.New("the code_verifier leaked into the authorization URL")
	}
	s.code = u // the next step follows this URL
	return expect("code_challenge_method", q.Query().Get("code_challenge_method"), "S256")
}

// Step 3 (RFC 6749 §4.1.2; the state check of §10.12).
func (s *story) signIn() error {
	resp, err := s.http.Get(s.code)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("authorization endpoint answered %s, want a redirect", resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return err
	}
	s.rep.say("%s, Location: %s://%s%s?code=…&state=…", resp.Status, loc.Scheme, loc.Host, loc.Path)
	if e := loc.Query().Get("error"); e != "" {
		return fmt.Errorf("the issuer refused: %s", e)
	}
	s.code = loc.Query().Get("code")
	s.rep.say("code  %s  (single-use, short-lived, bound to the client, redirect_uri and challenge)", short(s.code))
	if got := loc.Query().Get("state"); got != s.state {
		return fmt.Errorf("state %q does not match ours: a forged redirect (CSRF) would be stopped here", got)
	}
	s.rep.say("state matches the one the client kept: this redirect answers our own request")
	if s.code == "" {
		return errors.New("no code in the redirect")
	}
	return expect("redirect", loc.Scheme+"://"+loc.Host+loc.Path, redirectURI)
}

// Step 4 (RFC 6749 §4.1.3, RFC 7636 §4.5).
func (s *story) exchange() error {
	tok, err := s.oauth.Exchange(s.ctx, s.code, oauth2.VerifierOption(s.verifier))
	if err != nil {
		return err
	}
	s.token = tok
	s.idToken, _ = tok.Extra("id_token").(string)
	s.rep.say("POST %s with code, code_verifier, client_id, redirect_uri", s.oauth.Endpoint.TokenURL)
	s.rep.say("access_token  %s  type %s, expires_in %vs: what the API checks", short(tok.AccessToken), tok.TokenType, tok.Extra("expires_in"))
	s.rep.say("refresh_token %s  lives %v at this issuer, rotates on every use", short(tok.RefreshToken), issuertest.DefaultRefreshTokenLifetime)
	s.rep.say("id_token      %s  lives %v: who signed in, for the client only", short(s.idToken), issuertest.DefaultIDTokenLifetime)
	s.rep.say("scope granted: %v", tok.Extra("scope"))
	for _, line := range sideBySide(s.idToken, tok.AccessToken) {
		s.rep.say("  %s", line)
	}
	switch {
	case tok.RefreshToken == "":
		return errNoRefreshToken
	case s.idToken == "":
		return errors.New("the token response has no id_token although openid was asked for")
	}
	return expect("token_type", strings.ToLower(tok.TokenType), "bearer")
}

// Step 5 (OIDC Core §3.1.3.7; at_hash §3.1.3.8).
func (s *story) verifyIDToken() error {
	v := s.oidc.Verifier(&oidc.Config{ClientID: issuertest.PublicClientID, Now: s.clock.Now})
	id, err := v.Verify(s.ctx, s.idToken)
	if err != nil {
		return err
	}
	s.rep.say("signature, iss, aud (= client_id %q), exp: valid", issuertest.PublicClientID)
	info, err := s.oidc.UserInfo(s.ctx, oauth2.StaticTokenSource(s.token))
	if err != nil {
		return fmt.Errorf("userinfo: %w", err)
	}
	var who struct {
		Name string `json:"name"`
	}
	if err := info.Claims(&who); err != nil {
		return err
	}
	s.rep.say("signed in: sub %q at %s; /userinfo adds the name %q and the email %s (verified: %v)",
		id.Subject, id.IssuedAt.UTC().Format(time.TimeOnly), who.Name, info.Email, info.EmailVerified)
	if err := id.VerifyAccessToken(s.token.AccessToken); err != nil {
		return fmt.Errorf("at_hash: %w", err)
	}
	s.rep.say("nonce matches ours; at_hash matches the access token")
	s.rep.say("its audience is the client: an ID token says who logged in, not what the API may allow")
	if err := expect("nonce", id.Nonce, s.nonce); err != nil {
		return err
	}
	if err := expect("email from /userinfo", info.Email, "alice@example.test"); err != nil {
		return err
	}
	return expect("sub", id.Subject, issuertest.Alice)
}

// Step 6.
func (s *story) callAPI() error {
	for _, r := range []struct{ method, path string }{{"GET", "/orders"}, {"POST", "/refunds"}} {
		resp, err := s.call(r.method, r.path, s.token.AccessToken)
		if err != nil {
			return err
		}
		s.rep.say("%s %s → %d %s", r.method, r.path, resp.status, resp.body)
		if err := expect(r.method+" "+r.path+" status", resp.status, http.StatusOK); err != nil {
			return err
		}
	}
	return nil
}

// Step 7 (RFC 6750 §3.1; RFC 9068 §4; RFC 8725 §3.11).
func (s *story) refusals() error {
	resp, err := s.call("GET", "/orders", s.idToken)
	if err != nil {
		return err
	}
	s.rep.say("ID token on GET /orders → %d", resp.status)
	s.rep.say("  WWW-Authenticate: %s", resp.challenge)
	s.rep.say("  signed by the same issuer, but typed JWT, aud = the client, with nonce and at_hash: not an access token")
	if err := expectChallenge(resp, http.StatusUnauthorized, `error="invalid_token"`); err != nil {
		return err
	}
	narrow := s.iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"refunds:write"}})
	resp, err = s.call("GET", "/orders", narrow)
	if err != nil {
		return err
	}
	s.rep.say("access token with scope \"refunds:write\" only, on GET /orders → %d", resp.status)
	s.rep.say("  WWW-Authenticate: %s", resp.challenge)
	return expectChallenge(resp, http.StatusForbidden, `error="insufficient_scope"`, `scope="orders:read"`)
}

// Step 8 (RFC 6749 §6; RFC 9700 §4.14.2).
func (s *story) refresh() error {
	old := s.token.RefreshToken
	fresh, err := s.refreshWith(old)
	if err != nil {
		return err
	}
	s.rep.say("refresh_token %s → new access token %s and new refresh_token %s", short(old), short(fresh.AccessToken), short(fresh.RefreshToken))
	if fresh.RefreshToken == "" || fresh.RefreshToken == old {
		return errors.New("the refresh token did not rotate")
	}
	_, replayErr := s.refreshWith(old)
	s.rep.say("replaying the old refresh token → %s", oauthError(replayErr))
	if !isInvalidGrant(replayErr) {
		return fmt.Errorf("replaying a used refresh token: %v, want invalid_grant", replayErr)
	}
	_, familyErr := s.refreshWith(fresh.RefreshToken)
	s.rep.say("the new refresh token, after the replay → %s: the whole family is revoked", oauthError(familyErr))
	if !isInvalidGrant(familyErr) {
		return fmt.Errorf("the rotated refresh token after a replay: %v, want invalid_grant", familyErr)
	}
	return nil
}

// Step 9.
func (s *story) rotateKey() error {
	// The issuer signs with the new key at once, as ORY Hydra and
	// node-oidc-provider do, seconds after the API fetched the key set at
	// start-up: the first token with the unknown kid makes the API fetch
	// the set once, and is accepted. No clock is moved.
	fetches := s.iss.Requests(issuertest.EndpointJWKS)
	oldKid := s.iss.SigningKeyID()
	newKid := s.iss.RotateKey()
	s.rep.say("the issuer rotates from kid %s to kid %s; the old key stays published for the overlap", oldKid, newKid)
	tok := s.iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read", "refunds:write"}})
	if err := expect("kid of the new token", headerKid(tok), newKid); err != nil {
		return err
	}
	resp, err := s.call("GET", "/orders", tok)
	if err != nil {
		return err
	}
	got := s.iss.Requests(issuertest.EndpointJWKS) - fetches
	s.rep.say("GET /orders with a token signed by %s → %d, after %d fetch of the JWKS", newKid, resp.status, got)
	s.token = &oauth2.Token{AccessToken: tok}
	if err := expect("status", resp.status, http.StatusOK); err != nil {
		return err
	}
	return expect("JWKS fetches", got, 1)
}

// Step 10 (RFC 7009; RFC 7662).
func (s *story) revoke() error {
	form := url.Values{"token": {s.token.AccessToken}, "token_type_hint": {"access_token"}, "client_id": {issuertest.PublicClientID}}
	resp, err := s.http.PostForm(s.iss.URL+"/revoke", form)
	if err != nil {
		return err
	}
	resp.Body.Close()
	s.rep.say("POST /revoke → %s", resp.Status)
	if err := expect("revocation status", resp.StatusCode, http.StatusOK); err != nil {
		return err
	}
	intro, err := s.call("POST", "/refunds", s.token.AccessToken)
	if err != nil {
		return err
	}
	s.rep.say("POST /refunds (introspection) → %d: the issuer says the token is no longer active", intro.status)
	local, err := s.call("GET", "/orders", s.token.AccessToken)
	if err != nil {
		return err
	}
	s.rep.say("GET /orders (local JWT)       → %d: the signature and exp are still good, nobody asked the issuer", local.status)
	if err := expectChallenge(intro, http.StatusUnauthorized, `error="invalid_token"`); err != nil {
		return err
	}
	if err := expect("local JWT route after revocation", local.status, http.StatusOK); err != nil {
		return err
	}
	s.clock.Advance(issuertest.DefaultAccessTokenLifetime + time.Minute)
	local, err = s.call("GET", "/orders", s.token.AccessToken)
	if err != nil {
		return err
	}
	s.rep.say("%v later, GET /orders → %d, %s", issuertest.DefaultAccessTokenLifetime+time.Minute, local.status, local.challenge)
	s.rep.say("the trade-off: introspection sees revocation at once and costs a call per request (or per cache TTL);")
	s.rep.say("local JWT costs no call, and a revoked token works until exp, so keep access tokens short-lived")
	return expectChallenge(local, http.StatusUnauthorized, `error="invalid_token"`)
}

// apiResponse is what the client saw of an API call.
type apiResponse struct {
	status    int
	challenge string // WWW-Authenticate
	body      string
}

func (s *story) call(method, path, token string) (apiResponse, error) {
	req, err := http.NewRequestWithContext(s.ctx, method, s.api.url+path, nil)
	if err != nil {
		return apiResponse{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.http.Do(req)
	if err != nil {
		return apiResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return apiResponse{resp.StatusCode, resp.Header.Get("WWW-Authenticate"), strings.TrimSpace(string(body))}, err
}

func expectChallenge(r apiResponse, status int, parts ...string) error {
	if r.status != status {
		return fmt.Errorf("status %d, want %d", r.status, status)
	}
	for _, p := range parts {
		if !strings.Contains(r.challenge, p) {
			return fmt.Errorf("WWW-Authenticate %q lacks %s", r.challenge, p)
		}
	}
	return nil
}

func (s *story) refreshWith(refreshToken string) (*oauth2.Token, error) {
	expired := &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}
	return s.oauth.TokenSource(s.ctx, expired).Token()
}

func isInvalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return fmt.Sprintf("%d %s (%s)", re.Response.StatusCode, re.ErrorCode, re.ErrorDescription)
	}
	return fmt.Sprint(err)
}
