package bearer

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// countingVerifier answers every token with claims or err, and counts.
type countingVerifier struct {
	claims *verifier.Claims
	err    error
	calls  int
}

func (v *countingVerifier) Verify(context.Context, string) (*verifier.Claims, error) {
	v.calls++
	return v.claims, v.err
}

func TestAuthorize(t *testing.T) {
	reader := &verifier.Claims{Subject: "alice", Scopes: []string{"orders:read"}}
	checkErr := func(err error) func(*verifier.Claims) error {
		return func(*verifier.Claims) error { return err }
	}
	tests := []struct {
		name        string
		rule        func(testing.TB) Rule
		readErr     error
		claims      *verifier.Claims
		verifyErr   error
		check       func(*verifier.Claims) error
		want        Decision // Err is compared with errors.Is; zero Kind: allowed
		wantVerify  int
		wantChecked bool
	}{
		{name: "allowed", rule: needs("orders:read"), claims: reader, check: checkErr(nil), wantVerify: 1, wantChecked: true},
		{name: "allowed without a check", rule: needs("orders:read"), claims: reader, wantVerify: 1},
		{name: "read error refuses before the verifier", rule: needs("orders:read"), readErr: ErrMultipleTokens,
			want: Decision{Kind: InvalidRequest, Code: "invalid_request", Description: "the request carries more than one access token", Err: ErrMultipleTokens}},
		{name: "no token gets no error information (RFC 6750 §3.1)", rule: needs("orders:read"), readErr: errNoHeader,
			want: Decision{Kind: Missing, Err: verifier.ErrNoToken}},
		{name: "verifier refusal", rule: needs("orders:read"), verifyErr: fmt.Errorf("v: %w", verifier.ErrTokenExpired), wantVerify: 1,
			want: Decision{Kind: InvalidToken, Code: "invalid_token", Description: "the access token expired", Err: verifier.ErrTokenExpired}},
		{name: "verifier outage", rule: needs("orders:read"), verifyErr: verifier.ErrUnavailable, wantVerify: 1,
			want: Decision{Kind: Unavailable, Description: "the access token cannot be checked now", Err: verifier.ErrUnavailable}},
		{name: "verifier returning nothing is never allowed", rule: needs("orders:read"), wantVerify: 1,
			want: Decision{Kind: Unavailable, Description: "the access token cannot be checked now", Err: errNoClaims}},
		{name: "missing scope names the route's scopes (RFC 6750 §3)", rule: needs("orders:read", "orders:write"), claims: reader, check: checkErr(nil), wantVerify: 1,
			want: Decision{Kind: InsufficientScope, Code: "insufficient_scope", Description: "the access token lacks a scope this resource requires", Scope: "orders:read orders:write"}},
		{name: "deny rule names no scope", rule: denies, claims: reader, check: checkErr(nil), wantVerify: 1,
			want: Decision{Kind: InsufficientScope, Code: "insufficient_scope", Description: "the access token does not grant access to this resource", Err: ErrDenied}},
		{name: "check denial names no scope", rule: needs("orders:read"), claims: reader, check: checkErr(errors.New("client not allowed")), wantVerify: 1, wantChecked: true,
			want: Decision{Kind: InsufficientScope, Code: "insufficient_scope", Description: "the access token does not grant access to this resource", Err: ErrDenied}},
		{name: "check scope error names its own scopes", rule: needs("orders:read"), claims: reader, check: checkErr(scopes.All("admin").Check(nil)), wantVerify: 1, wantChecked: true,
			want: Decision{Kind: InsufficientScope, Code: "insufficient_scope", Description: "the access token lacks a scope this resource requires", Scope: "admin"}},
		{name: "check revoking the token", rule: needs("orders:read"), claims: reader, check: checkErr(fmt.Errorf("denylist: %w", verifier.ErrInvalidToken)), wantVerify: 1, wantChecked: true,
			want: Decision{Kind: InvalidToken, Code: "invalid_token", Description: "the access token is invalid", Err: verifier.ErrInvalidToken}},
		{name: "check backend down", rule: needs("orders:read"), claims: reader, check: checkErr(verifier.ErrUnavailable), wantVerify: 1, wantChecked: true,
			want: Decision{Kind: Unavailable, Description: "the access token cannot be checked now", Err: verifier.ErrUnavailable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &countingVerifier{claims: tt.claims, err: tt.verifyErr}
			checked := false
			var check func(*verifier.Claims) error
			if tt.check != nil {
				check = func(c *verifier.Claims) error { checked = true; return tt.check(c) }
			}
			r := tt.rule(t)
			claims, d := r.Authorize(t.Context(), v, "tok", tt.readErr, check)
			if v.calls != tt.wantVerify || checked != tt.wantChecked {
				t.Errorf("Authorize() called Verify %d times, check %v; want %d, %v", v.calls, checked, tt.wantVerify, tt.wantChecked)
			}
			if tt.want.Kind == 0 {
				if d != nil || claims != tt.claims {
					t.Fatalf("Authorize() = %v, %+v; want the claims and no decision", claims, d)
				}
				return
			}
			if d == nil || claims != nil {
				t.Fatalf("Authorize() = %v, %+v; want a refusal", claims, d)
			}
			got, want := *d, tt.want
			got.Err, want.Err = nil, nil
			if got != want {
				t.Errorf("Authorize() decision = %+v, want %+v", got, want)
			}
			if tt.want.Err != nil && !errors.Is(d.Err, tt.want.Err) {
				t.Errorf("Authorize() decision Err = %v, want it to match %v", d.Err, tt.want.Err)
			}
		})
	}
}

