package grpcauth_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tokengate/tokengate/middleware/grpcauth"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// fakeVerifier maps a token to an outcome; the end-to-end tests use the
// real verifiers.
var fakeVerifier = verifier.TokenVerifierFunc(func(ctx context.Context, token string) (*verifier.Claims, error) {
	switch token {
	case "reader":
		return &verifier.Claims{Subject: "reader", Scopes: []string{"orders:read"}}, nil
	case "writer":
		return &verifier.Claims{Subject: "writer", Scopes: []string{"orders:read", "orders:write"}}, nil
	case "noscope":
		return &verifier.Claims{Subject: "noscope"}, nil
	case "expired":
		return nil, fmt.Errorf("fake: %w", verifier.ErrTokenExpired)
	case "idtoken":
		return nil, fmt.Errorf("fake: %w", verifier.ErrNotAccessToken)
	case "jwksdown":
		return nil, fmt.Errorf("fake: jwks status 502 <html>upstream</html>: %w", verifier.ErrUnavailable)
	case "brokenverif":
		return nil, errors.New("fake: bug")
	case "nothing":
		return nil, nil
	case "cancelled":
		return nil, fmt.Errorf("fake: %w", context.Canceled)
	}
	return nil, fmt.Errorf("fake: kid k1: %w", verifier.ErrInvalidToken)
})

// TestBehaviourTable walks the gRPC column of the DESIGN.md behaviour table,
// row for row the same situations as the middleware package's
// TestBehaviourTable, for unary, server-streaming and bidi calls.
func TestBehaviourTable(t *testing.T) {
	conn := startServer(t,
		grpcauth.UnaryServerInterceptor(fakeVerifier, scopes.All("orders:read")),
		grpcauth.StreamServerInterceptor(fakeVerifier, scopes.All("orders:read")))
	tests := []struct {
		name    string
		auth    []string
		want    codes.Code
		wantMsg string
	}{
		{name: "valid token with the scope", auth: []string{"Bearer reader"}, want: codes.OK},
		{name: "no token", want: codes.Unauthenticated, wantMsg: "grpcauth: the request carries no bearer access token"},
		{name: "basic credentials", auth: []string{"Basic dXNlcjpwYXNz"}, want: codes.Unauthenticated},
		{name: "dpop while unsupported", auth: []string{"DPoP reader"}, want: codes.Unauthenticated},
		{name: "bad signature", auth: []string{"Bearer badsig"}, want: codes.Unauthenticated, wantMsg: "grpcauth: the access token is invalid"},
		{name: "expired token replayed", auth: []string{"Bearer expired"}, want: codes.Unauthenticated, wantMsg: "grpcauth: the access token expired"},
		{name: "id token as access token", auth: []string{"Bearer idtoken"}, want: codes.Unauthenticated, wantMsg: "grpcauth: the token is not an access token"},
		{name: "oversized token", auth: []string{"Bearer " + strings.Repeat("a", 8193)}, want: codes.Unauthenticated, wantMsg: "grpcauth: the access token is too large"},
		{name: "second token smuggled in a second value", auth: []string{"Bearer reader", "Bearer writer"}, want: codes.InvalidArgument, wantMsg: "grpcauth: the request carries more than one access token"},
		{name: "empty token", auth: []string{"Bearer "}, want: codes.InvalidArgument},
		{name: "extra parts", auth: []string{"Bearer reader writer"}, want: codes.InvalidArgument, wantMsg: "grpcauth: the bearer credential is malformed"},
		{name: "characters outside b64token", auth: []string{"Bearer read{er}"}, want: codes.InvalidArgument},
		{name: "valid token, missing scope", auth: []string{"Bearer noscope"}, want: codes.PermissionDenied, wantMsg: "grpcauth: the access token lacks a scope this resource requires (orders:read)"},
		{name: "jwks unreachable", auth: []string{"Bearer jwksdown"}, want: codes.Unavailable, wantMsg: "grpcauth: the access token cannot be checked now"},
		{name: "verifier failure is never OK nor Unknown", auth: []string{"Bearer brokenverif"}, want: codes.Unavailable},
		{name: "verifier returning nothing is never OK", auth: []string{"Bearer nothing"}, want: codes.Unavailable},
		{name: "cancelled check is not blamed on the token", auth: []string{"Bearer cancelled"}, want: codes.Unavailable},
	}
	for _, tt := range tests {
		for _, c := range calls {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				who, err := c.do(withAuth(t.Context(), tt.auth...), conn)
				wantCode(t, err, tt.want, "")
				if st, _ := status.FromError(err); tt.wantMsg != "" && st.Message() != tt.wantMsg {
					t.Errorf("message = %q, want %q", st.Message(), tt.wantMsg)
				}
				if strings.Contains(status.Convert(err).Message(), "upstream") {
					t.Error("message echoes the upstream error")
				}
				if tt.want == codes.OK && c.name != "server streaming" && who != "reader" {
					t.Errorf("handler saw subject %q, want the claims of reader", who)
				}
			})
		}
	}
}

