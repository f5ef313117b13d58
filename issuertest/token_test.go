package issuertest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/issuertest"
)

// freshCode runs /authorize for the public client and returns the code
// and its PKCE verifier.
func freshCode(t testing.TB, s *issuertest.Server) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	v := validAuthParams()
	v.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	return authorize(t, s, s.URL+"/authorize?"+v.Encode()).Query().Get("code"), verifier
}

func codeExchange(code, verifier string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {"http://127.0.0.1:8123/callback"},
		"client_id":     {issuertest.PublicClientID},
		"code_verifier": {verifier},
	}
}

// TestTokenRejections: each way a code exchange can be wrong is refused
// with the RFC 6749 §5.2 error, as JSON, with Cache-Control no-store.
func TestTokenRejections(t *testing.T) {
	s, clock := newServer(t, issuertest.WithClients(append(issuertest.DefaultClients(), issuertest.Client{
		ID: "other", RedirectURIs: issuertest.PublicClientRedirectURIs(), Scopes: []string{"openid", "orders:read"},
		GrantTypes: []string{issuertest.GrantAuthorizationCode},
	})...))
	tests := []struct {
		name       string
		change     func(form url.Values, verifier string)
		user, pass string
		advance    time.Duration
		wantStatus int
		wantError  string
	}{
		{name: "PKCE: missing verifier", change: func(f url.Values, _ string) { f.Del("code_verifier") }, wantStatus: 400, wantError: "invalid_request"},
		{name: "PKCE: verifier of another flow", change: func(f url.Values, _ string) { f.Set("code_verifier", oauth2.GenerateVerifier()) }, wantStatus: 400, wantError: "invalid_grant"},
		{name: "PKCE: plain downgrade sends the challenge as verifier", change: func(f url.Values, v string) { f.Set("code_verifier", oauth2.S256ChallengeFromVerifier(v)) }, wantStatus: 400, wantError: "invalid_grant"},
		{name: "PKCE: verifier of 42 characters", change: func(f url.Values, _ string) { f.Set("code_verifier", strings.Repeat("a", 42)) }, wantStatus: 400, wantError: "invalid_request"},
		{name: "PKCE: verifier of 129 characters", change: func(f url.Values, _ string) { f.Set("code_verifier", strings.Repeat("a", 129)) }, wantStatus: 400, wantError: "invalid_request"},
		{name: "PKCE: verifier with bad characters", change: func(f url.Values, v string) { f.Set("code_verifier", v[:42]+"+") }, wantStatus: 400, wantError: "invalid_request"},
		{name: "redirect_uri differs from the authorization request", change: func(f url.Values, _ string) { f.Set("redirect_uri", "http://127.0.0.1:9999/callback") }, wantStatus: 400, wantError: "invalid_grant"},
		{name: "redirect_uri missing", change: func(f url.Values, _ string) { f.Del("redirect_uri") }, wantStatus: 400, wantError: "invalid_grant"},
		{name: "code stolen by another client", change: func(f url.Values, _ string) { f.Set("client_id", "other") }, wantStatus: 400, wantError: "invalid_grant"},
		{name: "code expired", advance: issuertest.DefaultCodeLifetime, wantStatus: 400, wantError: "invalid_grant"},
		{name: "unknown code", change: func(f url.Values, _ string) { f.Set("code", "forged") }, wantStatus: 400, wantError: "invalid_grant"},
		{name: "missing code", change: func(f url.Values, _ string) { f.Del("code") }, wantStatus: 400, wantError: "invalid_request"},
		{name: "unknown client", change: func(f url.Values, _ string) { f.Set("client_id", "nobody") }, wantStatus: 401, wantError: "invalid_client"},
		{name: "no client at all", change: func(f url.Values, _ string) { f.Del("client_id") }, wantStatus: 401, wantError: "invalid_client"},
		{name: "public client with a secret", change: func(f url.Values, _ string) { f.Set("client_secret", "guess") }, wantStatus: 401, wantError: "invalid_client"},
		{name: "public client over HTTP Basic", change: func(f url.Values, _ string) { f.Del("client_id") }, user: issuertest.PublicClientID, wantStatus: 401, wantError: "invalid_client"},
		{name: "confidential client with wrong basic secret", change: func(f url.Values, _ string) { f.Del("client_id") }, user: issuertest.ServiceClientID, pass: "wrong", wantStatus: 401, wantError: "invalid_client"},
		{name: "two authentication methods", change: func(f url.Values, _ string) { f.Set("client_secret", issuertest.ServiceClientSecret) }, user: issuertest.ServiceClientID, pass: issuertest.ServiceClientSecret, wantStatus: 400, wantError: "invalid_request"},
		{name: "confidential client without the code grant", change: func(f url.Values, _ string) { f.Del("client_id") }, user: issuertest.ServiceClientID, pass: issuertest.ServiceClientSecret, wantStatus: 400, wantError: "unauthorized_client"},
		{name: "unsupported grant type", change: func(f url.Values, _ string) { f.Set("grant_type", "password") }, wantStatus: 400, wantError: "unsupported_grant_type"},
		{name: "missing grant type", change: func(f url.Values, _ string) { f.Del("grant_type") }, wantStatus: 400, wantError: "invalid_request"},
		{name: "repeated parameter", change: func(f url.Values, _ string) { f.Add("code", "x") }, wantStatus: 400, wantError: "invalid_request"},
		{name: "resource not granted", change: func(f url.Values, _ string) { f.Set("resource", "https://evil.example") }, wantStatus: 400, wantError: "invalid_target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, verifier := freshCode(t, s)
			form := codeExchange(code, verifier)
			if tt.change != nil {
				tt.change(form, verifier)
			}
			clock.Advance(tt.advance)
			status, h, body := postForm(t, s, "/token", form, tt.user, tt.pass)
			if status != tt.wantStatus || body["error"] != tt.wantError {
				t.Errorf("POST /token = %d %v, want %d %s", status, body, tt.wantStatus, tt.wantError)
			}
			if h.Get("Cache-Control") != "no-store" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Errorf("error response Cache-Control %q, Content-Type %q", h.Get("Cache-Control"), h.Get("Content-Type"))
			}
			if (tt.user != "" && status == 401) != (h.Get("WWW-Authenticate") != "") {
				t.Errorf("WWW-Authenticate = %q; RFC 6749 §5.2 wants it exactly for a failed Basic login", h.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestTokenSuccessResponse(t *testing.T) {
	s, _ := newServer(t)
	code, verifier := freshCode(t, s)
	status, h, body := postForm(t, s, "/token", codeExchange(code, verifier), "", "")
	if status != 200 || h.Get("Cache-Control") != "no-store" || h.Get("Pragma") != "no-cache" {
		t.Fatalf("POST /token = %d, Cache-Control %q, Pragma %q", status, h.Get("Cache-Control"), h.Get("Pragma"))
	}
	want := map[string]any{"token_type": "Bearer", "expires_in": float64(300), "scope": "openid orders:read"}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("token response %s = %v, want %v", k, body[k], v)
		}
	}
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if s, _ := body[k].(string); s == "" {
			t.Errorf("token response has no %s", k)
		}
	}
}

func TestTokenEndpointTransport(t *testing.T) {
	s, _ := newServer(t)
	code, verifier := freshCode(t, s)
	// Credentials in the query string are refused (RFC 6749 §3.2).
	resp, err := s.Client().PostForm(s.URL+"/token?client_id=web-app", codeExchange(code, verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST /token with a query = %d, want 400", resp.StatusCode)
	}
	resp, err = s.Client().Get(s.URL + "/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /token = %d, want 405", resp.StatusCode)
	}
}

// TestRefreshRejections covers the refresh grant's checks.
func TestRefreshRejections(t *testing.T) {
	s, clock := newServer(t)
	tests := []struct {
		name       string
		form       func(rt string) url.Values
		advance    time.Duration
		wantStatus int
		wantError  string
		wantScope  string
	}{
		{name: "narrower scope is allowed (RFC 6749 §6)", form: func(rt string) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {issuertest.PublicClientID}, "scope": {"orders:read"}}
		}, wantStatus: 200, wantScope: "orders:read"},
		{name: "wider scope is refused", form: func(rt string) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {issuertest.PublicClientID}, "scope": {"orders:read orders:write"}}
		}, wantStatus: 400, wantError: "invalid_scope"},
		{name: "refresh token of another client", form: func(rt string) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {issuertest.ServiceClientID}, "client_secret": {issuertest.ServiceClientSecret}}
		}, wantStatus: 400, wantError: "unauthorized_client"},
		{name: "expired refresh token", advance: issuertest.DefaultRefreshTokenLifetime, form: func(rt string) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {issuertest.PublicClientID}}
		}, wantStatus: 400, wantError: "invalid_grant"},
		{name: "access token as refresh token", form: func(string) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.AccessToken(issuertest.TokenRequest{Subject: "alice"})}, "client_id": {issuertest.PublicClientID}}
		}, wantStatus: 400, wantError: "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, verifier := freshCode(t, s)
			_, _, tok := postForm(t, s, "/token", codeExchange(code, verifier), "", "")
			rt := tok["refresh_token"].(string)
			clock.Advance(tt.advance)
			status, _, body := postForm(t, s, "/token", tt.form(rt), "", "")
			if status != tt.wantStatus || body["error"] != nil && body["error"] != tt.wantError {
				t.Errorf("refresh = %d %v, want %d %s", status, body, tt.wantStatus, tt.wantError)
			}
			if tt.wantScope != "" && body["scope"] != tt.wantScope {
				t.Errorf("refresh scope = %v, want %s", body["scope"], tt.wantScope)
			}
			if status != 200 {
				// A refused request does not use the token up.
				status, _, body = postForm(t, s, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {issuertest.PublicClientID}}, "", "")
				if tt.advance == 0 && status != 200 {
					t.Errorf("refresh after a refused attempt = %d %v, want 200", status, body)
				}
			}
		})
	}
}

