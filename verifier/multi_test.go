package verifier_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// twoIssuers starts issuers A and B with different keys (the same kid, so
// that only the issuer binding keeps A's key from B's tokens) and a Multi
// over them.
func twoIssuers(t *testing.T, mod func(*verifier.MultiConfig)) (a, b *fakeIssuer, m *verifier.Multi, clock interface{ Now() time.Time }) {
	t.Helper()
	keys(t)
	a = newFakeIssuer(t, testKey{kid: "k1", alg: "RS256", priv: rsaKey})
	b = newFakeIssuer(t, testKey{kid: "k1", alg: "RS256", priv: rsaKey2})
	c := newClock()
	cfg := verifier.MultiConfig{
		Issuers: []verifier.Config{
			{Issuer: a.Issuer(), Audience: testAudience, Now: c.Now},
			{Issuer: b.Issuer(), Audiences: []string{"https://b-api.example.test", testAudience}, Now: c.Now},
		},
		Now: c.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	m, err := verifier.NewMulti(cfg)
	if err != nil {
		t.Fatalf("NewMulti() error = %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return a, b, m, c
}

// TestMultiChoosesTheIssuerNamedByIss: each issuer's tokens verify with its
// own keys, and nothing is fetched before a token names an issuer.
func TestMultiChoosesTheIssuerNamedByIss(t *testing.T) {
	a, b, m, c := twoIssuers(t, nil)
	if n := a.requests.Load() + b.requests.Load(); n != 0 {
		t.Fatalf("NewMulti made %d requests; want none before a token arrives", n)
	}
	for _, iss := range []*fakeIssuer{a, b, a} {
		claims, err := m.Verify(t.Context(), sign(t, iss.key, nil, accessClaims(iss.Issuer(), c.Now(), nil)))
		if err != nil || claims.Issuer != iss.Issuer() {
			t.Fatalf("Verify(token of %s) = %v, %v", iss.Issuer(), claims, err)
		}
	}
	if a.discovery.Load() != 1 || b.discovery.Load() != 1 {
		t.Errorf("discovery requests A, B = %d, %d; want 1 each", a.discovery.Load(), b.discovery.Load())
	}
	if m.MaxTokenBytes() != 8192 {
		t.Errorf("MaxTokenBytes() = %d, want the default 8192", m.MaxTokenBytes())
	}
}

// TestMultiRefusesIssuerAKeyClaimingIssuerB: a token signed with A's key
// that says it is B's is checked against B's keys and refused, although
// both keys share a kid.
func TestMultiRefusesIssuerAKeyClaimingIssuerB(t *testing.T) {
	a, b, m, c := twoIssuers(t, nil)
	tok := sign(t, a.key, nil, accessClaims(b.Issuer(), c.Now(), nil))
	_, err := m.Verify(t.Context(), tok)
	if !errors.Is(err, verifier.ErrBadSignature) {
		t.Fatalf("Verify(A-signed token claiming B) error = %v, want ErrBadSignature", err)
	}
	if a.requests.Load() != 0 {
		t.Errorf("A got %d requests for a token claiming B; want none", a.requests.Load())
	}
}

// TestMultiNeverDiscoversAnAttackerChosenIssuer: an "iss" outside the list
// is refused with no request to it or to anyone.
func TestMultiNeverDiscoversAnAttackerChosenIssuer(t *testing.T) {
	a, b, m, c := twoIssuers(t, nil)
	attacker := newFakeIssuer(t, testKey{kid: "evil", alg: "RS256", priv: rsaKey2})
	for _, iss := range []string{attacker.Issuer(), a.Issuer() + "/", strings.ToUpper(a.Issuer()), "https://evil.example.test"} {
		_, err := m.Verify(t.Context(), sign(t, attacker.key, nil, accessClaims(iss, c.Now(), nil)))
		if !errors.Is(err, verifier.ErrWrongIssuer) || !strings.Contains(err.Error(), "not a trusted issuer") {
			t.Errorf("Verify(iss %q) error = %v, want ErrWrongIssuer", iss, err)
		}
	}
	if n := attacker.requests.Load() + a.requests.Load() + b.requests.Load(); n != 0 {
		t.Errorf("untrusted issuers caused %d requests; want none", n)
	}
}

// TestMultiBadIss: an "iss" that cannot choose an issuer is malformed, and
// costs no request.
func TestMultiBadIss(t *testing.T) {
	a, b, m, c := twoIssuers(t, func(cfg *verifier.MultiConfig) { cfg.MaxTokenBytes = 64 << 10 })
	exp := c.Now().Add(time.Minute).Unix()
	tests := []struct {
		name, payload, want string
	}{
		{"number", fmt.Sprintf(`{"iss":42,"aud":%q,"exp":%d}`, testAudience, exp), "not a string"},
		{"object", fmt.Sprintf(`{"iss":{"url":%q},"exp":%d}`, a.Issuer(), exp), "not a string"},
		{"array", fmt.Sprintf(`{"iss":[%q],"exp":%d}`, a.Issuer(), exp), "not a string"},
		{"null", fmt.Sprintf(`{"iss":null,"exp":%d}`, exp), "no \"iss\""},
		{"missing", fmt.Sprintf(`{"sub":"alice","exp":%d}`, exp), "no \"iss\""},
		{"two members, trusted then untrusted", fmt.Sprintf(`{"iss":%q,"iss":"https://evil.example.test","exp":%d}`, a.Issuer(), exp), "2 \"iss\" members"},
		{"two members, the same", fmt.Sprintf(`{"iss":%q,"iss":%q,"exp":%d}`, a.Issuer(), a.Issuer(), exp), "2 \"iss\" members"},
		{"10 KB", fmt.Sprintf(`{"iss":%q,"exp":%d}`, a.Issuer()+"/"+strings.Repeat("x", 10<<10), exp), "longer than 2048"},
		{"payload not an object", `["iss"]`, "not a JSON object"},
		{"payload not JSON", `{"iss":`, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Verify(t.Context(), signRaw(t, a.key, tt.payload))
			if !errors.Is(err, verifier.ErrMalformedToken) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify() error = %v, want ErrMalformedToken naming %q", err, tt.want)
			}
		})
	}
	t.Run("not a JWS", func(t *testing.T) {
		for _, tok := range []string{"", "a.b", "a.b.c.d.e", "!!.!!.!!"} {
			if _, err := m.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrMalformedToken) {
				t.Errorf("Verify(%q) error = %v, want ErrMalformedToken", tok, err)
			}
		}
	})
	if n := a.requests.Load() + b.requests.Load(); n != 0 {
		t.Errorf("bad iss values caused %d requests; want none", n)
	}
}