func TestPolicy(t *testing.T) {
	p := &grpcauth.Policy{
		Methods: map[string][]scopes.Requirement{
			whoamiMethod: {scopes.All("orders:read")},
			chatMethod:   {scopes.All("orders:write")},
		},
		Public: []string{checkMethod},
	}
	conn := startServer(t, p.UnaryServerInterceptor(fakeVerifier), p.StreamServerInterceptor(fakeVerifier))
	tests := []struct {
		name string
		do   func(context.Context, *grpc.ClientConn) (string, error)
		auth []string
		want codes.Code
	}{
		{name: "public method without a token", do: callCheck, want: codes.OK},
		{name: "public method ignores a bad token", do: callCheck, auth: []string{"Bearer expired"}, want: codes.OK},
		{name: "listed method with its scope", do: callWhoami, auth: []string{"Bearer reader"}, want: codes.OK},
		{name: "listed method without a token", do: callWhoami, want: codes.Unauthenticated},
		{name: "per-method scope: reader may not chat", do: callChat, auth: []string{"Bearer reader"}, want: codes.PermissionDenied},
		{name: "per-method scope: writer may chat", do: callChat, auth: []string{"Bearer writer"}, want: codes.OK},
		{name: "unlisted method denied to a valid token", do: callWatch, auth: []string{"Bearer writer"}, want: codes.PermissionDenied},
		{name: "unlisted method still authenticates first", do: callWatch, want: codes.Unauthenticated},
		{name: "unlisted method with a bad token", do: callWatch, auth: []string{"Bearer expired"}, want: codes.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.do(withAuth(t.Context(), tt.auth...), conn)
			wantCode(t, err, tt.want, "")
		})
	}
}

func TestPolicyDefault(t *testing.T) {
	tests := []struct {
		name     string
		policy   *grpcauth.Policy
		oneLiner bool
		auth     string
		want     codes.Code
	}{
		{name: "zero policy denies a valid token", policy: &grpcauth.Policy{}, auth: "Bearer writer", want: codes.PermissionDenied},
		{name: "nil policy denies a valid token", policy: nil, auth: "Bearer writer", want: codes.PermissionDenied},
		{name: "empty default admits any valid token", policy: &grpcauth.Policy{Unlisted: grpcauth.RequireDefault, Default: []scopes.Requirement{}}, auth: "Bearer noscope", want: codes.OK},
		{name: "empty default still needs a token", policy: &grpcauth.Policy{Unlisted: grpcauth.RequireDefault, Default: []scopes.Requirement{}}, want: codes.Unauthenticated},
		{name: "default requirement met", policy: &grpcauth.Policy{Unlisted: grpcauth.RequireDefault, Default: []scopes.Requirement{scopes.All("orders:write")}}, auth: "Bearer writer", want: codes.OK},
		{name: "default requirement missed", policy: &grpcauth.Policy{Unlisted: grpcauth.RequireDefault, Default: []scopes.Requirement{scopes.All("orders:write")}}, auth: "Bearer reader", want: codes.PermissionDenied},
		{name: "one-liner without scopes admits any valid token", oneLiner: true, auth: "Bearer noscope", want: codes.OK},
		{name: "RequireDefault without Default admits any valid token", policy: &grpcauth.Policy{Unlisted: grpcauth.RequireDefault}, auth: "Bearer noscope", want: codes.OK},
		{name: "DenyUnlisted spelled out denies a valid token", policy: &grpcauth.Policy{Unlisted: grpcauth.DenyUnlisted}, auth: "Bearer writer", want: codes.PermissionDenied},
		{name: "listing another method does not open this one", policy: &grpcauth.Policy{Methods: map[string][]scopes.Requirement{chatMethod: nil}}, auth: "Bearer writer", want: codes.PermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unary := tt.policy.UnaryServerInterceptor(fakeVerifier)
			if tt.oneLiner {
				unary = grpcauth.UnaryServerInterceptor(fakeVerifier)
			}
			conn := startServer(t, unary, grpcauth.StreamServerInterceptor(fakeVerifier))
			ctx := t.Context()
			if tt.auth != "" {
				ctx = withAuth(ctx, tt.auth)
			}
			_, err := callWhoami(ctx, conn)
			wantCode(t, err, tt.want, "")
		})
	}
}

