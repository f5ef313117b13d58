package grpcauth_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware/grpcauth"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// serveHealth serves the health service with opts on a loopback port and
// returns a client for it and a function that stops both.
func serveHealth(opts ...grpc.ServerOption) (healthpb.HealthClient, func()) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go srv.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	return healthpb.NewHealthClient(conn), func() { conn.Close(); srv.Stop() }
}

// bearer returns ctx carrying token as the call's credentials. Real clients
// use per-RPC credentials, such as google.golang.org/grpc/credentials/oauth.
func bearer(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}

// One line per interceptor protects every method of a server.
func ExampleUnaryServerInterceptor() {
	iss := issuertest.NewServer()
	defer iss.Close()
	v, err := verifier.New(context.Background(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience()})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	client, stop := serveHealth(
		grpc.ChainUnaryInterceptor(grpcauth.UnaryServerInterceptor(v, scopes.All("health:read"))),
		grpc.ChainStreamInterceptor(grpcauth.StreamServerInterceptor(v, scopes.All("health:read"))),
	)
	defer stop()

	for _, ctx := range []context.Context{
		context.Background(),
		bearer(iss.AccessToken(issuertest.TokenRequest{Subject: "alice"})),
		bearer(iss.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"health:read"}})),
	} {
		res, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			st := status.Convert(err)
			fmt.Println(st.Code(), st.Message())
			continue
		}
		fmt.Println(res.GetStatus())
	}
	// Output:
	// Unauthenticated grpcauth: the request carries no bearer access token
	// PermissionDenied grpcauth: the access token lacks a scope this resource requires (health:read)
	// SERVING
}

// A Policy sets requirements per method and opens some methods to all;
// every method it does not list is denied.
func ExamplePolicy() {
	iss := issuertest.NewServer()
	defer iss.Close()
	v, err := verifier.New(context.Background(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience()})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	p := &grpcauth.Policy{
		Public: []string{"/grpc.health.v1.Health/Check"},
		Methods: map[string][]scopes.Requirement{
			"/orders.v1.Orders/Get": {scopes.All("orders:read")},
		},
		// Unlisted is DenyUnlisted, the zero value: Health/Watch, listed
		// nowhere, is denied.
	}
	client, stop := serveHealth(
		grpc.ChainUnaryInterceptor(p.UnaryServerInterceptor(v)),
		grpc.ChainStreamInterceptor(p.StreamServerInterceptor(v)),
	)
	defer stop()

	res, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{})
	fmt.Println(res.GetStatus(), err)

	token := iss.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}})
	stream, err := client.Watch(bearer(token), &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	fmt.Println(status.Code(err))
	// Output:
	// SERVING <nil>
	// PermissionDenied
}
