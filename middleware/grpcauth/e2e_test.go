package grpcauth_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/local"
	"google.golang.org/grpc/credentials/oauth"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware/grpcauth"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// These tests walk the gRPC column of the DESIGN.md behaviour table with the
// real parts: verifier.JWT and introspection.Introspector checking tokens
// minted by issuertest, a grpc.Server on a loopback listener, and a real
// client making unary, server-streaming and bidi calls.

// row is one call of the behaviour table and the code it must get.
type row struct {
	name string
	auth []string // "authorization" metadata values
	want codes.Code
}

// commonRows are the rows that do not depend on how tokens are checked.
func commonRows(good, noScope string) []row {
	return []row{
		{name: "valid token with the scope", auth: []string{"Bearer " + good}, want: codes.OK},
		{name: "no token", want: codes.Unauthenticated},
		{name: "basic credentials", auth: []string{"Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ="}, want: codes.Unauthenticated},
		// DESIGN.md: "two tokens in one request" is InvalidArgument.
		{name: "second token smuggled in a second value", auth: []string{"Bearer " + good, "Bearer " + noScope}, want: codes.InvalidArgument},
		{name: "bad authorization syntax", auth: []string{"Bearer  " + good}, want: codes.InvalidArgument},
		{name: "valid token, missing scope", auth: []string{"Bearer " + noScope}, want: codes.PermissionDenied},
		{name: "oversized token", auth: []string{"Bearer " + strings.Repeat("A", 9000)}, want: codes.Unauthenticated},
	}
}

// serveOrders starts a server whose every method needs orders:read.
func serveOrders(t testing.TB, v verifier.TokenVerifier) *grpc.ClientConn {
	t.Helper()
	return startServer(t,
		grpcauth.UnaryServerInterceptor(v, scopes.All("orders:read")),
		grpcauth.StreamServerInterceptor(v, scopes.All("orders:read")))
}

// run makes every call kind for every row.
func run(t *testing.T, conn *grpc.ClientConn, rows []row, subject string) {
	t.Helper()
	for _, tt := range rows {
		for _, c := range calls {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				who, err := c.do(withAuth(t.Context(), tt.auth...), conn)
				token := ""
				if len(tt.auth) > 0 {
					token = strings.TrimPrefix(tt.auth[0], "Bearer ")
				}
				wantCode(t, err, tt.want, token)
				if tt.want == codes.OK && c.name != "server streaming" && who != subject {
					t.Errorf("handler saw subject %q, want %q", who, subject)
				}
			})
		}
	}
}

func newJWT(t testing.TB, iss *issuertest.Server) *verifier.JWT {
	t.Helper()
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience(), HTTPClient: iss.Client()})
	if err != nil {
		t.Fatalf("verifier.New() error = %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func newIntrospector(t testing.TB, iss *issuertest.Server, now func() time.Time) *introspection.Introspector {
	t.Helper()
	in, err := introspection.New(t.Context(), introspection.Config{
		Issuer: iss.URL, ClientID: issuertest.APIClientID, ClientSecret: issuertest.APIClientSecret,
		Audience: iss.Audience(), CacheSize: 100, HTTPClient: iss.Client(), Now: now,
	})
	if err != nil {
		t.Fatalf("introspection.New() error = %v", err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

var alice = issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}}

func TestE2EBehaviourTableJWT(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	conn := serveOrders(t, newJWT(t, iss))

	rows := commonRows(iss.AccessToken(alice), iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice}))
	rows = append(rows, row{name: "malformed jwt", auth: []string{"Bearer not.a.jwt"}, want: codes.Unauthenticated})
	for _, bad := range iss.BadTokens(alice) {
		rows = append(rows, row{name: bad.Name, auth: []string{"Bearer " + bad.Token}, want: codes.Unauthenticated})
	}
	run(t, conn, rows, issuertest.Alice)
}