// needs returns a Rule maker for scopes.All(s...).
func needs(s ...string) func(testing.TB) Rule {
	return func(t testing.TB) Rule {
		t.Helper()
		r, err := NewRule(scopes.All(s...))
		if err != nil {
			t.Fatalf("NewRule() error = %v", err)
		}
		return r
	}
}

func denies(testing.TB) Rule { return DenyRule(errors.New("method not listed")) }

func TestCheckNotRunWhenScopesFail(t *testing.T) {
	r := needs("admin")(t)
	ran := false
	_, d := r.Authorize(t.Context(), &countingVerifier{claims: &verifier.Claims{}}, "tok", nil, func(*verifier.Claims) error {
		ran = true
		return nil
	})
	if d == nil || d.Kind != InsufficientScope || ran {
		t.Errorf("Authorize() = %+v, check ran %v; want insufficient_scope before the check", d, ran)
	}
}

func TestNewRuleRefusesInvalidRequirements(t *testing.T) {
	for _, req := range []scopes.Requirement{scopes.All("a b"), scopes.Any(), scopes.AnyOf()} {
		if _, err := NewRule(req); err == nil {
			t.Errorf("NewRule(%v) error = nil, want the requirement refused", req)
		}
	}
}

// capped is a verifier that declares its token cap.
type capped struct {
	countingVerifier
	max int
}

func (c *capped) MaxTokenBytes() int { return c.max }

func TestMaxTokenBytes(t *testing.T) {
	tests := []struct {
		name  string
		v     verifier.TokenVerifier
		local int
		want  int
	}{
		{name: "verifier without a cap, nothing set", v: &countingVerifier{}, want: DefaultMaxTokenBytes},
		{name: "verifier without a cap, local cap", v: &countingVerifier{}, local: 16384, want: 16384},
		{name: "the verifier's cap alone admits a 12 KiB token", v: &capped{max: 16384}, want: 16384},
		{name: "the verifier's lower cap", v: &capped{max: 4096}, want: 4096},
		{name: "a local cap only tightens", v: &capped{max: 16384}, local: 1024, want: 1024},
		{name: "a local cap above the verifier's has no effect", v: &capped{max: 4096}, local: 16384, want: 4096},
		{name: "a verifier declaring zero declares nothing", v: &capped{max: 0}, local: 100, want: 100},
		{name: "a verifier declaring a negative cap declares nothing", v: &capped{max: -1}, want: DefaultMaxTokenBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaxTokenBytes(tt.v, tt.local); got != tt.want {
				t.Errorf("MaxTokenBytes(%T, %d) = %d, want %d", tt.v, tt.local, got, tt.want)
			}
		})
	}
}
