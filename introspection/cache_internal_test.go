package introspection

import (
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestCacheHoldsNoToken checks both caches are keyed by the token's
// SHA-256, so a heap dump of the cache yields no usable token.
func TestCacheHoldsNoToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("token") == "good-token" {
			io.WriteString(w, `{"active":true,"token_type":"Bearer"}`)
			return
		}
		io.WriteString(w, `{"active":false}`)
	}))
	defer srv.Close()
	in, err := New(t.Context(), Config{Endpoint: srv.URL, ClientID: "api", ClientSecret: "secret", AnyAudience: true, CacheSize: 4})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	defer in.Close()
	in.Verify(t.Context(), "good-token")
	in.Verify(t.Context(), "bad-token")

	tests := []struct {
		name  string
		keys  []key
		token string
	}{
		{"active", in.results.active.Keys(), "good-token"},
		{"refused", in.results.refused.Keys(), "bad-token"},
	}
	for _, tt := range tests {
		want := key(sha256.Sum256([]byte(tt.token)))
		if len(tt.keys) != 1 || tt.keys[0] != want {
			t.Errorf("%s cache keys = %x, want only the SHA-256 of the token, %x", tt.name, tt.keys, want)
		}
	}
}