func TestClientCredentialsRejections(t *testing.T) {
	s, _ := newServer(t)
	tests := []struct {
		name       string
		form       url.Values
		user, pass string
		wantError  string
	}{
		{name: "public client", form: url.Values{"client_id": {issuertest.PublicClientID}}, wantError: "unauthorized_client"},
		{name: "client without the grant", user: issuertest.APIClientID, pass: issuertest.APIClientSecret, wantError: "unauthorized_client"},
		{name: "scope the client may not ask for", form: url.Values{"scope": {"openid"}}, user: issuertest.ServiceClientID, pass: issuertest.ServiceClientSecret, wantError: "invalid_scope"},
		{name: "unknown resource", form: url.Values{"resource": {"https://evil.example"}}, user: issuertest.ServiceClientID, pass: issuertest.ServiceClientSecret, wantError: "invalid_target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"grant_type": {"client_credentials"}}
			for k, v := range tt.form {
				form[k] = v
			}
			status, _, body := postForm(t, s, "/token", form, tt.user, tt.pass)
			if status != 400 || body["error"] != tt.wantError {
				t.Errorf("client_credentials = %d %v, want 400 %s", status, body, tt.wantError)
			}
		})
	}
}

// TestLifetimes: each lifetime option sets its token's exp, and the one
// clock decides when a code expires.
func TestLifetimes(t *testing.T) {
	s, clock := newServer(t,
		issuertest.WithAccessTokenLifetime(30*time.Second), issuertest.WithIDTokenLifetime(2*time.Minute),
		issuertest.WithRefreshTokenLifetime(time.Minute), issuertest.WithCodeLifetime(10*time.Second))
	if !s.Now().Equal(epoch) {
		t.Errorf("Now() = %v, want the injected clock's %v", s.Now(), epoch)
	}
	code, verifier := freshCode(t, s)
	clock.Advance(10 * time.Second)
	if status, _, body := postForm(t, s, "/token", codeExchange(code, verifier), "", ""); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("code after its 10s lifetime = %d %v, want invalid_grant", status, body)
	}
	code, verifier = freshCode(t, s)
	_, _, body := postForm(t, s, "/token", codeExchange(code, verifier), "", "")
	now := clock.Now().Unix()
	if exp := claimsOf(t, body["access_token"].(string))["exp"]; exp != float64(now+30) || body["expires_in"] != float64(30) {
		t.Errorf("access exp = %v, expires_in %v; want now+30", exp, body["expires_in"])
	}
	if exp := claimsOf(t, body["id_token"].(string))["exp"]; exp != float64(now+120) {
		t.Errorf("id_token exp = %v, want now+120", exp)
	}
	if exp := introspect(t, s, body["refresh_token"].(string))["exp"]; exp != float64(now+60) {
		t.Errorf("refresh exp = %v, want now+60", exp)
	}
}

