package main

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/issuertest"
)

// browserClient stands in for the user's browser: a cookie jar, and
// redirects returned instead of followed when follow is false.
func browserClient(t *testing.T, follow bool) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}

// report reads analytics' status for the browser c.
func report(t *testing.T, d *demo, c *http.Client, method, path string) statusReport {
	t.Helper()
	resp, body := send(t, c, method, d.analyticsURL+path, "")
	var r statusReport
	if err := json.Unmarshal([]byte(body), &r); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s %s = %d %s (%v)", method, path, resp.StatusCode, body, err)
	}
	return r
}

// routes maps each step of the last sync to its status.
func routes(r statusReport) map[string]int {
	m := map[string]int{}
	for _, s := range r.Syncs[0].Steps {
		m[s.Route] = s.Status
	}
	return m
}

// TestAnalyticsStory: the user connects analytics, which reads the profile
// with a token for profile:read alone and cannot change it; the user
// revokes it at the issuer; from then on its refresh fails and its token
// is refused on the introspection route, and on the local-JWT route once
// it expires, while the app's own grant works on.
func TestAnalyticsStory(t *testing.T) {
	d, clock := testDemo(t)
	user := browserClient(t, true)
	resp, page := send(t, user, "GET", d.analyticsURL+"/connect", "")
	if resp.StatusCode != 200 || !strings.Contains(page, `id="connected"`) || !strings.Contains(page, "not the password") {
		t.Fatalf("connecting analytics ended with %d at %s:\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	r := report(t, d, user, "GET", "/status")
	if !r.Connected || r.Subject != issuertest.Alice || r.Scope != "profile:read" || r.Revoked {
		t.Errorf("status after connecting = %+v, want alice, profile:read", r)
	}
	if got := routes(r); got["GET /profile/introspected"] != 200 || got["GET /profile"] != 200 || got["PUT /profile"] != 403 {
		t.Errorf("first sync = %v, want both reads 200 and the write 403", got)
	}
	if detail := r.Syncs[0].Steps[2].Detail; !strings.Contains(detail, `scope="profile:write"`) {
		t.Errorf("the refused write says %q, want the scope it lacks", detail)
	}
	appRefresh := d.iss.RefreshToken(issuertest.TokenRequest{Subject: issuertest.Alice, ClientID: appClientID, Scopes: []string{"profile:read"}})

	d.iss.RevokeGrants(issuertest.Alice, analyticsClientID)
	r = report(t, d, user, "POST", "/sync")
	if got := routes(r); !r.Revoked || got["GET /profile/introspected"] != 401 || got["GET /profile"] != 200 || got["POST /token (refresh_token)"] != 400 {
		t.Errorf("sync after the revocation = %v (revoked %v), want introspection 401, local JWT 200, refresh 400", got, r.Revoked)
	}
	clock.Advance(issuertest.DefaultAccessTokenLifetime + time.Minute)
	r = report(t, d, user, "POST", "/sync")
	if got := routes(r); got["GET /profile"] != 401 || got["GET /profile/introspected"] != 401 || len(got) != 2 {
		t.Errorf("sync after the token expired = %v, want both routes 401 and no refresh", got)
	}

	conf := oauth2.Config{ClientID: appClientID, Endpoint: oauth2.Endpoint{TokenURL: d.iss.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}}
	ctx := t.Context()
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: appRefresh, Expiry: time.Unix(1, 0)}).Token(); err != nil {
		t.Errorf("the app's refresh after analytics was revoked: %v", err)
	}
}

