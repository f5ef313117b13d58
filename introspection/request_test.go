package introspection_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

// seen is what the endpoint received in one request.
type seen struct {
	method, contentType, rawQuery string
	user, pass                    string
	hasBasic                      bool
	form                          url.Values
}

// recorder returns a handler answering an active token and a function
// returning the last request it received.
func recorder(t *testing.T) (http.HandlerFunc, func() seen) {
	t.Helper()
	var mu sync.Mutex // guards last
	var last seen
	h := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(body))
		if err != nil {
			t.Errorf("request body is not form-encoded: %v", err)
		}
		s := seen{method: r.Method, contentType: r.Header.Get("Content-Type"), rawQuery: r.URL.RawQuery, form: form}
		s.user, s.pass, s.hasBasic = r.BasicAuth()
		mu.Lock()
		last = s
		mu.Unlock()
		reply(minimalActive)(w, r)
	}
	return h, func() seen {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func TestRequestClientSecretBasic(t *testing.T) {
	h, last := recorder(t)
	e := newEndpoint(t, h)
	// RFC 6749 §2.3.1: credentials are form-urlencoded, then Basic-encoded.
	in := newIntrospector(t, e, nil, introspection.Config{ClientID: "api:v2", ClientSecret: "p@ss word/+"})
	verify(t, in, "abc.DEF-123_~+/==", nil)

	s := last()
	if s.method != http.MethodPost || s.contentType != "application/x-www-form-urlencoded" {
		t.Errorf("request = %s %s, want POST application/x-www-form-urlencoded", s.method, s.contentType)
	}
	if !s.hasBasic {
		t.Fatal("request has no Basic credentials")
	}
	user, _ := url.QueryUnescape(s.user)
	pass, _ := url.QueryUnescape(s.pass)
	if user != "api:v2" || pass != "p@ss word/+" {
		t.Errorf("Basic credentials decode to %q:%q, want api:v2:p@ss word/+", user, pass)
	}
	if s.user != "api%3Av2" {
		t.Errorf("Basic user = %q, want it form-urlencoded (RFC 6749 §2.3.1)", s.user)
	}
	if s.form.Has("client_secret") || s.form.Has("client_id") {
		t.Error("client_secret_basic also sent credentials in the body")
	}
	if got := s.form.Get("token_type_hint"); got != "access_token" {
		t.Errorf("token_type_hint = %q, want access_token", got)
	}
}

func TestRequestClientSecretPost(t *testing.T) {
	h, last := recorder(t)
	e := newEndpoint(t, h)
	in := newIntrospector(t, e, nil, introspection.Config{ClientID: "api", ClientSecret: "s&c=r+t", AuthMethod: "client_secret_post"})
	verify(t, in, "opaque", nil)

	s := last()
	if s.hasBasic {
		t.Error("client_secret_post also sent Basic credentials")
	}
	if s.form.Get("client_id") != "api" || s.form.Get("client_secret") != "s&c=r+t" {
		t.Errorf("form credentials = %q/%q, want api/s&c=r+t", s.form.Get("client_id"), s.form.Get("client_secret"))
	}
}

// TestTokenRoundTripsExactly sends tokens made of every b64token character,
// including those that form encoding must escape ("+", "/", "="), and
// checks the endpoint decodes the very same bytes, from the body, with
// nothing in the URL.
func TestTokenRoundTripsExactly(t *testing.T) {
	tokens := []struct{ name, token string }{
		{"plus and slash", "a+b/c+/+"},
		{"padding", "YWJj=="},
		{"all punctuation", "-._~+/="},
		{"jwt shape", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"},
		{"every class", "ABCXYZabcxyz0189-._~+/=="},
	}
	h, last := recorder(t)
	e := newEndpoint(t, h)
	in := newIntrospector(t, e, nil, introspection.Config{})
	for _, tt := range tokens {
		t.Run(tt.name, func(t *testing.T) {
			verify(t, in, tt.token, nil)
			s := last()
			if got := s.form["token"]; len(got) != 1 || got[0] != tt.token {
				t.Errorf("endpoint received token %q, want %q", got, tt.token)
			}
			if s.rawQuery != "" {
				t.Errorf("request URL has query %q: the token must never be in a URL", s.rawQuery)
			}
		})
	}
}

// TestRefusedLocally checks that tokens which cannot be bearer tokens are
// refused without a call (RFC 6750 §2.1 b64token; size cap).
func TestRefusedLocally(t *testing.T) {
	tests := []struct{ name, token string }{
		{"empty", ""},
		{"oversized token exhausting the endpoint", strings.Repeat("a", 8193)},
		{"space smuggles a second value", "abc def"},
		{"header injection with CRLF", "abc\r\nX-Admin: 1"},
		{"padding before data", "==abc"},
		{"only padding", "=="},
		{"padding in the middle", "ab=c"},
		{"form metacharacters", "a&token=b"},
		{"quote", `a"b`},
		{"comma", "a,b"},
		{"non-ascii", "tökén"},
		{"nul byte", "a\x00b"},
	}
	e := newEndpoint(t, reply(minimalActive))
	in := newIntrospector(t, e, nil, introspection.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verify(t, in, tt.token, verifier.ErrInvalidToken)
		})
	}
	wantCalls(t, e, 0)

	t.Run("exactly at the cap is sent", func(t *testing.T) {
		verify(t, in, strings.Repeat("a", 8192), nil)
		wantCalls(t, e, 1)
	})
	t.Run("configured cap", func(t *testing.T) {
		small := newIntrospector(t, e, nil, introspection.Config{MaxTokenBytes: 16})
		verify(t, small, strings.Repeat("a", 17), verifier.ErrInvalidToken)
		wantCalls(t, e, 1)
	})
}
