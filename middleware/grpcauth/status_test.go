package grpcauth

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tokengate/tokengate/internal/bearer"
	"github.com/tokengate/tokengate/verifier"
)

// TestCodeForEveryKind pins the gRPC column of the behaviour table for
// every class bearer.Classify can return; the middleware package pins the
// HTTP column for the same kinds.
func TestCodeForEveryKind(t *testing.T) {
	tests := []struct {
		kind bearer.Kind
		err  error
		want codes.Code
	}{
		{kind: bearer.Missing, err: verifier.ErrNoToken, want: codes.Unauthenticated},
		{kind: bearer.InvalidToken, err: verifier.ErrInvalidToken, want: codes.Unauthenticated},
		{kind: bearer.InvalidRequest, err: verifier.ErrInvalidRequest, want: codes.InvalidArgument},
		{kind: bearer.InsufficientScope, err: bearer.Denied(errors.New("x")), want: codes.PermissionDenied},
		{kind: bearer.Unavailable, err: verifier.ErrUnavailable, want: codes.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			if k := bearer.Classify(tt.err); k != tt.kind {
				t.Fatalf("Classify(%v) = %v, want %v", tt.err, k, tt.kind)
			}
			if got := status.Code(toStatus((&bearer.Rule{}).Refuse(tt.err))); got != tt.want {
				t.Errorf("toStatus(Refuse(%v)) code = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	for k := bearer.Kind(0); k < 10; k++ {
		if c := grpcCode(k); c == codes.Unknown || c == codes.Internal || c == codes.OK {
			t.Errorf("grpcCode(%v) = %v, a code never to be used", k, c)
		}
	}
}
