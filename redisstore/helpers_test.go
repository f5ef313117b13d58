package redisstore_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tokengate/tokengate/internal/redistest"
	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/redisstore"
)

// secret is the replicas' shared secret in these tests.
var secret = bytes.Repeat([]byte("k"), 32)

// newStore is a Store on srv, closed at the end of the test, logging to
// the test.
func newStore(t testing.TB, srv *redistest.Server, cfg redisstore.Config) *redisstore.Store {
	t.Helper()
	cfg.Addr = srv.Addr
	if cfg.Logger == nil {
		cfg.Logger, _ = testLogger(t)
	}
	s, err := redisstore.New(cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawClient reads and writes srv directly, as an operator, or an
// attacker with access to Redis, could.
func rawClient(t testing.TB, srv *redistest.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// newIssuer is an issuertest server issuing opaque tokens, which only
// introspection can check.
func newIssuer(t testing.TB) *issuertest.Server {
	t.Helper()
	iss := issuertest.NewServer(issuertest.WithOpaqueAccessTokens())
	t.Cleanup(iss.Close)
	return iss
}

// newReplica is an Introspector of iss sharing store, as one replica of
// an API.
func newReplica(t testing.TB, iss *issuertest.Server, store introspection.SharedCache, cfg introspection.Config) *introspection.Introspector {
	t.Helper()
	cfg.Issuer, cfg.ClientID, cfg.ClientSecret, cfg.Audience = iss.URL, issuertest.APIClientID, issuertest.APIClientSecret, iss.Audience()
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 100
	}
	if store != nil {
		cfg.SharedCache, cfg.SharedSecret = store, secret
	}
	if cfg.Logger == nil {
		cfg.Logger, _ = testLogger(t)
	}
	in, err := introspection.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("introspection.New() error = %v", err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// introspections counts the calls to iss's introspection endpoint, less
// the credential check each introspection.New makes.
func introspections(iss *issuertest.Server, replicas int) int {
	return iss.Requests(issuertest.EndpointIntrospect) - replicas
}

// testLogger returns a logger that writes to t.Log, and the lines it
// wrote.
func testLogger(t testing.TB) (*slog.Logger, func() []string) {
	w := &logLines{t: t}
	return slog.New(slog.NewTextHandler(w, nil)), w.get
}

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

// countLines counts the log lines that contain all of parts.
func countLines(lines []string, parts ...string) int {
	n := 0
	for _, l := range lines {
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(l, p) }) {
			n++
		}
	}
	return n
}
