package grpcauth_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware/grpcauth"
	"github.com/tokengate/tokengate/verifier"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.FieldsFunc(s.b.String(), func(r rune) bool { return r == '\n' })
}

// TestLogUnavailableOncePerCausePerMinute is the gRPC twin of the HTTP
// middleware's: an issuer outage is one Warn line a minute naming the
// method, and refusals stay out of a log at Info.
func TestLogUnavailableOncePerCausePerMinute(t *testing.T) {
	var out syncBuffer
	clock := issuertest.NewClock(time.Unix(1_800_000_000, 0))
	v := verifier.TokenVerifierFunc(func(_ context.Context, token string) (*verifier.Claims, error) {
		if token == "down" {
			return nil, fmt.Errorf("test: key set fetch failed: %w", verifier.ErrUnavailable)
		}
		return nil, fmt.Errorf("test: exp passed: %w", verifier.ErrTokenExpired)
	})
	p := &grpcauth.Policy{Unlisted: grpcauth.RequireDefault, Logger: slog.New(slog.NewTextHandler(&out, nil)), Now: clock.Now}
	conn := startServer(t, p.UnaryServerInterceptor(v), p.StreamServerInterceptor(v))
	for range 3 {
		_, err := callWhoami(withAuth(t.Context(), "Bearer down"), conn)
		wantCode(t, err, codes.Unavailable, "down")
	}
	_, err := callWhoami(withAuth(t.Context(), "Bearer old"), conn)
	wantCode(t, err, codes.Unauthenticated, "old")
	got := out.lines()
	if len(got) != 1 {
		t.Fatalf("log = %q, want one line", got)
	}
	for _, want := range []string{"level=WARN", "transport=grpc", "route=" + whoamiMethod, "check=issuer", "key set fetch failed"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("line %q lacks %s", got[0], want)
		}
	}
	clock.Advance(time.Minute)
	callWhoami(withAuth(t.Context(), "Bearer down"), conn)
	if got := out.lines(); len(got) != 2 || !strings.Contains(got[1], "suppressed=2") {
		t.Errorf("log a minute later = %q, want a second line counting 2 suppressed", got)
	}
}
