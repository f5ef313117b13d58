package bearer

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/scopes"
)

// countingObserver counts the events it gets, by outcome.
type countingObserver struct {
	begins int
	ends   map[tokengate.Outcome]int
	last   tokengate.Event
}

func (o *countingObserver) Begin(ctx context.Context, _ tokengate.Op) context.Context {
	o.begins++
	return ctx
}

func (o *countingObserver) End(_ context.Context, e tokengate.Event) {
	o.ends[e.Outcome]++
	o.last = e
}

func TestSiteEmitsOneEventPerDecision(t *testing.T) {
	claims := &tokengate.Claims{Issuer: "https://issuer.example.test", Scopes: []string{"orders:read"}}
	v := tokengate.TokenVerifierFunc(func(_ context.Context, token string) (*tokengate.Claims, error) {
		switch token {
		case "good":
			return claims, nil
		case "down":
			return nil, fmt.Errorf("test: key set: %w", tokengate.ErrUnavailable)
		}
		return nil, fmt.Errorf("test: exp: %w", tokengate.ErrTokenExpired)
	})
	rule, err := NewRule(scopes.All("orders:read"))
	if err != nil {
		t.Fatal(err)
	}
	anon := rule.AllowAnonymous()
	obs := &countingObserver{ends: map[tokengate.Outcome]int{}}
	site := NewSite("http", nil, nil, obs)
	tests := []struct {
		rule    *Rule
		token   string
		readErr error
		want    tokengate.Outcome
		check   string
	}{
		{&rule, "good", nil, tokengate.OutcomeAccepted, ""},
		{&rule, "old", nil, tokengate.OutcomeInvalidToken, "exp"},
		{&rule, "down", nil, tokengate.OutcomeUnavailable, "issuer"},
		{&rule, "", NoCredentials(), tokengate.OutcomeMissing, "present"},
		{&rule, "", ErrMultipleTokens, tokengate.OutcomeInvalidRequest, "one_token"},
		{&anon, "", NoCredentials(), tokengate.OutcomeAnonymous, ""},
		{&anon, "", ErrOtherScheme, tokengate.OutcomeMissing, "present"},
	}
	for i, tt := range tests {
		site.Authorize(t.Context(), tt.rule, &Request{Route: "GET /orders", Presented: Presented{Token: tt.token, ReadErr: tt.readErr}}, v, nil)
		if obs.last.Outcome != tt.want || obs.last.Check != tt.check || obs.begins != i+1 {
			t.Errorf("row %d: event %s check %q after %d begins, want %s check %q after %d", i, obs.last.Outcome, obs.last.Check, obs.begins, tt.want, tt.check, i+1)
		}
		if obs.last.Issuer != "" && tt.want == tokengate.OutcomeAccepted && obs.last.Issuer != claims.Issuer {
			t.Errorf("row %d: issuer %q, want %q", i, obs.last.Issuer, claims.Issuer)
		}
		if tt.token != "" && obs.last.Token.Hash() != tokengate.RefToken(tt.token).Hash() {
			t.Errorf("row %d: the event's token is not the request's", i)
		}
	}
	if n := len(tests); obs.ends[tokengate.OutcomeAccepted]+obs.ends[tokengate.OutcomeInvalidToken]+obs.ends[tokengate.OutcomeUnavailable]+obs.ends[tokengate.OutcomeMissing]+obs.ends[tokengate.OutcomeInvalidRequest]+obs.ends[tokengate.OutcomeAnonymous] != n {
		t.Errorf("events %v, want one per decision (%d)", obs.ends, n)
	}
}

// TestDefaultLoggingAllocatesNothingWhenAccepted: the event and the
// default logger's level check cost the accepted path no allocation.
func TestDefaultLoggingAllocatesNothingWhenAccepted(t *testing.T) {
	claims := &tokengate.Claims{Scopes: []string{"orders:read"}}
	v := tokengate.TokenVerifierFunc(func(context.Context, string) (*tokengate.Claims, error) { return claims, nil })
	rule, _ := NewRule(scopes.All("orders:read"))
	site := NewSite("http", nil, nil, nil) // slog.Default() at Info
	ctx := context.Background()
	q := &Request{Route: "GET /orders", Target: "/orders", Presented: Presented{Token: "a.b.c"}}
	bare := testing.AllocsPerRun(200, func() { rule.Authorize(ctx, v, q.Token, nil, nil) })
	observed := testing.AllocsPerRun(200, func() { site.Authorize(ctx, &rule, q, v, nil) })
	if observed != bare {
		t.Errorf("Site.Authorize allocates %v per accepted request, Rule.Authorize %v: want no more", observed, bare)
	}
}

func TestCheckOfNamesEverySentinel(t *testing.T) {
	for _, c := range append(append([]check(nil), invalidRequestChecks...), invalidTokenChecks...) {
		d := (&Rule{}).Refuse(fmt.Errorf("wrapped: %w", c.sentinel))
		if got := CheckOf(d); got != c.name {
			t.Errorf("CheckOf(%v) = %q, want %q", c.sentinel, got, c.name)
		}
	}
	if got := CheckOf((&Rule{}).Refuse(errors.New("a verifier bug"))); got != "verifier" {
		t.Errorf("CheckOf(a bare error) = %q, want verifier", got)
	}
	if got := CheckOf((&Rule{}).Refuse(context.DeadlineExceeded)); got != "deadline" {
		t.Errorf("CheckOf(deadline) = %q, want deadline", got)
	}
}