func TestUnlistedMessageNamesNoScope(t *testing.T) {
	conn := startServer(t, (&grpcauth.Policy{}).UnaryServerInterceptor(fakeVerifier), grpcauth.StreamServerInterceptor(fakeVerifier))
	_, err := callWhoami(withAuth(t.Context(), "Bearer writer"), conn)
	if got, want := status.Convert(err).Message(), "grpcauth: the access token does not grant access to this resource"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

func TestUnlistedRefusalLogsTheMethod(t *testing.T) {
	var logged error
	p := &grpcauth.Policy{OnError: func(_ context.Context, _ string, err error) { logged = err }}
	conn := startServer(t, p.UnaryServerInterceptor(fakeVerifier), grpcauth.StreamServerInterceptor(fakeVerifier))
	_, err := callWhoami(withAuth(t.Context(), "Bearer writer"), conn)
	wantCode(t, err, codes.PermissionDenied, "")
	if logged == nil || !strings.Contains(logged.Error(), strconv.Quote(whoamiMethod)) || !strings.Contains(logged.Error(), "DenyUnlisted") {
		t.Errorf("OnError got %v, want the unlisted method, quoted, and the policy choice that refused it", logged)
	}
}

func TestPolicyCheck(t *testing.T) {
	tests := []struct {
		name    string
		check   func(context.Context, string, *verifier.Claims) error
		want    codes.Code
		wantMsg string
	}{
		{name: "allowed", check: func(context.Context, string, *verifier.Claims) error { return nil }, want: codes.OK},
		{name: "client not on the allow-list", want: codes.PermissionDenied, wantMsg: "grpcauth: the access token does not grant access to this resource",
			check: func(context.Context, string, *verifier.Claims) error { return errors.New("client not allowed") }},
		{name: "check naming a scope", want: codes.PermissionDenied, wantMsg: "grpcauth: the access token lacks a scope this resource requires (admin)",
			check: func(_ context.Context, _ string, c *verifier.Claims) error {
				return scopes.All("admin").Check(c.Scopes)
			}},
		{name: "revoked token", want: codes.Unauthenticated,
			check: func(context.Context, string, *verifier.Claims) error { return verifier.ErrInvalidToken }},
		{name: "role backend down", want: codes.Unavailable,
			check: func(context.Context, string, *verifier.Claims) error { return verifier.ErrUnavailable }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var method string
			p := &grpcauth.Policy{Unlisted: grpcauth.RequireDefault, Default: []scopes.Requirement{}, Check: func(ctx context.Context, m string, c *verifier.Claims) error {
				method = m
				return tt.check(ctx, m, c)
			}}
			conn := startServer(t, p.UnaryServerInterceptor(fakeVerifier), p.StreamServerInterceptor(fakeVerifier))
			_, err := callWhoami(withAuth(t.Context(), "Bearer reader"), conn)
			wantCode(t, err, tt.want, "")
			if got := status.Convert(err).Message(); tt.wantMsg != "" && got != tt.wantMsg {
				t.Errorf("message = %q, want %q", got, tt.wantMsg)
			}
			if method != whoamiMethod {
				t.Errorf("Check got method %q, want %q", method, whoamiMethod)
			}
		})
	}
}

