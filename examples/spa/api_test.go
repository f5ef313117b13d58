package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/issuertest"
)

// TestAPIRoutes: each route with the tokens of the story, right and
// wrong, and the bodies PUT /profile refuses.
func TestAPIRoutes(t *testing.T) {
	d, _ := testDemo(t)
	app := d.iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, ClientID: appClientID, Scopes: []string{"openid", "profile:read", "profile:write"}})
	vendor := d.iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, ClientID: analyticsClientID, Scopes: []string{"profile:read"}})
	idToken := d.iss.IDToken(issuertest.TokenRequest{Subject: issuertest.Alice, ClientID: appClientID, Nonce: "n-1"})
	const good = `{"name": "Alice A. Example", "bio": "Reads a lot."}`
	tests := []struct {
		name, method, path, token, contentType, body string
		wantStatus                                   int
		wantText                                     string // in the body or WWW-Authenticate
	}{
		{"the app reads", "GET", "/profile", app, "", "", 200, `"name":"Alice Example"`},
		{"the app reads, by introspection", "GET", "/profile/introspected", app, "", "", 200, `"checked_by":"introspection"`},
		{"analytics reads", "GET", "/profile", vendor, "", "", 200, `"client_id":"analytics"`},
		{"the app writes", "PUT", "/profile", app, "application/json", good, 200, `"bio":"Reads a lot."`},
		{"attack: analytics' read-only token changes the profile", "PUT", "/profile", vendor, "application/json", good, 403, `scope="profile:write"`},
		{"attack: an ID token as the API's credential", "GET", "/profile", idToken, "", "", 401, `error="invalid_token"`},
		{"attack: an ID token on the introspection route", "GET", "/profile/introspected", idToken, "", "", 401, `error="invalid_token"`},
		{"no token", "GET", "/profile", "", "", "", 401, "Bearer"},
		{"a form instead of JSON", "PUT", "/profile", app, "application/x-www-form-urlencoded", "name=x", 415, "application/json"},
		{"an unknown member", "PUT", "/profile", app, "application/json", `{"name": "x", "admin": true}`, 400, "one JSON object"},
		{"two objects", "PUT", "/profile", app, "application/json", `{"name": "x"} {"name": "y"}`, 400, "one JSON object"},
		{"an empty name", "PUT", "/profile", app, "application/json", `{"name": "  "}`, 400, "1 to 80"},
		{"a bio too long", "PUT", "/profile", app, "application/json", `{"name": "x", "bio": "` + strings.Repeat("é", 281) + `"}`, 400, "280"},
		{"a control character", "PUT", "/profile", app, "application/json", `{"name": "x\u0007"}`, 400, "printable"},
		{"a body over 4 KiB", "PUT", "/profile", app, "application/json", `{"name": "` + strings.Repeat("x", 5000) + `"}`, 413, "4 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			if tt.token != "" {
				header = append(header, "Authorization", "Bearer "+tt.token)
			}
			if tt.contentType != "" {
				header = append(header, "Content-Type", tt.contentType)
			}
			resp, body := fetch(t, tt.method, d.apiURL+tt.path, tt.body, header...)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body+resp.Header.Get("WWW-Authenticate"), tt.wantText) {
				t.Errorf("%s %s = %d %q, challenge %q; want %d with %q", tt.method, tt.path, resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"), tt.wantStatus, tt.wantText)
			}
			if strings.Contains(body, "Hacked") {
				t.Error("the API changed the profile")
			}
		})
	}
}

