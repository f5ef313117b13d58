package grpcauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tokengate/tokengate/verifier"
)

// echoDesc is a tiny hand-written service, so that the tests need no
// generated code: Whoami (unary) and Chat (bidirectional streaming) answer
// with the subject of the claims the interceptor put in the context. The
// messages are well-known protobuf wrappers, so the default codec works.
var echoDesc = grpc.ServiceDesc{
	ServiceName: "tokengate.test.Echo",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Whoami", Handler: whoamiHandler}},
	Streams: []grpc.StreamDesc{
		{StreamName: "Chat", Handler: chatHandler, ServerStreams: true, ClientStreams: true},
	},
}

const (
	whoamiMethod = "/tokengate.test.Echo/Whoami"
	chatMethod   = "/tokengate.test.Echo/Chat"
	checkMethod  = "/grpc.health.v1.Health/Check"
	watchMethod  = "/grpc.health.v1.Health/Watch"
)

func subjectOf(ctx context.Context) string {
	if c, ok := verifier.FromContext(ctx); ok {
		return c.Subject
	}
	return "<no claims>"
}

func whoamiHandler(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
	in := new(wrapperspb.StringValue)
	if err := dec(in); err != nil {
		return nil, err
	}
	h := func(ctx context.Context, req any) (any, error) {
		return wrapperspb.String(subjectOf(ctx) + ":" + req.(*wrapperspb.StringValue).GetValue()), nil
	}
	if icpt == nil {
		return h(ctx, in)
	}
	return icpt(ctx, in, &grpc.UnaryServerInfo{FullMethod: whoamiMethod}, h)
}

func chatHandler(_ any, ss grpc.ServerStream) error {
	for {
		in := new(wrapperspb.StringValue)
		if err := ss.RecvMsg(in); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if err := ss.SendMsg(wrapperspb.String(subjectOf(ss.Context()) + ":" + in.GetValue())); err != nil {
			return err
		}
	}
}

// startServer runs a grpc.Server with the echo and health services behind
// the interceptors on a loopback listener, and returns a client connection
// with opts (insecure transport unless opts say otherwise).
func startServer(t testing.TB, unary grpc.UnaryServerInterceptor, stream grpc.StreamServerInterceptor, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, lis, []grpc.ServerOption{grpc.UnaryInterceptor(unary), grpc.StreamInterceptor(stream)},
		append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
}

// serveOn serves on lis until the test ends and dials it.
func serveOn(t testing.TB, lis net.Listener, sopts []grpc.ServerOption, dopts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	srv := grpc.NewServer(sopts...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	srv.RegisterService(&echoDesc, struct{}{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() { srv.Stop(); <-done })
	target := lis.Addr().String()
	if lis.Addr().Network() == "unix" {
		target = "unix://" + target
	}
	conn, err := grpc.NewClient(target, dopts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// withAuth returns ctx with the given "authorization" metadata values.
func withAuth(ctx context.Context, auth ...string) context.Context {
	for _, a := range auth {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", a)
	}
	return ctx
}

// A call makes one RPC of some kind and returns its error and the subject
// the server saw (unary and bidi only).
type call struct {
	name string
	do   func(ctx context.Context, conn *grpc.ClientConn) (string, error)
}

var calls = []call{
	{name: "unary", do: callWhoami},
	{name: "server streaming", do: callWatch},
	{name: "bidi streaming", do: callChat},
}

func callWhoami(ctx context.Context, conn *grpc.ClientConn) (string, error) {
	out := new(wrapperspb.StringValue)
	err := conn.Invoke(ctx, whoamiMethod, wrapperspb.String("hi"), out)
	return strings.TrimSuffix(out.GetValue(), ":hi"), err
}

func callCheck(ctx context.Context, conn *grpc.ClientConn) (string, error) {
	_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return "", err
}

func callWatch(ctx context.Context, conn *grpc.ClientConn) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return "", err
	}
	res, err := stream.Recv()
	if err == nil && res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		err = fmt.Errorf("watch status = %v, want SERVING", res.GetStatus())
	}
	return "", err
}

func callChat(ctx context.Context, conn *grpc.ClientConn) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := conn.NewStream(ctx, &echoDesc.Streams[0], chatMethod)
	if err != nil {
		return "", err
	}
	var who string
	for _, msg := range []string{"one", "two"} {
		if err := s.SendMsg(wrapperspb.String(msg)); err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		out := new(wrapperspb.StringValue)
		if err := s.RecvMsg(out); err != nil {
			return "", err
		}
		who = strings.TrimSuffix(out.GetValue(), ":"+msg)
	}
	if err := s.CloseSend(); err != nil {
		return "", err
	}
	if err := s.RecvMsg(new(wrapperspb.StringValue)); !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("end of chat: %v", err)
	}
	return who, nil
}

// wantCode checks err's status code and that its message is safe.
func wantCode(t testing.TB, err error, want codes.Code, token string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != want {
		t.Fatalf("code = %v (%v), want %v", st.Code(), err, want)
	}
	if want == codes.OK {
		return
	}
	if !strings.HasPrefix(st.Message(), "grpcauth: ") {
		t.Errorf("message = %q, want a grpcauth: message", st.Message())
	}
	if len(token) > 8 && strings.Contains(st.Message(), token) {
		t.Errorf("message = %q echoes the token", st.Message())
	}
}
