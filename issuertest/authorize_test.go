package issuertest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/issuertest"
)

// validAuthParams is a correct authorization request for the public client.
func validAuthParams() url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {issuertest.PublicClientID},
		"redirect_uri":          {"http://127.0.0.1:8123/callback"},
		"scope":                 {"openid orders:read"},
		"state":                 {"xyz ABC/+="},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
		"code_challenge_method": {"S256"},
	}
}

// TestAuthorizeRejections: errors about the client or redirect URI are
// shown and never redirected; every other error is redirected with error
// and the unchanged state (RFC 6749 §4.1.2.1).
func TestAuthorizeRejections(t *testing.T) {
	s, _ := newServer(t)
	tests := []struct {
		name      string
		change    func(url.Values)
		wantShown bool   // an error page, no redirect
		wantError string // the error code, shown or redirected
	}{
		{name: "unknown client is shown", change: func(v url.Values) { v.Set("client_id", "evil") }, wantShown: true, wantError: "invalid_client"},
		{name: "missing client is shown", change: func(v url.Values) { v.Del("client_id") }, wantShown: true, wantError: "invalid_client"},
		{name: "open redirector: unregistered redirect_uri is shown", change: func(v url.Values) { v.Set("redirect_uri", "https://evil.example/callback") }, wantShown: true, wantError: "invalid_request"},
		{name: "redirect_uri with another path is shown", change: func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:8123/callback/x") }, wantShown: true, wantError: "invalid_request"},
		{name: "redirect_uri with added query is shown", change: func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:8123/callback?next=evil") }, wantShown: true, wantError: "invalid_request"},
		{name: "redirect_uri with a fragment is shown", change: func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:8123/callback#x") }, wantShown: true, wantError: "invalid_request"},
		{name: "redirect_uri https instead of http is shown", change: func(v url.Values) { v.Set("redirect_uri", "https://127.0.0.1:8123/callback") }, wantShown: true, wantError: "invalid_request"},
		{name: "redirect_uri localhost is not a loopback IP", change: func(v url.Values) { v.Set("redirect_uri", "http://localhost:8123/callback") }, wantShown: true, wantError: "invalid_request"},
		{name: "redirect_uri with userinfo is shown", change: func(v url.Values) { v.Set("redirect_uri", "http://evil@127.0.0.1:8123/callback") }, wantShown: true, wantError: "invalid_request"},
		{name: "missing redirect_uri is shown", change: func(v url.Values) { v.Del("redirect_uri") }, wantShown: true, wantError: "invalid_request"},
		{name: "repeated redirect_uri is shown", change: func(v url.Values) { v.Add("redirect_uri", "http://127.0.0.1:9/callback") }, wantShown: true, wantError: "invalid_request"},
		{name: "response_type token (implicit) refused", change: func(v url.Values) { v.Set("response_type", "token") }, wantError: "unsupported_response_type"},
		{name: "missing response_type", change: func(v url.Values) { v.Del("response_type") }, wantError: "invalid_request"},
		{name: "PKCE downgrade: missing challenge", change: func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, wantError: "invalid_request"},
		{name: "PKCE downgrade: plain method", change: func(v url.Values) { v.Set("code_challenge_method", "plain") }, wantError: "invalid_request"},
		{name: "PKCE downgrade: method omitted means plain", change: func(v url.Values) { v.Del("code_challenge_method") }, wantError: "invalid_request"},
		{name: "challenge too short", change: func(v url.Values) { v.Set("code_challenge", "abc") }, wantError: "invalid_request"},
		{name: "challenge with bad characters", change: func(v url.Values) { v.Set("code_challenge", strings.Repeat("+", 43)) }, wantError: "invalid_request"},
		{name: "scope the client may not ask for", change: func(v url.Values) { v.Set("scope", "openid admin") }, wantError: "invalid_scope"},
		{name: "repeated parameter", change: func(v url.Values) { v.Add("scope", "openid") }, wantError: "invalid_request"},
		{name: "unknown resource", change: func(v url.Values) { v.Set("resource", "https://evil.example") }, wantError: "invalid_target"},
		{name: "response_mode fragment", change: func(v url.Values) { v.Set("response_mode", "fragment") }, wantError: "invalid_request"},
		{name: "request object", change: func(v url.Values) { v.Set("request", "eyJ.x.y") }, wantError: "request_not_supported"},
		{name: "client without the code grant", change: func(v url.Values) {
			v.Set("client_id", issuertest.ServiceClientID)
		}, wantShown: true, wantError: "invalid_request"}, // it has no redirect URI at all
		{name: "unknown login_hint user", change: func(v url.Values) { v.Set("login_hint", "mallory") }, wantError: "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := validAuthParams()
			tt.change(v)
			resp, err := noRedirect(s).Get(s.URL + "/authorize?" + v.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tt.wantShown {
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(string(body), tt.wantError) {
					t.Errorf("GET /authorize = %d, Location %q, body %q; want 400 page showing %s", resp.StatusCode, resp.Header.Get("Location"), body, tt.wantError)
				}
				return
			}
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("GET /authorize = %d, want 302 with error=%s; body %s", resp.StatusCode, tt.wantError, body)
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			q := loc.Query()
			if q.Get("error") != tt.wantError || q.Get("state") != "xyz ABC/+=" || q.Get("code") != "" || q.Get("iss") != s.URL {
				t.Errorf("redirect %s: want error=%s, the same state and iss", loc, tt.wantError)
			}
			if loc.Host != "127.0.0.1:8123" || loc.Path != "/callback" {
				t.Errorf("error redirected to %s, not the registered URI", loc)
			}
		})
	}
}

func TestAuthorizeSuccess(t *testing.T) {
	s, _ := newServer(t, issuertest.WithClients(issuertest.Client{
		ID: "c", RedirectURIs: []string{"https://app.example.test/cb?tenant=1"},
		GrantTypes: []string{issuertest.GrantAuthorizationCode},
	}))
	tests := []struct {
		name     string
		change   func(url.Values)
		wantHost string
	}{
		{name: "loopback redirect with any port (RFC 8252 §7.3)", wantHost: "127.0.0.1:8123"},
		{name: "IPv6 loopback", change: func(v url.Values) { v.Set("redirect_uri", "http://[::1]:1/callback") }, wantHost: "[::1]:1"},
		{name: "exact match keeps the registered query", change: func(v url.Values) {
			v.Set("client_id", "c")
			v.Set("redirect_uri", "https://app.example.test/cb?tenant=1")
			v.Del("scope")
		}, wantHost: "app.example.test"},
	}
	def := issuertest.NewServer(issuertest.WithClock(issuertest.NewClock(epoch).Now))
	defer def.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := validAuthParams()
			srv := def
			if tt.change != nil {
				tt.change(v)
				if v.Get("client_id") == "c" {
					srv = s
				}
			}
			loc := authorize(t, srv, srv.URL+"/authorize?"+v.Encode())
			if loc.Host != tt.wantHost || loc.Query().Get("code") == "" || loc.Query().Get("state") != "xyz ABC/+=" {
				t.Errorf("redirect %s: want host %s, a code and the state", loc, tt.wantHost)
			}
			if v.Get("client_id") == "c" && loc.Query().Get("tenant") != "1" {
				t.Errorf("redirect %s lost the registered query", loc)
			}
		})
	}
	// POST is allowed too (OIDC Core §3.1.2.1).
	resp, err := noRedirect(def).PostForm(def.URL+"/authorize", validAuthParams())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "code=") {
		t.Errorf("POST /authorize = %d %q, want 303 with a code", resp.StatusCode, resp.Header.Get("Location"))
	}
}
