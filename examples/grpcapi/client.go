package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// bearer sends a token with every call (per-RPC credentials). It refuses
// to send it in the clear anywhere but loopback: grpc-go's own
// oauth.TokenSource demands TLS, which a local example has not set up.
type bearer struct {
	token    string
	loopback bool
}

func (b bearer) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if !b.loopback {
		return nil, errors.New("grpcapi: refusing to send a bearer token without TLS to a non-loopback target")
	}
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return false }

// dial connects to target, sending token with each call when it is set.
func dial(target, token string) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if token != "" {
		host, _, _ := net.SplitHostPort(target)
		ip := net.ParseIP(host)
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{token: token, loopback: host == "localhost" || (ip != nil && ip.IsLoopback())}))
	}
	return grpc.NewClient(target, opts...)
}

// callOnce is the client mode: one call, its answer printed as JSON.
func callOnce(ctx context.Context, cfg config, out io.Writer) error {
	conn, err := dial(cfg.target, cfg.token)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	in := wrapperspb.String("alice")
	switch cfg.call {
	case "Health":
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		fmt.Fprintln(out, resp.GetStatus())
		return nil
	case "List", "Create":
		resp := new(structpb.Struct)
		if err := conn.Invoke(ctx, "/orders.v1.Orders/"+cfg.call, in, resp); err != nil {
			return err
		}
		fmt.Fprintln(out, protojson.Format(resp))
		return nil
	case "Watch":
		return watchAll(ctx, conn, in, out)
	}
	return fmt.Errorf("-call %q: want List, Watch, Create or Health", cfg.call)
}

func watchAll(ctx context.Context, conn *grpc.ClientConn, in *wrapperspb.StringValue, out io.Writer) error {
	desc := &grpc.StreamDesc{StreamName: "Watch", ServerStreams: true}
	stream, err := conn.NewStream(ctx, desc, methodWatch)
	if err != nil {
		return err
	}
	if err := stream.SendMsg(in); err != nil {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	for {
		msg := new(structpb.Struct)
		err := stream.RecvMsg(msg)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(out, protojson.Format(msg))
	}
}
