package middleware

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// TestBehaviourTable walks the DESIGN.md behaviour table row by row with a
// verifier that returns each sentinel; e2e_test.go does the same with the
// real verifiers.
func TestBehaviourTable(t *testing.T) {
	const realm = `Bearer realm="orders"`
	tests := []struct {
		name          string
		auth          []string
		wantStatus    int
		wantChallenge string // exact WWW-Authenticate; "" means none
		wantRetry     bool
	}{
		{name: "valid token with the scope", auth: []string{"Bearer reader"}, wantStatus: 200},
		{name: "no token", wantStatus: 401, wantChallenge: realm},
		{name: "basic credentials get a bare challenge", auth: []string{"Basic dXNlcjpwYXNz"}, wantStatus: 401, wantChallenge: realm},
		{name: "dpop while unsupported gets a bare challenge", auth: []string{"DPoP reader"}, wantStatus: 401, wantChallenge: realm},
		{name: "bad signature", auth: []string{"Bearer badsig"}, wantStatus: 401,
			wantChallenge: realm + `, error="invalid_token", error_description="the access token is invalid"`},
		{name: "expired token replayed", auth: []string{"Bearer expired"}, wantStatus: 401,
			wantChallenge: realm + `, error="invalid_token", error_description="the access token expired"`},
		{name: "id token as access token", auth: []string{"Bearer idtoken"}, wantStatus: 401,
			wantChallenge: realm + `, error="invalid_token", error_description="the token is not an access token"`},
		{name: "oversized token", auth: []string{"Bearer " + strings.Repeat("a", 8193)}, wantStatus: 401,
			wantChallenge: realm + `, error="invalid_token", error_description="the access token is too large"`},
		{name: "second token smuggled in a second header", auth: []string{"Bearer reader", "Bearer admin"}, wantStatus: 400,
			wantChallenge: realm + `, error="invalid_request", error_description="the request carries more than one access token"`},
		{name: "empty token", auth: []string{"Bearer "}, wantStatus: 400,
			wantChallenge: realm + `, error="invalid_request", error_description="the bearer credential is malformed"`},
		{name: "extra parts", auth: []string{"Bearer reader admin"}, wantStatus: 400,
			wantChallenge: realm + `, error="invalid_request", error_description="the bearer credential is malformed"`},
		{name: "characters outside b64token", auth: []string{"Bearer read{er}"}, wantStatus: 400,
			wantChallenge: realm + `, error="invalid_request", error_description="the bearer credential is malformed"`},
		{name: "valid token, missing scope", auth: []string{"Bearer noscope"}, wantStatus: 403,
			wantChallenge: realm + `, error="insufficient_scope", error_description="the access token lacks a scope this resource requires", scope="orders:read"`},
		{name: "jwks unreachable", auth: []string{"Bearer jwksdown"}, wantStatus: 503, wantRetry: true},
		{name: "verifier failure is never a 200 nor a 401", auth: []string{"Bearer brokenverif"}, wantStatus: 503, wantRetry: true},
		{name: "cancelled check is not a misleading 401", auth: []string{"Bearer cancelled"}, wantStatus: 503, wantRetry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &recorder{}
			h := (&Guard{Realm: "orders"}).Require(&fakeVerifier{}, scopes.All("orders:read"))(next)
			res := serve(t, h, request(t, tt.auth...))
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := res.Header.Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			if got := res.Header.Get("Retry-After"); (got != "") != tt.wantRetry {
				t.Errorf("Retry-After = %q, want present %v", got, tt.wantRetry)
			}
			if next.called != (tt.wantStatus == 200) {
				t.Errorf("next called = %v, want %v", next.called, tt.wantStatus == 200)
			}
			if strings.Contains(readBody(t, res), "upstream") {
				t.Error("body echoes the upstream error")
			}
		})
	}
}

func TestClaimsReachTheHandler(t *testing.T) {
	next := &recorder{}
	h := Require(&fakeVerifier{}, scopes.All("orders:read"))(next)
	res := serve(t, h, request(t, "Bearer reader"))
	if res.StatusCode != http.StatusOK || !next.called {
		t.Fatalf("status = %d, next called = %v; want 200 and called", res.StatusCode, next.called)
	}
	if next.claims == nil || next.claims.Subject != "reader" {
		t.Errorf("FromContext() = %+v, want the verified claims of reader", next.claims)
	}
}

