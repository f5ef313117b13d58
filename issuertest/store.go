package issuertest

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"maps"
	"sync"
	"time"
)

// A grant is one authorization: what a user (or a client for itself)
// allowed a client. Every code, access token and refresh token issued from
// it belongs to its family, and revoking the grant ends them all.
type grant struct {
	clientID string
	subject  string    // the user, or the client ID for client_credentials
	authTime time.Time // when the user signed in; zero without a user
	acr      string    // the sign-in's authentication context class; "" for none
	scopes   []string
	audience []string
	nonce    string
	revoked  bool
}

// active reports whether the grant has not been revoked. A nil grant (a
// token minted by a helper) is active.
func (g *grant) active() bool { return g == nil || !g.revoked }

type accessRecord struct {
	claims  map[string]any // the JWT claims, or what an opaque token stands for
	exp     time.Time
	grant   *grant
	revoked bool
}

type refreshRecord struct {
	grant *grant
	scope []string // at most the grant's scopes
	iat   time.Time
	exp   time.Time
	jti   string
	used  bool   // rotated: a second use is a replay
	jkt   string // the DPoP key a public client's token is bound to (dpop.go); "" for none
}

type codeRecord struct {
	grant       *grant
	redirectURI string
	challenge   string
	exp         time.Time
	used        bool
}

// pendingLogin is an authorization request waiting for the interactive
// login and consent pages.
type pendingLogin struct {
	req      *authRequest
	csrf     string
	subject  string // set once the user has signed in
	authTime time.Time
	exp      time.Time
}

var (
	errUnknown = errors.New("unknown")
	errReplay  = errors.New("replayed")
)

// store keeps every code, token and pending login. Expired entries are
// pruned as new ones arrive, which bounds it by what is alive.
type store struct {
	now func() time.Time

	mu      sync.Mutex // guards everything below
	codes   map[string]*codeRecord
	access  map[string]*accessRecord
	refresh map[string]*refreshRecord
	pending map[string]*pendingLogin
	inserts int
}

func newStore(now func() time.Time) *store {
	return &store{
		now:     now,
		codes:   map[string]*codeRecord{},
		access:  map[string]*accessRecord{},
		refresh: map[string]*refreshRecord{},
		pending: map[string]*pendingLogin{},
	}
}

// randomToken returns 256 random bits, base64url-encoded.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b64.EncodeToString(b)
}

// key maps a token to its map key, so that tokens are not kept verbatim.
func key(token string) string {
	sum := sha256.Sum256([]byte(token))
	return string(sum[:])
}

// inserted prunes expired entries now and then; s.mu must be held. Used
// codes are kept past their expiry so that a replay still revokes.
func (s *store) inserted() {
	s.inserts++
	if s.inserts%512 != 0 {
		return
	}
	now := s.now()
	maps.DeleteFunc(s.codes, func(_ string, c *codeRecord) bool { return now.After(c.exp.Add(time.Hour)) })
	maps.DeleteFunc(s.access, func(_ string, a *accessRecord) bool { return now.After(a.exp) })
	maps.DeleteFunc(s.refresh, func(_ string, r *refreshRecord) bool { return now.After(r.exp) })
	maps.DeleteFunc(s.pending, func(_ string, p *pendingLogin) bool { return now.After(p.exp) })
}

func (s *store) putCode(c *codeRecord) string {
	code := randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[key(code)] = c
	s.inserted()
	return code
}

// redeemCode marks a code used and returns it. A code used before is a
// replay: the tokens issued from it are revoked (RFC 6749 §4.1.2) and
// errReplay returned.
func (s *store) redeemCode(code string) (*codeRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[key(code)]
	if !ok {
		return nil, errUnknown
	}
	if c.used {
		c.grant.revoked = true // every token issued from the code shares the grant
		return nil, errReplay
	}
	c.used = true
	return c, nil
}

func (s *store) putAccess(token string, a *accessRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access[key(token)] = a
	s.inserted()
}

// lookupAccess returns the record of an active access token.
func (s *store) lookupAccess(token string) (*accessRecord, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.access[key(token)]
	if !ok || a.revoked || !a.grant.active() || !now.Before(a.exp) {
		return nil, false
	}
	return a, true
}

func (s *store) putRefresh(r *refreshRecord) string {
	token := randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh[key(token)] = r
	s.inserted()
	return token
}

// lookupRefresh returns the record of an active refresh token.
func (s *store) lookupRefresh(token string) (*refreshRecord, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refresh[key(token)]
	if !ok || r.used || !r.grant.active() || !now.Before(r.exp) {
		return nil, false
	}
	return r, true
}

// peekRefresh returns the refresh token record of clientID, without using
// it. A token used before is a replay: its whole family is revoked (RFC 9700
// §4.14.2) and errReplay returned.
func (s *store) peekRefresh(token, clientID string) (*refreshRecord, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refresh[key(token)]
	switch {
	case !ok, r.grant.clientID != clientID:
		return nil, errUnknown
	case r.used:
		r.grant.revoked = true
		return nil, errReplay
	case r.grant.revoked, !now.Before(r.exp):
		return nil, errUnknown
	}
	return r, nil
}

// useRefresh marks r used, once its request has been checked. If another
// request used it in between, that is a replay too.
func (s *store) useRefresh(r *refreshRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.used || r.grant.revoked {
		r.grant.revoked = true
		return errReplay
	}
	r.used = true
	return nil
}

// revoke ends token if clientID owns it (RFC 7009 §2.1). An access token
// is revoked alone; a refresh token takes its family with it, and its
// grant is returned. It returns false when the token is known but belongs
// to another client.
func (s *store) revoke(token, clientID string) (bool, *grant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.refresh[key(token)]; ok {
		if r.grant.clientID != clientID {
			return false, nil
		}
		r.grant.revoked = true
		return true, r.grant
	}
	if a, ok := s.access[key(token)]; ok {
		if a.claims["client_id"] != clientID {
			return false, nil
		}
		a.revoked = true
	}
	return true, nil
}

func (s *store) putPending(p *pendingLogin) string {
	id := randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[id] = p
	s.inserted()
	return id
}

// pendingLogin returns a copy of a login that has not expired.
func (s *store) pendingLogin(id string) (pendingLogin, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[id]
	if !ok || !now.Before(p.exp) {
		return pendingLogin{}, false
	}
	return *p, true
}

// signedIn records who signed in for the pending login id.
func (s *store) signedIn(id, subject string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pending[id]; ok {
		p.subject, p.authTime = subject, at
	}
}

// takePending removes and returns a pending login that has a signed-in user.
func (s *store) takePending(id string) (*pendingLogin, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[id]
	if !ok || !now.Before(p.exp) || p.subject == "" {
		return nil, false
	}
	delete(s.pending, id)
	return p, true
}
