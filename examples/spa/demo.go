package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/verifier"
)

// The clients registered at the issuer.
const (
	appClientID       = "profile-app" // the single-page app: public, PKCE, in the browser
	analyticsClientID = "analytics"   // the third party: confidential, on its server
	apiClientID       = "profile-api" // the API, for introspection
)

// config is the demo's settings; parseConfig fills it from flags.
type config struct {
	appAddr, apiAddr, analyticsAddr, issuerAddr string
	syncEvery                                   time.Duration    // 0: analytics reads only when asked
	syncTicks                                   <-chan time.Time // analytics' schedule instead of syncEvery (tests)
	accessTTL                                   time.Duration
	interactive                                 bool             // the issuer's HTML sign-in and consent (false in tests: alice approves at once)
	now                                         func() time.Time // every party's clock
}

// demo is the four parties, running.
type demo struct {
	appURL, apiURL, analyticsURL string
	iss                          *issuertest.Server
	jwt                          *verifier.JWT
	intro                        *introspection.Introspector
	analytics                    *analytics
	servers                      []*http.Server
}

// newDemo listens on the three origins, starts the issuer with clients
// registered for them, and serves the app, the API and analytics.
func newDemo(ctx context.Context, cfg config) (d *demo, err error) {
	d = &demo{}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	var lns [3]net.Listener
	for i, addr := range []string{cfg.appAddr, cfg.apiAddr, cfg.analyticsAddr} {
		if lns[i], err = net.Listen("tcp", addr); err != nil {
			for _, ln := range lns[:i] {
				ln.Close()
			}
			return d, err
		}
	}
	d.appURL, d.apiURL, d.analyticsURL = "http://"+lns[0].Addr().String(), "http://"+lns[1].Addr().String(), "http://"+lns[2].Addr().String()
	analyticsSecret, apiSecret := rand.Text(), rand.Text()
	if d.iss, err = startIssuer(cfg, d, analyticsSecret, apiSecret); err != nil {
		for _, ln := range lns {
			ln.Close()
		}
		return d, err
	}
	if d.jwt, err = verifier.New(ctx, verifier.Config{Issuer: d.iss.URL, Audience: d.apiURL, Now: cfg.now}); err != nil {
		return d, closeAll(err, lns[:])
	}
	// No result cache: a revocation at the issuer shows on the next request.
	d.intro, err = introspection.New(ctx, introspection.Config{
		Issuer: d.iss.URL, ClientID: apiClientID, ClientSecret: apiSecret, Audience: d.apiURL, Now: cfg.now,
	})
	if err != nil {
		return d, closeAll(err, lns[:])
	}
	d.analytics = newAnalytics(analyticsConfig{
		url: d.analyticsURL, appURL: d.appURL, apiURL: d.apiURL, issuer: d.iss.URL,
		clientID: analyticsClientID, secret: analyticsSecret, now: cfg.now, every: cfg.syncEvery, ticks: cfg.syncTicks,
	})
	handlers := []http.Handler{
		appHandler(appSettings{app: d.appURL, api: d.apiURL, analytics: d.analyticsURL, issuer: d.iss.URL}),
		apiHandler(d.jwt, d.intro, d.appURL, cfg.now),
		d.analytics.handler(),
	}
	for i, h := range handlers {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
		d.servers = append(d.servers, srv)
		go srv.Serve(lns[i]) // ends with Shutdown in close
	}
	d.analytics.start()
	return d, nil
}

// startIssuer runs the test issuer with the three clients of the story.
// The app may ask for everything about the profile; analytics for
// profile:read alone, so that its consent page asks for nothing more.
func startIssuer(cfg config, d *demo, analyticsSecret, apiSecret string) (s *issuertest.Server, err error) {
	defer func() {
		if p := recover(); p != nil { // NewServer panics on a bad address, as test code may
			err = fmt.Errorf("starting the issuer: %v", p)
		}
	}()
	refreshable := []string{issuertest.GrantAuthorizationCode, issuertest.GrantRefreshToken}
	opts := []issuertest.Option{
		issuertest.WithAddr(cfg.issuerAddr),
		issuertest.WithClock(cfg.now),
		issuertest.WithAudience(d.apiURL),
		issuertest.WithAccessTokenLifetime(cfg.accessTTL),
		issuertest.WithClients(
			issuertest.Client{
				ID: appClientID, RedirectURIs: []string{d.appURL + "/"}, WebOrigins: []string{d.appURL},
				Scopes: []string{"openid", "profile", "email", "profile:read", "profile:write"}, GrantTypes: refreshable,
			},
			issuertest.Client{
				ID: analyticsClientID, Secret: analyticsSecret, RedirectURIs: []string{d.analyticsURL + "/callback"},
				Scopes: []string{"profile:read"}, GrantTypes: refreshable,
			},
			issuertest.Client{ID: apiClientID, Secret: apiSecret, Introspect: true},
		),
		issuertest.WithScopeDescriptions(map[string]string{
			"profile:read":  "See your profile: name, email and bio",
			"profile:write": "Change your profile",
		}),
	}
	if cfg.interactive {
		opts = append(opts, issuertest.WithInteractiveLogin())
	}
	return issuertest.NewServer(opts...), nil
}

// closeAll closes listeners that no server took over yet.
func closeAll(err error, lns []net.Listener) error {
	for _, ln := range lns {
		ln.Close()
	}
	return err
}

// close stops everything newDemo started, the servers first.
func (d *demo) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range d.servers {
		errs = append(errs, srv.Shutdown(ctx))
	}
	if d.analytics != nil {
		d.analytics.stop()
	}
	if d.intro != nil {
		errs = append(errs, d.intro.Close())
	}
	if d.jwt != nil {
		errs = append(errs, d.jwt.Close())
	}
	if d.iss != nil {
		d.iss.Close()
	}
	return errors.Join(errs...)
}