func TestE2EBehaviourTableIntrospection(t *testing.T) {
	clock := issuertest.NewClock(time.Now())
	iss := issuertest.NewServer(issuertest.WithOpaqueAccessTokens(), issuertest.WithClock(clock.Now))
	defer iss.Close()
	conn := serveOrders(t, newIntrospector(t, iss, clock.Now))

	short := alice
	short.Lifetime = time.Minute
	expiring := iss.AccessToken(short)
	rows := commonRows(iss.AccessToken(alice), iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice}))
	rows = append(rows,
		row{name: "inactive token", auth: []string{"Bearer bm90LWEtcmVhbC10b2tlbg"}, want: codes.Unauthenticated},
		row{name: "id token as access token", auth: []string{"Bearer " + iss.IDTokenAsAccessToken(alice)}, want: codes.Unauthenticated},
	)
	run(t, conn, rows, issuertest.Alice)

	clock.Advance(2 * time.Minute)
	run(t, conn, []row{{name: "expired token", auth: []string{"Bearer " + expiring}, want: codes.Unauthenticated}}, "")
}

func TestE2EUnavailable(t *testing.T) {
	t.Run("jwks unreachable and nothing cached", func(t *testing.T) {
		iss := issuertest.NewServer()
		defer iss.Close()
		iss.SetFault(issuertest.EndpointJWKS, issuertest.StatusFault(http.StatusServiceUnavailable))
		conn := serveOrders(t, newJWT(t, iss))
		run(t, conn, []row{{name: "issuer down", auth: []string{"Bearer " + iss.AccessToken(alice)}, want: codes.Unavailable}}, "")
	})
	t.Run("introspection unreachable and nothing cached", func(t *testing.T) {
		iss := issuertest.NewServer(issuertest.WithOpaqueAccessTokens())
		defer iss.Close()
		conn := serveOrders(t, newIntrospector(t, iss, nil))
		iss.SetFault(issuertest.EndpointIntrospect, issuertest.StatusFault(http.StatusInternalServerError))
		run(t, conn, []row{{name: "issuer down", auth: []string{"Bearer " + iss.AccessToken(alice)}, want: codes.Unavailable}}, "")
	})
}

// bearerCreds is per-RPC credentials that send a bearer token without
// requiring transport security, for the tests on an insecure loopback
// connection. oauth.TokenSource refuses to send a token over an insecure
// transport, which is right in production; TestE2EOAuthTokenSource uses it
// over a Unix socket, which the local credentials rate as secure.
type bearerCreds struct{ token string }

func (c bearerCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + c.token}, nil
}

func (bearerCreds) RequireTransportSecurity() bool { return false }

func TestE2EPerRPCCredentials(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	v := newJWT(t, iss)
	conn := startServer(t,
		grpcauth.UnaryServerInterceptor(v, scopes.All("orders:read")),
		grpcauth.StreamServerInterceptor(v, scopes.All("orders:read")),
		grpc.WithPerRPCCredentials(bearerCreds{iss.AccessToken(alice)}))
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			who, err := c.do(t.Context(), conn)
			wantCode(t, err, codes.OK, "")
			if c.name != "server streaming" && who != issuertest.Alice {
				t.Errorf("handler saw subject %q, want %q", who, issuertest.Alice)
			}
		})
	}
	t.Run("credentials plus a second value in metadata", func(t *testing.T) {
		_, err := callWhoami(withAuth(t.Context(), "Bearer "+iss.AccessToken(alice)), conn)
		wantCode(t, err, codes.InvalidArgument, "")
	})
}

// TestE2EOAuthTokenSource uses the standard per-RPC credentials of
// google.golang.org/grpc/credentials/oauth with a golang.org/x/oauth2 token
// source. They need transport security, so the server listens on a Unix
// socket with local credentials (rated PrivacyAndIntegrity); loopback TCP
// with local credentials is rated NoSecurity and would be refused.
func TestE2EOAuthTokenSource(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	v := newJWT(t, iss)

	dir, err := os.MkdirTemp("", "grpcauth") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	lis, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: iss.AccessToken(alice), TokenType: "Bearer"})
	conn := serveOn(t, lis,
		[]grpc.ServerOption{
			grpc.Creds(local.NewCredentials()),
			grpc.ChainUnaryInterceptor(grpcauth.UnaryServerInterceptor(v, scopes.All("orders:read"))),
			grpc.ChainStreamInterceptor(grpcauth.StreamServerInterceptor(v, scopes.All("orders:read"))),
		},
		grpc.WithTransportCredentials(local.NewCredentials()),
		grpc.WithPerRPCCredentials(oauth.TokenSource{TokenSource: ts}))
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			who, err := c.do(t.Context(), conn)
			wantCode(t, err, codes.OK, "")
			if c.name != "server streaming" && who != issuertest.Alice {
				t.Errorf("handler saw subject %q, want %q", who, issuertest.Alice)
			}
		})
	}
}
