package jwkscache

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" for a valid config
	}{
		{"missing URL", Config{}, "Config.URL"},
		{"not a URL", Config{URL: "https://exa mple.com/%zz"}, "Config.URL"},
		{"ftp scheme", Config{URL: "ftp://example.com/jwks"}, "Config.URL"},
		{"no host", Config{URL: "https:///jwks"}, "Config.URL"},
		{"credentials in URL", Config{URL: "https://user:pw@example.com/jwks"}, "Config.URL"},
		{"plain http to a remote host (downgrade)", Config{URL: "http://example.com/jwks"}, "Config.URL"},
		{"plain http to a remote host, allowed", Config{URL: "http://example.com/jwks", AllowInsecureHTTP: true}, ""},
		{"plain http to localhost", Config{URL: "http://localhost:1/jwks"}, ""},
		{"plain http to 127.0.0.2", Config{URL: "http://127.0.0.2:1/jwks"}, ""},
		{"plain http to ::1", Config{URL: "http://[::1]:1/jwks"}, ""},
		{"https", Config{URL: "https://example.com/jwks"}, ""},
		{"negative Timeout", Config{URL: "https://example.com", Policy: Policy{Timeout: -1}}, "Config.Timeout"},
		{"negative MinRefreshInterval", Config{URL: "https://example.com", Policy: Policy{MinRefreshInterval: -1}}, "Config.MinRefreshInterval"},
		{"negative MaxRefreshInterval", Config{URL: "https://example.com", Policy: Policy{MaxRefreshInterval: -1}}, "Config.MaxRefreshInterval"},
		{"negative UnknownKIDCooldown", Config{URL: "https://example.com", Policy: Policy{UnknownKIDCooldown: -1}}, "Config.UnknownKIDCooldown"},
		{"negative MaxStaleness", Config{URL: "https://example.com", Policy: Policy{MaxStaleness: -1}}, "Config.MaxStaleness"},
		{"min above max", Config{URL: "https://example.com", Policy: Policy{MinRefreshInterval: 2 * time.Hour}}, "Config.MinRefreshInterval"},
		{"negative MaxBodyBytes", Config{URL: "https://example.com", Policy: Policy{MaxBodyBytes: -1}}, "Config.MaxBodyBytes"},
		{"negative MaxKeys", Config{URL: "https://example.com", Policy: Policy{MaxKeys: -1}}, "Config.MaxKeys"},
		{"negative UnknownKIDWait", Config{URL: "https://example.com", Policy: Policy{UnknownKIDWait: -1}}, "Config.UnknownKIDWait"},
		{"negative MaxRetryInterval", Config{URL: "https://example.com", Policy: Policy{MaxRetryInterval: -1}}, "Config.MaxRetryInterval"},
		{"min above max retry", Config{URL: "https://example.com", Policy: Policy{MinRefreshInterval: 10 * time.Minute}}, "Config.MaxRetryInterval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A cancelled ctx makes a valid config's first fetch fail at
			// once, without touching the network.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			c, err := New(ctx, tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New() error = %v, want nil", err)
				}
				_ = c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "jwkscache: ") {
				t.Fatalf("New() error = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	client := &http.Client{}
	c, err := New(ctx, Config{URL: "https://example.com/jwks", HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := Config{URL: "https://example.com/jwks", HTTPClient: client, Policy: Policy{Timeout: 10 * time.Second, UnknownKIDWait: 2 * time.Second, MinRefreshInterval: time.Minute, MaxRefreshInterval: time.Hour, MaxRetryInterval: 5 * time.Minute, UnknownKIDCooldown: 30 * time.Second, MaxStaleness: 24 * time.Hour, MaxBodyBytes: 1 << 20, MaxKeys: 100}}
	got := c.cfg
	if got.Now == nil {
		t.Error("Now not defaulted")
	}
	got.Now = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	if client.CheckRedirect != nil {
		t.Error("New modified the caller's http.Client (CheckRedirect set)")
	}
	if c.client == client {
		t.Error("the cache uses the caller's client itself, not a copy")
	}
}

func TestFetchRequest(t *testing.T) {
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &keys().rsaA.PublicKey)), nil)
	h.srv.mu.Lock()
	accept := h.srv.accept
	h.srv.mu.Unlock()
	if accept != "application/json" {
		t.Errorf("Accept = %q, want application/json", accept)
	}
}

