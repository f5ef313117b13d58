package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/issuertest"
)

// redirectURI is the client's callback. The issuer allows any port on a
// loopback redirect URI (RFC 8252 §7.3); nothing listens on it, because the
// client reads the code and state from the redirect itself.
const redirectURI = "http://127.0.0.1:8765/callback"

// story holds the parties and what the client has learned so far.
type story struct {
	rep   *reporter
	alg   string // of access tokens
	clock *issuertest.Clock
	iss   *issuertest.Server
	api   *api
	http  *http.Client // the client's: a timeout, redirects not followed
	ctx   context.Context
	oidc  *oidc.Provider
	oauth *oauth2.Config

	verifier, state, nonce, code string
	token                        *oauth2.Token
	idToken                      string
}

// newStory starts the issuer (with a clock the story moves), the API and
// the client's view of the issuer, found by discovery.
func newStory(ctx context.Context, alg string, rep *reporter) (*story, error) {
	s := &story{rep: rep, alg: alg, clock: issuertest.NewClock(time.Now().Truncate(time.Second))}
	s.iss = issuertest.NewServer(issuertest.WithClock(s.clock.Now), issuertest.WithSigningAlg(alg))
	s.http = &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	s.ctx = context.WithValue(ctx, oauth2.HTTPClient, s.http)
	var err error
	if s.api, err = startAPI(ctx, s.iss, s.clock.Now); err != nil {
		s.iss.Close()
		return nil, fmt.Errorf("starting the API: %w", err)
	}
	if s.oidc, err = oidc.NewProvider(oidc.ClientContext(ctx, s.http), s.iss.URL); err != nil {
		s.close()
		return nil, fmt.Errorf("discovering the issuer: %w", err)
	}
	s.oauth = &oauth2.Config{
		ClientID:    issuertest.PublicClientID,
		Endpoint:    s.oidc.Endpoint(),
		RedirectURL: redirectURI,
		Scopes:      []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess, "orders:read", "refunds:write"},
	}
	s.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInParams // a public client has no secret
	return s, nil
}

func (s *story) close() {
	if s.api != nil {
		s.api.close()
	}
	s.iss.Close()
}

// tell runs the steps in order and stops at the first that does not
// behave as expected.
func (s *story) tell(ctx context.Context) error {
	s.rep.say("issuer %s, API %s", s.iss.URL, s.api.url)
	s.rep.say("access tokens signed %s (-alg) with kid %s; ID tokens RS256, which every OpenID client accepts (OIDC Core §15.1)", s.alg, s.iss.SigningKeyID())
	steps := []struct {
		title string
		run   func() error
	}{
		{"The client makes a PKCE code_verifier, its S256 code_challenge, and a state", s.preparePKCE},
		{"The authorization request", s.authorizationRequest},
		{"Alice signs in and consents; the redirect brings code and state back", s.signIn},
		{"Back channel: the code and the code_verifier are exchanged for tokens", s.exchange},
		{"The client verifies the ID token (go-oidc) and learns who signed in", s.verifyIDToken},
		{"The access token at the API: local JWT route and introspection route", s.callAPI},
		{"What the API refuses: an ID token, and a token without the route's scope", s.refusals},
		{"Refresh with rotation; replaying the old refresh token revokes the family", s.refresh},
		{"Key rotation at the issuer: the new kid is accepted on the first try", s.rotateKey},
		{"Revocation: introspection refuses at once, local JWT only at expiry", s.revoke},
		{"DPoP: a key-bound token works with its proof; stolen, or with a replayed proof, it is refused", s.dpop},
	}
	for i, st := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.rep.begin(i+1, st.title)
		err := st.run()
		s.rep.end(err)
		if err != nil {
			return fmt.Errorf("step %d (%s) did not behave as expected: %w", i+1, st.title, err)
		}
	}
	if !s.rep.opts.json {
		fmt.Fprintln(s.rep.w, "\nEvery step behaved as expected.")
	}
	return nil
}

// random returns n random bytes, base64url-encoded.
func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// expect returns an error when got is not want.
func expect[T comparable](what string, got, want T) error {
	if got != want {
		return fmt.Errorf("%s = %v, want %v", what, got, want)
	}
	return nil
}

var errNoRefreshToken = errors.New("the token response has no refresh token")
