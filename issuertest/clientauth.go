package issuertest

import (
	"net/http"
	"net/url"
	"slices"
)

// An oauthError is an error response of the token, introspection and
// revocation endpoints (RFC 6749 §5.2).
type oauthError struct {
	status      int
	code        string
	description string
	basic       bool // the client tried HTTP Basic: answer with WWW-Authenticate
}

func badRequest(code, description string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, description: description}
}

func invalidClient(description string, basic bool) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: description, basic: basic}
}

// write sends the error as JSON, never cached. A failed HTTP Basic
// authentication gets 401 with WWW-Authenticate (RFC 6749 §5.2).
func (e *oauthError) write(w http.ResponseWriter) {
	if e.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="issuertest", charset="UTF-8"`)
	}
	noStore(w)
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": safeDescription(e.description)})
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// parsePost reads a form-encoded POST body for the token, introspection
// and revocation endpoints. Parameters belong in the body, so a query
// string is refused; one sent without a value is dropped, as if omitted,
// and none may be repeated (RFC 6749 §3.2, §3.1).
func parsePost(w http.ResponseWriter, r *http.Request, repeatable ...string) (url.Values, *oauthError) {
	if r.URL.RawQuery != "" {
		return nil, badRequest("invalid_request", "parameters must be sent in the request body, not the query")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, badRequest("invalid_request", "the request body is not a valid form")
	}
	dropEmpty(r.PostForm)
	for p, v := range r.PostForm {
		if len(v) > 1 && !slices.Contains(repeatable, p) {
			return nil, badRequest("invalid_request", quoted(p)+" is repeated")
		}
	}
	return r.PostForm, nil
}

// authenticateClient identifies the client of a request (RFC 6749 §2.3):
// client_secret_basic or client_secret_post for confidential clients,
// client_id alone for public ones. Using two methods at once is refused.
func (s *Server) authenticateClient(r *http.Request, form url.Values) (*Client, *oauthError) {
	if user, pass, ok := r.BasicAuth(); ok {
		if form.Has("client_secret") {
			return nil, badRequest("invalid_request", "more than one client authentication method")
		}
		// RFC 6749 §2.3.1: both are form-encoded before Basic encoding.
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil || (form.Has("client_id") && form.Get("client_id") != id) {
			return nil, invalidClient("client authentication failed", true)
		}
		return s.checkSecret(id, secret, true)
	}
	if r.Header.Get("Authorization") != "" {
		return nil, invalidClient("unsupported authentication scheme", false)
	}
	id := form.Get("client_id")
	if form.Has("client_secret") {
		return s.checkSecret(id, form.Get("client_secret"), false)
	}
	c, ok := s.clients[id]
	switch {
	case id == "":
		return nil, invalidClient("client authentication is required", false)
	case !ok:
		return nil, invalidClient("client authentication failed", false)
	case !c.public():
		return nil, invalidClient("a confidential client must authenticate", false)
	}
	return c, nil
}

// checkSecret authenticates a confidential client, comparing in constant
// time. The error does not say whether the client exists.
func (s *Server) checkSecret(id, secret string, basic bool) (*Client, *oauthError) {
	c, ok := s.clients[id]
	if !ok || c.public() || !equal(secret, c.Secret) {
		return nil, invalidClient("client authentication failed", basic)
	}
	return c, nil
}