// TestMultiUnknownIssuerFlood: 10,000 distinct untrusted issuers are all
// refused without a request, and a resolver that refuses them is asked
// each time and keeps nothing.
func TestMultiUnknownIssuerFlood(t *testing.T) {
	var asked atomic.Int64
	a, b, m, c := twoIssuers(t, func(cfg *verifier.MultiConfig) {
		cfg.Resolve = func(ctx context.Context, iss string) (*verifier.Config, error) {
			asked.Add(1)
			return nil, nil
		}
	})
	payload := func(i int) string {
		return fmt.Sprintf(`{"iss":"https://tenant-%d.evil.example.test","aud":%q,"exp":%d}`, i, testAudience, c.Now().Add(time.Minute).Unix())
	}
	tok := signRaw(t, a.key, payload(0)) // one signature; the payload varies below
	head, _, _ := strings.Cut(tok, ".")
	sig := tok[strings.LastIndexByte(tok, '.'):]
	const flood = 10_000
	for i := range flood {
		forged := head + "." + b64([]byte(payload(i))) + sig
		if _, err := m.Verify(t.Context(), forged); !errors.Is(err, verifier.ErrWrongIssuer) {
			t.Fatalf("Verify(issuer %d) error = %v, want ErrWrongIssuer", i, err)
		}
	}
	if n := a.requests.Load() + b.requests.Load(); n != 0 {
		t.Errorf("the flood caused %d requests; want none", n)
	}
	if asked.Load() != flood {
		t.Errorf("Resolve asked %d times, want %d (refusals are not kept)", asked.Load(), flood)
	}
}

