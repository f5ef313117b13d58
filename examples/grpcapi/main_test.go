package main

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/verifier"
)

// TestCalls serves the API on a loopback port with a real verifier and
// the real test issuer, and calls it with the example's own client.
func TestCalls(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience()})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(v)
	go srv.Serve(ln)
	defer srv.Stop()

	reader := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}})
	tests := []struct {
		name, call, token string
		want              codes.Code
		output            string
	}{
		{"List with orders:read", "List", reader, codes.OK, "listed orders for alice"},
		{"Watch streams with orders:read", "Watch", reader, codes.OK, "update 3 for alice"},
		{"Create without orders:write", "Create", reader, codes.PermissionDenied, ""},
		{"List without a token", "List", "", codes.Unauthenticated, ""},
		{"List with an ID token", "List", iss.IDToken(issuertest.TokenRequest{}), codes.Unauthenticated, ""},
		{"Health is public", "Health", "", codes.OK, "SERVING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := callOnce(t.Context(), config{call: tt.call, target: ln.Addr().String(), token: tt.token}, &out)
			if got := status.Code(err); got != tt.want {
				t.Fatalf("call %s: code %v (%v), want %v", tt.call, got, err, tt.want)
			}
			if !strings.Contains(out.String(), tt.output) {
				t.Errorf("output %q lacks %q", out.String(), tt.output)
			}
		})
	}
}

func TestBearerRefusesCleartextOffLoopback(t *testing.T) {
	b := bearer{token: "t", loopback: false}
	if _, err := b.GetRequestMetadata(t.Context()); err == nil {
		t.Fatal("GetRequestMetadata() to a non-loopback target without TLS: error = nil")
	}
}