func TestZeroGuardChallengeIsBare(t *testing.T) {
	res := serve(t, Require(&fakeVerifier{})(&recorder{}), request(t))
	if got := res.Header.Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("WWW-Authenticate = %q, want %q", got, "Bearer")
	}
}

func TestRequireRequirements(t *testing.T) {
	tests := []struct {
		name       string
		reqs       []scopes.Requirement
		token      string
		wantStatus int
		wantScope  string
	}{
		{name: "no requirement: any valid token", token: "noscope", wantStatus: 200},
		{name: "all of several requirements", reqs: []scopes.Requirement{scopes.All("orders:read"), scopes.All("admin")}, token: "admin", wantStatus: 200},
		{name: "one of several requirements missing", reqs: []scopes.Requirement{scopes.All("orders:read"), scopes.All("admin")}, token: "reader", wantStatus: 403, wantScope: `scope="orders:read admin"`},
		{name: "any of", reqs: []scopes.Requirement{scopes.Any("admin", "orders:read")}, token: "reader", wantStatus: 200},
		{name: "scope names are case-sensitive", reqs: []scopes.Requirement{scopes.All("ORDERS:READ")}, token: "reader", wantStatus: 403, wantScope: `scope="ORDERS:READ"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := serve(t, Require(&fakeVerifier{}, tt.reqs...)(&recorder{}), request(t, "Bearer "+tt.token))
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := res.Header.Get("WWW-Authenticate"); !strings.Contains(got, tt.wantScope) {
				t.Errorf("WWW-Authenticate = %q, want it to contain %q", got, tt.wantScope)
			}
		})
	}
}

func TestRequirePanicsAtSetup(t *testing.T) {
	tests := []struct {
		name  string
		build func()
	}{
		{name: "nil verifier", build: func() { Require(nil) }},
		{name: "invalid scope token", build: func() { Require(&fakeVerifier{}, scopes.All("has space")) }},
		{name: "requirement that can never hold", build: func() { Require(&fakeVerifier{}, scopes.Any()) }},
		{name: "realm that would split the header", build: func() { (&Guard{Realm: "a\r\nb"}).Require(&fakeVerifier{}) }},
		{name: "plain http resource metadata", build: func() { (&Guard{ResourceMetadata: "http://api.example.com/m"}).Require(&fakeVerifier{}) }},
		{name: "negative token cap", build: func() { (&Guard{MaxTokenBytes: -1}).Require(&fakeVerifier{}) }},
		{name: "negative retry-after", build: func() { (&Guard{RetryAfter: -1}).Require(&fakeVerifier{}) }},
		{name: "nil next handler", build: func() { Require(&fakeVerifier{})(nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic, want one at setup")
				}
				if s, _ := r.(string); s == "" {
					if err, ok := r.(error); !ok || !strings.HasPrefix(err.Error(), "middleware: ") {
						t.Errorf("panic(%v), want a middleware: error", r)
					}
				}
			}()
			tt.build()
		})
	}
}

func TestGuardIsCopiedAtSetup(t *testing.T) {
	g := &Guard{Realm: "before"}
	h := g.Require(&fakeVerifier{})(&recorder{})
	g.Realm = "after"
	res := serve(t, h, request(t))
	if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="before"` {
		t.Errorf("WWW-Authenticate = %q, want the realm at setup", got)
	}
}

func TestVerifierBreakingItsContractIsRefused(t *testing.T) {
	// A verifier returning neither claims nor an error must not let the
	// request through, nor blame the token.
	v := verifier.TokenVerifierFunc(func(context.Context, string) (*verifier.Claims, error) { return nil, nil })
	next := &recorder{}
	res := serve(t, Require(v)(next), request(t, "Bearer reader"))
	if res.StatusCode != http.StatusServiceUnavailable || next.called {
		t.Errorf("status = %d, next called = %v; want 503 and not called", res.StatusCode, next.called)
	}
}

func TestTokenNeverReachesTheVerifierWhenOversized(t *testing.T) {
	f := &fakeVerifier{}
	res := serve(t, (&Guard{MaxTokenBytes: 10}).Require(f)(&recorder{}), request(t, "Bearer "+strings.Repeat("a", 11)))
	if res.StatusCode != http.StatusUnauthorized || f.calls != 0 {
		t.Errorf("status = %d, verifier calls = %d; want 401 and 0", res.StatusCode, f.calls)
	}
}
