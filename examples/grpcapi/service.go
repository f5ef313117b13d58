package main

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tokengate/tokengate/verifier"
)

// The Orders service is written by hand, with protobuf's well-known types
// as messages, so the example needs no code generation:
//
//	service Orders {
//	  rpc List(google.protobuf.StringValue) returns (google.protobuf.Struct);          // orders:read
//	  rpc Watch(google.protobuf.StringValue) returns (stream google.protobuf.Struct);  // orders:read
//	  rpc Create(google.protobuf.StringValue) returns (google.protobuf.Struct);        // orders:write
//	}
const (
	methodList   = "/orders.v1.Orders/List"
	methodWatch  = "/orders.v1.Orders/Watch"
	methodCreate = "/orders.v1.Orders/Create"
)

var ordersDesc = grpc.ServiceDesc{
	ServiceName: "orders.v1.Orders",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "List", Handler: unary(methodList, func(ctx context.Context, in string) (*structpb.Struct, error) {
			return answer(ctx, "listed orders for "+in)
		})},
		{MethodName: "Create", Handler: unary(methodCreate, func(ctx context.Context, in string) (*structpb.Struct, error) {
			return answer(ctx, "created order "+in)
		})},
	},
	Streams: []grpc.StreamDesc{{StreamName: "Watch", ServerStreams: true, Handler: watch}},
}

// unary adapts fn to a grpc.MethodDesc handler, running the interceptors.
func unary(method string, fn func(ctx context.Context, in string) (*structpb.Struct, error)) func(any, context.Context, func(any) error, grpc.UnaryServerInterceptor) (any, error) {
	return func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
		in := new(wrapperspb.StringValue)
		if err := dec(in); err != nil {
			return nil, err
		}
		h := func(ctx context.Context, req any) (any, error) {
			return fn(ctx, req.(*wrapperspb.StringValue).GetValue())
		}
		if icpt == nil {
			return h(ctx, in)
		}
		return icpt(ctx, in, &grpc.UnaryServerInfo{FullMethod: method}, h)
	}
}

// watch streams three updates to the caller.
func watch(_ any, stream grpc.ServerStream) error {
	in := new(wrapperspb.StringValue)
	if err := stream.RecvMsg(in); err != nil {
		return err
	}
	for i := 1; i <= 3; i++ {
		msg, err := answer(stream.Context(), fmt.Sprintf("update %d for %s", i, in.GetValue()))
		if err != nil {
			return err
		}
		if err := stream.SendMsg(msg); err != nil {
			return err
		}
	}
	return nil
}

// answer reports what was done and who asked, from the verified claims.
func answer(ctx context.Context, what string) (*structpb.Struct, error) {
	c, ok := verifier.FromContext(ctx)
	if !ok {
		return nil, fmt.Errorf("no claims in context")
	}
	scopes := make([]any, len(c.Scopes))
	for i, s := range c.Scopes {
		scopes[i] = s
	}
	return structpb.NewStruct(map[string]any{"result": what, "sub": c.Subject, "scopes": scopes})
}