// TestMultiDiscoversEachIssuerOnceCoalesced: many first tokens of one
// issuer arriving together share one discovery and one key fetch.
func TestMultiDiscoversEachIssuerOnceCoalesced(t *testing.T) {
	a, _, m, c := twoIssuers(t, nil)
	hold := make(chan struct{})
	a.setHold(hold)
	tok := sign(t, a.key, nil, accessClaims(a.Issuer(), c.Now(), nil))
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := m.Verify(t.Context(), tok)
			errs <- err
		})
	}
	<-a.arrived // the setup is under way; the other tokens join it or find it done
	close(hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Verify() error = %v", err)
		}
	}
	if a.discovery.Load() != 1 {
		t.Errorf("discovery requests = %d; want 1: the first tokens share one setup", a.discovery.Load())
	}
}

// TestMultiFailingIssuerDoesNotFailTheOthers: A's discovery fails: its
// tokens get ErrUnavailable and A is asked at setup and once for the first
// token, then not again within its key cooldown, while B's tokens verify
// throughout; once A is back, its tokens verify.
func TestMultiFailingIssuerDoesNotFailTheOthers(t *testing.T) {
	a, b, m, clk := twoIssuers(t, func(cfg *verifier.MultiConfig) { cfg.RetryAfter = time.Minute })
	c := clk.(interface {
		Now() time.Time
		Advance(time.Duration)
	})
	a.setFailing(true)
	tokA := sign(t, a.key, nil, accessClaims(a.Issuer(), c.Now(), map[string]any{"exp": c.Now().Add(time.Hour).Unix()}))
	tokB := sign(t, b.key, nil, accessClaims(b.Issuer(), c.Now(), map[string]any{"exp": c.Now().Add(time.Hour).Unix()}))
	for range 3 {
		if _, err := m.Verify(t.Context(), tokA); !errors.Is(err, verifier.ErrUnavailable) {
			t.Fatalf("Verify(A, A down) error = %v, want ErrUnavailable", err)
		}
		if _, err := m.Verify(t.Context(), tokB); err != nil {
			t.Fatalf("Verify(B, A down) error = %v, want nil", err)
		}
	}
	if got := a.discovery.Load(); got != 2 {
		t.Errorf("A's discovery asked %d times; want 2 (at setup, and once for the first token, then the cooldown)", got)
	}
	a.setFailing(false)
	c.Advance(time.Minute)
	if _, err := m.Verify(t.Context(), tokA); err != nil {
		t.Fatalf("Verify(A, back after the cooldown) error = %v", err)
	}
}

// TestMultiWaiterGivesUpAlone: a request whose context ends while its
// issuer is being set up gets ErrUnavailable; the setup goes on for the
// next request.
func TestMultiWaiterGivesUpAlone(t *testing.T) {
	a, _, m, c := twoIssuers(t, nil)
	hold := make(chan struct{})
	a.setHold(hold)
	tok := sign(t, a.key, nil, accessClaims(a.Issuer(), c.Now(), nil))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := m.Verify(ctx, tok); !errors.Is(err, verifier.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify(cancelled) error = %v, want ErrUnavailable and context.Canceled", err)
	}
	close(hold)
	if _, err := m.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify() after the setup error = %v", err)
	}
	if a.discovery.Load() != 1 {
		t.Errorf("discovery requests = %d, want 1", a.discovery.Load())
	}
}

