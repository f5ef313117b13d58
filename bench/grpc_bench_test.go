package bench

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tokengate/tokengate/middleware/grpcauth"
	"github.com/tokengate/tokengate/scopes"
)

// startHealth serves the gRPC health service on a loopback listener, with
// opts, and returns a client connected to it. Both stop at tb's cleanup.
func startHealth(tb testing.TB, opts ...grpc.ServerOption) healthpb.HealthClient {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	tb.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return healthpb.NewHealthClient(conn)
}

// grpcClients returns a health client per server: one without
// interceptor, one behind grpcauth.UnaryServerInterceptor, and "floor":
// one behind an interceptor that only does the floor's signature check
// (see httpRoutes).
func grpcClients(tb testing.TB, f *fixture) map[string]healthpb.HealthClient {
	tb.Helper()
	v := newTokengateJWT(tb, f)
	check := floor(tb, f, httpAlg, f.tokens[httpAlg])
	floorFirst := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !check() {
			return nil, status.Error(codes.Unauthenticated, "bad signature")
		}
		return handler(ctx, req)
	}
	return map[string]healthpb.HealthClient{
		"unprotected": startHealth(tb),
		"floor":       startHealth(tb, grpc.ChainUnaryInterceptor(floorFirst)),
		"tokengate": startHealth(tb, grpc.ChainUnaryInterceptor(
			grpcauth.UnaryServerInterceptor(v, scopes.All(requiredScope)))),
	}
}

// withToken returns ctx carrying token as the call's "authorization"
// metadata, as a client's per-RPC credentials would send it.
func withToken(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// BenchmarkGRPC is one unary health Check over a loopback connection, to
// a server without interceptor and to one behind grpcauth's. Both calls
// carry the token.
func BenchmarkGRPC(b *testing.B) {
	f := getFixture(b)
	clients := grpcClients(b, f)
	for _, name := range []string{"unprotected", "floor", "tokengate"} {
		b.Run(httpAlg+"/"+name, func(b *testing.B) {
			client := clients[name]
			ctx := withToken(b.Context(), f.tokens[httpAlg])
			req := &healthpb.HealthCheckRequest{}
			check := func() {
				resp, err := client.Check(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
					b.Fatalf("status = %v, want SERVING", resp.GetStatus())
				}
			}
			check() // connects
			b.ReportAllocs()
			for b.Loop() {
				check()
			}
		})
	}
}
