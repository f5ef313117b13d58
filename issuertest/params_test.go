package issuertest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/issuertest"
)

// TestAuthorizeEmptyParameterIsOmitted_RFC6749_3_1: "Parameters sent
// without a value MUST be treated as if they were omitted from the
// request." An empty response_mode, request, request_uri or resource is
// not an error: the request succeeds as if it were absent.
func TestAuthorizeEmptyParameterIsOmitted_RFC6749_3_1(t *testing.T) {
	s, _ := newServer(t)
	for _, p := range []string{"response_mode", "request", "request_uri", "resource", "prompt", "login_hint", "nonce", "state"} {
		t.Run(p, func(t *testing.T) {
			v := validAuthParams()
			v.Set(p, "")
			loc := authorize(t, s, s.URL+"/authorize?"+v.Encode())
			if q := loc.Query(); q.Get("code") == "" || q.Get("error") != "" {
				t.Errorf("GET /authorize with %s= redirected to %s, want a code", p, loc)
			}
		})
	}
}

// TestTokenEmptyParameterIsOmitted_RFC6749_3_2: the token endpoint (and
// the revocation endpoint, which authenticates clients the same way, RFC
// 7009 §2.1) treats a parameter sent without a value as omitted (RFC 6749
// §3.2, which refers to §3.1): an empty client_id next to HTTP Basic, an
// empty client_secret of a public client or next to HTTP Basic, and an
// empty scope on a refresh, which keeps the granted scope (§6).
func TestTokenEmptyParameterIsOmitted_RFC6749_3_2(t *testing.T) {
	s, _ := newServer(t)
	refresh := func() string {
		return s.RefreshToken(issuertest.TokenRequest{Scopes: []string{"openid", "orders:read"}})
	}
	service := func(extra ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read"}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	tests := []struct {
		name       string
		path       string
		form       url.Values
		user, pass string
		wantScope  string
		wantID     bool
	}{
		{name: "token: empty client_id next to HTTP Basic", path: "/token", form: service("client_id", ""),
			user: issuertest.ServiceClientID, pass: issuertest.ServiceClientSecret, wantScope: "orders:read"},
		{name: "token: empty client_secret next to HTTP Basic", path: "/token", form: service("client_secret", ""),
			user: issuertest.ServiceClientID, pass: issuertest.ServiceClientSecret, wantScope: "orders:read"},
		{name: "token: empty client_secret of a public client", path: "/token", form: url.Values{
			"grant_type": {"refresh_token"}, "refresh_token": {refresh()}, "client_id": {issuertest.PublicClientID}, "client_secret": {""},
		}, wantScope: "openid orders:read", wantID: true},
		{name: "token: empty scope on a refresh keeps the granted scope", path: "/token", form: url.Values{
			"grant_type": {"refresh_token"}, "refresh_token": {refresh()}, "client_id": {issuertest.PublicClientID}, "scope": {""},
		}, wantScope: "openid orders:read", wantID: true},
		{name: "token: empty resource", path: "/token", form: service("resource", ""),
			user: issuertest.ServiceClientID, pass: issuertest.ServiceClientSecret, wantScope: "orders:read"},
		{name: "revoke: empty client_id next to HTTP Basic", path: "/revoke", form: url.Values{
			"token": {s.AccessToken(issuertest.TokenRequest{})}, "client_id": {""},
		}, user: issuertest.ServiceClientID, pass: issuertest.ServiceClientSecret},
		{name: "revoke: empty client_secret of a public client", path: "/revoke", form: url.Values{
			"token": {refresh()}, "client_id": {issuertest.PublicClientID}, "client_secret": {""}, "token_type_hint": {""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := postForm(t, s, tt.path, tt.form, tt.user, tt.pass)
			if status != http.StatusOK {
				t.Fatalf("POST %s = %d %v, want 200", tt.path, status, body)
			}
			if tt.path != "/token" {
				return
			}
			if body["scope"] != tt.wantScope {
				t.Errorf("scope = %v, want %q", body["scope"], tt.wantScope)
			}
			if _, ok := body["id_token"]; ok != tt.wantID {
				t.Errorf("id_token present = %v, want %v", ok, tt.wantID)
			}
		})
	}
}

// hostile is client input that error_description must not echo as is: a
// quote, a backslash and a non-ASCII letter.
const hostile = `"évil\`

// checkDescription fails unless every byte of an error_description is in
// the set RFC 6749 §4.1.2.1 and §5.2 allow: %x20-21 / %x23-5B / %x5D-7E.
func checkDescription(t testing.TB, d string) {
	t.Helper()
	if d == "" {
		t.Errorf("error_description is empty")
	}
	for i := 0; i < len(d); i++ {
		if c := d[i]; c < 0x20 || c == '"' || c == '\\' || c > 0x7e {
			t.Errorf("error_description %q has byte %#x at %d, outside %%x20-21 / %%x23-5B / %%x5D-7E", d, c, i)
			return
		}
	}
}

// TestErrorDescriptionCharset_RFC6749_5_2: a token or revocation error
// never echoes a quote, a backslash or non-ASCII from the request.
func TestErrorDescriptionCharset_RFC6749_5_2(t *testing.T) {
	s, _ := newServer(t)
	tests := []struct {
		name string
		path string
		body string
	}{
		{"scope", "/token", "grant_type=client_credentials&scope=" + url.QueryEscape(hostile)},
		{"resource", "/token", "grant_type=client_credentials&resource=" + url.QueryEscape(hostile)},
		{"repeated parameter name", "/token", url.QueryEscape(hostile) + "=1&" + url.QueryEscape(hostile) + "=2"},
		{"repeated parameter name at revoke", "/revoke", url.QueryEscape(hostile) + "=1&" + url.QueryEscape(hostile) + "=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(issuertest.ServiceClientID, issuertest.ServiceClientSecret)
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("POST %s = %d %s, want 400", tt.path, resp.StatusCode, raw)
			}
			var e struct {
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("body %q: %v", raw, err)
			}
			checkDescription(t, e.Description)
		})
	}
}

// TestErrorDescriptionCharset_RFC6749_4_1_2_1: an authorization error
// redirected to the client never echoes a quote, a backslash or non-ASCII
// from the request.
func TestErrorDescriptionCharset_RFC6749_4_1_2_1(t *testing.T) {
	s, _ := newServer(t)
	tests := []struct {
		name   string
		change func(url.Values)
	}{
		{"scope", func(v url.Values) { v.Set("scope", "openid "+hostile) }},
		{"resource", func(v url.Values) { v.Set("resource", hostile) }},
		{"repeated parameter name", func(v url.Values) { v[hostile] = []string{"1", "2"} }},
		{"response_mode", func(v url.Values) { v.Set("response_mode", hostile) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := validAuthParams()
			tt.change(v)
			q := authorize(t, s, s.URL+"/authorize?"+v.Encode()).Query()
			if q.Get("error") == "" {
				t.Fatalf("redirect has no error: %v", q)
			}
			checkDescription(t, q.Get("error_description"))
		})
	}
}