// TestMultiResolveTenantAllowList: a multi-tenant provider's tenants are
// trusted through a resolver the program writes (here an allow-list of
// Entra-style tenant issuers); a tenant outside it costs no request.
func TestMultiResolveTenantAllowList(t *testing.T) {
	keys(t)
	good := newFakeIssuerAt(t, testKey{kid: "t1", alg: "RS256", priv: rsaKey}, "/11111111-1111-1111-1111-111111111111/v2.0")
	c := newClock()
	allowed := map[string]bool{"11111111-1111-1111-1111-111111111111": true}
	m, err := verifier.NewMulti(verifier.MultiConfig{
		Resolve: func(ctx context.Context, iss string) (*verifier.Config, error) {
			tenant, ok := strings.CutPrefix(iss, good.URL+"/")
			tenant, ok2 := strings.CutSuffix(tenant, "/v2.0")
			if !ok || !ok2 || !allowed[tenant] {
				return nil, nil
			}
			return &verifier.Config{Issuer: iss, Audience: testAudience, Now: c.Now}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Verify(t.Context(), sign(t, good.key, nil, accessClaims(good.Issuer(), c.Now(), nil))); err != nil {
		t.Fatalf("Verify(allowed tenant) error = %v", err)
	}
	before := good.requests.Load()
	other := good.URL + "/22222222-2222-2222-2222-222222222222/v2.0"
	if _, err := m.Verify(t.Context(), sign(t, good.key, nil, accessClaims(other, c.Now(), nil))); !errors.Is(err, verifier.ErrWrongIssuer) {
		t.Fatalf("Verify(tenant not allowed) error = %v, want ErrWrongIssuer", err)
	}
	if good.requests.Load() != before {
		t.Errorf("a tenant outside the allow-list caused %d requests", good.requests.Load()-before)
	}
}

// TestMultiConfigErrors: NewMulti checks every issuer's Config up front.
func TestMultiConfigErrors(t *testing.T) {
	ok := verifier.Config{Issuer: "https://a.example.test", Audience: "api"}
	tests := []struct {
		name string
		cfg  verifier.MultiConfig
		want string
	}{
		{"nothing trusted", verifier.MultiConfig{}, "needs Issuers or Resolve"},
		{"bad issuer config", verifier.MultiConfig{Issuers: []verifier.Config{ok, {Issuer: "https://b.example.test"}}}, "Issuers[1]"},
		{"listed twice", verifier.MultiConfig{Issuers: []verifier.Config{ok, ok}}, "listed twice"},
		{"alias of another", verifier.MultiConfig{Issuers: []verifier.Config{ok, {Issuer: "https://b.example.test", Audience: "api", IssuerAliases: []string{ok.Issuer}}}}, "listed twice"},
		{"negative bound", verifier.MultiConfig{Issuers: []verifier.Config{ok}, MaxResolved: -1}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := verifier.NewMulti(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewMulti() error = %v, want it to name %q", err, tt.want)
			}
		})
	}
}

// TestMultiWithRequire: the same per-route one-liner takes a Multi.
func TestMultiWithRequire(t *testing.T) {
	a, b, m, c := twoIssuers(t, nil)
	h := middleware.Require(m, scopes.All("orders:read"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := verifier.FromContext(r.Context())
		w.Write([]byte(claims.Issuer))
	}))
	for _, tt := range []struct {
		name   string
		token  string
		status int
	}{
		{"issuer A", sign(t, a.key, nil, accessClaims(a.Issuer(), c.Now(), nil)), http.StatusOK},
		{"issuer B", sign(t, b.key, nil, accessClaims(b.Issuer(), c.Now(), nil)), http.StatusOK},
		{"untrusted", sign(t, a.key, nil, accessClaims("https://evil.example.test", c.Now(), nil)), http.StatusUnauthorized},
		{"scope missing", sign(t, a.key, nil, accessClaims(a.Issuer(), c.Now(), map[string]any{"scope": "x"})), http.StatusForbidden},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/orders", nil)
		req.Header.Set("Authorization", "Bearer "+tt.token)
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, rec.Code, tt.status, rec.Body)
		}
	}
	a.setFailing(true)
	b.setFailing(true)
	// Both are set up and hold their keys: an outage of the issuers does
	// not fail tokens they already can check.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+sign(t, b.key, nil, accessClaims(b.Issuer(), c.Now(), nil)))
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("issuer B down after setup: status %d, want 200", rec.Code)
	}
}
