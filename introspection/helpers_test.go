package introspection_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
}

// newEndpoint serves h, counting each request before it runs.
func newEndpoint(t testing.TB, h http.HandlerFunc) *endpoint {
	t.Helper()
	e := &endpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

// newIntrospector builds an Introspector for e with test credentials, the
// given clock and the rest of cfg, closed at the end of the test.
func newIntrospector(t testing.TB, e *endpoint, clock *issuertest.Clock, cfg introspection.Config) *introspection.Introspector {
	t.Helper()
	if cfg.Endpoint == "" {
		cfg.Endpoint = e.URL + "/introspect"
	}
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.ClientSecret = "api", "api-secret"
	}
	if clock != nil {
		cfg.Now = clock.Now
	}
	in, err := introspection.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	t.Cleanup(func() { in.Close() })
	return in
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
