package issuertest

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Step-up authentication (RFC 9470): the authorization endpoint honours
// the acr_values and max_age parameters (OIDC Core §3.1.2.1), and the
// tokens it leads to carry "acr" and "auth_time" (RFC 9470 §4, RFC 9068
// §2.2.1), so that a resource server's step-up challenge can be tested end
// to end: refuse, authorize again with the challenge's parameters, retry.

// WithAuthenticationContexts lists the authentication context class
// references the server can sign users in with, the first being what an
// ordinary sign-in yields. An authorization request's acr_values then
// selects the first of its values the server supports (an unsupported set
// is ignored, as acr_values is voluntary, OIDC Core §3.1.2.1), and every
// token of the sign-in carries it as "acr". The metadata lists them as
// acr_values_supported. Default: none, and tokens carry no "acr".
func WithAuthenticationContexts(acr ...string) Option {
	for _, v := range acr {
		if v == "" || strings.ContainsAny(v, " \t\r\n\"\\") {
			panic("issuertest: WithAuthenticationContexts: " + quoted(v) + " is not a usable acr value")
		}
	}
	return optionFunc(func(c *config) { c.acrs = append([]string(nil), acr...) })
}

// WithSessions makes the non-interactive login keep a session per user,
// as a provider's single sign-on does: a later authorization of the same
// user reuses the session's sign-in (its auth_time and acr) unless its
// max_age is exceeded, prompt=login is asked, or acr_values asks for a
// context the session lacks, in which case the user signs in again now.
// Default: every authorization is a new sign-in.
func WithSessions() Option {
	return optionFunc(func(c *config) { c.sessions = true })
}

// authnRequest is what an authorization request asks of the sign-in.
type authnRequest struct {
	acrValues []string
	maxAge    time.Duration
	hasMaxAge bool
	acr       string // the acr the sign-in yields
}

// parseAuthn reads acr_values and max_age into req.
func (s *Server) parseAuthn(form url.Values, req *authRequest) *authError {
	req.authn.acrValues = strings.Fields(form.Get("acr_values"))
	if form.Has("max_age") {
		n, err := strconv.ParseInt(form.Get("max_age"), 10, 32)
		if err != nil || n < 0 {
			return &authError{code: "invalid_request", description: "max_age must be a non-negative number of seconds"}
		}
		req.authn.maxAge, req.authn.hasMaxAge = time.Duration(n)*time.Second, true
	}
	req.authn.acr = s.freshACR(req.authn.acrValues)
	return nil
}

// freshACR is the acr a new sign-in yields: the first requested value the
// server supports, else its default; "" when it supports none.
func (s *Server) freshACR(requested []string) string {
	for _, v := range requested {
		if slices.Contains(s.cfg.acrs, v) {
			return v
		}
	}
	if len(s.cfg.acrs) > 0 {
		return s.cfg.acrs[0]
	}
	return ""
}

// session is one user's sign-in, kept with WithSessions.
type session struct {
	authTime time.Time
	acr      string
}

// sessions holds the sessions of the configured users, so it is bounded
// by them.
type sessions struct {
	mu sync.Mutex // guards m
	m  map[string]session
}

// signIn returns when the user of req signed in for the non-interactive
// login, and sets the acr of that sign-in: a session's, if one is kept and
// req does not call for a new sign-in, else a new one now.
func (s *Server) signIn(req *authRequest, subject string) time.Time {
	now := s.now()
	if !s.cfg.sessions {
		return now
	}
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	if s.sessions.m == nil {
		s.sessions.m = map[string]session{}
	}
	if old, ok := s.sessions.m[subject]; ok && !req.needsSignIn(old, now) {
		req.authn.acr = old.acr
		return old.authTime
	}
	s.sessions.m[subject] = session{authTime: now, acr: req.authn.acr}
	return now
}

// needsSignIn reports whether req cannot be met by the session sess.
func (req *authRequest) needsSignIn(sess session, now time.Time) bool {
	a := req.authn
	switch {
	case req.prompt == "login":
		return true
	case a.hasMaxAge && now.Sub(sess.authTime) > a.maxAge:
		return true // OIDC Core §3.1.2.1: too long ago, actively re-authenticate
	case len(a.acrValues) > 0 && !slices.Contains(a.acrValues, sess.acr):
		return a.acr != sess.acr // a step up the server can make
	}
	return false
}

// addAuthnMetadata adds the step-up members of the metadata document.
func (s *Server) addAuthnMetadata(md map[string]any) {
	if len(s.cfg.acrs) > 0 {
		md["acr_values_supported"] = append([]string(nil), s.cfg.acrs...)
		md["claims_supported"] = append(md["claims_supported"].([]string), "acr")
	}
}