func TestFetchOverHTTPS(t *testing.T) {
	body := jwksJSON(t, rsaJWK("a", &keys().rsaA.PublicKey))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	defer srv.Close()
	c, err := New(t.Context(), Config{URL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Key(t.Context(), "a", "RS256"); err != nil {
		t.Errorf("Key() over https error = %v", err)
	}
}

func TestRefreshIntervalFromMaxAge(t *testing.T) {
	tests := []struct {
		name         string
		cacheControl string
		age          string
		want         time.Duration
	}{
		{"no Cache-Control: MaxRefreshInterval", "", "", time.Hour},
		{"max-age below the floor", "max-age=5", "", time.Minute},
		{"max-age=0", "no-cache, max-age=0", "", time.Minute},
		{"max-age within bounds", "public, max-age=600", "", 10 * time.Minute},
		{"max-age above the ceiling", "max-age=999999", "", time.Hour},
		{"max-age overflowing 32 bits (RFC 9111 §1.2.2)", "max-age=99999999999999999999", "", time.Hour},
		{"Age subtracted (RFC 9111 §4.2.3)", "max-age=600", "100", 500 * time.Second},
		{"quoted value, upper case name", `MAX-AGE="300"`, "", 5 * time.Minute},
		{"malformed max-age ignored", "max-age=-5", "", time.Hour},
		{"max-age with junk ignored", "max-age=10s", "", time.Hour},
		{"no-store: the floor (ORY Hydra)", "no-cache, no-store", "", time.Minute},
		{"no-cache beats max-age (RFC 9111 §5.2.2.4)", "no-cache, max-age=600", "", time.Minute},
		{"no-cache with an argument", `no-cache="Set-Cookie", max-age=600`, "", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newJWKSServer(t, jwksJSON(t, rsaJWK("a", &keys().rsaA.PublicKey)))
			if tt.cacheControl != "" {
				srv.setHeader("Cache-Control", tt.cacheControl)
			}
			if tt.age != "" {
				srv.setHeader("Age", tt.age)
			}
			clock := newFakeClock()
			start := clock.Now()
			c, err := New(t.Context(), Config{URL: srv.URL, HTTPClient: srv.Client(), Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := c.Status().NextRefresh.Sub(start); got != tt.want {
				t.Errorf("next refresh after %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRefreshIntervalFromExpires: without max-age, Expires minus Date is
// the freshness lifetime (RFC 9111 §5.3, §4.2.1), and an Expires that does
// not parse means already expired.
func TestRefreshIntervalFromExpires(t *testing.T) {
	date := newFakeClock().Now()
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"Expires minus Date", map[string]string{"Date": date.Format(http.TimeFormat), "Expires": date.Add(10 * time.Minute).Format(http.TimeFormat)}, 10 * time.Minute},
		{"Expires in the past: the floor", map[string]string{"Date": date.Format(http.TimeFormat), "Expires": date.Add(-time.Hour).Format(http.TimeFormat)}, time.Minute},
		{"Expires: 0 (invalid) means expired", map[string]string{"Expires": "0"}, time.Minute},
		{"max-age wins over Expires", map[string]string{"Cache-Control": "max-age=300", "Expires": date.Add(50 * time.Minute).Format(http.TimeFormat)}, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newJWKSServer(t, jwksJSON(t, rsaJWK("a", &keys().rsaA.PublicKey)))
			for k, v := range tt.header {
				srv.setHeader(k, v)
			}
			clock := newFakeClock()
			c, err := New(t.Context(), Config{URL: srv.URL, HTTPClient: srv.Client(), Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := c.Status().NextRefresh.Sub(date); got != tt.want {
				t.Errorf("next refresh after %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("Expires minus now without Date", func(t *testing.T) {
		c := &Cache{cfg: Config{Now: newFakeClock().Now, Policy: Policy{MinRefreshInterval: time.Minute, MaxRefreshInterval: time.Hour}}}
		h := http.Header{"Expires": {date.Add(20 * time.Minute).Format(http.TimeFormat)}}
		if got := c.refreshInterval(h); got != 20*time.Minute {
			t.Errorf("refreshInterval() = %v, want 20m", got)
		}
	})
}

func TestPeriodicRefreshHonoursMaxAge(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	h.srv.setHeader("Cache-Control", "max-age=5") // clamped up to 1m
	if err := h.c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.waitFetch(t)
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("b", &k.rsaB.PublicKey)))

	h.clock.Advance(59 * time.Second)
	h.wantKey(t, "a", "RS256", k.rsaA) // not due: no fetch
	h.wantHits(t, 2)

	h.clock.Advance(time.Second)
	h.wantKey(t, "a", "RS256", k.rsaA) // due: served at once, refreshed in the background
	if err := h.waitFetch(t); err != nil {
		t.Fatalf("background refresh error = %v", err)
	}
	h.wantHits(t, 3)
	h.wantKey(t, "b", "RS256", k.rsaB)
	h.wantErr(t, "a", "RS256", ErrKeyNotFound) // a key removed from the set stops verifying
	if err := verify(t.Context(), h.c, signToken(t, jwt.SigningMethodRS256, k.rsaA, "a")); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("Parse(token signed with a removed key) error = %v, want ErrKeyNotFound", err)
	}
}

func TestStaleIfError(t *testing.T) {
	k := keys()
	huge := append([]byte(`{"keys":[`), []byte(strings.Repeat(" ", 2<<20))...)
	tests := []struct {
		name   string
		status int
		body   []byte
	}{
		{"server error", http.StatusInternalServerError, []byte("oops")},
		{"not found", http.StatusNotFound, nil},
		{"garbage", http.StatusOK, []byte("<html>maintenance</html>")},
		{"JSON array", http.StatusOK, []byte(`[]`)},
		{"no keys member", http.StatusOK, []byte(`{}`)},
		{"empty set replaces nothing", http.StatusOK, []byte(`{"keys":[]}`)},
		{"only unusable keys", http.StatusOK, jwksJSON(t, rsaJWK("weak", &k.rsa1024.PublicKey))},
		{"oversized body", http.StatusOK, huge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
			good := h.c.Status().LastRefresh
			h.srv.serve(tt.status, tt.body)
			h.clock.Advance(time.Second)
			if err := h.c.Refresh(t.Context()); err == nil {
				t.Fatal("Refresh() error = nil, want the fetch failure")
			}
			h.wantKey(t, "a", "RS256", k.rsaA)
			st := h.c.Status()
			if st.LastError == nil || !st.Stale || !st.Available || !st.LastRefresh.Equal(good) || len(st.KIDs) != 1 {
				t.Errorf("Status() = %+v; want LastError set, Stale, Available, old LastRefresh and kids", st)
			}
		})
	}
}

func TestStalenessLimit(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), func(c *Config) {
		c.MaxStaleness = 2 * time.Hour
	})
	h.srv.serve(http.StatusBadGateway, nil)
	// Fresh for MaxRefreshInterval (1h), then served stale for 2h more.
	h.clock.Advance(3 * time.Hour)
	h.wantKey(t, "a", "RS256", k.rsaA)
	h.waitFetch(t) // the due refresh ran in the background and failed

	h.clock.Advance(time.Second)
	err := h.wantErr(t, "a", "RS256", ErrUnavailable)
	if errors.Is(err, ErrKeyNotFound) {
		t.Errorf("error %v also matches ErrKeyNotFound: the issuer, not the token, is at fault", err)
	}
	if !strings.Contains(err.Error(), "502") {
		t.Errorf("error %q does not carry the last fetch error", err)
	}
	if st := h.c.Status(); st.Available || !st.Stale {
		t.Errorf("Status() = %+v, want not Available, Stale", st)
	}

	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)))
	if err := h.c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.waitFetch(t)
	h.wantKey(t, "a", "RS256", k.rsaA)
}

func TestOversizedBodyRejected(t *testing.T) {
	k := keys()
	good := jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey))
	padded := append(append([]byte{}, good[:len(good)-1]...), []byte(strings.Repeat(" ", 4096)+"}")...)
	tests := []struct {
		name    string
		chunked bool // no Content-Length: the limit must hold while reading
	}{
		{"declared length", false},
		{"chunked", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				hits.Add(1)
				if tt.chunked {
					w.(http.Flusher).Flush()
				} else {
					w.Header().Set("Content-Length", "4500")
				}
				_, _ = w.Write(padded[:min(len(padded), 4500)])
			}))
			defer srv.Close()
			c, err := New(t.Context(), Config{URL: srv.URL, HTTPClient: srv.Client(), Policy: Policy{MaxBodyBytes: 2048}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			st := c.Status()
			if st.LastError == nil || !strings.Contains(st.LastError.Error(), "MaxBodyBytes") || st.Available {
				t.Errorf("Status() = %+v, want a MaxBodyBytes error and no keys", st)
			}
			if hits.Load() != 1 {
				t.Errorf("server got %d requests, want 1", hits.Load())
			}
		})
	}
}

