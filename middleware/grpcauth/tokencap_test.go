package grpcauth_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware/grpcauth"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// TestVerifierTokenCapAdmitsA12KiBJWT: the token cap has one knob, the
// verifier's. Raising verifier.Config.MaxTokenBytes alone admits a 12 KiB
// token through the one-line interceptors; Policy.MaxTokenBytes can only
// tighten it.
func TestVerifierTokenCapAdmitsA12KiBJWT(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	req := alice
	req.Claims = map[string]any{"groups": strings.Repeat("g", 9<<10)}
	long := iss.AccessToken(req)
	if n := len(long); n < 12<<10 || n > 16<<10 {
		t.Fatalf("len(token) = %d, want a token of 12 to 16 KiB", n)
	}
	tests := []struct {
		name     string
		verifier int // Config.MaxTokenBytes of the verifier
		policy   int // Policy.MaxTokenBytes
		want     codes.Code
	}{
		{name: "default cap refuses before the verifier", want: codes.Unauthenticated},
		{name: "raising the verifier's cap alone admits it", verifier: 16 << 10, want: codes.OK},
		{name: "a policy cap above the verifier's has no effect", policy: 64 << 10, want: codes.Unauthenticated},
		{name: "a policy cap still tightens it", verifier: 16 << 10, policy: 8 << 10, want: codes.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := verifier.New(t.Context(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience(), HTTPClient: iss.Client(), MaxTokenBytes: tt.verifier})
			if err != nil {
				t.Fatalf("verifier.New() error = %v", err)
			}
			defer v.Close()
			p := &grpcauth.Policy{Unlisted: grpcauth.RequireDefault, Default: []scopes.Requirement{scopes.All("orders:read")}, MaxTokenBytes: tt.policy}
			conn := startServer(t, p.UnaryServerInterceptor(v), p.StreamServerInterceptor(v))
			for _, c := range calls {
				who, err := c.do(withAuth(t.Context(), "Bearer "+long), conn)
				wantCode(t, err, tt.want, long)
				if tt.want != codes.OK {
					if got, want := status.Convert(err).Message(), "grpcauth: the access token is too large"; got != want {
						t.Errorf("%s: message = %q, want %q", c.name, got, want)
					}
				} else if c.name != "server streaming" && who != issuertest.Alice {
					t.Errorf("%s: handler saw subject %q, want %q", c.name, who, issuertest.Alice)
				}
			}
		})
	}
}
