package security_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"

	"github.com/tokengate/tokengate/issuertest"
)

// Introspection attacks and faults (RFC 7662 §2.2, §4): only the JSON
// boolean true makes a token active; an active token is still checked; a
// faulty endpoint is a 503, never a 401, and is never cached; a redirect
// is never followed, as it would send the token and our credentials
// elsewhere.

// endpoint is a loopback introspection endpoint answering with handler h
// and counting its calls.
type endpoint struct {
	*httptest.Server
	calls atomic.Int64
	h     atomic.Pointer[http.HandlerFunc]
}

func newEndpoint(t testing.TB) *endpoint {
	t.Helper()
	e := &endpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		(*e.h.Load())(w, r)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) answer(h http.HandlerFunc) { e.h.Store(&h) }

func body(status int, s string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, s)
	}
}

// activeBody is the response for an active access token of
// fixtureAudience at fixtureNow, with changes; a nil value removes a member.
func activeBody(t testing.TB, changes map[string]any) string {
	t.Helper()
	m := map[string]any{
		"active": true, "iss": fixtureIssuer, "aud": fixtureAudience, "sub": "alice", "client_id": "web-app",
		"scope": "orders:read", "exp": fixtureNow.Add(time.Hour).Unix(), "iat": fixtureNow.Unix(), "token_type": "Bearer",
	}
	for k, v := range changes {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return string(mustJSON(t, m))
}

type introspectionSetup struct {
	e     *endpoint
	clock *issuertest.Clock
	in    *introspection.Introspector
	*gate
}

func newIntrospectionSetup(t testing.TB) *introspectionSetup {
	t.Helper()
	s := &introspectionSetup{e: newEndpoint(t), clock: newClock(fixtureNow)}
	in, err := introspection.New(t.Context(), introspection.Config{
		Endpoint: s.e.URL + "/introspect", Issuer: fixtureIssuer, Audience: fixtureAudience,
		ClientID: "orders-api", ClientSecret: "orders-api-secret",
		CacheSize: 100, Timeout: shortTimeout, Now: s.clock.Now,
	})
	if err != nil {
		t.Fatalf("introspection.New() error = %v", err)
	}
	t.Cleanup(func() { in.Close() })
	s.in, s.gate = in, newGate(t, in, nil)
	return s
}

// slowEndpoint names the row of TestIntrospectionAttacks that waits out
// the call timeout.
const slowEndpoint = "endpoint slower than the timeout"

func TestIntrospectionAttacks(t *testing.T) {
	s := newIntrospectionSetup(t)
	other := newCounter(t, `{"active":true}`)
	s.e.answer(body(200, activeBody(t, nil)))
	s.accepts(t, "control-token")

	tests := []struct {
		name     string
		answer   http.HandlerFunc
		want     want
		uncached bool // a fault: each check must ask again
	}{
		{"active as the string \"true\" (RFC 7662 §2.2: a boolean)", body(200, activeBody(t, map[string]any{"active": "true"})), unavailable, true},
		{"active as 1", body(200, activeBody(t, map[string]any{"active": 1})), unavailable, true},
		{"active missing", body(200, activeBody(t, map[string]any{"active": nil})), unavailable, true},
		{"active null", body(200, activeBody(t, map[string]any{"active": json.RawMessage("null")})), unavailable, true},
		{"active true but expired", body(200, activeBody(t, map[string]any{"exp": fixtureNow.Add(-time.Hour).Unix()})), expired, false},
		{"active true but for another audience", body(200, activeBody(t, map[string]any{"aud": "https://other-api.example.test"})), invalidToken, false},
		{"active true but from another issuer", body(200, activeBody(t, map[string]any{"iss": "https://evil.example.test"})), invalidToken, false},
		{"active false", body(200, `{"active":false}`), invalidToken, false},
		{"endpoint answers 500", body(500, `{"error":"server_error"}`), unavailable, true},
		{"endpoint answers 401 (our credentials refused)", body(401, `{"error":"invalid_client"}`), unavailable, true},
		{"endpoint answers an HTML page", body(200, "<html><body>Sign in</body></html>"), unavailable, true},
		{"endpoint answers a 10 MiB body", body(200, `{"active":true,"pad":"`+strings.Repeat("A", 10<<20)+`"}`), unavailable, true},
		{slowEndpoint, func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // then the server notices the client leaving
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, unavailable, true},
		{"redirect to another host, not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/introspect", http.StatusTemporaryRedirect)
		}, unavailable, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == slowEndpoint {
				skipWaitInShort(t)
			}
			s.e.answer(tt.answer)
			tok := fmt.Sprintf("opaque-token-%d", i)
			before := s.e.calls.Load()
			start := time.Now()
			s.refuses(t, tok, tt.want)
			s.refuses(t, tok, tt.want)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("four checks took %v", d)
			}
			calls := s.e.calls.Load() - before
			if tt.uncached && calls != 4 {
				t.Errorf("the endpoint got %d calls for four checks, want 4: a fault must never be cached", calls)
			}
			if !tt.uncached && calls != 1 {
				t.Errorf("the endpoint got %d calls for four checks of a refused token, want 1 (cached refusal)", calls)
			}
		})
	}
	if n := other.hits.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want 0", n)
	}
}
