// Command grpcapi is a small gRPC API protected by tokengate's
// interceptors, and a client that calls it with a bearer token.
//
//	/orders.v1.Orders/List      unary            orders:read
//	/orders.v1.Orders/Watch     server streaming orders:read
//	/orders.v1.Orders/Create    unary            orders:write
//	/grpc.health.v1.Health/Check                 public
//	anything else                                denied
//
// Serve (against the standalone test issuer by default):
//
//	go run ./examples/grpcapi -issuer http://127.0.0.1:9400 -audience https://api.example.test
//
// Call it:
//
//	go run ./examples/grpcapi -call List -target 127.0.0.1:9402 -token "$ACCESS_TOKEN"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tokengate/tokengate/middleware/grpcauth"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "grpcapi:", err)
		os.Exit(1)
	}
}

type config struct {
	addr, issuer, audience string
	call, target, token    string // client mode
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet("grpcapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", env("GRPCAPI_ADDR", "127.0.0.1:9402"), "listen address ($GRPCAPI_ADDR)")
	fs.StringVar(&c.issuer, "issuer", env("ISSUER_URL", "http://127.0.0.1:9400"), "issuer URL ($ISSUER_URL)")
	fs.StringVar(&c.audience, "audience", env("API_AUDIENCE", "https://api.example.test"), "this API's identifier ($API_AUDIENCE)")
	fs.StringVar(&c.call, "call", "", "client mode: call List, Watch, Create or Health on -target instead of serving")
	fs.StringVar(&c.target, "target", env("GRPCAPI_TARGET", "127.0.0.1:9402"), "client mode: the server address ($GRPCAPI_TARGET)")
	fs.StringVar(&c.token, "token", env("ACCESS_TOKEN", ""), "client mode: the bearer access token ($ACCESS_TOKEN)")
	err := fs.Parse(args)
	return c, err
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.call != "" {
		return callOnce(ctx, cfg, stdout)
	}
	v, err := verifier.New(ctx, verifier.Config{Issuer: cfg.issuer, Audience: cfg.audience})
	if err != nil {
		return err
	}
	defer v.Close()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := newServer(v)
	fmt.Fprintf(stdout, "grpcapi: listening on %s (issuer %s, audience %s)\n", ln.Addr(), cfg.issuer, cfg.audience)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		srv.GracefulStop()
		return nil
	}
}

// policy is who may call what.
var policy = grpcauth.Policy{
	Public: []string{healthpb.Health_Check_FullMethodName},
	Methods: map[string][]scopes.Requirement{
		methodList:   {scopes.All("orders:read")},
		methodWatch:  {scopes.All("orders:read")},
		methodCreate: {scopes.All("orders:write")},
	},
	// Unlisted is zero (grpcauth.DenyUnlisted): any other method is denied,
	// even with a valid token.
}

// newServer returns the gRPC server with the orders and health services,
// every call going through tokengate's interceptors.
func newServer(v verifier.TokenVerifier) *grpc.Server {
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(policy.UnaryServerInterceptor(v)),
		grpc.ChainStreamInterceptor(policy.StreamServerInterceptor(v)),
	)
	srv.RegisterService(&ordersDesc, nil)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	return srv
}
