package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"html/template"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// analyticsConfig is the analytics service's settings.
type analyticsConfig struct {
	url, appURL, apiURL, issuer string
	clientID, secret            string // its own credentials at the issuer
	now                         func() time.Time
	every                       time.Duration    // how often it reads; 0: only when asked
	ticks                       <-chan time.Time // the schedule instead of every, for tests
}

// Bounds of what analytics keeps.
const (
	flowTTL     = 10 * time.Minute // a connection flow must finish in this time
	maxFlows    = 256
	maxConns    = 256
	maxSyncs    = 5 // sync results kept per connection, newest first
	callTimeout = 10 * time.Second
	flowCookie  = "analytics_flow"
	connCookie  = "analytics_session"
)

// analytics is the third-party service: a confidential client of the
// issuer, on its own server. The user connects it from the app; it then
// holds an access token and a refresh token for profile:read and reads
// the profile on its own schedule. It never sees the user's password.
type analytics struct {
	cfg   analyticsConfig
	oauth *oauth2.Config
	http  *http.Client

	syncMu sync.Mutex // serializes syncs: a second concurrent use of a rotating refresh token is a replay

	mu    sync.Mutex // guards flows, conns and every connection
	flows map[string]flow
	conns map[string]*connection

	quit, done chan struct{}
}

// flow is a connection in progress, by its state.
type flow struct {
	verifier string
	exp      time.Time
}

// connection is one user's grant to analytics, by the session cookie of
// the browser that connected it.
type connection struct {
	token       *oauth2.Token
	expires     time.Time // of the access token, by the injected clock
	subject     string    // learned from the first read
	connectedAt time.Time
	revoked     bool // the refresh failed: the user revoked analytics
	syncs       []syncRun
}

func newAnalytics(cfg analyticsConfig) *analytics {
	return &analytics{
		cfg: cfg,
		oauth: &oauth2.Config{
			ClientID: cfg.clientID, ClientSecret: cfg.secret, RedirectURL: cfg.url + "/callback",
			Scopes: []string{"profile:read"},
			Endpoint: oauth2.Endpoint{
				AuthURL: cfg.issuer + "/authorize", TokenURL: cfg.issuer + "/token", AuthStyle: oauth2.AuthStyleInHeader,
			},
		},
		http:  &http.Client{Timeout: callTimeout},
		flows: map[string]flow{},
		conns: map[string]*connection{},
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
}

// handler serves the service's pages and its status for the app, which
// reads it with its cookie: CORS with credentials, for the app's origin
// only.
func (a *analytics) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		a.page(w, http.StatusOK, analyticsPage{Title: "Analytics", Text: "A third-party service of the tokengate demo. Connect it from the app at " + a.cfg.appURL + "/."})
	})
	mux.HandleFunc("GET /connect", a.connect)
	mux.HandleFunc("GET /callback", a.callback)
	mux.HandleFunc("GET /status", a.status)
	mux.HandleFunc("POST /sync", a.syncNow)
	return corsPolicy{origin: a.cfg.appURL, methods: []string{"GET", "POST"}, credentials: true}.wrap(mux)
}

// start reads every connected profile every cfg.every (or on each of
// cfg.ticks) until stop.
func (a *analytics) start() {
	if a.cfg.ticks == nil && a.cfg.every <= 0 {
		close(a.done)
		return
	}
	go func() {
		defer close(a.done)
		ticks := a.cfg.ticks
		if ticks == nil {
			t := time.NewTicker(a.cfg.every)
			defer t.Stop()
			ticks = t.C
		}
		for {
			select {
			case <-a.quit:
				return
			case <-ticks:
				a.syncAll("on its schedule")
			}
		}
	}()
}

func (a *analytics) stop() {
	close(a.quit)
	<-a.done
}

