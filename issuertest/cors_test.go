package issuertest_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/issuertest"
)

// appOrigin is the origin of the browser client of the CORS tests.
const appOrigin = "http://127.0.0.1:5173"

// browserClient is a public single-page app served from appOrigin.
func browserClient() issuertest.Client {
	return issuertest.Client{
		ID: "spa", RedirectURIs: []string{appOrigin + "/"}, WebOrigins: []string{appOrigin},
		Scopes: []string{"openid", "orders:read"}, GrantTypes: []string{issuertest.GrantAuthorizationCode, issuertest.GrantRefreshToken},
	}
}

func corsServer(t *testing.T) *issuertest.Server {
	s, _ := newServer(t, issuertest.WithClients(append(issuertest.DefaultClients(), browserClient())...), issuertest.WithAdminAPI())
	return s
}

// corsRequest sends a request with the given headers and returns the response,
// its body closed.
func corsRequest(t *testing.T, s *issuertest.Server, method, path string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, s.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := noRedirect(s).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp
}

// checkNeverWildcard: an origin is named, never "*", and credentials are
// never allowed (Fetch standard, CORS protocol and credentials).
func checkNeverWildcard(t *testing.T, h http.Header) {
	t.Helper()
	if h.Get("Access-Control-Allow-Origin") == "*" || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("Access-Control-Allow-Origin %q, -Credentials %q: want a named origin and no credentials",
			h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Credentials"))
	}
}

// TestCORSPreflight: a CORS-preflight request (Fetch standard §3.2.2) is
// granted, with 204 and the route's methods and headers, only for a
// registered browser client's origin, an allowed method and allowed
// headers; anything else gets no Access-Control-Allow-Origin, which makes
// the browser refuse the request.
func TestCORSPreflight(t *testing.T) {
	s := corsServer(t)
	tests := []struct {
		name, path, origin, method, headers string
		wantStatus                          int
		wantMethods                         string
	}{
		{"token endpoint from the app", "/token", appOrigin, "POST", "content-type", 204, "POST"},
		{"userinfo with a bearer token", "/userinfo", appOrigin, "GET", "authorization", 204, "GET, POST"},
		{"revocation", "/revoke", appOrigin, "POST", "", 204, "POST"},
		{"JWKS", "/jwks", appOrigin, "GET", "", 204, "GET"},
		{"metadata", "/.well-known/openid-configuration", appOrigin, "GET", "", 204, "GET"},
		{"OAuth metadata", "/.well-known/oauth-authorization-server", appOrigin, "GET", "", 204, "GET"},
		{"attack: an unregistered origin", "/token", "https://evil.example", "POST", "", 403, ""},
		{"attack: the app's host on another port", "/token", "http://127.0.0.1:5174", "POST", "", 403, ""},
		{"attack: the opaque origin null (sandboxed frame)", "/token", "null", "POST", "", 403, ""},
		{"method the route does not have", "/token", appOrigin, "DELETE", "", 403, ""},
		{"header that is not allowed", "/userinfo", appOrigin, "GET", "authorization, x-forwarded-for", 403, ""},
		{"attack: introspection is for resource servers", "/introspect", appOrigin, "POST", "authorization", 405, ""},
		{"attack: the admin endpoint", "/admin/token", appOrigin, "POST", "content-type", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := []string{"Origin", tt.origin, "Access-Control-Request-Method", tt.method}
			if tt.headers != "" {
				header = append(header, "Access-Control-Request-Headers", tt.headers)
			}
			resp := corsRequest(t, s, http.MethodOptions, tt.path, header...)
			h := resp.Header
			checkNeverWildcard(t, h)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("OPTIONS %s from %s = %d, want %d", tt.path, tt.origin, resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != 204 {
				if h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
					t.Errorf("refused preflight allows %q %q", h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Methods"))
				}
				return
			}
			if h.Get("Access-Control-Allow-Origin") != tt.origin || h.Get("Access-Control-Allow-Methods") != tt.wantMethods ||
				h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" || h.Get("Access-Control-Max-Age") == "" {
				t.Errorf("granted preflight headers %v", h)
			}
			if vary := h.Values("Vary"); !slices.Contains(vary, "Origin") || !slices.Contains(vary, "Access-Control-Request-Method") {
				t.Errorf("Vary = %v, want Origin and Access-Control-Request-Method", vary)
			}
		})
	}
	if n := s.Requests(issuertest.EndpointToken); n != 0 {
		t.Errorf("preflights reached the token endpoint %d times, want 0", n)
	}
}

