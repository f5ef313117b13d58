package middleware

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProtectedResourceMetadata(t *testing.T) {
	md := &ProtectedResourceMetadata{
		Resource:               "https://api.example.com",
		AuthorizationServers:   []string{"https://issuer.example.com"},
		ScopesSupported:        []string{"orders:read"},
		BearerMethodsSupported: []string{"header"},
		ResourceDocumentation:  "https://docs.example.com",
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+WellKnownPath, md)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := srv.Client().Get(srv.URL + WellKnownPath)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s = %d %q, want 200 application/json", WellKnownPath, res.StatusCode, res.Header.Get("Content-Type"))
	}
	var got map[string]any
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	// RFC 9728 §2 member names; empty members are left out.
	want := map[string]any{
		"resource":                 "https://api.example.com",
		"authorization_servers":    []any{"https://issuer.example.com"},
		"scopes_supported":         []any{"orders:read"},
		"bearer_methods_supported": []any{"header"},
		"resource_documentation":   "https://docs.example.com",
	}
	if len(got) != len(want) {
		t.Errorf("document has %d members, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if gb, _ := json.Marshal(got[k]); string(gb) != mustJSON(t, v) {
			t.Errorf("%s = %s, want %s", k, gb, mustJSON(t, v))
		}
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestProtectedResourceMetadataMethodsAndErrors(t *testing.T) {
	tests := []struct {
		name       string
		md         ProtectedResourceMetadata
		method     string
		wantStatus int
		wantBody   bool
	}{
		{name: "get", md: ProtectedResourceMetadata{Resource: "https://a.example"}, method: "GET", wantStatus: 200, wantBody: true},
		{name: "head has no body", md: ProtectedResourceMetadata{Resource: "https://a.example"}, method: "HEAD", wantStatus: 200},
		{name: "post not allowed", md: ProtectedResourceMetadata{Resource: "https://a.example"}, method: "POST", wantStatus: 405, wantBody: true},
		{name: "no resource is a configuration error", method: "GET", wantStatus: 500, wantBody: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			tt.md.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), tt.method, WellKnownPath, nil))
			if w.Code != tt.wantStatus || (w.Body.Len() > 0) != tt.wantBody {
				t.Errorf("%s = %d with %d body bytes, want %d, body %v", tt.method, w.Code, w.Body.Len(), tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestResourceMetadataURL(t *testing.T) {
	tests := []struct {
		resource string
		want     string
		wantErr  bool
	}{
		{resource: "https://api.example.com", want: "https://api.example.com/.well-known/oauth-protected-resource"},
		{resource: "https://api.example.com/", want: "https://api.example.com/.well-known/oauth-protected-resource"},
		{resource: "https://api.example.com/v1", want: "https://api.example.com/.well-known/oauth-protected-resource/v1"},
		{resource: "https://api.example.com:8443/a/b?x=1", want: "https://api.example.com:8443/.well-known/oauth-protected-resource/a/b?x=1"},
		{resource: "http://127.0.0.1:8080/mcp", want: "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"},
		{resource: "http://api.example.com", wantErr: true},
		{resource: "https://api.example.com/#frag", wantErr: true},
		{resource: "https://user@api.example.com", wantErr: true},
		{resource: "/relative", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			got, err := ResourceMetadataURL(tt.resource)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ResourceMetadataURL(%q) = %q, %v; want %q, error %v", tt.resource, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestResourceMetadataInEveryChallenge(t *testing.T) {
	const md = "https://api.example.com/.well-known/oauth-protected-resource"
	h := (&Guard{ResourceMetadata: md}).Require(&fakeVerifier{})(&recorder{})
	for _, auth := range [][]string{nil, {"Bearer expired"}, {"Bearer a b"}} {
		res := serve(t, h, request(t, auth...))
		want := `resource_metadata="` + md + `"`
		if got := res.Header.Get("WWW-Authenticate"); !strings.Contains(got, want) {
			t.Errorf("WWW-Authenticate for %q = %q, want %s (RFC 9728 §5.1)", auth, got, want)
		}
	}
}
