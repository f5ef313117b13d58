package issuertest

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// maxFormBytes bounds every form body the server reads.
const maxFormBytes = 64 << 10

// authRequest is a validated authorization request (RFC 6749 §4.1.1).
type authRequest struct {
	client      *Client
	redirectURI string
	state       string
	scopes      []string
	audience    []string
	nonce       string
	challenge   string
	loginHint   string
	prompt      string
	authn       authnRequest // acr_values and max_age (stepup.go)
}

// authError is an error of the authorization endpoint. Unless redirect is
// set it is shown to the user, because the client or redirect URI cannot be
// trusted (RFC 6749 §4.1.2.1).
type authError struct {
	code, description string
	redirect          bool
}

// s256Challenge is the form of an S256 code_challenge: BASE64URL of a
// SHA-256 digest, 43 characters without padding (RFC 7636 §4.2).
var s256Challenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.showError(w, http.StatusBadRequest, "invalid_request", "the request could not be parsed")
		return
	}
	dropEmpty(r.Form) // RFC 6749 §3.1: an empty parameter is an omitted one
	req, aerr := s.parseAuthRequest(r.Form)
	switch {
	case aerr != nil && !aerr.redirect:
		s.showError(w, http.StatusBadRequest, aerr.code, aerr.description)
	case aerr != nil:
		s.redirectError(w, r, req, aerr)
	case s.cfg.interactive:
		s.startLogin(w, r, req)
	default:
		s.autoApprove(w, r, req)
	}
}

// parseAuthRequest checks an authorization request in the order RFC 6749
// §4.1.2.1 asks for: client and redirect URI first, which are shown as an
// error page, then the rest, which are redirected to the client. The
// returned request is non-nil whenever the error is to be redirected.
func (s *Server) parseAuthRequest(form url.Values) (*authRequest, *authError) {
	// RFC 6749 §3.1: parameters must not be repeated (resource may be,
	// RFC 8707 §2).
	for _, p := range []string{"client_id", "redirect_uri"} {
		if len(form[p]) > 1 {
			return nil, &authError{code: "invalid_request", description: p + " is repeated"}
		}
	}
	client, ok := s.clients[form.Get("client_id")]
	if !ok {
		return nil, &authError{code: "invalid_client", description: "unknown client_id"}
	}
	if !client.matchRedirect(form.Get("redirect_uri")) {
		return nil, &authError{code: "invalid_request", description: "redirect_uri is missing or not registered for this client"}
	}
	req := &authRequest{
		client:      client,
		redirectURI: form.Get("redirect_uri"),
		state:       form.Get("state"),
		nonce:       form.Get("nonce"),
		challenge:   form.Get("code_challenge"),
		loginHint:   form.Get("login_hint"),
		prompt:      form.Get("prompt"),
	}
	if aerr := s.checkAuthParams(form, req); aerr != nil {
		aerr.redirect = true
		return req, aerr
	}
	return req, nil
}

// checkAuthParams checks everything after the client and redirect URI,
// and fills req's scopes and audience.
func (s *Server) checkAuthParams(form url.Values, req *authRequest) *authError {
	for p, v := range form {
		if len(v) > 1 && p != "resource" {
			return &authError{code: "invalid_request", description: quoted(p) + " is repeated"}
		}
	}
	switch {
	case form.Get("response_type") == "":
		return &authError{code: "invalid_request", description: "response_type is missing"}
	case form.Get("response_type") != "code":
		return &authError{code: "unsupported_response_type", description: "only response_type=code is supported"}
	case !req.client.allows(GrantAuthorizationCode):
		return &authError{code: "unauthorized_client", description: "the client may not use the authorization code grant"}
	case form.Has("response_mode") && form.Get("response_mode") != "query":
		return &authError{code: "invalid_request", description: "only response_mode=query is supported"}
	case form.Has("request"):
		return &authError{code: "request_not_supported", description: "request objects are not supported"}
	case form.Has("request_uri"):
		return &authError{code: "request_uri_not_supported", description: "request_uri is not supported"}
	}
	if aerr := checkPKCE(form); aerr != nil {
		return aerr
	}
	if aerr := s.parseAuthn(form, req); aerr != nil {
		return aerr
	}
	var aerr *authError
	if req.scopes, aerr = allowedScopes(req.client, form.Get("scope")); aerr != nil {
		return aerr
	}
	if req.audience, aerr = s.resources(form["resource"]); aerr != nil {
		return aerr
	}
	return nil
}

