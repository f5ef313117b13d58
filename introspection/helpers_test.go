package introspection_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"

	"github.com/tokengate/tokengate/issuertest"
)

// epoch is the fake clock's starting instant.
var epoch = time.Unix(1_700_000_000, 0)

func newClock() *issuertest.Clock { return issuertest.NewClock(epoch) }

// endpoint is an introspection endpoint on loopback that counts calls.
type endpoint struct {
	*httptest.Server
	calls atomic.Int64
	// ready is set once New has returned. Until then the endpoint answers
	// New's credential check as an inactive token, without counting it or
	// running the test's handler, so that a handler that holds requests
	// does not hold New.
	ready atomic.Bool
}

// newEndpoint serves h, counting each request before it runs.
func newEndpoint(t testing.TB, h http.HandlerFunc) *endpoint {
	t.Helper()
	e := &endpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !e.ready.Load() {
			reply(inactiveBody)(w, r)
			return
		}
		e.calls.Add(1)
		h(w, r)
	}))
	t.Cleanup(e.Close)
	return e
}

// reply answers every request with body as JSON.
func reply(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}
}

// activeBody is an active access token's response, expiring at epoch+exp.
func activeBody(exp time.Duration) string {
	return fmt.Sprintf(`{"active":true,"token_type":"Bearer","iss":"https://issuer.test","sub":"alice",`+
		`"aud":"https://api.test","client_id":"web","scope":"orders:read orders:write","exp":%d,"iat":%d,"jti":"j1"}`,
		epoch.Add(exp).Unix(), epoch.Unix())
}

const inactiveBody = `{"active":false}`

// minimalActive is the least an endpoint can say for a token to be
// accepted by an introspector for testAudience.
const minimalActive = `{"active":true,"token_type":"Bearer","aud":"https://api.test"}`

// testAudience is the audience of activeBody, and the default
// Config.Audience of newIntrospector.
const testAudience = "https://api.test"

// newIntrospector builds an Introspector for e with test credentials, the
// audience testAudience (unless cfg waives it), the given clock and the
// rest of cfg, closed at the end of the test. Its log goes to the test.
func newIntrospector(t testing.TB, e *endpoint, clock *issuertest.Clock, cfg introspection.Config) *introspection.Introspector {
	t.Helper()
	if cfg.Endpoint == "" {
		cfg.Endpoint = e.URL + "/introspect"
	}
	if cfg.ClientID == "" && usesSecret(cfg.AuthMethod) {
		cfg.ClientID, cfg.ClientSecret = "api", "api-secret"
	}
	if cfg.Audience == "" && !cfg.AnyAudience {
		cfg.Audience = testAudience
	}
	if clock != nil {
		cfg.Now = clock.Now
	}
	if cfg.Logger == nil {
		cfg.Logger, _ = testLogger(t)
	}
	e.ready.Store(false)
	in, err := introspection.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	e.ready.Store(true)
	t.Cleanup(func() { in.Close() })
	return in
}

// usesSecret reports whether an AuthMethod sends a client secret.
func usesSecret(method string) bool {
	return method == "" || method == "client_secret_basic" || method == "client_secret_post"
}

// testLogger returns a logger that writes to t.Log, and the lines it
// wrote.
func testLogger(t testing.TB) (*slog.Logger, func() []string) {
	w := &logLines{t: t}
	return slog.New(slog.NewTextHandler(w, nil)), w.get
}

// logLines is an io.Writer of log lines that keeps them.
type logLines struct {
	t     testing.TB
	mu    sync.Mutex // guards lines
	lines []string
}

func (w *logLines) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, string(p))
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func (w *logLines) get() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.lines)
}

// wantErr checks that err wraps want, or is nil when want is nil.
func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s error = %v, want nil", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s error = %v, want %v", what, err, want)
	}
}

// wantCalls checks the endpoint's call count.
func wantCalls(t testing.TB, e *endpoint, want int64) {
	t.Helper()
	if got := e.calls.Load(); got != want {
		t.Fatalf("endpoint calls = %d, want %d", got, want)
	}
}

// verify calls in.Verify and checks the error class; it returns the claims.
func verify(t testing.TB, in *introspection.Introspector, token string, want error) *verifier.Claims {
	t.Helper()
	c, err := in.Verify(t.Context(), token)
	wantErr(t, "Verify()", err, want)
	if err == nil && c == nil {
		t.Fatal("Verify() returned nil claims and nil error")
	}
	if err != nil && c != nil {
		t.Fatalf("Verify() returned claims together with error %v", err)
	}
	return c
}