// TestCORSResponses: the answer itself names the registered origin (even
// an error, so that the app can read it), exposes WWW-Authenticate, and
// varies by Origin on every response of those routes, since the JWKS and
// the metadata are cacheable.
func TestCORSResponses(t *testing.T) {
	s := corsServer(t)
	tests := []struct {
		name, method, path, origin string
		wantAllowed                bool
	}{
		{"JWKS from the app", "GET", "/jwks", appOrigin, true},
		{"metadata from the app", "GET", "/.well-known/openid-configuration", appOrigin, true},
		{"token error from the app", "POST", "/token", appOrigin, true},
		{"userinfo 401 from the app", "GET", "/userinfo", appOrigin, true},
		{"JWKS without Origin (not a browser)", "GET", "/jwks", "", false},
		{"attack: JWKS from another origin", "GET", "/jwks", "https://evil.example", false},
		{"attack: token endpoint from another origin", "POST", "/token", "https://evil.example", false},
		{"attack: introspection from the app", "POST", "/introspect", appOrigin, false},
		{"attack: authorization endpoint is a navigation", "GET", "/authorize", appOrigin, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			if tt.origin != "" {
				header = []string{"Origin", tt.origin}
			}
			resp := corsRequest(t, s, tt.method, tt.path, header...)
			h := resp.Header
			checkNeverWildcard(t, h)
			if got := h.Get("Access-Control-Allow-Origin"); (got == tt.origin && got != "") != tt.wantAllowed {
				t.Errorf("%s %s from %q: Access-Control-Allow-Origin %q, want allowed %v", tt.method, tt.path, tt.origin, got, tt.wantAllowed)
			}
			if tt.wantAllowed && !strings.Contains(h.Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
				t.Errorf("Access-Control-Expose-Headers %q lacks WWW-Authenticate", h.Get("Access-Control-Expose-Headers"))
			}
			cors := tt.path != "/introspect" && tt.path != "/authorize"
			if cors && !slices.Contains(h.Values("Vary"), "Origin") {
				t.Errorf("Vary = %v, want Origin", h.Values("Vary"))
			}
		})
	}
}

// TestCORSTokenFromTheApp: the whole exchange a single-page app makes, as
// the browser sends it: a form post with Origin, answered for that origin.
func TestCORSTokenFromTheApp(t *testing.T) {
	s := corsServer(t)
	conf := publicConfig(s, "openid")
	conf.ClientID, conf.RedirectURL = "spa", appOrigin+"/"
	verifier := oauth2.GenerateVerifier()
	code := authorize(t, s, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))).Query().Get("code")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appOrigin + "/"},
		"client_id": {"spa"}, "code_verifier": {verifier}}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", appOrigin)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != appOrigin {
		t.Errorf("POST /token from the app = %d, Access-Control-Allow-Origin %q; want 200 for %s",
			resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), appOrigin)
	}
}

// TestWebOriginsValidated: a web origin is compared with Origin exactly,
// so one the browser would never send, or a wildcard, is a configuration
// error; so is one on a confidential client, whose secret a page cannot keep.
func TestWebOriginsValidated(t *testing.T) {
	tests := []struct {
		name   string
		origin string
		secret string
	}{
		{"trailing slash", "http://127.0.0.1:5173/", ""},
		{"path", "http://127.0.0.1:5173/app", ""},
		{"wildcard", "*", ""},
		{"null", "null", ""},
		{"uppercase host", "http://APP.example", ""},
		{"default port", "https://app.example:443", ""},
		{"user information", "http://user@app.example", ""},
		{"not http", "ftp://app.example", ""},
		{"confidential client", appOrigin, "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := browserClient()
			c.WebOrigins, c.Secret = []string{tt.origin}, tt.secret
			defer func() {
				if p := recover(); p == nil || !strings.Contains(p.(string), "web") {
					t.Errorf("NewServer with web origin %q (secret %q): panic %v, want a web origin error", tt.origin, tt.secret, p)
				}
			}()
			issuertest.NewServer(issuertest.WithClients(c)).Close()
		})
	}
	for _, ok := range []string{"http://127.0.0.1:5173", "https://app.example", "http://[::1]:8080", "http://localhost"} {
		c := browserClient()
		c.WebOrigins = []string{ok}
		issuertest.NewServer(issuertest.WithClients(c)).Close() // panics on a refusal
	}
}
