package receiver_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/revocation"
	"github.com/tokengate/tokengate/revocation/receiver"
)

var epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// recorder is a Forgetter that records what it was asked to forget.
type recorder struct {
	mu  sync.Mutex // guards got
	got []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, s)
}

func (r *recorder) ForgetSubject(s string) { r.add("subject " + s) }
func (r *recorder) ForgetClient(c string)  { r.add("client " + c) }
func (r *recorder) ForgetTokenID(j string) { r.add("token_id " + j) }
func (r *recorder) ForgetAll()             { r.add("all") }

func (r *recorder) purges() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// memReplay is a ReplayStore in memory, failing with err when set.
type memReplay struct {
	mu   sync.Mutex // guards seen
	seen map[string]time.Time
	err  error
}

func (m *memReplay) Use(_ context.Context, key string, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return false, m.err
	}
	if m.seen == nil {
		m.seen = map[string]time.Time{}
	}
	if _, ok := m.seen[key]; ok {
		return false, nil
	}
	m.seen[key] = until
	return true, nil
}

// failingPublisher refuses every purge.
type failingPublisher struct{}

func (failingPublisher) Publish(context.Context, revocation.Purge) error {
	return errors.New("bus down")
}

// setup is an issuer whose API client registered a receiver served on
// loopback, and the receiver's recorder.
type setup struct {
	iss     *issuertest.Server
	clock   *issuertest.Clock
	url     string
	rec     *recorder
	handler http.Handler // the Receiver
}

// newSetup starts the issuer and the receiver; edit adjusts the
// receiver's Config.
func newSetup(t testing.TB, edit func(*receiver.Config)) *setup {
	t.Helper()
	s := &setup{clock: issuertest.NewClock(epoch), rec: &recorder{}}
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	s.url = srv.URL + "/revocations"
	clients := issuertest.DefaultClients()
	for i := range clients {
		if clients[i].ID == issuertest.APIClientID {
			clients[i].BackchannelLogoutURI, clients[i].SecurityEventsURI = s.url, s.url
		}
	}
	s.iss = issuertest.NewServer(issuertest.WithClock(s.clock.Now), issuertest.WithClients(clients...), issuertest.WithOpaqueAccessTokens())
	t.Cleanup(s.iss.Close)
	keys := keysOf(t, s)
	cfg := receiver.Config{
		Issuer: s.iss.URL, Audience: issuertest.APIClientID, Keys: keys,
		Replay: &memReplay{}, Publisher: revocation.Local(s.rec),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: s.clock.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	rcv, err := receiver.New(cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	handler, s.handler = rcv, rcv
	return s
}

// post sends body with contentType to the receiver and returns the status
// and body of the answer.
func (s *setup) post(t *testing.T, contentType, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(s.url, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *setup) postLogout(t *testing.T, token string) (int, string) {
	t.Helper()
	return s.post(t, "application/x-www-form-urlencoded", url.Values{"logout_token": {token}}.Encode())
}

func (s *setup) postEvent(t *testing.T, token string) (int, string) {
	t.Helper()
	return s.post(t, "application/secevent+jwt", token)
}

// logoutClaims are the claims of a valid logout token from s.iss.
func (s *setup) logoutClaims() map[string]any {
	now := s.clock.Now()
	return map[string]any{
		"iss": s.iss.URL, "aud": issuertest.APIClientID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": "jti-" + now.String(), "sub": issuertest.Alice,
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	}
}

// setClaims are the claims of a valid SET from s.iss, with a
// session-revoked event for subject.
func (s *setup) setClaims(subject map[string]any) map[string]any {
	now := s.clock.Now()
	return map[string]any{
		"iss": s.iss.URL, "aud": issuertest.APIClientID, "iat": now.Unix(), "jti": "set-" + now.String(),
		"sub_id": subject,
		"events": map[string]any{"https://schemas.openid.net/secevent/caep/event-type/session-revoked": map[string]any{}},
	}
}

// with returns a copy of m with changes applied: a nil value deletes.
func with(m map[string]any, changes map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

var errStore = errors.New("store down")

// keysOf is a key source of s's issuer.
func keysOf(t testing.TB, s *setup) *jwkscache.Cache {
	t.Helper()
	keys, err := jwkscache.New(t.Context(), jwkscache.Config{URL: s.iss.URL + "/jwks", Now: s.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	return keys
}

// onceFailing fails its first Publish, then passes purges to next.
type onceFailing struct {
	next   revocation.Publisher
	failed atomic.Bool
}

func (o *onceFailing) Publish(ctx context.Context, p revocation.Purge) error {
	if o.failed.CompareAndSwap(false, true) {
		return errors.New("bus down")
	}
	return o.next.Publish(ctx, p)
}
