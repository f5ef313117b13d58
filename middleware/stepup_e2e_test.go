package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/claims"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/stepup"
)

// stepUpClient is a client of issuertest's non-interactive login that can
// be sent through /authorize again with extra parameters.
type stepUpClient struct {
	t    *testing.T
	iss  *issuertest.Server
	conf *oauth2.Config
}

// token runs code + PKCE with params (name, value, ...) and returns the
// access token.
func (c *stepUpClient) token(params ...string) string {
	c.t.Helper()
	v := oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(v)}
	for i := 0; i+1 < len(params); i += 2 {
		opts = append(opts, oauth2.SetAuthURLParam(params[i], params[i+1]))
	}
	hc := *c.iss.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(c.conf.AuthCodeURL("st", opts...))
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := c.conf.Exchange(c.t.Context(), loc.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		c.t.Fatalf("Exchange: %v (redirect %s)", err, loc)
	}
	return tok.AccessToken
}

// call sends GET url with token and returns the status and challenge.
func stepUpCall(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

var challengeParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

// challengeParams reads the attributes of a Bearer challenge.
func challengeParams(ch string) map[string]string {
	out := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(ch, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestE2EStepUpRoundTrip is RFC 9470 end to end: the API refuses a token
// whose sign-in is too weak with 401 insufficient_user_authentication and
// acr_values; the client authorizes again with them, and the new token
// passes; later the API refuses the same sign-in as too old with max_age,
// the client authorizes again with max_age, and issuertest signs the user
// in anew.
func TestE2EStepUpRoundTrip(t *testing.T) {
	clock := issuertest.NewClock(time.Unix(1_900_000_000, 0))
	iss := issuertest.NewServer(issuertest.WithClock(clock.Now), issuertest.WithSessions(),
		issuertest.WithAuthenticationContexts("urn:example:pwd", "urn:example:mfa"),
		issuertest.WithAccessTokenLifetime(time.Hour))
	t.Cleanup(iss.Close)
	v := newJWT(t, iss, clock.Now)
	mux := http.NewServeMux()
	mux.Handle("GET /transfers", middleware.Require(v, scopes.All("orders:read"),
		stepup.Policy{ACR: []string{"urn:example:mfa"}, MaxAge: 5 * time.Minute, Now: clock.Now}.Requirement(),
	)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })))
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)
	c := &stepUpClient{t: t, iss: iss, conf: &oauth2.Config{
		ClientID: issuertest.PublicClientID, RedirectURL: "http://127.0.0.1:8123/callback",
		Endpoint: oauth2.Endpoint{AuthURL: iss.URL + "/authorize", TokenURL: iss.URL + "/token", AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   []string{"openid", "orders:read"},
	}}

	status, ch := stepUpCall(t, api.URL+"/transfers", c.token())
	p := challengeParams(ch)
	if status != http.StatusUnauthorized || p["error"] != "insufficient_user_authentication" || p["acr_values"] != "urn:example:mfa" || p["max_age"] != "300" {
		t.Fatalf("password sign-in: %d %s; want 401 insufficient_user_authentication, acr_values, max_age", status, ch)
	}
	stepped := c.token("acr_values", p["acr_values"], "max_age", p["max_age"])
	if status, ch := stepUpCall(t, api.URL+"/transfers", stepped); status != http.StatusOK {
		t.Fatalf("after step-up: %d %s; want 200", status, ch)
	}

	clock.Advance(10 * time.Minute)
	status, ch = stepUpCall(t, api.URL+"/transfers", stepped)
	p = challengeParams(ch)
	if status != http.StatusUnauthorized || p["max_age"] != "300" || p["error_description"] != "a more recent authentication at a different level is required" {
		t.Fatalf("10 minutes later: %d %s; want 401 with max_age", status, ch)
	}
	if status, _ := stepUpCall(t, api.URL+"/transfers", c.token("acr_values", p["acr_values"])); status != http.StatusUnauthorized {
		t.Fatalf("authorized again without max_age: %d; want 401, as the session's sign-in is reused", status)
	}
	if status, ch := stepUpCall(t, api.URL+"/transfers", c.token("acr_values", p["acr_values"], "max_age", p["max_age"])); status != http.StatusOK {
		t.Fatalf("authorized again with max_age: %d %s; want 200", status, ch)
	}
}

// TestE2EClaimRequirements: a role and a nested claim in the same line as
// the scopes; a token without them gets 403 naming what was missing.
func TestE2EClaimRequirements(t *testing.T) {
	clock := issuertest.NewClock(time.Unix(1_900_000_000, 0))
	iss := issuertest.NewServer(issuertest.WithClock(clock.Now))
	t.Cleanup(iss.Close)
	v := newJWT(t, iss, clock.Now)
	h := middleware.Require(v, scopes.All("orders:read"),
		claims.Contains("realm_access.roles", "orders-admin"),
		claims.Equal("tenant", "acme"),
	)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	api := httptest.NewServer(h)
	t.Cleanup(api.Close)
	mint := func(extra map[string]any) string {
		return iss.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}, Claims: extra})
	}
	admin := map[string]any{"realm_access": map[string]any{"roles": []string{"orders-admin"}}, "tenant": "acme"}
	if status, ch := stepUpCall(t, api.URL, mint(admin)); status != http.StatusOK {
		t.Fatalf("admin of acme: %d %s; want 200", status, ch)
	}
	status, ch := stepUpCall(t, api.URL, mint(map[string]any{"realm_access": map[string]any{"roles": []string{"viewer"}}, "tenant": "acme"}))
	want := `Bearer error="insufficient_scope", error_description="the access token lacks what this resource requires: claim 'realm_access.roles' containing 'orders-admin'"`
	if status != http.StatusForbidden || ch != want {
		t.Fatalf("viewer: %d %s\nwant 403 %s", status, ch, want)
	}
	status, ch = stepUpCall(t, api.URL, mint(map[string]any{"tenant": "ACME"}))
	if status != http.StatusForbidden || !strings.Contains(ch, "claim 'tenant' equal to 'acme'") || !strings.Contains(ch, "orders-admin") {
		t.Fatalf("no role, other tenant: %d %s; want 403 naming both", status, ch)
	}
}