// TestAnalyticsCallbackRefusals: the callback exchanges a code only for
// the browser that started the flow, with its unused state, from the
// issuer it asked; the token endpoint is not called otherwise.
func TestAnalyticsCallbackRefusals(t *testing.T) {
	d, _ := testDemo(t)
	// callbackURL starts a flow in a browser and returns that browser and
	// the issuer's redirect to the callback.
	callbackURL := func(t *testing.T) (*http.Client, *url.URL) {
		c := browserClient(t, false)
		resp, _ := send(t, c, "GET", d.analyticsURL+"/connect", "")
		resp, _ = send(t, c, "GET", resp.Header.Get("Location"), "")
		u, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || u.Query().Get("code") == "" {
			t.Fatalf("the issuer redirected to %q", resp.Header.Get("Location"))
		}
		return c, u
	}
	with := func(u *url.URL, k, v string) string {
		q := u.Query()
		q.Set(k, v)
		c := *u
		c.RawQuery = q.Encode()
		return c.String()
	}
	tests := []struct {
		name       string
		run        func(t *testing.T) (*http.Response, string)
		wantStatus int
		wantText   string
	}{
		{"attack: a tampered state", func(t *testing.T) (*http.Response, string) {
			c, u := callbackURL(t)
			return send(t, c, "GET", with(u, "state", u.Query().Get("state")+"x"), "")
		}, 400, "not the one this browser was given"},
		{"attack: the callback in another browser (login CSRF)", func(t *testing.T) (*http.Response, string) {
			_, u := callbackURL(t)
			return send(t, browserClient(t, false), "GET", u.String(), "")
		}, 400, "not the one this browser was given"},
		{"attack: a replayed callback", func(t *testing.T) (*http.Response, string) {
			c, u := callbackURL(t)
			if resp, _ := send(t, c, "GET", u.String(), ""); resp.StatusCode != 200 {
				t.Fatalf("first callback = %d", resp.StatusCode)
			}
			return send(t, c, "GET", u.String(), "")
		}, 400, "used already"},
		{"attack: a code from another issuer (mix-up)", func(t *testing.T) (*http.Response, string) {
			c, u := callbackURL(t)
			return send(t, c, "GET", with(u, "iss", "https://evil.example"), "")
		}, 400, "RFC 9207"},
		{"the user denied", func(t *testing.T) (*http.Response, string) {
			c, u := callbackURL(t)
			q := u.Query()
			q.Del("code")
			q.Set("error", "access_denied")
			u.RawQuery = q.Encode()
			return send(t, c, "GET", u.String(), "")
		}, 200, "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := d.iss.Requests(issuertest.EndpointToken)
			resp, body := tt.run(t)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantText) {
				t.Errorf("callback = %d, want %d with %q:\n%s", resp.StatusCode, tt.wantStatus, tt.wantText, body)
			}
			exchanges := d.iss.Requests(issuertest.EndpointToken) - before
			if want := map[bool]int{true: 1, false: 0}[strings.Contains(tt.name, "replayed")]; exchanges != want {
				t.Errorf("the token endpoint was called %d times, want %d", exchanges, want)
			}
		})
	}
}

// TestAnalyticsCORS: the app reads analytics' status with the analytics
// cookie, so the answer names the app's origin and allows credentials;
// no other origin may ask, and a preflight from one is refused.
func TestAnalyticsCORS(t *testing.T) {
	d, _ := testDemo(t)
	resp, _ := fetch(t, "GET", d.analyticsURL+"/status", "", "Origin", d.appURL)
	if resp.Header.Get("Access-Control-Allow-Origin") != d.appURL || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("status from the app: %v, want the app's origin named, with credentials", resp.Header)
	}
	for _, method := range []string{"GET", "POST", "OPTIONS"} {
		resp, _ := fetch(t, method, d.analyticsURL+"/sync", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
		if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("%s /sync from another origin = %d %v, want 403 without CORS headers", method, resp.StatusCode, resp.Header)
		}
	}
}

// TestCodeReplayAtTheIssuer: a code replayed from the browser's history
// to the token endpoint is refused, and the tokens issued from it are
// revoked (RFC 6749 §4.1.2), so an app that did not guard against it
// loses its session rather than giving the attacker one.
func TestCodeReplayAtTheIssuer(t *testing.T) {
	d, _ := testDemo(t)
	conf := oauth2.Config{
		ClientID: appClientID, RedirectURL: d.appURL + "/", Scopes: []string{"openid", "profile:read"},
		Endpoint: oauth2.Endpoint{AuthURL: d.iss.URL + "/authorize", TokenURL: d.iss.URL + "/token", AuthStyle: oauth2.AuthStyleInParams},
	}
	verifier := oauth2.GenerateVerifier()
	resp, _ := send(t, browserClient(t, false), "GET", conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), "")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	first, err := conf.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conf.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("the replayed code: %v, want invalid_grant", err)
	}
	bearer := []string{"Authorization", "Bearer " + first.AccessToken}
	if resp, _ := fetch(t, "GET", d.apiURL+"/profile/introspected", "", bearer...); resp.StatusCode != 401 {
		t.Errorf("introspection route with the tokens of a replayed code = %d, want 401", resp.StatusCode)
	}
}

// TestAnalyticsSchedule: analytics reads the profiles it may read on its
// own schedule, without the user, with its own token.
func TestAnalyticsSchedule(t *testing.T) {
	ticks := make(chan time.Time)
	d, _ := testDemo(t, ticks)
	user := browserClient(t, true)
	if resp, _ := send(t, user, "GET", d.analyticsURL+"/connect", ""); resp.StatusCode != 200 {
		t.Fatalf("connecting analytics = %d", resp.StatusCode)
	}
	if r := report(t, d, user, "GET", "/status"); len(r.Syncs) != 1 || r.Syncs[0].Trigger != "when connected" {
		t.Fatalf("syncs before the schedule ticked: %+v, want the one when connected", r.Syncs)
	}
	ticks <- time.Time{} // the schedule ticks
	ticks <- time.Time{} // taken only once the first scheduled read is done
	r := report(t, d, user, "GET", "/status")
	if got := routes(r); r.Syncs[0].Trigger != "on its schedule" || got["GET /profile"] != 200 || got["GET /profile/introspected"] != 200 {
		t.Errorf("after the schedule ticked: %s %v, want both reads 200 on its schedule", r.Syncs[0].Trigger, got)
	}
}
