package bearer

import (
	"errors"
	"testing"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/claims"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/stepup"
	"github.com/tokengate/tokengate/verifier"
)

// TestAuthorizeClaimsAndStepUp: claim requirements refuse with 403 naming
// what the route required; user authentication that alone falls short
// refuses with 401 insufficient_user_authentication and the attributes of
// RFC 9470 §3; a route missing both a scope and a step-up answers the 403
// first, as a new sign-in would not grant the scope.
func TestAuthorizeClaimsAndStepUp(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	tok := &verifier.Claims{Scopes: []string{"orders:read"},
		Raw: []byte(`{"roles":["viewer"],"acr":"pwd","auth_time":1799999000}`)}
	mfa := stepup.Policy{ACR: []string{"mfa", "hwk"}, Now: clock}.Requirement()
	recent := stepup.Policy{MaxAge: 5 * time.Minute, Now: clock}.Requirement()
	tests := []struct {
		name string
		reqs []scopes.Requirement
		want Decision
	}{
		{"role missing: 403 naming it, no scope attribute",
			[]scopes.Requirement{scopes.All("orders:read"), claims.Contains("roles", "orders-admin")},
			Decision{Kind: InsufficientScope, Code: "insufficient_scope",
				Description: "the access token lacks what this resource requires: claim 'roles' containing 'orders-admin'"}},
		{"scope and role missing: both named, and the scope attribute",
			[]scopes.Requirement{scopes.All("orders:write"), claims.Contains("roles", "orders-admin")},
			Decision{Kind: InsufficientScope, Code: "insufficient_scope", Scope: "orders:write",
				Description: "the access token lacks what this resource requires: scope orders:write, claim 'roles' containing 'orders-admin'"}},
		{"acr outside the set (RFC 9470 §3)", []scopes.Requirement{scopes.All("orders:read"), mfa},
			Decision{Kind: InsufficientUserAuthentication, Code: "insufficient_user_authentication",
				Description: "a different authentication level is required", ACRValues: "mfa hwk"}},
		{"authentication too old (RFC 9470 §3)", []scopes.Requirement{recent},
			Decision{Kind: InsufficientUserAuthentication, Code: "insufficient_user_authentication",
				Description: "a more recent authentication is required", MaxAge: "300"}},
		{"both, from two requirements, merged", []scopes.Requirement{mfa, recent, stepup.Policy{ACR: []string{"hwk"}, MaxAge: time.Minute, Now: clock}.Requirement()},
			Decision{Kind: InsufficientUserAuthentication, Code: "insufficient_user_authentication",
				Description: "a more recent authentication at a different level is required", ACRValues: "hwk", MaxAge: "60"}},
		{"scope missing and step-up: the 403 first", []scopes.Requirement{scopes.All("orders:write"), mfa},
			Decision{Kind: InsufficientScope, Code: "insufficient_scope", Scope: "orders:write",
				Description: "the access token lacks what this resource requires: scope orders:write, acr one of mfa hwk"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRule(tt.reqs...)
			if err != nil {
				t.Fatal(err)
			}
			_, d := r.Authorize(t.Context(), &countingVerifier{claims: tok}, "tok", nil, nil)
			if d == nil {
				t.Fatal("Authorize() allowed the request")
			}
			d.Err = nil
			if *d != tt.want {
				t.Errorf("Authorize() = %+v\nwant %+v", *d, tt.want)
			}
		})
	}
}

// TestStepUpChallenge is the challenge of RFC 9470 §3's examples.
func TestStepUpChallenge(t *testing.T) {
	d := &Decision{Kind: InsufficientUserAuthentication, Code: "insufficient_user_authentication",
		Description: "a more recent authentication at a different level is required", ACRValues: "mfa hwk", MaxAge: "300"}
	got := Challenge{Realm: "orders"}.RenderDecision(d)
	want := `Bearer realm="orders", error="insufficient_user_authentication", error_description="a more recent authentication at a different level is required", acr_values="mfa hwk", max_age="300"`
	if got != want {
		t.Errorf("RenderDecision() = %s\nwant %s", got, want)
	}
}

// TestClassifyStepUp: a StepUpError from a route's own check is a step-up
// too; it does not count as an invalid token.
func TestClassifyStepUp(t *testing.T) {
	err := &tokengate.StepUpError{MaxAge: time.Minute, Reason: "old"}
	if k := Classify(err); k != InsufficientUserAuthentication {
		t.Errorf("Classify(StepUpError) = %v", k)
	}
	if errors.Is(err, tokengate.ErrInvalidToken) {
		t.Error("a StepUpError wraps ErrInvalidToken; the token is valid")
	}
}