// checkPKCE requires an S256 code challenge (RFC 7636 §4.3, §4.4.1): the
// plain method and a missing challenge are refused for every client.
func checkPKCE(form url.Values) *authError {
	method, challenge := form.Get("code_challenge_method"), form.Get("code_challenge")
	switch {
	case challenge == "":
		return &authError{code: "invalid_request", description: "code_challenge is required (PKCE, RFC 7636)"}
	case method != "S256":
		return &authError{code: "invalid_request", description: "code_challenge_method must be S256"}
	case !s256Challenge.MatchString(challenge):
		return &authError{code: "invalid_request", description: "code_challenge is not a base64url SHA-256 digest"}
	}
	return nil
}

// allowedScopes parses a scope parameter (RFC 6749 §3.3) and checks that the
// client may ask for every scope in it.
func allowedScopes(client *Client, param string) ([]string, *authError) {
	var scopes []string
	for _, sc := range strings.Split(param, " ") {
		if sc == "" || slices.Contains(scopes, sc) {
			continue
		}
		if !slices.Contains(client.Scopes, sc) {
			return nil, &authError{code: "invalid_scope", description: "the client may not ask for scope " + quoted(sc)}
		}
		scopes = append(scopes, sc)
	}
	return scopes, nil
}

// resources checks RFC 8707 resource indicators against the configured
// audiences; none means the default audience.
func (s *Server) resources(values []string) ([]string, *authError) {
	if len(values) == 0 {
		return []string{s.Audience()}, nil
	}
	var aud []string
	for _, v := range values {
		if !slices.Contains(s.cfg.audiences, v) {
			return nil, &authError{code: "invalid_target", description: "unknown resource " + quoted(v)}
		}
		if !slices.Contains(aud, v) {
			aud = append(aud, v)
		}
	}
	return aud, nil
}

// autoApprove is the non-interactive mode: the login_hint user, or the
// default user, signs in and approves at once.
func (s *Server) autoApprove(w http.ResponseWriter, r *http.Request, req *authRequest) {
	subject := req.loginHint
	if subject == "" {
		subject = s.cfg.defaultUser
	}
	if _, ok := s.users[subject]; !ok {
		s.redirectError(w, r, req, &authError{code: "access_denied", description: "no such user"})
		return
	}
	s.approve(w, r, req, subject, s.signIn(req, subject))
}

// approve issues a code for req and sends the user agent back to the
// client (RFC 6749 §4.1.2), with the iss parameter of RFC 9207.
func (s *Server) approve(w http.ResponseWriter, r *http.Request, req *authRequest, subject string, authTime time.Time) {
	g := &grant{
		clientID: req.client.ID,
		subject:  subject,
		authTime: authTime,
		acr:      req.authn.acr,
		scopes:   req.scopes,
		audience: req.audience,
		nonce:    req.nonce,
	}
	code := s.store.putCode(&codeRecord{
		grant:       g,
		redirectURI: req.redirectURI,
		challenge:   req.challenge,
		exp:         s.now().Add(s.cfg.codeTTL),
	})
	s.redirect(w, r, req, url.Values{"code": {code}})
}

func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, req *authRequest, aerr *authError) {
	s.redirect(w, r, req, url.Values{"error": {aerr.code}, "error_description": {safeDescription(aerr.description)}})
}

// redirect sends the user agent to the request's redirect URI with params,
// state unchanged, and iss, keeping the URI's own query (RFC 6749 §3.1.2).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, req *authRequest, params url.Values) {
	u, _ := url.Parse(req.redirectURI) // parsed before, by matchRedirect
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if req.state != "" {
		q.Set("state", req.state)
	}
	q.Set("iss", s.URL)
	u.RawQuery = q.Encode()
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), status)
}
