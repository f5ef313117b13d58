package tokengate_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tokengate/tokengate"
)

func TestDecodeClaims(t *testing.T) {
	type custom struct {
		Tenant string   `json:"tenant"`
		Roles  []string `json:"roles"`
	}
	ctx := tokengate.NewContext(context.Background(), &tokengate.Claims{Raw: []byte(`{"tenant":"acme","roles":["a"],"Tenant":"evil"}`)})
	got, err := tokengate.DecodeClaims[custom](ctx)
	if err != nil || !reflect.DeepEqual(got, custom{Tenant: "acme", Roles: []string{"a"}}) {
		t.Errorf("DecodeClaims() = %+v, %v; want the exact-case claims", got, err)
	}
	if _, err := tokengate.DecodeClaims[custom](context.Background()); !errors.Is(err, tokengate.ErrNoClaims) {
		t.Errorf("DecodeClaims(no claims) error = %v, want ErrNoClaims", err)
	}
	m, err := tokengate.DecodeClaims[map[string]any](ctx)
	if err != nil || m["tenant"] != "acme" {
		t.Errorf("DecodeClaims[map]() = %v, %v", m, err)
	}
}

func TestStepUpError(t *testing.T) {
	err := &tokengate.StepUpError{ACRValues: []string{"mfa"}, MaxAge: 90*time.Second + 500*time.Millisecond, Reason: "old"}
	if !errors.Is(err, tokengate.ErrInsufficientUserAuthentication) || errors.Is(err, tokengate.ErrInvalidToken) {
		t.Errorf("errors.Is: want ErrInsufficientUserAuthentication only")
	}
	if err.MaxAgeSeconds() != "90" || (&tokengate.StepUpError{}).MaxAgeSeconds() != "" {
		t.Errorf("MaxAgeSeconds() = %q", err.MaxAgeSeconds())
	}
}