// TestResourceAtTokenEndpoint: a token request may narrow the audiences
// granted at /authorize, never widen them (RFC 8707 §2.2).
func TestResourceAtTokenEndpoint(t *testing.T) {
	const billing = "https://billing.example.test"
	s, _ := newServer(t, issuertest.WithAudience(issuertest.DefaultAudience, billing))
	verifier := oauth2.GenerateVerifier()
	v := validAuthParams()
	v.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	v["resource"] = []string{issuertest.DefaultAudience, billing}
	code := authorize(t, s, s.URL+"/authorize?"+v.Encode()).Query().Get("code")
	form := codeExchange(code, verifier)
	form.Set("resource", billing)
	_, _, body := postForm(t, s, "/token", form, "", "")
	if aud := introspect(t, s, body["access_token"].(string))["aud"]; aud != billing {
		t.Errorf("narrowed aud = %v, want %s", aud, billing)
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)},
		"client_id": {issuertest.PublicClientID}, "resource": {issuertest.DefaultAudience}}
	_, _, body = postForm(t, s, "/token", refresh, "", "")
	if aud := introspect(t, s, body["access_token"].(string))["aud"]; aud != issuertest.DefaultAudience {
		t.Errorf("refresh with resource: aud = %v, want %s", aud, issuertest.DefaultAudience)
	}
}