func TestOnError(t *testing.T) {
	const token = "c2VjcmV0LXRva2Vu"
	var got []error
	p := &grpcauth.Policy{Unlisted: grpcauth.RequireDefault, Default: []scopes.Requirement{}, OnError: func(_ context.Context, method string, err error) {
		got = append(got, fmt.Errorf("%s: %w", method, err))
	}}
	conn := startServer(t, p.UnaryServerInterceptor(fakeVerifier), p.StreamServerInterceptor(fakeVerifier))
	for _, auth := range []string{"Bearer expired", "Bearer " + token + " x", "Bearer reader"} {
		_, _ = callWhoami(withAuth(t.Context(), auth), conn)
	}
	if len(got) != 2 {
		t.Fatalf("OnError called %d times, want 2 (not for the success)", len(got))
	}
	if !errors.Is(got[0], verifier.ErrTokenExpired) || !strings.HasPrefix(got[0].Error(), whoamiMethod) {
		t.Errorf("OnError got %v, want the method and the ErrTokenExpired chain", got[0])
	}
	if strings.Contains(got[1].Error(), token) {
		t.Errorf("OnError got %q, which contains the token", got[1])
	}
}

func TestSetupPanics(t *testing.T) {
	tests := []struct {
		name  string
		build func()
	}{
		{name: "nil verifier", build: func() { grpcauth.UnaryServerInterceptor(nil) }},
		{name: "invalid scope", build: func() { grpcauth.StreamServerInterceptor(fakeVerifier, scopes.All("a b")) }},
		{name: "requirement that can never hold", build: func() { grpcauth.UnaryServerInterceptor(fakeVerifier, scopes.AnyOf()) }},
		{name: "method name without leading slash", build: func() {
			(&grpcauth.Policy{Public: []string{"grpc.health.v1.Health/Check"}}).UnaryServerInterceptor(fakeVerifier)
		}},
		{name: "method name without method", build: func() {
			(&grpcauth.Policy{Methods: map[string][]scopes.Requirement{"/svc/": nil}}).UnaryServerInterceptor(fakeVerifier)
		}},
		{name: "method both public and listed", build: func() {
			(&grpcauth.Policy{Public: []string{whoamiMethod}, Methods: map[string][]scopes.Requirement{whoamiMethod: nil}}).StreamServerInterceptor(fakeVerifier)
		}},
		{name: "invalid per-method requirement", build: func() {
			(&grpcauth.Policy{Methods: map[string][]scopes.Requirement{whoamiMethod: {scopes.Any()}}}).UnaryServerInterceptor(fakeVerifier)
		}},
		{name: "negative token cap", build: func() { (&grpcauth.Policy{MaxTokenBytes: -1}).UnaryServerInterceptor(fakeVerifier) }},
		{name: "default requirements that DenyUnlisted would ignore", build: func() {
			(&grpcauth.Policy{Default: []scopes.Requirement{scopes.All("orders:read")}}).UnaryServerInterceptor(fakeVerifier)
		}},
		{name: "empty default without RequireDefault is not silently a deny", build: func() {
			(&grpcauth.Policy{Default: []scopes.Requirement{}}).StreamServerInterceptor(fakeVerifier)
		}},
		{name: "unknown Unlisted choice", build: func() { (&grpcauth.Policy{Unlisted: 7}).UnaryServerInterceptor(fakeVerifier) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				err, ok := recover().(error)
				if !ok || !strings.HasPrefix(err.Error(), "grpcauth: ") {
					t.Errorf("panic(%v), want a grpcauth: error at setup", err)
				}
			}()
			tt.build()
		})
	}
}

func TestPolicyIsCopiedAtSetup(t *testing.T) {
	p := &grpcauth.Policy{Public: []string{whoamiMethod}}
	unary := p.UnaryServerInterceptor(fakeVerifier)
	p.Public[0] = checkMethod
	p.Public = nil
	conn := startServer(t, unary, grpcauth.StreamServerInterceptor(fakeVerifier))
	if _, err := callWhoami(t.Context(), conn); err != nil {
		t.Errorf("Whoami without a token: %v, want OK as it was public at setup", err)
	}
}
