package middleware

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/scopes"
)

// lines is a log handler's output, read by the test.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lines) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.FieldsFunc(l.buf.String(), func(r rune) bool { return r == '\n' })
}

func logTo(l *lines, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: level}))
}

// routed serves h under the pattern "GET /orders/{id}", so that requests
// carry a route pattern.
func routed(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", h)
	return mux
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:8])
}

func TestLogUnavailableOncePerCausePerMinute(t *testing.T) {
	var out lines
	clock := issuertest.NewClock(time.Unix(1_800_000_000, 0))
	g := &Guard{Logger: logTo(&out, slog.LevelInfo), Now: clock.Now}
	h := routed(g.Require(&fakeVerifier{}, scopes.All("orders:read"))(&recorder{}))
	get := func(token string) int {
		r := request(t, "Bearer "+token)
		r.URL.Path = "/orders/7"
		return serve(t, h, r).StatusCode
	}
	for range 5 {
		if got := get("jwksdown"); got != 503 {
			t.Fatalf("status = %d, want 503", got)
		}
	}
	get("expired") // a refusal: Debug, not logged at Info
	get("reader")  // accepted: never logged
	if got := out.get(); len(got) != 1 {
		t.Fatalf("log after five 503s within a minute = %q, want one line", got)
	}
	clock.Advance(time.Minute)
	get("jwksdown")
	got := out.get()
	if len(got) != 2 || !strings.Contains(got[1], "suppressed=4") {
		t.Fatalf("log a minute later = %q, want a second line counting 4 suppressed", got)
	}
	for _, want := range []string{"level=WARN", `route="GET /orders/{id}"`, "check=issuer", "outcome=unavailable", "token_sha256=" + tokenHash("jwksdown"), "transport=http", "jwks fetch: status 502"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("line %q lacks %s", got[0], want)
		}
	}
}

func TestLogRefusalsAtDebug(t *testing.T) {
	var out lines
	g := &Guard{Logger: logTo(&out, slog.LevelDebug)}
	h := routed(g.Require(&fakeVerifier{}, scopes.All("orders:write"))(&recorder{}))
	for _, tok := range []string{"expired", "reader", "admin"} {
		r := request(t, "Bearer "+tok)
		r.URL.Path = "/orders/7"
		serve(t, h, r)
	}
	got := out.get()
	if len(got) != 2 {
		t.Fatalf("log = %q, want two lines: the expired token and the missing scope (the accepted request is not logged)", got)
	}
	for i, want := range [][]string{
		{"level=DEBUG", "check=exp", "outcome=invalid_token", "token_sha256=" + tokenHash("expired"), "exp passed"},
		{"level=DEBUG", "check=scope", "outcome=insufficient_scope", "token_sha256=" + tokenHash("reader"), "orders:write"},
	} {
		for _, w := range want {
			if !strings.Contains(got[i], w) {
				t.Errorf("line %q lacks %s", got[i], w)
			}
		}
	}
}