// connect starts the authorization code flow with PKCE (RFC 7636, which
// confidential clients use too, RFC 9700 §2.1.1). The state is bound to
// this browser by a cookie, so that a callback with another state, or
// from another browser, is refused.
func (a *analytics) connect(w http.ResponseWriter, r *http.Request) {
	state, verifier := rand.Text(), oauth2.GenerateVerifier()
	now := a.cfg.now()
	a.mu.Lock()
	for k, f := range a.flows {
		if !now.Before(f.exp) {
			delete(a.flows, k)
		}
	}
	full := len(a.flows) >= maxFlows
	if !full {
		a.flows[state] = flow{verifier: verifier, exp: now.Add(flowTTL)}
	}
	a.mu.Unlock()
	if full {
		a.page(w, http.StatusServiceUnavailable, analyticsPage{Title: "Try again", Text: "Too many connections are in progress."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: state, Path: "/callback", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(flowTTL.Seconds())})
	http.Redirect(w, r, a.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// callback ends the flow: the state must be this browser's and unused,
// the issuer the one asked (RFC 9207), and then the code is exchanged
// with the client secret and the verifier.
func (a *analytics) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	cookie, err := r.Cookie(flowCookie)
	f, known := a.takeFlow(state)
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Path: "/callback", MaxAge: -1})
	switch {
	case err != nil || state == "" || subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(state)) != 1 || !known:
		a.page(w, http.StatusBadRequest, analyticsPage{Title: "Refused", Refused: true,
			Text: "The state in this redirect is not the one this browser was given when it started to connect, or it was used already: a forged or replayed redirect. Nothing was exchanged."})
		return
	case q.Get("iss") != "" && q.Get("iss") != a.cfg.issuer:
		a.page(w, http.StatusBadRequest, analyticsPage{Title: "Refused", Refused: true, Text: "The redirect names another issuer (RFC 9207): a mix-up attack. Nothing was exchanged."})
		return
	case q.Get("error") != "":
		a.page(w, http.StatusOK, analyticsPage{Title: "Not connected", Text: "The issuer answered " + q.Get("error") + ": analytics gets nothing. Close this tab to go back to the app."})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	tok, err := a.oauth.Exchange(context.WithValue(ctx, oauth2.HTTPClient, a.http), q.Get("code"), oauth2.VerifierOption(f.verifier))
	if err != nil {
		a.page(w, http.StatusBadGateway, analyticsPage{Title: "Not connected", Refused: true, Text: "The code exchange failed: " + oauthErrorText(err)})
		return
	}
	c := &connection{token: tok, expires: a.cfg.now().Add(time.Duration(tok.ExpiresIn) * time.Second), connectedAt: a.cfg.now()}
	http.SetCookie(w, &http.Cookie{Name: connCookie, Value: a.addConnection(c), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	a.sync(ctx, c, "when connected")
	a.mu.Lock()
	who := c.subject
	a.mu.Unlock()
	a.page(w, http.StatusOK, analyticsPage{Title: "Analytics is connected", Connected: true,
		Text: "Analytics holds a token for profile:read of " + who + "'s profile, and a refresh token, but not the password. Close this tab to go back to the app, which shows what analytics read."})
}

func (a *analytics) takeFlow(state string) (flow, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f, ok := a.flows[state]
	delete(a.flows, state)
	return f, ok && a.cfg.now().Before(f.exp)
}

// addConnection keeps c, dropping the oldest connection when full, and
// returns its session ID.
func (a *analytics) addConnection(c *connection) string {
	id := rand.Text()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.conns) >= maxConns {
		var oldest string
		for k, v := range a.conns {
			if oldest == "" || v.connectedAt.Before(a.conns[oldest].connectedAt) {
				oldest = k
			}
		}
		delete(a.conns, oldest)
	}
	a.conns[id] = c
	return id
}

// connectionOf returns the connection of the request's session cookie.
func (a *analytics) connectionOf(r *http.Request) (*connection, bool) {
	cookie, err := r.Cookie(connCookie)
	if err != nil {
		return nil, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.conns[cookie.Value]
	return c, ok
}

func (a *analytics) status(w http.ResponseWriter, r *http.Request) {
	c, ok := a.connectionOf(r)
	if !ok {
		writeJSON(w, http.StatusOK, statusReport{})
		return
	}
	writeJSON(w, http.StatusOK, a.report(c))
}

// syncNow reads the profile at once, for the app's "sync now" button.
func (a *analytics) syncNow(w http.ResponseWriter, r *http.Request) {
	c, ok := a.connectionOf(r)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "analytics is not connected in this browser"})
		return
	}
	a.sync(r.Context(), c, "when asked")
	writeJSON(w, http.StatusOK, a.report(c))
}

// analyticsPage is the data of the service's one HTML page.
type analyticsPage struct {
	Title, Text        string
	Connected, Refused bool
}

func (a *analytics) page(w http.ResponseWriter, status int, p analyticsPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	analyticsTemplate.Execute(w, p)
}

var analyticsTemplate = template.Must(template.New("").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - Analytics</title>
<style>
*{box-sizing:border-box}html{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1f2328;background:#f3eefc}
body{margin:0;padding:2.5rem 1rem}main{max-width:30rem;margin:0 auto;background:#fff;border:1px solid #d8cdf0;border-radius:12px;padding:1.75rem}
.brand{margin:0 0 .25rem;font-size:.8125rem;font-weight:600;color:#6639ba;letter-spacing:.06em;text-transform:uppercase}
h1{margin:0 0 1rem;font-size:1.5rem;line-height:1.25}
.ok{padding:.75rem;background:#dafbe1;border:1px solid #4ac26b;border-radius:8px}.refused{padding:.75rem;background:#ffebe9;border:1px solid #ff8182;border-radius:8px}
@media (max-width:32rem){body{padding:0;background:#fff}main{border:0;border-radius:0;min-height:100vh;padding:1.5rem 1.25rem}}
</style></head><body><main>
<p class="brand">Analytics &middot; a third-party service</p>
<h1>{{.Title}}</h1>
<p id="{{if .Connected}}connected{{else if .Refused}}refused{{else}}note{{end}}" class="{{if .Connected}}ok{{else if .Refused}}refused{{end}}" role="status">{{.Text}}</p>
</main></body></html>`))
