package redisstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tokengate/tokengate/internal/redistest"
	"github.com/tokengate/tokengate/redisstore"
	"github.com/tokengate/tokengate/revocation"
)

// recorder is a Forgetter that reports what it was asked to forget.
type recorder struct {
	got chan string
}

func newRecorder() *recorder { return &recorder{got: make(chan string, 100)} }

func (r *recorder) ForgetSubject(s string) { r.got <- "subject " + s }
func (r *recorder) ForgetClient(c string)  { r.got <- "client " + c }
func (r *recorder) ForgetTokenID(j string) { r.got <- "token_id " + j }
func (r *recorder) ForgetAll()             { r.got <- "all" }

// next returns the next purge r was asked for, failing after a generous
// deadline that only catches a hang.
func (r *recorder) next(t testing.TB) string {
	t.Helper()
	select {
	case s := <-r.got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no purge within 10s")
		return ""
	}
}

// subscribed is a Store on srv whose subscription applies purges to r.
func subscribed(t testing.TB, srv *redistest.Server, r *recorder, cfg redisstore.Config) *redisstore.Store {
	t.Helper()
	s := newStore(t, srv, cfg)
	if err := s.Subscribe(t.Context(), r); err != nil {
		t.Fatalf("Subscribe() error = %v", err)
	}
	return s
}

func TestPurgeReachesEveryReplica(t *testing.T) {
	srv := redistest.Start(t)
	recs := []*recorder{newRecorder(), newRecorder(), newRecorder()}
	var stores []*redisstore.Store
	for _, r := range recs {
		stores = append(stores, subscribed(t, srv, r, redisstore.Config{}))
	}
	purges := []revocation.Purge{
		{Kind: revocation.Subject, Value: "alice"}, {Kind: revocation.Client, Value: "web"},
		{Kind: revocation.TokenID, Value: "j1"}, {Kind: revocation.All},
	}
	for _, p := range purges {
		if err := stores[1].Publish(t.Context(), p); err != nil {
			t.Fatalf("Publish() error = %v", err)
		}
		want := string(p.Kind) + " " + p.Value
		if p.Kind == revocation.All {
			want = "all"
		}
		for i, r := range recs {
			if got := r.next(t); got != want {
				t.Errorf("replica %d forgot %q, want %q", i, got, want)
			}
		}
	}
}

// TestForgedPurgeMessagesIgnored: messages on the channel that are not
// well-formed purges, as anyone with access to Redis could publish, are
// ignored; the worst a well-formed one can do is make caches forget.
func TestForgedPurgeMessagesIgnored(t *testing.T) {
	srv := redistest.Start(t)
	logger, lines := testLogger(t)
	r := newRecorder()
	subscribed(t, srv, r, redisstore.Config{Logger: logger})
	raw := rawClient(t, srv)
	for _, junk := range []string{"not json", `{"kind":"grant","value":"x"}`, `{"kind":"subject"}`, `{"kind":"subject","value":"` + string(make([]byte, 2000)) + `"}`} {
		raw.Publish(t.Context(), "tokengate:purge", junk)
	}
	raw.Publish(t.Context(), "tokengate:purge", `{"kind":"subject","value":"bob"}`)
	if got := r.next(t); got != "subject bob" {
		t.Errorf("first purge applied = %q, want the well-formed one", got)
	}
	if n := countLines(lines(), "purge message ignored"); n != 4 {
		t.Errorf("ignored-message log lines = %d, want 4: %q", n, lines())
	}
}

// TestPublishWhileRedisDownPurgesHere: a receiver's replica purges its own
// caches even when Redis cannot carry the purge to the others, and says so.
func TestPublishWhileRedisDownPurgesHere(t *testing.T) {
	srv := redistest.Start(t)
	r := newRecorder()
	s := subscribed(t, srv, r, redisstore.Config{})
	srv.Stop()
	err := s.Publish(t.Context(), revocation.Purge{Kind: revocation.Subject, Value: "alice"})
	if !errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("Publish() error = %v, want ErrUnavailable", err)
	}
	if got := r.next(t); got != "subject alice" {
		t.Errorf("purged %q here, want subject alice", got)
	}
}

// TestResubscribedAfterOutagePurgesAll: a subscription cut by an outage
// may have missed purges; restored, it purges everything, and purges flow
// again.
func TestResubscribedAfterOutagePurgesAll(t *testing.T) {
	srv := redistest.Start(t)
	logger, lines := testLogger(t)
	r := newRecorder()
	subscribed(t, srv, r, redisstore.Config{Logger: logger})
	publisher := newStore(t, srv, redisstore.Config{})
	srv.Stop()
	srv.Restart()
	if got := r.next(t); got != "all" {
		t.Fatalf("after the outage forgot %q, want all", got)
	}
	if err := publisher.Publish(t.Context(), revocation.Purge{Kind: revocation.Client, Value: "web"}); err != nil {
		t.Fatal(err)
	}
	if got := r.next(t); got != "client web" {
		t.Errorf("after the outage forgot %q, want client web", got)
	}
	if countLines(lines(), "level=WARN", "revocation bus") != 1 {
		t.Errorf("log = %q, want one Warn line for the outage", lines())
	}
}

// TestSubscribeWhileRedisDown returns an error after ctx ends, keeps
// trying, and receives once Redis is up.
func TestSubscribeWhileRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	s := newStore(t, srv, redisstore.Config{})
	r := newRecorder()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := s.Subscribe(ctx, r); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("Subscribe() with Redis down error = %v, want ErrUnavailable", err)
	}
	srv.Restart()
	if got := r.next(t); got != "all" {
		t.Fatalf("once subscribed forgot %q, want all: purges before it were missed", got)
	}
	var got []string
	publisher := newStore(t, srv, redisstore.Config{})
	if err := publisher.Publish(t.Context(), revocation.Purge{Kind: revocation.Subject, Value: "carol"}); err != nil {
		t.Fatal(err)
	}
	got = append(got, r.next(t))
	if !slices.Equal(got, []string{"subject carol"}) {
		t.Errorf("forgot %q, want subject carol", got)
	}
}

// TestCloseEndsSubscription: Close returns once the subscription's
// goroutine has ended (the race detector and the test's end would catch
// one left running), and is idempotent.
func TestCloseEndsSubscription(t *testing.T) {
	srv := redistest.Start(t)
	r := newRecorder()
	s := subscribed(t, srv, r, redisstore.Config{})
	s.Close()
	s.Close()
	if err := s.Subscribe(t.Context(), r); err != nil {
		t.Errorf("Subscribe() after Close error = %v, want nil and nothing started", err)
	}
}