func TestCrossOriginRedirectNotFollowed(t *testing.T) {
	k := keys()
	var otherHits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		otherHits.Add(1)
		_, _ = w.Write(jwksJSON(t, rsaJWK("evil", &k.rsaB.PublicKey)))
	}))
	defer other.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/jwks", http.StatusFound)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/jwks", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name    string
		path    string
		wantKID string // "" when the fetch must fail
	}{
		{"redirect to another origin (key set substitution)", "/elsewhere", ""},
		{"redirect within the origin", "/moved", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := srv.Client()
			c, err := New(t.Context(), Config{URL: srv.URL + tt.path, HTTPClient: client})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			st := c.Status()
			if tt.wantKID == "" {
				if !errors.Is(st.LastError, netpolicy.ErrCrossOrigin) || st.Available {
					t.Errorf("Status() = %+v, want the redirect refused", st)
				}
			} else if len(st.KIDs) != 1 || st.KIDs[0] != tt.wantKID {
				t.Errorf("Status().KIDs = %v, want [%s]", st.KIDs, tt.wantKID)
			}
			if client.CheckRedirect != nil {
				t.Error("the caller's client was modified")
			}
		})
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other origin got %d requests, want 0", n)
	}
}

func TestCallerRedirectPolicyStillApplies(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/jwks", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	refuse := errors.New("no redirects at all")
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return refuse }
	c, err := New(t.Context(), Config{URL: srv.URL + "/moved", HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Status().LastError; !errors.Is(err, refuse) {
		t.Errorf("LastError = %v, want the caller's CheckRedirect error", err)
	}
}

func TestFetchTimeout(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), func(c *Config) {
		c.Timeout = 50 * time.Millisecond
	})
	release := h.srv.block()
	defer release()
	err := h.c.Refresh(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Refresh() against a hung server error = %v, want DeadlineExceeded", err)
	}
	h.wantKey(t, "a", "RS256", k.rsaA)
}
