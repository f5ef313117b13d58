package bearer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

func TestClassify(t *testing.T) {
	scopeErr := scopes.All("orders:read").Check(nil)
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{name: "no token", err: verifier.ErrNoToken, want: Missing},
		{name: "other scheme", err: ErrOtherScheme, want: Missing},
		{name: "invalid request", err: verifier.ErrInvalidRequest, want: InvalidRequest},
		{name: "two tokens", err: ErrMultipleTokens, want: InvalidRequest},
		{name: "malformed header", err: ErrMalformed, want: InvalidRequest},
		{name: "form too large", err: ErrFormTooLarge, want: InvalidRequest},
		{name: "invalid token", err: verifier.ErrInvalidToken, want: InvalidToken},
		{name: "expired", err: fmt.Errorf("verifier: exp 12: %w", verifier.ErrTokenExpired), want: InvalidToken},
		{name: "id token as access token", err: fmt.Errorf("x: %w", verifier.ErrNotAccessToken), want: InvalidToken},
		{name: "oversized token", err: ErrTooLarge, want: InvalidToken},
		{name: "missing scope", err: scopeErr, want: InsufficientScope},
		{name: "missing scope wrapped", err: fmt.Errorf("check: %w", scopeErr), want: InsufficientScope},
		{name: "denied by check", err: Denied(errors.New("role admin required")), want: InsufficientScope},
		{name: "unavailable", err: fmt.Errorf("jwks: %w", verifier.ErrUnavailable), want: Unavailable},
		{name: "verifier failure wrapping no sentinel is not blamed on the token", err: errors.New("boom"), want: Unavailable},
		{name: "cancelled check is not blamed on the token", err: fmt.Errorf("fetch: %w", context.Canceled), want: Unavailable},
		{name: "deadline is not blamed on the token", err: context.DeadlineExceeded, want: Unavailable},
		{name: "cancellation wins over invalid token", err: errors.Join(verifier.ErrInvalidToken, context.Canceled), want: Unavailable},
		{name: "nil error only ever denies", err: nil, want: Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestDenied(t *testing.T) {
	cause := errors.New("client not allowed")
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{name: "plain error becomes 403", err: cause, want: InsufficientScope},
		{name: "revoked token stays 401", err: fmt.Errorf("denylist: %w", verifier.ErrInvalidToken), want: InvalidToken},
		{name: "backend outage stays 503", err: fmt.Errorf("roles db: %w", verifier.ErrUnavailable), want: Unavailable},
		{name: "scope error keeps its scopes", err: scopes.Any("admin").Check(nil), want: InsufficientScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Denied(tt.err)
			if got := Classify(err); got != tt.want {
				t.Errorf("Classify(Denied(%v)) = %v, want %v", tt.err, got, tt.want)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("Denied(%v) lost the cause from its chain", tt.err)
			}
		})
	}
	if Denied(nil) != nil {
		t.Error("Denied(nil) != nil")
	}
}

func TestDescribeVocabulary(t *testing.T) {
	const secret = "eyJraWQiOiJzZWNyZXQifQ"
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "missing has no description", err: verifier.ErrNoToken, want: ""},
		{name: "expired", err: fmt.Errorf("verifier: token %s expired: %w", secret, verifier.ErrTokenExpired), want: "the access token expired"},
		{name: "not an access token", err: verifier.ErrNotAccessToken, want: "the token is not an access token"},
		{name: "bad signature with kid in message", err: fmt.Errorf("verifier: kid %q: %w", secret, verifier.ErrInvalidToken), want: "the access token is invalid"},
		{name: "oversized", err: ErrTooLarge, want: "the access token is too large"},
		{name: "two tokens", err: ErrMultipleTokens, want: "the request carries more than one access token"},
		{name: "malformed", err: ErrMalformed, want: "the bearer credential is malformed"},
		{name: "form too large", err: ErrFormTooLarge, want: "the form body is too large to search for an access token"},
		{name: "other invalid request", err: verifier.ErrInvalidRequest, want: "the request is malformed"},
		{name: "missing scope", err: scopes.All("a").Check(nil), want: "the access token lacks a scope this resource requires"},
		{name: "denied", err: Denied(errors.New(secret)), want: "the access token does not grant access to this resource"},
		{name: "upstream body never echoed", err: fmt.Errorf("introspection: status 500: %s: %w", secret, verifier.ErrUnavailable), want: "the access token cannot be checked now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Describe(tt.err)
			if got != tt.want {
				t.Errorf("Describe(%v) = %q, want %q", tt.err, got, tt.want)
			}
			if strings.Contains(got, secret) {
				t.Errorf("Describe(%v) = %q echoes the error text", tt.err, got)
			}
			// RFC 6750 §3: error_description = *( %x20-21 / %x23-5B / %x5D-7E )
			for i := 0; i < len(got); i++ {
				if c := got[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
					t.Errorf("Describe(%v) = %q has byte %#x outside RFC 6750 §3", tt.err, got, c)
				}
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{
		Missing: "missing", InvalidRequest: "invalid_request", InvalidToken: "invalid_token",
		InsufficientScope: "insufficient_scope", Unavailable: "unavailable", 0: "unknown", 99: "unknown",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}
