package introspection_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		io.WriteString(w, `{"active":false}`) // must not be believed
	}
}

// hang holds a request until the client gives up. The body is read first:
// the server notices a closed connection only once it has.
func hang(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

// TestEndpointFaults checks that every endpoint fault is reported as
// ErrUnavailable, never as an invalid token, and is not cached: the next
// Verify of the same token, once the breaker's pause is over, calls
// again.
func TestEndpointFaults(t *testing.T) {
	huge := `{"active":true,"pad":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name    string
		handler http.HandlerFunc
		cfg     introspection.Config
		msg     string // a fragment the error must contain
	}{
		{"server error", status(http.StatusInternalServerError), introspection.Config{}, "status 500"},
		{"bad gateway", status(http.StatusBadGateway), introspection.Config{}, "status 502"},
		{"unauthorized: our client credentials are wrong", status(http.StatusUnauthorized), introspection.Config{}, "credentials"},
		{"forbidden: our client may not introspect", status(http.StatusForbidden), introspection.Config{}, "credentials"},
		{"bad request", status(http.StatusBadRequest), introspection.Config{}, "status 400"},
		{"bad request naming our request malformed", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_request","error_description":"token_type_hint not understood"}`)
		}, introspection.Config{}, `"error" "invalid_request", "error_description" "token_type_hint not understood"`},
		{"unauthorized as a 400 invalid_client (RFC 6749 §5.2)", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_client"}`)
		}, introspection.Config{}, "credentials"},
		{"html error page with 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>maintenance</html>")
		}, introspection.Config{}, "malformed response"},
		{"empty body", reply(""), introspection.Config{}, "malformed response"},
		{"body over the default 1 MiB limit", reply(huge), introspection.Config{}, "larger than 1048576"},
		{"body over a configured limit", reply(activeBody(time.Hour)), introspection.Config{MaxBodyBytes: 64}, "larger than 64"},
		{"body cut short", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, `{"active":tr`)
		}, introspection.Config{}, "reading the response"},
		{"endpoint hangs past the timeout", hang, introspection.Config{Timeout: 50 * time.Millisecond}, "calling the endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, tt.handler)
			clock := newClock()
			in := newIntrospector(t, e, clock, tt.cfg)
			for range 2 {
				_, err := in.Verify(t.Context(), "opaque-token")
				wantUnavailable(t, err, tt.msg)
				clock.Advance(time.Second) // the breaker's default pause
			}
			wantCalls(t, e, 2)
		})
	}
}

func wantUnavailable(t *testing.T, err error, msg string) {
	t.Helper()
	switch {
	case !errors.Is(err, verifier.ErrUnavailable):
		t.Fatalf("Verify() error = %v, want %v", err, verifier.ErrUnavailable)
	case errors.Is(err, verifier.ErrInvalidToken):
		t.Fatalf("Verify() error = %v: an endpoint fault must not be reported as an invalid token", err)
	case !strings.Contains(err.Error(), msg):
		t.Fatalf("Verify() error = %q, want it to mention %q", err, msg)
	}
}

func TestEndpointUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	logger, _ := testLogger(t)
	in, err := introspection.New(t.Context(), introspection.Config{Endpoint: url, ClientID: "api", ClientSecret: "secret", Audience: testAudience, Logger: logger})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	defer in.Close()
	_, err = in.Verify(t.Context(), "opaque-token")
	wantUnavailable(t, err, "calling the endpoint")
}

// TestRedirectNotFollowed stops a redirect from sending the token and the
// client secret to another host: the target must receive nothing, even
// with a caller's client that follows redirects.
func TestRedirectNotFollowed(t *testing.T) {
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, client := range []*http.Client{nil, {}} {
			name := http.StatusText(code)
			if client != nil {
				name += " with caller's client"
			}
			t.Run(name, func(t *testing.T) {
				thief := newEndpoint(t, reply(`{"active":true}`))
				e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, thief.URL+"/steal", code)
				})
				in := newIntrospector(t, e, newClock(), introspection.Config{HTTPClient: client})
				_, err := in.Verify(t.Context(), "opaque-token")
				wantUnavailable(t, err, "redirect")
				wantCalls(t, thief, 0)
			})
		}
	}
}

// TestOwnTimeoutWithoutCallerDeadline checks a call is bounded even when
// the caller's context has no deadline and the caller's client has none.
func TestOwnTimeoutWithoutCallerDeadline(t *testing.T) {
	e := newEndpoint(t, hang)
	in := newIntrospector(t, e, newClock(), introspection.Config{Timeout: 50 * time.Millisecond, HTTPClient: &http.Client{}})
	start := time.Now()
	_, err := in.Verify(t.Context(), "opaque-token")
	wantUnavailable(t, err, "deadline exceeded")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Verify() took %v with a 50ms timeout", d)
	}
}
