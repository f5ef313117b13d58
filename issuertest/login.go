package issuertest

import (
	"crypto/subtle"
	"html/template"
	"net/http"
	"slices"
	"time"
)

// loginTTL bounds how long a login and consent may take.
const loginTTL = 10 * time.Minute

// crossOrigin refuses cross-origin form posts (Sec-Fetch-Site and Origin),
// in addition to the per-login CSRF token.
var crossOrigin = http.NewCrossOriginProtection()

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} - issuertest</title>
<style>body{font-family:sans-serif;max-width:28em;margin:3em auto}label,button{display:block;margin:.6em 0}.error{color:#b00}</style>
</head><body><h1>{{.Title}}</h1>{{end}}

{{define "error"}}{{template "head" .}}
<p class="error" id="error">{{.Error}}: {{.Description}}</p>
<p>The application that sent you here is misconfigured; you were not redirected back to it.</p></body></html>{{end}}

{{define "login"}}{{template "head" .}}
<p><b>{{.ClientID}}</b> asks you to sign in.</p>
{{if .Error}}<p class="error" id="error">{{.Error}}</p>{{end}}
<form method="post" action="login">
<input type="hidden" name="request" value="{{.Request}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>Username <input name="username" autocomplete="username" value="{{.Username}}" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
<p>Test users: {{range .Users}}<code>{{.}}</code> {{end}}</p></body></html>{{end}}

{{define "consent"}}{{template "head" .}}
<p>Signed in as <b>{{.Username}}</b>. <b>{{.ClientID}}</b> asks for:</p>
<ul id="scopes">{{range .Scopes}}<li>{{.}}</li>{{else}}<li>no scopes</li>{{end}}</ul>
<p>for {{range .Audience}}<code>{{.}}</code> {{end}}</p>
<form method="post" action="consent">
<input type="hidden" name="request" value="{{.Request}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>{{end}}
`))

// page is the data of every HTML page.
type page struct {
	Title, Error, Description string
	ClientID, Request, CSRF   string
	Username                  string
	Users, Scopes, Audience   []string
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, p)
}

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
	users := make([]string, 0, len(s.cfg.users))
	for _, u := range s.cfg.users {
		users = append(users, u.Subject)
	}
	return page{
		Title: "Sign in", ClientID: p.req.client.ID, Request: id, CSRF: p.csrf,
		Username: username, Error: errText, Users: users,
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
		Username: u.Subject, Scopes: p.req.scopes, Audience: p.req.audience,
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
