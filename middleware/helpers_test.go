package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/verifier"
)

// fakeTokens is what the unit tests' verifier knows: a token names the
// outcome. The end-to-end tests use the real verifiers instead.
var fakeTokens = map[string]error{
	"reader":      nil,
	"admin":       nil,
	"noscope":     nil,
	"expired":     fmt.Errorf("fake: exp passed: %w", verifier.ErrTokenExpired),
	"idtoken":     fmt.Errorf("fake: nonce present: %w", verifier.ErrNotAccessToken),
	"badsig":      fmt.Errorf("fake: kid k1 signature: %w", verifier.ErrInvalidToken),
	"jwksdown":    fmt.Errorf("fake: jwks fetch: status 502 <html>upstream</html>: %w", verifier.ErrUnavailable),
	"brokenverif": errors.New("fake: verifier bug"),
	"cancelled":   fmt.Errorf("fake: fetch: %w", context.Canceled),
}

var fakeScopes = map[string][]string{
	"reader": {"orders:read"},
	"admin":  {"orders:read", "orders:write", "admin"},
}

// fakeVerifier verifies the tokens of fakeTokens and counts its calls.
type fakeVerifier struct{ calls int }

func (f *fakeVerifier) Verify(_ context.Context, token string) (*verifier.Claims, error) {
	f.calls++
	err, ok := fakeTokens[token]
	if !ok {
		return nil, fmt.Errorf("fake: unknown token: %w", verifier.ErrInvalidToken)
	}
	if err != nil {
		return nil, err
	}
	return &verifier.Claims{Subject: token, ClientID: "client-" + token, Scopes: fakeScopes[token]}, nil
}

// recorder is a next handler that records whether it ran and the claims it
// saw.
type recorder struct {
	called bool
	claims *verifier.Claims
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.called = true
	rec.claims, _ = verifier.FromContext(r.Context())
	_, _ = w.Write([]byte("ok"))
}

// serve runs one request through h and returns the response.
func serve(t testing.TB, h http.Handler, r *http.Request) *http.Response {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

// request builds a GET /orders request with the given Authorization values.
func request(t testing.TB, auth ...string) *http.Request {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/orders", nil)
	for _, a := range auth {
		r.Header.Add("Authorization", a)
	}
	return r
}

// readBody returns the response body as a string.
func readBody(t testing.TB, res *http.Response) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}
