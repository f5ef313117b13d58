package e2e_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokengate/tokengate/internal/redistest"
	"github.com/tokengate/tokengate/issuertest"
)

// replicaSet is three processes of examples/replicas sharing one Redis
// and one issuer, whose API client registered replica 0's receiver.
type replicaSet struct {
	redis *redistest.Server
	iss   *issuertest.Server
	urls  []string
	http  *http.Client
}

func startReplicas(t *testing.T) *replicaSet {
	t.Helper()
	if testing.Short() {
		t.Skip("runs three API processes and Redis: skipped with -short")
	}
	rs := &replicaSet{redis: redistest.Start(t), http: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 200},
	}}
	// The receiver URL is registered before replica 0 has an address, so
	// the issuer sends events through a proxy that learns it later.
	var first atomic.Pointer[url.URL]
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := first.Load(); u != nil {
			httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
			return
		}
		http.Error(w, "replica 0 not up", http.StatusServiceUnavailable)
	}))
	t.Cleanup(proxy.Close)
	clients := issuertest.DefaultClients()
	for i := range clients {
		if clients[i].ID == issuertest.APIClientID {
			clients[i].BackchannelLogoutURI = proxy.URL + "/revocations"
			clients[i].SecurityEventsURI = proxy.URL + "/revocations"
		}
	}
	rs.iss = issuertest.NewServer(issuertest.WithOpaqueAccessTokens(), issuertest.WithClients(clients...))
	t.Cleanup(rs.iss.Close)
	secret := hex.EncodeToString([]byte(rand.Text() + rand.Text()))
	for i := range 3 {
		line := start(t, "replicas", "replicas: listening on ",
			"-addr", "127.0.0.1:0", "-name", fmt.Sprint("r", i), "-issuer", rs.iss.URL,
			"-redis", rs.redis.Addr, "-shared-secret", secret)
		rs.urls = append(rs.urls, strings.Fields(line)[0])
	}
	u, _ := url.Parse(rs.urls[0])
	first.Store(u)
	return rs
}

