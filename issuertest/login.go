package issuertest

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"time"
)

// loginTTL bounds how long a login and consent may take.
const loginTTL = 10 * time.Minute

// crossOrigin refuses cross-origin form posts (Sec-Fetch-Site and Origin),
// in addition to the per-login CSRF token.
var crossOrigin = http.NewCrossOriginProtection()

// showError shows an error to the user instead of redirecting.
func (s *Server) showError(w http.ResponseWriter, status int, code, description string) {
	s.render(w, status, "error", page{Title: "Authorization error", Error: code, Description: description})
}

// csrfCookie names the cookie that holds a login's CSRF token.
func csrfCookie(id string) string { return "issuertest_csrf_" + id[:min(len(id), 12)] }

// startLogin keeps the request and shows the login form. The form and a
// cookie carry the same random token, checked on every post.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request, req *authRequest) {
	if req.prompt == "none" {
		s.redirectError(w, r, req, &authError{code: "login_required", description: "the user must sign in"})
		return
	}
	p := &pendingLogin{req: req, csrf: randomToken(), exp: s.now().Add(loginTTL)}
	id := s.store.putPending(p)
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie(id), Value: p.csrf, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(loginTTL.Seconds()),
	})
	s.render(w, http.StatusOK, "login", s.loginPage(id, *p, "", ""))
}

func (s *Server) loginPage(id string, p pendingLogin, username, errText string) page {
	return page{
		Title: "Sign in", ClientID: p.req.client.ID, Request: id, CSRF: p.csrf,
		Username: username, Error: errText, Users: s.cfg.users,
	}
}

// formLogin reads a post of the login or consent form and checks its
// origin and CSRF token; on failure it has answered.
func (s *Server) formLogin(w http.ResponseWriter, r *http.Request) (string, pendingLogin, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.showError(w, http.StatusBadRequest, "invalid_request", "the form could not be parsed")
		return "", pendingLogin{}, false
	}
	if err := crossOrigin.Check(r); err != nil {
		s.showError(w, http.StatusForbidden, "invalid_request", "cross-origin form post refused")
		return "", pendingLogin{}, false
	}
	id := r.PostForm.Get("request")
	p, ok := s.store.pendingLogin(id)
	if !ok {
		s.showError(w, http.StatusBadRequest, "invalid_request", "the login request is unknown or expired; start again")
		return "", pendingLogin{}, false
	}
	c, err := r.Cookie(csrfCookie(id))
	if err != nil || !equal(c.Value, p.csrf) || !equal(r.PostForm.Get("csrf"), p.csrf) {
		s.showError(w, http.StatusForbidden, "invalid_request", "the form's CSRF token does not match")
		return "", pendingLogin{}, false
	}
	return id, p, true
}

// handleLogin checks a username and password and shows the consent page.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	id, p, ok := s.formLogin(w, r)
	if !ok {
		return
	}
	name := r.PostForm.Get("username")
	u, known := s.users[name]
	if !known || !equal(r.PostForm.Get("password"), u.Password) {
		s.render(w, http.StatusUnauthorized, "login", s.loginPage(id, p, name, "Wrong username or password."))
		return
	}
	s.store.signedIn(id, u.Subject, s.now())
	s.render(w, http.StatusOK, "consent", page{
		Title: "Allow access", ClientID: p.req.client.ID, Request: id, CSRF: p.csrf,
		Username: u.Subject, Scopes: s.scopeLines(p.req.scopes), Audience: p.req.audience,
	})
}

// handleConsent ends the login: approve issues a code, deny redirects
// access_denied (RFC 6749 §4.1.2.1).
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	id, _, ok := s.formLogin(w, r)
	if !ok {
		return
	}
	decision := r.PostForm.Get("decision")
	if !slices.Contains([]string{"approve", "deny"}, decision) {
		s.showError(w, http.StatusBadRequest, "invalid_request", "decision must be approve or deny")
		return
	}
	p, ok := s.store.takePending(id)
	if !ok {
		s.showError(w, http.StatusBadRequest, "invalid_request", "sign in first")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: csrfCookie(id), Path: "/", MaxAge: -1})
	if decision == "deny" {
		s.redirectError(w, r, p.req, &authError{code: "access_denied", description: "the user denied access"})
		return
	}
	s.approve(w, r, p.req, p.subject, p.authTime)
}

// equal compares secrets in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
