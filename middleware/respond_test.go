package middleware

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

func TestErrorHandlerReplacesOnlyTheBody(t *testing.T) {
	g := &Guard{
		Realm: "orders",
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, e *Error) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusTeapot) // must not change the decision
			_ = json.NewEncoder(w).Encode(map[string]any{"status": e.Status, "code": e.Code, "detail": e.Description, "scope": e.Scope})
		},
	}
	tests := []struct {
		name       string
		auth       string
		wantStatus int
		wantCode   string
		wantScope  []any
	}{
		{name: "missing", wantStatus: 401},
		{name: "expired", auth: "Bearer expired", wantStatus: 401, wantCode: "invalid_token"},
		{name: "malformed", auth: "Bearer a b", wantStatus: 400, wantCode: "invalid_request"},
		{name: "missing scope", auth: "Bearer noscope", wantStatus: 403, wantCode: "insufficient_scope", wantScope: []any{"orders:read"}},
		{name: "outage", auth: "Bearer jwksdown", wantStatus: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request(t)
			if tt.auth != "" {
				req = request(t, tt.auth)
			}
			res := serve(t, g.Require(&fakeVerifier{}, scopes.All("orders:read"))(&recorder{}), req)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := res.Header.Get("Content-Type"); got != "application/problem+json" {
				t.Errorf("Content-Type = %q, want the handler's", got)
			}
			if tt.wantStatus != 503 && res.Header.Get("WWW-Authenticate") == "" {
				t.Error("WWW-Authenticate lost")
			}
			var body struct {
				Status int    `json:"status"`
				Code   string `json:"code"`
				Scope  []any  `json:"scope"`
			}
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if body.Status != tt.wantStatus || body.Code != tt.wantCode || fmt.Sprint(body.Scope) != fmt.Sprint(tt.wantScope) {
				t.Errorf("body = %+v, want status %d, code %q, scope %v", body, tt.wantStatus, tt.wantCode, tt.wantScope)
			}
		})
	}
}

func TestErrorHandlerWritingNothingStillSendsTheStatus(t *testing.T) {
	g := &Guard{ErrorHandler: func(http.ResponseWriter, *http.Request, *Error) {}}
	res := serve(t, g.Require(&fakeVerifier{})(&recorder{}), request(t, "Bearer expired"))
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", res.StatusCode)
	}
}

func TestErrorMatchesSentinels(t *testing.T) {
	var got *Error
	g := &Guard{ErrorHandler: func(w http.ResponseWriter, r *http.Request, e *Error) { got = e }}
	serve(t, g.Require(&fakeVerifier{})(&recorder{}), request(t, "Bearer expired"))
	if got == nil || !errors.Is(got, verifier.ErrTokenExpired) {
		t.Fatalf("ErrorHandler got %v, want an *Error matching ErrTokenExpired", got)
	}
	if want := "middleware: 401 the access token expired"; got.Error() != want {
		t.Errorf("Error() = %q, want %q", got.Error(), want)
	}
}

func TestOnErrorGetsTheChainNeverTheToken(t *testing.T) {
	const token = "c2VjcmV0LXRva2Vu"
	var logged []error
	g := &Guard{OnError: func(r *http.Request, err error) { logged = append(logged, err) }}
	h := g.Require(&fakeVerifier{})(&recorder{})
	for _, auth := range []string{"Bearer " + token, "Bearer " + token + " x", "Bearer expired", ""} {
		req := request(t)
		if auth != "" {
			req = request(t, auth)
		}
		serve(t, h, req)
	}
	serve(t, h, request(t, "Bearer reader")) // success: no call
	if len(logged) != 4 {
		t.Fatalf("OnError called %d times, want 4", len(logged))
	}
	if !errors.Is(logged[2], verifier.ErrTokenExpired) || !errors.Is(logged[3], verifier.ErrNoToken) {
		t.Errorf("OnError got %v, %v; want the sentinel chains", logged[2], logged[3])
	}
	for _, err := range logged {
		if strings.Contains(err.Error(), token) {
			t.Errorf("OnError got %q, which contains the token", err)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name          string
		check         func(*http.Request, *verifier.Claims) error
		wantStatus    int
		wantChallenge string
	}{
		{name: "allowed client", check: func(_ *http.Request, c *verifier.Claims) error { return nil }, wantStatus: 200},
		{name: "client not on the allow-list", wantStatus: 403,
			check: func(_ *http.Request, c *verifier.Claims) error {
				return fmt.Errorf("client %s not allowed", c.ClientID)
			},
			wantChallenge: `Bearer error="insufficient_scope", error_description="the access token does not grant access to this resource"`},
		{name: "check requiring a scope names it", wantStatus: 403,
			check:         func(_ *http.Request, c *verifier.Claims) error { return scopes.All("admin").Check(c.Scopes) },
			wantChallenge: `Bearer error="insufficient_scope", error_description="the access token lacks a scope this resource requires", scope="admin"`},
		{name: "revoked token", wantStatus: 401,
			check: func(*http.Request, *verifier.Claims) error {
				return fmt.Errorf("denylist: %w", verifier.ErrInvalidToken)
			},
			wantChallenge: `Bearer error="invalid_token", error_description="the access token is invalid"`},
		{name: "role backend down", wantStatus: 503,
			check: func(*http.Request, *verifier.Claims) error { return fmt.Errorf("roles: %w", verifier.ErrUnavailable) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &recorder{}
			h := (&Guard{Check: tt.check}).Require(&fakeVerifier{}, scopes.All("orders:read"))(next)
			res := serve(t, h, request(t, "Bearer reader"))
			if res.StatusCode != tt.wantStatus || next.called != (tt.wantStatus == 200) {
				t.Fatalf("status = %d, next called = %v; want %d", res.StatusCode, next.called, tt.wantStatus)
			}
			if got := res.Header.Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
		})
	}
}

func TestCheckRunsAfterScopes(t *testing.T) {
	called := false
	g := &Guard{Check: func(*http.Request, *verifier.Claims) error { called = true; return nil }}
	res := serve(t, g.Require(&fakeVerifier{}, scopes.All("admin"))(&recorder{}), request(t, "Bearer reader"))
	if res.StatusCode != http.StatusForbidden || called {
		t.Errorf("status = %d, Check called = %v; want 403 before Check", res.StatusCode, called)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		want  string
	}{
		{name: "default", want: "5"},
		{name: "whole seconds", after: 30 * time.Second, want: "30"},
		{name: "rounded up", after: 1500 * time.Millisecond, want: "2"},
		{name: "never zero", after: time.Nanosecond, want: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := serve(t, (&Guard{RetryAfter: tt.after}).Require(&fakeVerifier{})(&recorder{}), request(t, "Bearer jwksdown"))
			if got := res.Header.Get("Retry-After"); got != tt.want {
				t.Errorf("Retry-After = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaultBody(t *testing.T) {
	res := serve(t, Require(&fakeVerifier{})(&recorder{}), request(t, "Bearer expired"))
	if got := readBody(t, res); got != "the access token expired\n" {
		t.Errorf("body = %q, want the description", got)
	}
	if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", got)
	}
}
