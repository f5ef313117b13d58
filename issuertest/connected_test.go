package issuertest_test

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/issuertest"
)

// A third-party service, a confidential client of the code flow that may
// only read orders.
const (
	vendorID     = "vendor"
	vendorSecret = "vendor-secret"
)

func vendorConfig(s *issuertest.Server) *oauth2.Config {
	conf := publicConfig(s, "orders:read")
	conf.ClientID, conf.ClientSecret = vendorID, vendorSecret
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return conf
}

// connectedServer has alice signed in to the public client and to the
// vendor, each with tokens of its own.
func connectedServer(t *testing.T) (s *issuertest.Server, clock *issuertest.Clock, app, vendor *oauth2.Token) {
	t.Helper()
	vendorClient := issuertest.Client{
		ID: vendorID, Secret: vendorSecret, RedirectURIs: issuertest.PublicClientRedirectURIs(),
		Scopes: []string{"orders:read"}, GrantTypes: []string{issuertest.GrantAuthorizationCode, issuertest.GrantRefreshToken},
	}
	s, clock = newServer(t, issuertest.WithClients(append(issuertest.DefaultClients(), vendorClient)...))
	app = codeFlow(t, s, publicConfig(s, "openid", "orders:read", "orders:write"))
	vendor = codeFlow(t, s, vendorConfig(s))
	return s, clock, app, vendor
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// accountSignIn signs user in at the connected-apps page and returns the
// browser, the page and its CSRF token.
func accountSignIn(t *testing.T, s *issuertest.Server, user, password string) (*http.Client, pageResponse, string) {
	t.Helper()
	c := browser(t, s)
	signIn := postPage(t, c, s, "/connected-apps/sign-in", url.Values{"username": {user}, "password": {password}})
	if signIn.status != http.StatusSeeOther || signIn.header.Get("Location") != "/connected-apps" {
		t.Fatalf("POST /connected-apps/sign-in = %d %q, want 303 to the page:\n%s", signIn.status, signIn.header.Get("Location"), signIn.body)
	}
	page := getPage(t, c, s)
	m := csrfField.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("connected-apps page has no CSRF field:\n%s", page.body)
	}
	return c, page, m[1]
}

func getPage(t *testing.T, c *http.Client, s *issuertest.Server) pageResponse {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/connected-apps", nil)
	return send(t, c, req)
}

func refreshErr(t *testing.T, conf *oauth2.Config, tok *oauth2.Token) error {
	t.Helper()
	_, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
	return err
}

// TestConnectedAppsRevoke: alice sees each client that holds her tokens,
// with what it may do, and revokes the vendor. From then on the vendor's
// refresh fails and introspection calls its access token inactive, while
// the app's grant works on and her password is unchanged; the page says
// until when a local JWT check still accepts the vendor's token.
func TestConnectedAppsRevoke(t *testing.T) {
	s, clock, app, vendor := connectedServer(t)
	c, page, csrf := accountSignIn(t, s, issuertest.Alice, issuertest.AlicePassword)
	for _, want := range []string{`data-client="vendor"`, `data-client="web-app"`, `data-scope="orders:write"`, "See your orders", "Revoke access"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("connected-apps page lacks %q:\n%s", want, page.body)
		}
	}
	_, vendorPart, _ := strings.Cut(page.body, `data-client="vendor"`)
	if vendorPart, _, _ = strings.Cut(vendorPart, "Revoke access</button>"); strings.Contains(vendorPart, "orders:write") {
		t.Errorf("the vendor is listed with orders:write, which it was never given:\n%s", vendorPart)
	}

	clock.Advance(time.Minute)
	done := postPage(t, c, s, "/connected-apps/revoke", url.Values{"csrf": {csrf}, "client_id": {vendorID}})
	if done.status != http.StatusSeeOther {
		t.Fatalf("POST /connected-apps/revoke = %d, want 303:\n%s", done.status, done.body)
	}
	after := getPage(t, c, s)
	expiry := epoch.Add(issuertest.DefaultAccessTokenLifetime).UTC().Format("15:04:05")
	if !strings.Contains(after.body, `id="revoked"`) || !strings.Contains(after.body, "until it expires at <time datetime=") ||
		!strings.Contains(after.body, expiry) || strings.Contains(after.body, `data-client="vendor"`) {
		t.Errorf("after the revocation the page does not say until %s, or still lists the vendor:\n%s", expiry, after.body)
	}
	if again := getPage(t, c, s); strings.Contains(again.body, `id="revoked"`) {
		t.Error("the revocation notice is shown twice")
	}

	if err := refreshErr(t, vendorConfig(s), vendor); !isInvalidGrant(err) {
		t.Errorf("the vendor's refresh after the revocation: %v, want invalid_grant", err)
	}
	if got := introspect(t, s, vendor.AccessToken); got["active"] != false {
		t.Errorf("introspection of the vendor's access token = %v, want inactive at once", got)
	}
	if got := introspect(t, s, app.AccessToken); got["active"] != true {
		t.Errorf("introspection of the app's access token = %v, want still active", got)
	}
	if err := refreshErr(t, publicConfig(s), app); err != nil {
		t.Errorf("the app's refresh after revoking the vendor: %v", err)
	}
	if _, again, _ := accountSignIn(t, s, issuertest.Alice, issuertest.AlicePassword); !strings.Contains(again.body, `data-client="web-app"`) {
		t.Error("alice's password or the app's grant changed with the revocation")
	}
}

func isInvalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// TestConnectedAppsRefusals: what the page refuses, and what it leaves
// unchanged when it does.
func TestConnectedAppsRefusals(t *testing.T) {
	s, clock, _, vendor := connectedServer(t)
	tests := []struct {
		name       string
		run        func(t *testing.T) pageResponse
		wantStatus int
		wantText   string
	}{
		{"wrong password", func(t *testing.T) pageResponse {
			return postPage(t, browser(t, s), s, "/connected-apps/sign-in", url.Values{"username": {"alice"}, "password": {"guess"}})
		}, 401, "Wrong username or password"},
		{"attack: reflected username is escaped", func(t *testing.T) pageResponse {
			return postPage(t, browser(t, s), s, "/connected-apps/sign-in", url.Values{"username": {"<script>x</script>"}, "password": {"guess"}})
		}, 401, "&lt;script&gt;"},
		{"attack: CSRF, revoke without the form token", func(t *testing.T) pageResponse {
			c, _, _ := accountSignIn(t, s, issuertest.Alice, issuertest.AlicePassword)
			return postPage(t, c, s, "/connected-apps/revoke", url.Values{"client_id": {vendorID}})
		}, 403, "CSRF"},
		{"attack: CSRF, cross-site revoke", func(t *testing.T) pageResponse {
			c, _, csrf := accountSignIn(t, s, issuertest.Alice, issuertest.AlicePassword)
			return postPage(t, c, s, "/connected-apps/revoke", url.Values{"csrf": {csrf}, "client_id": {vendorID}}, "Sec-Fetch-Site", "cross-site")
		}, 403, "cross-origin"},
		{"attack: login CSRF from a foreign origin", func(t *testing.T) pageResponse {
			return postPage(t, browser(t, s), s, "/connected-apps/sign-in", url.Values{"username": {"alice"}, "password": {"alice-password"}}, "Origin", "https://evil.example")
		}, 403, "cross-origin"},
		{"revoke without a session", func(t *testing.T) pageResponse {
			return postPage(t, browser(t, s), s, "/connected-apps/revoke", url.Values{"csrf": {"x"}, "client_id": {vendorID}})
		}, 303, ""},
		{"bob cannot revoke alice's grant", func(t *testing.T) pageResponse {
			c, page, csrf := accountSignIn(t, s, issuertest.Bob, issuertest.BobPassword)
			if !strings.Contains(page.body, `id="no-apps"`) {
				t.Errorf("bob's page lists apps:\n%s", page.body)
			}
			return postPage(t, c, s, "/connected-apps/revoke", url.Values{"csrf": {csrf}, "client_id": {vendorID}})
		}, 400, "no connected app"},
		{"session expired", func(t *testing.T) pageResponse {
			c, _, _ := accountSignIn(t, s, issuertest.Alice, issuertest.AlicePassword)
			clock.Advance(31 * time.Minute)
			defer clock.Advance(-31 * time.Minute)
			return getPage(t, c, s)
		}, 200, `action="/connected-apps/sign-in"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.run(t)
			if got.status != tt.wantStatus || !strings.Contains(got.body, tt.wantText) {
				t.Errorf("status = %d, want %d with %q; body:\n%s", got.status, tt.wantStatus, tt.wantText, got.body)
			}
			if strings.Contains(got.body, "<script>") {
				t.Error("page reflects unescaped input")
			}
		})
	}
	if got := introspect(t, s, vendor.AccessToken); got["active"] != true {
		t.Errorf("after the refused requests the vendor's token is %v, want still active", got)
	}
}

// TestConnectedAppsSignOut: signing out ends the session; its cookie no
// longer shows the apps.
func TestConnectedAppsSignOut(t *testing.T) {
	s, _, _, _ := connectedServer(t)
	c, _, csrf := accountSignIn(t, s, issuertest.Alice, issuertest.AlicePassword)
	if out := postPage(t, c, s, "/connected-apps/sign-out", url.Values{"csrf": {csrf}}); out.status != http.StatusSeeOther {
		t.Fatalf("sign out = %d, want 303", out.status)
	}
	if page := getPage(t, c, s); !strings.Contains(page.body, `action="/connected-apps/sign-in"`) {
		t.Errorf("after signing out the page is not the sign-in form:\n%s", page.body)
	}
}

// TestRevokeGrants: the method does what the page does, for one client.
func TestRevokeGrants(t *testing.T) {
	s, _, app, vendor := connectedServer(t)
	n, until := s.RevokeGrants(issuertest.Alice, vendorID)
	if n != 1 || !until.Equal(epoch.Add(issuertest.DefaultAccessTokenLifetime)) {
		t.Errorf("RevokeGrants() = %d, %v; want 1 grant, access tokens until %v", n, until, epoch.Add(issuertest.DefaultAccessTokenLifetime))
	}
	if introspect(t, s, vendor.AccessToken)["active"] != false || introspect(t, s, app.AccessToken)["active"] != true {
		t.Error("RevokeGrants() did not end the vendor's grant alone")
	}
	if n, _ := s.RevokeGrants(issuertest.Alice, vendorID); n != 0 {
		t.Errorf("a second RevokeGrants() = %d, want 0", n)
	}
}
