package issuertest_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/issuertest"
)

// browser is an HTTP client with a cookie jar that does not follow
// redirects, standing in for the user's browser.
func browser(t testing.TB, s *issuertest.Server) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := noRedirect(s)
	c.Jar = jar
	return c
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)

// formFields returns the hidden fields of an HTML page.
func formFields(t testing.TB, page string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], m[2])
	}
	if v.Get("request") == "" || v.Get("csrf") == "" {
		t.Fatalf("page has no request and csrf fields:\n%s", page)
	}
	return v
}

type pageResponse struct {
	status int
	header http.Header
	body   string
}

func send(t testing.TB, c *http.Client, req *http.Request) pageResponse {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return pageResponse{resp.StatusCode, resp.Header, string(body)}
}

func postPage(t testing.TB, c *http.Client, s *issuertest.Server, path string, form url.Values, header ...string) pageResponse {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return send(t, c, req)
}

// startLogin opens the authorization URL in the browser and returns the
// login page's fields.
func startLogin(t testing.TB, c *http.Client, authURL string) (url.Values, pageResponse) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, authURL, nil)
	page := send(t, c, req)
	if page.status != http.StatusOK || !strings.Contains(page.body, `name="password"`) {
		t.Fatalf("GET /authorize = %d, want the login page:\n%s", page.status, page.body)
	}
	return formFields(t, page.body), page
}

// TestInteractiveLogin drives the HTML login and consent with a cookie
// jar, then redeems the code with x/oauth2.
func TestInteractiveLogin(t *testing.T) {
	s, clock := newServer(t, issuertest.WithInteractiveLogin())
	conf := publicConfig(s, "openid", "orders:read")
	verifier := oauth2.GenerateVerifier()
	c := browser(t, s)
	fields, login := startLogin(t, c, conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier)))
	if login.header.Get("X-Frame-Options") != "DENY" || !strings.Contains(login.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("login page can be framed (clickjacking): %v", login.header)
	}

	clock.Advance(time.Minute)
	fields.Set("username", "bob")
	fields.Set("password", issuertest.BobPassword)
	consent := postPage(t, c, s, "/login", fields)
	if consent.status != http.StatusOK || !strings.Contains(consent.body, `data-scope="orders:read"`) || !strings.Contains(consent.body, `data-scope="openid"`) {
		t.Fatalf("POST /login = %d, want the consent page listing the scopes:\n%s", consent.status, consent.body)
	}
	approve := formFields(t, consent.body)
	approve.Set("decision", "approve")
	done := postPage(t, c, s, "/consent", approve)
	if done.status != http.StatusSeeOther {
		t.Fatalf("POST /consent = %d, want 303:\n%s", done.status, done.body)
	}
	loc, _ := url.Parse(done.header.Get("Location"))
	if loc.Host != "127.0.0.1:8123" || loc.Query().Get("state") != "st-1" {
		t.Fatalf("consent redirected to %s", loc)
	}
	tok, err := conf.Exchange(t.Context(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange error = %v", err)
	}
	c2 := claimsOf(t, tok.Extra("id_token").(string))
	if c2["sub"] != "bob" || c2["auth_time"] != float64(epoch.Add(time.Minute).Unix()) {
		t.Errorf("id_token sub, auth_time = %v, %v; want bob at login time", c2["sub"], c2["auth_time"])
	}
	// The login request is used up.
	if again := postPage(t, c, s, "/consent", approve); again.status != http.StatusBadRequest {
		t.Errorf("second consent post = %d, want 400", again.status)
	}
}

func TestInteractiveLoginRejections(t *testing.T) {
	s, clock := newServer(t, issuertest.WithInteractiveLogin())
	conf := publicConfig(s, "orders:read")
	authURL := conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	alice := func(v url.Values) url.Values {
		v.Set("username", issuertest.Alice)
		v.Set("password", issuertest.AlicePassword)
		return v
	}
	tests := []struct {
		name       string
		run        func(t *testing.T, c *http.Client, fields url.Values) pageResponse
		wantStatus int
		wantText   string
	}{
		{name: "wrong password", run: func(t *testing.T, c *http.Client, f url.Values) pageResponse {
			f.Set("username", "alice")
			f.Set("password", "guess")
			return postPage(t, c, s, "/login", f)
		}, wantStatus: 401, wantText: "Wrong username or password"},
		{name: "unknown user, reflected name is escaped", run: func(t *testing.T, c *http.Client, f url.Values) pageResponse {
			f.Set("username", `<script>x</script>`)
			f.Set("password", "guess")
			return postPage(t, c, s, "/login", f)
		}, wantStatus: 401, wantText: "&lt;script&gt;"},
		{name: "CSRF: form token missing", run: func(t *testing.T, c *http.Client, f url.Values) pageResponse {
			f.Del("csrf")
			return postPage(t, c, s, "/login", alice(f))
		}, wantStatus: 403},
		{name: "CSRF: cookie missing (another browser)", run: func(t *testing.T, _ *http.Client, f url.Values) pageResponse {
			return postPage(t, browser(t, s), s, "/login", alice(f))
		}, wantStatus: 403},
		{name: "CSRF: cross-site form post", run: func(t *testing.T, c *http.Client, f url.Values) pageResponse {
			return postPage(t, c, s, "/login", alice(f), "Sec-Fetch-Site", "cross-site")
		}, wantStatus: 403},
		{name: "CSRF: foreign origin", run: func(t *testing.T, c *http.Client, f url.Values) pageResponse {
			return postPage(t, c, s, "/login", alice(f), "Origin", "https://evil.example")
		}, wantStatus: 403},
		{name: "consent before sign-in", run: func(t *testing.T, c *http.Client, f url.Values) pageResponse {
			f.Set("decision", "approve")
			return postPage(t, c, s, "/consent", f)
		}, wantStatus: 400, wantText: "sign in first"},
		{name: "login request expired", run: func(t *testing.T, c *http.Client, f url.Values) pageResponse {
			clock.Advance(10 * time.Minute)
			return postPage(t, c, s, "/login", alice(f))
		}, wantStatus: 400},
		{name: "unknown login request", run: func(t *testing.T, c *http.Client, f url.Values) pageResponse {
			f.Set("request", "forged")
			return postPage(t, c, s, "/login", alice(f))
		}, wantStatus: 400},
		{name: "user denies", run: func(t *testing.T, c *http.Client, f url.Values) pageResponse {
			consent := postPage(t, c, s, "/login", alice(f))
			deny := formFields(t, consent.body)
			deny.Set("decision", "deny")
			return postPage(t, c, s, "/consent", deny)
		}, wantStatus: 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := browser(t, s)
			fields, _ := startLogin(t, c, authURL)
			got := tt.run(t, c, fields)
			if got.status != tt.wantStatus || !strings.Contains(got.body, tt.wantText) {
				t.Errorf("status = %d, want %d with %q; body:\n%s", got.status, tt.wantStatus, tt.wantText, got.body)
			}
			if strings.Contains(got.body, "<script>") {
				t.Errorf("page reflects unescaped input")
			}
			if tt.wantStatus == 303 {
				loc, _ := url.Parse(got.header.Get("Location"))
				if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st" {
					t.Errorf("deny redirected to %s, want error=access_denied and the state", loc)
				}
			}
		})
	}
}

func TestInteractivePromptNone(t *testing.T) {
	s, _ := newServer(t, issuertest.WithInteractiveLogin())
	conf := publicConfig(s)
	loc := authorize(t, s, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "none")))
	if loc.Query().Get("error") != "login_required" {
		t.Errorf("prompt=none redirect %s, want error=login_required", loc)
	}
}
