package stepup_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/stepup"
)

var now = time.Unix(1_800_000_000, 0)

func clock() time.Time { return now }

func claimsAt(acr any, authTime any) []byte {
	m := `{"sub":"alice"`
	if acr != nil {
		m += fmt.Sprintf(`,"acr":%v`, acr)
	}
	if authTime != nil {
		m += fmt.Sprintf(`,"auth_time":%v`, authTime)
	}
	return []byte(m + "}")
}

// TestPolicy: RFC 9470 §3, an acr outside the set or an auth_time older
// than the maximum age is a step-up refusal carrying what to ask for.
func TestPolicy(t *testing.T) {
	mfa := stepup.Policy{ACR: []string{"urn:example:mfa", "urn:example:hwk"}, Now: clock}.Requirement()
	recent := stepup.Policy{MaxAge: 5 * time.Minute, Now: clock}.Requirement()
	both := stepup.Policy{ACR: []string{"gold"}, MaxAge: time.Minute, Now: clock}.Requirement()
	fresh, old := now.Add(-time.Minute).Unix(), now.Add(-6*time.Minute).Unix()
	tests := []struct {
		name   string
		req    scopes.Requirement
		claims []byte
		reason string // "" for met
	}{
		{"acr in the set", mfa, claimsAt(`"urn:example:hwk"`, nil), ""},
		{"acr outside the set", mfa, claimsAt(`"urn:example:pwd"`, nil), `"acr" is "urn:example:pwd"; want one of urn:example:mfa urn:example:hwk`},
		{"acr matched exactly", mfa, claimsAt(`"URN:EXAMPLE:MFA"`, nil), `"acr" is "URN:EXAMPLE:MFA"`},
		{"no acr", mfa, claimsAt(nil, nil), `no "acr"`},
		{"acr not a string", mfa, claimsAt(`2`, nil), `not a string`},
		{"recent enough", recent, claimsAt(nil, fresh), ""},
		{"exactly max age", recent, claimsAt(nil, now.Add(-5*time.Minute).Unix()), ""},
		{"too old", recent, claimsAt(nil, old), `is 6m0s old`},
		{"no auth_time", recent, claimsAt(nil, nil), `no "auth_time"`},
		{"auth_time a string", recent, claimsAt(nil, `"1799999999"`), `not a number`},
		{"both met", both, claimsAt(`"gold"`, now.Unix()), ""},
		{"both: acr met, too old", both, claimsAt(`"gold"`, old), `old`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.req.Validate(); err != nil {
				t.Fatal(err)
			}
			err := tt.req.CheckClaims(nil, tt.claims)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("CheckClaims() error = %v, want nil", err)
				}
				return
			}
			var su *tokengate.StepUpError
			if !errors.As(err, &su) || !errors.Is(err, tokengate.ErrInsufficientUserAuthentication) {
				t.Fatalf("CheckClaims() error = %v, want a StepUpError", err)
			}
			if !strings.Contains(su.Reason, tt.reason) {
				t.Errorf("Reason = %q, want it to contain %q", su.Reason, tt.reason)
			}
		})
	}
	var su *tokengate.StepUpError
	errors.As(both.CheckClaims(nil, claimsAt(`"silver"`, now.Unix())), &su)
	if su == nil || !reflect.DeepEqual(su.ACRValues, []string{"gold"}) || su.MaxAgeSeconds() != "60" {
		t.Errorf("StepUpError = %+v, want acr_values gold and max_age 60", su)
	}
}

func TestPolicyValidate(t *testing.T) {
	for name, p := range map[string]stepup.Policy{
		"negative max age": {MaxAge: -time.Second},
		"under a second":   {MaxAge: time.Millisecond},
		"acr with a space": {ACR: []string{"a b"}},
		"acr with a quote": {ACR: []string{`a"`}},
		"empty acr":        {ACR: []string{""}},
	} {
		if err := p.Requirement().Validate(); err == nil {
			t.Errorf("%s: Validate() = nil, want an error", name)
		}
	}
	if got := stepup.ACR("a", "b").String(); got != "acr one of a b" {
		t.Errorf("String() = %q", got)
	}
}