// TestAPIRevocationByRoute: after the user revokes analytics, its token is
// refused at once where the API asks the issuer, and accepted where it
// checks the JWT itself, until the token expires.
func TestAPIRevocationByRoute(t *testing.T) {
	d, clock := testDemo(t)
	vendor := d.iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, ClientID: analyticsClientID, Scopes: []string{"profile:read"}})
	d.iss.RevokeGrants(issuertest.Alice, analyticsClientID)
	bearer := []string{"Authorization", "Bearer " + vendor}
	if resp, _ := fetch(t, "GET", d.apiURL+"/profile/introspected", "", bearer...); resp.StatusCode != 401 {
		t.Errorf("introspection route after the revocation = %d, want 401 at once", resp.StatusCode)
	}
	if resp, _ := fetch(t, "GET", d.apiURL+"/profile", "", bearer...); resp.StatusCode != 200 {
		t.Errorf("local-JWT route after the revocation = %d, want 200 until exp", resp.StatusCode)
	}
	clock.Advance(issuertest.DefaultAccessTokenLifetime + time.Minute) // past exp and the 30s leeway
	if resp, _ := fetch(t, "GET", d.apiURL+"/profile", "", bearer...); resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "expired") {
		t.Errorf("local-JWT route after exp = %d %q, want 401 expired", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// TestAPICORS: the app's origin alone may call the API from a browser.
// Preflights follow the Fetch standard: the methods and headers the API
// takes, Vary on what the answer depends on, and never "*".
func TestAPICORS(t *testing.T) {
	d, _ := testDemo(t)
	tests := []struct {
		name, method, origin, reqMethod, reqHeaders string
		wantStatus                                  int
		wantOrigin                                  bool
	}{
		{"preflight of a read", "OPTIONS", d.appURL, "GET", "authorization", 204, true},
		{"preflight of a change", "OPTIONS", d.appURL, "PUT", "authorization, content-type", 204, true},
		{"preflight of a method the API has not", "OPTIONS", d.appURL, "DELETE", "authorization", 403, false},
		{"preflight of a header the API does not take", "OPTIONS", d.appURL, "GET", "authorization, x-debug", 403, false},
		{"attack: preflight from another origin", "OPTIONS", "https://evil.example", "GET", "authorization", 403, false},
		{"attack: the app's host on another port", "OPTIONS", "http://127.0.0.1:1", "GET", "authorization", 403, false},
		{"attack: a simple request from another origin", "GET", "https://evil.example", "", "", 403, false},
		{"a request from the app", "GET", d.appURL, "", "", 401, true},
		{"a request from no page (a server)", "GET", "", "", "", 401, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			for _, h := range [][2]string{{"Origin", tt.origin}, {"Access-Control-Request-Method", tt.reqMethod}, {"Access-Control-Request-Headers", tt.reqHeaders}} {
				if h[1] != "" {
					header = append(header, h[0], h[1])
				}
			}
			resp, _ := fetch(t, tt.method, d.apiURL+"/profile", "", header...)
			h := resp.Header
			if resp.StatusCode != tt.wantStatus || (h.Get("Access-Control-Allow-Origin") == tt.origin && tt.origin != "") != tt.wantOrigin {
				t.Errorf("%s from %q = %d, Access-Control-Allow-Origin %q; want %d, allowed %v", tt.method, tt.origin, resp.StatusCode, h.Get("Access-Control-Allow-Origin"), tt.wantStatus, tt.wantOrigin)
			}
			if h.Get("Access-Control-Allow-Origin") == "*" || h.Get("Access-Control-Allow-Credentials") != "" || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
				t.Errorf("headers %v: want a named origin, no credentials, Vary: Origin", h)
			}
			if tt.wantStatus == 204 && (h.Get("Access-Control-Allow-Methods") != "GET, PUT" || h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type") {
				t.Errorf("granted preflight allows %q, %q", h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"))
			}
			if tt.wantStatus == 401 && tt.wantOrigin && !strings.Contains(h.Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
				t.Errorf("the app cannot read the challenge: Access-Control-Expose-Headers %q", h.Get("Access-Control-Expose-Headers"))
			}
		})
	}
}

// TestRedirectToUnregisteredOrigin: the issuer sends codes of the app only
// to the app's registered redirect URI; any other is an error page, never
// a redirect (RFC 6749 §4.1.2.1).
func TestRedirectToUnregisteredOrigin(t *testing.T) {
	d, _ := testDemo(t)
	for _, redirect := range []string{"https://evil.example/", d.appURL + "/elsewhere", d.analyticsURL + "/callback", strings.Replace(d.appURL, "127.0.0.1", "localhost", 1) + "/"} {
		q := url.Values{
			"response_type": {"code"}, "client_id": {appClientID}, "redirect_uri": {redirect}, "scope": {"openid"},
			"state": {"s"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"},
		}
		resp, body := fetch(t, "GET", d.iss.URL+"/authorize?"+q.Encode(), "")
		if resp.StatusCode != http.StatusBadRequest || resp.Request.URL.Host != strings.TrimPrefix(d.iss.URL, "http://") || !strings.Contains(body, "redirect_uri") {
			t.Errorf("authorization request to %s = %d at %s, want the issuer's 400 page", redirect, resp.StatusCode, resp.Request.URL)
		}
	}
}
