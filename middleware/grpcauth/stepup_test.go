package grpcauth_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tokengate/tokengate/claims"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware/grpcauth"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/stepup"
)

// TestE2EStepUpAndClaims: the gRPC twin of the HTTP refusals: a sign-in
// short of the method's (RFC 9470 §3) is Unauthenticated with acr_values
// and max_age in the message; a missing role is PermissionDenied naming it.
func TestE2EStepUpAndClaims(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	reqs := []scopes.Requirement{scopes.All("orders:read"), claims.ContainsAny("roles", "clerk", "admin"),
		stepup.Policy{ACR: []string{"mfa"}, MaxAge: 10 * time.Minute, Now: iss.Now}.Requirement()}
	conn := startServer(t, grpcauth.UnaryServerInterceptor(newJWT(t, iss), reqs...), grpcauth.StreamServerInterceptor(newJWT(t, iss), reqs...))
	mint := func(extra map[string]any) string {
		return iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}, Claims: extra})
	}
	tests := []struct {
		name    string
		token   string
		code    codes.Code
		message string
	}{
		{"all met", mint(map[string]any{"roles": []string{"clerk"}, "acr": "mfa"}), codes.OK, ""},
		{"weak sign-in", mint(map[string]any{"roles": []string{"clerk"}, "acr": "pwd"}), codes.Unauthenticated,
			`grpcauth: a more recent authentication at a different level is required (acr_values="mfa", max_age="600")`},
		{"old sign-in", mint(map[string]any{"roles": []string{"clerk"}, "acr": "mfa", "auth_time": iss.Now().Add(-time.Hour).Unix()}), codes.Unauthenticated, `max_age="600"`},
		{"no role", mint(map[string]any{"roles": []string{"viewer"}, "acr": "mfa"}), codes.PermissionDenied,
			`lacks what this resource requires: claim 'roles' containing one of 'clerk' and 'admin'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := callWhoami(withAuth(t.Context(), "Bearer "+tt.token), conn)
			wantCode(t, err, tt.code, tt.token)
			if st, _ := status.FromError(err); !strings.Contains(st.Message(), tt.message) {
				t.Errorf("message = %q, want it to contain %q", st.Message(), tt.message)
			}
		})
	}
}