// get fetches /orders from replica i with token and returns the status.
func (rs *replicaSet) get(t *testing.T, i int, token string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, rs.urls[i]+"/orders", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := rs.http.Do(req)
	if err != nil {
		t.Errorf("GET /orders at replica %d: %v", i, err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (rs *replicaSet) token(subject string) string {
	return rs.iss.AccessToken(issuertest.TokenRequest{Subject: subject, Scopes: []string{"orders:read"}})
}

func (rs *replicaSet) introspections() int { return rs.iss.Requests(issuertest.EndpointIntrospect) }

// eventually polls cond every 50ms until it holds, failing after a
// generous deadline that only catches a hang; it returns the polls made.
func eventually(t *testing.T, what string, cond func() bool) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for n := 1; ; n++ {
		if cond() {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s (%d polls)", what, n)
		}
		<-time.After(50 * time.Millisecond)
	}
}

// TestReplicasShareOneView runs the checks of the many-replicas issue
// against real processes, in order, on one set of replicas.
func TestReplicasShareOneView(t *testing.T) {
	rs := startReplicas(t)

	t.Run("one introspection for a new token across three replicas under load", func(t *testing.T) {
		tok := rs.token(issuertest.Alice)
		before := rs.introspections()
		// The call is held a little, so that the other replicas' requests
		// arrive while it is in flight and must wait for it.
		rs.iss.SetFault(issuertest.EndpointIntrospect, issuertest.Fault{Delay: 300 * time.Millisecond, Times: 1})
		var wg sync.WaitGroup
		var bad atomic.Int64
		for i := range 3 {
			for range 300 {
				wg.Go(func() {
					if rs.get(t, i, tok) != http.StatusOK {
						bad.Add(1)
					}
				})
			}
		}
		wg.Wait()
		if n := bad.Load(); n != 0 {
			t.Errorf("%d of 900 requests not 200", n)
		}
		if n := rs.introspections() - before; n != 1 {
			t.Errorf("introspection calls = %d for 900 requests at three replicas, want 1", n)
		}
	})

	// The DPoP package is not on this branch yet: the shared replay store
	// it plugs into is checked across the processes directly, through the
	// replicas' /proofs route.
	t.Run("a one-time value replayed at another replica is refused", func(t *testing.T) {
		for i, want := range []int{http.StatusCreated, http.StatusConflict, http.StatusConflict} {
			resp, err := rs.http.PostForm(rs.urls[i]+"/proofs", url.Values{"jti": {"proof-1"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("POST /proofs at replica %d = %d, want %d", i, resp.StatusCode, want)
			}
		}
	})

	t.Run("a revocation at the issuer is refused at every replica", func(t *testing.T) {
		tok := rs.token(issuertest.Bob)
		for i := range 3 {
			if s := rs.get(t, i, tok); s != http.StatusOK {
				t.Fatalf("replica %d before the revocation = %d, want 200", i, s)
			}
		}
		rs.iss.EndSession(issuertest.Bob) // returns once the receiver answered
		for _, d := range rs.iss.Deliveries() {
			if d.Subject == issuertest.Bob && d.Status != http.StatusOK && d.Status != http.StatusAccepted {
				t.Errorf("delivery %+v, want accepted", d)
			}
		}
		for i := range 3 {
			polls := eventually(t, fmt.Sprint("replica ", i, " refuses the revoked token"), func() bool {
				return rs.get(t, i, tok) == http.StatusUnauthorized
			})
			t.Logf("replica %d refused the revoked token at poll %d", i, polls)
		}
	})

	t.Run("Redis killed mid-load: no 401 for valid cached tokens, recovery after restart", func(t *testing.T) {
		tok := rs.token(issuertest.Alice)
		for i := range 3 {
			rs.get(t, i, tok)
		}
		var done atomic.Int64
		var kill sync.Once
		var wrong sync.Map // status => count
		var wg sync.WaitGroup
		for i := range 3 {
			for range 4 {
				wg.Go(func() {
					for range 150 {
						if s := rs.get(t, i, tok); s != http.StatusOK {
							v, _ := wrong.LoadOrStore(s, new(atomic.Int64))
							v.(*atomic.Int64).Add(1)
						}
						if done.Add(1) == 300 {
							kill.Do(rs.redis.Stop)
						}
					}
				})
			}
		}
		wg.Wait()
		wrong.Range(func(k, v any) bool {
			t.Errorf("status %v answered %d times during the outage, want 200 only", k, v.(*atomic.Int64).Load())
			return true
		})
		fresh := rs.token(issuertest.Alice) // checked by each replica alone
		for i := range 3 {
			if s := rs.get(t, i, fresh); s != http.StatusOK {
				t.Errorf("a new token at replica %d with Redis down = %d, want 200", i, s)
			}
		}

		rs.redis.Restart()
		raw := redis.NewClient(&redis.Options{Addr: rs.redis.Addr, DisableIdentity: true})
		defer raw.Close()
		eventually(t, "three subscriptions restored", func() bool {
			return raw.PubSubNumSub(t.Context(), "tokengate:purge").Val()["tokengate:purge"] == 3
		})
		eventually(t, "the shared cache in use again: one call for a new token at three replicas", func() bool {
			tok, before := rs.token(issuertest.Alice), rs.introspections()
			for i := range 3 {
				if s := rs.get(t, i, tok); s != http.StatusOK {
					t.Fatalf("replica %d after the restart = %d, want 200", i, s)
				}
			}
			return rs.introspections()-before == 1
		})
		rs.iss.EndSession(issuertest.Alice)
		for i := range 3 {
			eventually(t, fmt.Sprint("replica ", i, " refuses a token revoked after the restart"), func() bool {
				return rs.get(t, i, tok) == http.StatusUnauthorized
			})
		}
	})
}
