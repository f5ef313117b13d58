package issuertest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/issuertest"
)

// adminCall sends a JSON admin request and decodes the JSON answer, if any.
func adminCall(t testing.TB, s *issuertest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, out
}

func TestAdminAPI(t *testing.T) {
	s, clock := newServer(t, issuertest.WithAdminAPI())
	old := s.SigningKeyID()

	status, body := adminCall(t, s, "POST", "/admin/rotate", "{}")
	if status != 200 || body["kid"] != s.SigningKeyID() || body["kid"] == old {
		t.Fatalf("rotate = %d %v", status, body)
	}
	if status, body = adminCall(t, s, "GET", "/admin/keys", ""); status != 200 || len(body["kids"].([]any)) != 2 {
		t.Errorf("keys = %d %v, want two kids", status, body)
	}
	if status, _ = adminCall(t, s, "POST", "/admin/retire", `{"kid":"`+old+`"}`); status != 204 {
		t.Errorf("retire = %d, want 204", status)
	}
	if status, body = adminCall(t, s, "POST", "/admin/retire", `{"kid":"`+s.SigningKeyID()+`"}`); status != 400 || body["error"] == nil {
		t.Errorf("retire current key = %d %v, want 400", status, body)
	}

	if status, _ = adminCall(t, s, "POST", "/admin/fault", `{"endpoint":"jwks","status":503}`); status != 204 {
		t.Errorf("fault = %d", status)
	}
	if resp, _, _ := get(t, t.Context(), s, "/jwks"); resp.StatusCode != 503 {
		t.Errorf("jwks after admin fault = %d, want 503", resp.StatusCode)
	}
	if status, _ = adminCall(t, s, "POST", "/admin/clear-faults", `{}`); status != 204 {
		t.Errorf("clear-faults = %d", status)
	}
	if status, body = adminCall(t, s, "GET", "/admin/requests", ""); status != 200 || body["jwks"] != float64(1) {
		t.Errorf("requests = %d %v, want jwks 1", status, body)
	}

	status, body = adminCall(t, s, "POST", "/admin/token", `{"subject":"alice","scopes":["orders:read"]}`)
	tok, _ := body["token"].(string)
	if status != 200 || tok == "" {
		t.Fatalf("token = %d %v", status, body)
	}
	if c, err := parseAccess(t, s, clock, tok); err != nil || c["sub"] != "alice" {
		t.Errorf("admin-minted token: %v, %v", c, err)
	}
	status, body = adminCall(t, s, "POST", "/admin/token", `{"kind":"alg none"}`)
	if tok, _ := body["token"].(string); status != 200 || !strings.HasSuffix(tok, ".") {
		t.Errorf("alg none token = %d %v", status, body)
	}
}

func TestAdminAPIRejections(t *testing.T) {
	s, _ := newServer(t, issuertest.WithAdminAPI())
	tests := []struct {
		name, method, path, body string
		contentType              string
		wantStatus               int
	}{
		{name: "form post (CSRF from a browser)", method: "POST", path: "/admin/rotate", body: "{}", contentType: "application/x-www-form-urlencoded", wantStatus: 415},
		{name: "text/plain post (CSRF from a browser)", method: "POST", path: "/admin/rotate", body: "{}", contentType: "text/plain", wantStatus: 415},
		{name: "unknown field", method: "POST", path: "/admin/fault", body: `{"endpoint":"jwks","satus":500}`, contentType: "application/json", wantStatus: 400},
		{name: "unknown endpoint", method: "POST", path: "/admin/fault", body: `{"endpoint":"nope","status":500}`, contentType: "application/json", wantStatus: 400},
		{name: "unknown token kind", method: "POST", path: "/admin/token", body: `{"kind":"nope"}`, contentType: "application/json", wantStatus: 400},
		{name: "GET on a POST route", method: "GET", path: "/admin/rotate", wantStatus: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, s.URL+tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.wantStatus)
			}
		})
	}
	if len(s.KeyIDs()) != 1 {
		t.Errorf("a refused admin request rotated the key")
	}
	plain, _ := newServer(t)
	if resp, _, _ := get(t, t.Context(), plain, "/admin/keys"); resp.StatusCode != 404 {
		t.Errorf("admin API served without WithAdminAPI: %d", resp.StatusCode)
	}
}
