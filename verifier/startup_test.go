package verifier_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/verifier"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// logBuffer is a slog.Logger whose text lines the test reads.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// downIssuer is an issuertest server on a fake clock whose discovery
// answers 503 until the test clears the fault.
func downIssuer(t testing.TB) (*issuertest.Server, *issuertest.Clock) {
	t.Helper()
	clock := newClock()
	iss := issuertest.NewServer(issuertest.WithClock(clock.Now))
	t.Cleanup(iss.Close)
	iss.SetFault(issuertest.EndpointDiscovery, issuertest.StatusFault(http.StatusServiceUnavailable))
	return iss, clock
}

func TestNewStartsWithoutTheIssuerAndServesOnceItIsBack(t *testing.T) {
	iss, clock := downIssuer(t)
	var logs logBuffer
	v, err := verifier.New(t.Context(), verifier.Config{
		Issuer: iss.URL, Audience: iss.Audience(), Now: clock.Now, Logger: logs.logger(),
	})
	if err != nil {
		t.Fatalf("New() with discovery down: error = %v, want a verifier", err)
	}
	defer v.Close()
	// One discovery attempt asks for both metadata documents.
	const perAttempt = 2
	if got := iss.Requests(issuertest.EndpointDiscovery); got != perAttempt {
		t.Fatalf("discovery requests after New = %d, want %d", got, perAttempt)
	}
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})

	// The first lookup starts an attempt (none was started by a lookup
	// yet); the next ones, within the cooldown, do not.
	for i := range 3 {
		if _, err := v.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrUnavailable) {
			t.Fatalf("Verify() #%d while the issuer is down: error = %v, want %v", i, err, verifier.ErrUnavailable)
		}
	}
	if got := iss.Requests(issuertest.EndpointDiscovery); got != 2*perAttempt {
		t.Errorf("discovery requests after three lookups = %d, want %d (one attempt per cooldown)", got, 2*perAttempt)
	}
	if err := v.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "metadata") {
		t.Errorf("Ready() while the issuer is down = %v, want an error about its metadata", err)
	}

	iss.ClearFaults()
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrUnavailable) {
		t.Errorf("Verify() within the cooldown after the issuer came back: error = %v, want %v until the next attempt", err, verifier.ErrUnavailable)
	}
	clock.Advance(30 * time.Second) // KeyPolicy.UnknownKIDCooldown's default
	c, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("Verify() after the cooldown, issuer back: error = %v", err)
	}
	if c.Subject != issuertest.Alice {
		t.Errorf("Verify() subject = %q, want %q", c.Subject, issuertest.Alice)
	}
	if err := v.Ready(t.Context()); err != nil {
		t.Errorf("Ready() once the keys are had = %v, want nil", err)
	}
	if got, want := iss.Requests(issuertest.EndpointDiscovery), 2*perAttempt+1; got != want {
		t.Errorf("discovery requests = %d, want %d", got, want)
	}
	if got := iss.Requests(issuertest.EndpointJWKS); got != 1 {
		t.Errorf("key set requests = %d, want 1", got)
	}
	// Two failed attempts within one minute of the clock: one Warn line,
	// then one Info line when the metadata was had again.
	out := logs.String()
	if n := strings.Count(out, "level=WARN"); n != 1 {
		t.Errorf("log has %d Warn lines, want 1 (one per cause per minute):\n%s", n, out)
	}
	if !strings.Contains(out, "level=INFO") || !strings.Contains(out, "fetched again") {
		t.Errorf("log lacks the Info line of the recovery:\n%s", out)
	}
}

func TestNewRetriesDiscoveryWithBackoff(t *testing.T) {
	iss, clock := downIssuer(t)
	v, err := verifier.New(t.Context(), verifier.Config{
		Issuer: iss.URL, Audience: iss.Audience(), Now: clock.Now, Logger: discardLogger(),
		KeyPolicy: jwkscache.Policy{MinRefreshInterval: time.Minute, MaxRetryInterval: 4 * time.Minute, UnknownKIDCooldown: time.Hour},
	})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	defer v.Close()
	ready := func() { v.Ready(t.Context()) } // a probe starts an attempt that is due
	ready()                                  // the first lookup-started attempt
	attempts := func() int { return iss.Requests(issuertest.EndpointDiscovery) / 2 }
	// Failures so far: 2, so the next attempt is due 2m after the last.
	steps := []struct {
		advance time.Duration
		want    int
	}{
		{time.Minute, 2},     // 1m after: not due (cooldown 1h keeps probes out)
		{time.Minute, 3},     // 2m after: due
		{3 * time.Minute, 3}, // 3m after the third failure: not due (4m)
		{time.Minute, 4},     // 4m: due
		{4 * time.Minute, 5}, // capped at MaxRetryInterval 4m
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		ready()
		if got := attempts(); got != s.want {
			t.Fatalf("step %d: attempts = %d, want %d", i, got, s.want)
		}
	}
}

func TestNewConfigurationErrorsFailAtOnce(t *testing.T) {
	mismatch := discoveryServer(t, func(string) string { return "https://other.example.test" }, "http://127.0.0.1:1/jwks")
	noJWKS := discoveryServer(t, func(self string) string { return self }, "")
	plainJWKS := discoveryServer(t, func(self string) string { return self }, "http://jwks.example.test/keys")
	tests := []struct {
		name string
		cfg  verifier.Config
		want string
	}{
		{"issuer mismatch in the metadata", verifier.Config{Issuer: mismatch.URL}, "issuer mismatch"},
		{"metadata without jwks_uri", verifier.Config{Issuer: noJWKS.URL}, "jwks_uri"},
		{"plain-http jwks_uri", verifier.Config{Issuer: plainJWKS.URL}, "jwks_uri"},
		{"plain-http issuer", verifier.Config{Issuer: "http://issuer.example.test"}, "Config.Issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Audience, tt.cfg.Logger = testAudience, discardLogger()
			v, err := verifier.New(t.Context(), tt.cfg)
			if err == nil {
				v.Close()
				t.Fatalf("New() error = nil, want a configuration error about %s", tt.want)
			}
			if errors.Is(err, verifier.ErrUnavailable) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New() error = %v, want a configuration error about %s, not ErrUnavailable", err, tt.want)
			}
		})
	}
}

func TestReadyFollowsTheKeySet(t *testing.T) {
	clock := newClock()
	iss := issuertest.NewServer(issuertest.WithClock(clock.Now))
	defer iss.Close()
	iss.SetFault(issuertest.EndpointJWKS, issuertest.StatusFault(http.StatusBadGateway))
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience(), Now: clock.Now, Logger: discardLogger()})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	defer v.Close()
	if err := v.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "key set") || !strings.Contains(err.Error(), "502") {
		t.Errorf("Ready() with the key set down = %v, want an error naming the key set and its last fetch", err)
	}
	iss.ClearFaults()
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
	if _, err := v.Verify(t.Context(), tok); err != nil { // no set held: the lookup fetches
		t.Fatalf("Verify() once the key set is back: error = %v", err)
	}
	if err := v.Ready(t.Context()); err != nil {
		t.Errorf("Ready() = %v, want nil", err)
	}
}
