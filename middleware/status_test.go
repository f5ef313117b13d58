package middleware

import (
	"errors"
	"net/http"
	"testing"

	"github.com/tokengate/tokengate/internal/bearer"
	"github.com/tokengate/tokengate/verifier"
)

// TestStatusForEveryKind pins the HTTP column of the behaviour table for
// every class bearer.Classify can return; package grpcauth pins the gRPC
// column for the same kinds.
func TestStatusForEveryKind(t *testing.T) {
	tests := []struct {
		kind bearer.Kind
		err  error
		want int
	}{
		{kind: bearer.Missing, err: verifier.ErrNoToken, want: http.StatusUnauthorized},
		{kind: bearer.InvalidToken, err: verifier.ErrInvalidToken, want: http.StatusUnauthorized},
		{kind: bearer.InvalidRequest, err: verifier.ErrInvalidRequest, want: http.StatusBadRequest},
		{kind: bearer.InsufficientScope, err: bearer.Denied(errors.New("x")), want: http.StatusForbidden},
		{kind: bearer.Unavailable, err: verifier.ErrUnavailable, want: http.StatusServiceUnavailable},
	}
	p, err := (&Guard{}).compile(&fakeVerifier{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			if k := bearer.Classify(tt.err); k != tt.kind {
				t.Fatalf("Classify(%v) = %v, want %v", tt.err, k, tt.kind)
			}
			if e := newError(p.rule.Refuse(tt.err)); e.Status != tt.want {
				t.Errorf("newError(Refuse(%v)).Status = %d, want %d", tt.err, e.Status, tt.want)
			}
		})
	}
	for k := bearer.Kind(0); k < 10; k++ {
		if s := httpStatus(k); s < 400 {
			t.Errorf("httpStatus(%v) = %d, not a refusal", k, s)
		}
	}
}
