package issuertest

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// The connected-apps page: a user signs in at the issuer itself, sees
// which clients hold tokens of theirs and what each may do, and revokes
// one. It has its own short sign-in session, apart from the authorization
// endpoint's logins.
const (
	connectedPath      = "/connected-apps"
	accountCookie      = "issuertest_account"
	accountSessionTTL  = 30 * time.Minute
	maxAccountSessions = 1024
)

// connectedRoutes adds the page's routes.
func (s *Server) connectedRoutes(handle func(pattern string, e Endpoint, h http.HandlerFunc)) {
	handle("GET "+connectedPath, EndpointLogin, s.handleConnectedApps)
	handle("POST "+connectedPath+"/sign-in", EndpointLogin, s.handleAccountSignIn)
	handle("POST "+connectedPath+"/revoke", EndpointLogin, s.handleAccountRevoke)
	handle("POST "+connectedPath+"/sign-out", EndpointLogin, s.handleAccountSignOut)
}

// accountSession is one sign-in to the connected-apps page.
type accountSession struct {
	subject string
	csrf    string // the token every form of the page carries
	exp     time.Time
	notice  *revocation // shown once, after a revocation
}

// accountSessions holds the page's sign-ins, at most maxAccountSessions:
// expired ones are pruned first, then the one that expires soonest.
type accountSessions struct {
	now func() time.Time

	mu sync.Mutex // guards m and the sessions in it
	m  map[string]*accountSession
}

func newAccountSessions(now func() time.Time) *accountSessions {
	return &accountSessions{now: now, m: map[string]*accountSession{}}
}

// start signs subject in and returns the session's cookie value.
func (a *accountSessions) start(subject string) string {
	id, now := randomToken(), a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, v := range a.m {
		if !now.Before(v.exp) {
			delete(a.m, k)
		}
	}
	if len(a.m) >= maxAccountSessions {
		var first string
		for k, v := range a.m {
			if first == "" || v.exp.Before(a.m[first].exp) {
				first = k
			}
		}
		delete(a.m, first)
	}
	a.m[id] = &accountSession{subject: subject, csrf: randomToken(), exp: now.Add(accountSessionTTL)}
	return id
}

// get returns a copy of the request's live session and takes its notice.
func (a *accountSessions) get(r *http.Request) (string, accountSession, bool) {
	c, err := r.Cookie(accountCookie)
	if err != nil {
		return "", accountSession{}, false
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	sess, ok := a.m[c.Value]
	if !ok || !now.Before(sess.exp) {
		return "", accountSession{}, false
	}
	cp := *sess
	sess.notice = nil
	return c.Value, cp, true
}

func (a *accountSessions) setNotice(id string, n *revocation) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if sess, ok := a.m[id]; ok {
		sess.notice = n
	}
}

func (a *accountSessions) end(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, id)
}

// handleConnectedApps shows the sign-in form, or the signed-in user's
// connected apps.
func (s *Server) handleConnectedApps(w http.ResponseWriter, r *http.Request) {
	_, sess, ok := s.accounts.get(r)
	if !ok {
		s.renderAccount(w, http.StatusOK, "account-signin", accountPage{Title: "Connected apps", Users: s.cfg.users})
		return
	}
	s.renderAccount(w, http.StatusOK, "connected-apps", accountPage{
		Title: "Connected apps", Subject: sess.subject, CSRF: sess.csrf,
		Apps: s.appLines(s.store.connectedApps(sess.subject)), Notice: sess.notice,
	})
}

// accountForm reads a post of the page and checks its origin; on failure
// it has answered.
func (s *Server) accountForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.showError(w, http.StatusBadRequest, "invalid_request", "the form could not be parsed")
		return false
	}
	if err := crossOrigin.Check(r); err != nil {
		s.showError(w, http.StatusForbidden, "invalid_request", "cross-origin form post refused")
		return false
	}
	return true
}

// signedInForm is accountForm plus the session and its CSRF token.
func (s *Server) signedInForm(w http.ResponseWriter, r *http.Request) (string, accountSession, bool) {
	if !s.accountForm(w, r) {
		return "", accountSession{}, false
	}
	id, sess, ok := s.accounts.get(r)
	if !ok {
		http.Redirect(w, r, connectedPath, http.StatusSeeOther) // signed out or expired: sign in again
		return "", accountSession{}, false
	}
	if !equal(r.PostForm.Get("csrf"), sess.csrf) {
		s.showError(w, http.StatusForbidden, "invalid_request", "the form's CSRF token does not match")
		return "", accountSession{}, false
	}
	return id, sess, true
}

func (s *Server) handleAccountSignIn(w http.ResponseWriter, r *http.Request) {
	if !s.accountForm(w, r) {
		return
	}
	name := r.PostForm.Get("username")
	u, known := s.users[name]
	if !known || !equal(r.PostForm.Get("password"), u.Password) {
		s.renderAccount(w, http.StatusUnauthorized, "account-signin", accountPage{
			Title: "Connected apps", Users: s.cfg.users, Username: name, Error: "Wrong username or password.",
		})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: accountCookie, Value: s.accounts.start(u.Subject), Path: connectedPath,
		HttpOnly: true, Secure: strings.HasPrefix(s.URL, "https:"), SameSite: http.SameSiteLaxMode,
		MaxAge: int(accountSessionTTL.Seconds()),
	})
	http.Redirect(w, r, connectedPath, http.StatusSeeOther)
}

// handleAccountRevoke revokes every grant the user gave one client.
func (s *Server) handleAccountRevoke(w http.ResponseWriter, r *http.Request) {
	id, sess, ok := s.signedInForm(w, r)
	if !ok {
		return
	}
	clientID := r.PostForm.Get("client_id")
	n, until := s.store.revokeApp(sess.subject, clientID)
	if n == 0 {
		s.showError(w, http.StatusBadRequest, "invalid_request", "you have no connected app "+quoted(clientID))
		return
	}
	s.accounts.setNotice(id, &revocation{ClientID: clientID, AccessUntil: until})
	http.Redirect(w, r, connectedPath, http.StatusSeeOther)
}

func (s *Server) handleAccountSignOut(w http.ResponseWriter, r *http.Request) {
	id, _, ok := s.signedInForm(w, r)
	if !ok {
		return
	}
	s.accounts.end(id)
	http.SetCookie(w, &http.Cookie{Name: accountCookie, Path: connectedPath, MaxAge: -1})
	http.Redirect(w, r, connectedPath, http.StatusSeeOther)
}

// RevokeGrants does what the connected-apps page does when subject
// revokes clientID: every grant subject gave it ends, with its codes and
// tokens, so that its refresh tokens are refused and introspection reports
// its access tokens inactive; JWTs it holds still verify locally until
// they expire. It returns how many grants it revoked, and the latest exp of
// the access tokens that were still valid (zero if none). Use it to test
// how a client or an API behaves when the user disconnects an app.
func (s *Server) RevokeGrants(subject, clientID string) (int, time.Time) {
	return s.store.revokeApp(subject, clientID)
}
