package grpcauth_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/dpop"
	"github.com/tokengate/tokengate/internal/dpoptest"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware/grpcauth"
)

// These tests run both sender-constrained bindings through the
// interceptors: DPoP with the proof in "dpop" metadata and htu from the
// configured service URL and the full method (RFC 9449), and certificate
// binding with the TLS peer's certificate (RFC 8705 §3).

const serviceURL = "https://orders.example.test"

// grpcToken gets an access token from iss's token endpoint by
// client_credentials, with a DPoP proof of key when it is not nil.
func grpcToken(t testing.TB, iss *issuertest.Server, client *http.Client, key *dpoptest.Key) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read"}}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, iss.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(issuertest.ServiceClientID, issuertest.ServiceClientSecret)
	if key != nil {
		req.Header.Set("DPoP", key.Sign(dpoptest.Proof{Method: "POST", URL: iss.URL + "/token"}))
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /token = %d, %v", resp.StatusCode, err)
	}
	return body.AccessToken
}

func TestDPoPThroughInterceptors(t *testing.T) {
	iss := issuertest.NewServer()
	t.Cleanup(iss.Close)
	checker, err := dpop.New(dpop.Config{RequireNonce: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]tokengate.TokenVerifier{"jwt": newJWT(t, iss), "introspection": newIntrospector(t, iss, nil)} {
		t.Run(name, func(t *testing.T) {
			p := &grpcauth.Policy{Unlisted: grpcauth.RequireDefault, DPoP: checker, ServiceURL: serviceURL}
			conn := startServer(t, p.UnaryServerInterceptor(v), p.StreamServerInterceptor(v))
			key, thief := dpoptest.NewKey("ES256"), dpoptest.NewKey("ES256")
			bound := grpcToken(t, iss, iss.Client(), key)
			proof := func(k *dpoptest.Key, method string) string {
				return k.Sign(dpoptest.Proof{Method: "POST", URL: serviceURL + method, Token: bound, Nonce: checker.Nonce()})
			}
			replayed := proof(key, whoamiMethod)
			var header metadata.MD
			ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "DPoP "+bound, "dpop", replayed)
			if err := conn.Invoke(ctx, whoamiMethod, wrapperspb.String("hi"), new(wrapperspb.StringValue), grpc.Header(&header)); err != nil {
				t.Fatalf("DPoP call with its proof: %v", err)
			}
			if len(header.Get("dpop-nonce")) != 1 {
				t.Errorf("header dpop-nonce = %q, want the next nonce (RFC 9449 §9)", header.Get("dpop-nonce"))
			}
			chat := metadata.AppendToOutgoingContext(t.Context(), "authorization", "DPoP "+bound, "dpop", proof(key, chatMethod))
			if _, err := callChat(chat, conn); err != nil {
				t.Fatalf("DPoP streaming call with its proof: %v", err)
			}
			tests := []struct {
				name string
				md   []string
				want string // in the status message
			}{
				{"stolen DPoP token sent as a bearer token (RFC 9449 §7.2)", []string{"authorization", "Bearer " + bound}, "cannot be used as a bearer token"},
				{"stolen DPoP token with the thief's proof", []string{"authorization", "DPoP " + bound, "dpop", proof(thief, whoamiMethod)}, "not bound to the DPoP proof's key"},
				{"no proof", []string{"authorization", "DPoP " + bound}, "no DPoP proof"},
				{"replayed proof", []string{"authorization", "DPoP " + bound, "dpop", replayed}, "used before"},
				{"proof for another method", []string{"authorization", "DPoP " + bound, "dpop", proof(key, chatMethod)}, "another URL"},
				{"proof without the nonce", []string{"authorization", "DPoP " + bound, "dpop", key.Sign(dpoptest.Proof{Method: "POST", URL: serviceURL + whoamiMethod, Token: bound})}, "nonce"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					var header metadata.MD
					err := conn.Invoke(metadata.AppendToOutgoingContext(t.Context(), tt.md...), whoamiMethod, wrapperspb.String("hi"), new(wrapperspb.StringValue), grpc.Header(&header))
					st, _ := status.FromError(err)
					if st.Code() != codes.Unauthenticated || !strings.Contains(st.Message(), tt.want) {
						t.Fatalf("call = %v, want Unauthenticated naming %q", err, tt.want)
					}
					if tt.md[1] != "Bearer "+bound && len(header.Get("dpop-nonce")) != 1 {
						t.Errorf("refusal of a DPoP call has dpop-nonce %q, want one", header.Get("dpop-nonce"))
					}
				})
			}
		})
	}
}

func TestPolicyDPoPSettings(t *testing.T) {
	checker, _ := dpop.New(dpop.Config{})
	v := tokengate.TokenVerifierFunc(nil)
	for _, p := range []*grpcauth.Policy{
		{DPoP: checker},          // no ServiceURL
		{RequireDPoP: true},      // no checker
		{ServiceURL: serviceURL}, // no checker
		{DPoP: checker, ServiceURL: serviceURL + "/orders"}, // a path
		{DPoP: checker, ServiceURL: "http://orders.example.test"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("UnaryServerInterceptor(%+v) did not panic", *p)
				}
			}()
			p.UnaryServerInterceptor(v)
		}()
	}
}

// TestCertificateBoundThroughInterceptors: over real TLS, a token bound to
// a client certificate passes only on a connection with that certificate.
func TestCertificateBoundThroughInterceptors(t *testing.T) {
	iss := issuertest.NewServer(issuertest.WithTLSClientCertificates())
	t.Cleanup(iss.Close)
	mine, _ := dpoptest.ClientCertificate("service")
	other, _ := dpoptest.ClientCertificate("thief")
	server, _ := dpoptest.ClientCertificate("localhost")
	bound := grpcToken(t, iss, iss.ClientWithCertificate(mine), nil)
	roots := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(server.Certificate[0])
	roots.AddCert(leaf)
	v := newJWT(t, iss)
	p := &grpcauth.Policy{Unlisted: grpcauth.RequireDefault}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{server}, ClientAuth: tls.RequestClientCert})
	sopts := []grpc.ServerOption{grpc.Creds(creds), grpc.UnaryInterceptor(p.UnaryServerInterceptor(v)), grpc.StreamInterceptor(p.StreamServerInterceptor(v))}
	dial := func(cert *tls.Certificate) *grpc.ClientConn {
		cfg := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	withMine := serveOn(t, lis, sopts, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{mine}})))
	for _, tt := range []struct {
		name string
		conn *grpc.ClientConn
		want codes.Code
	}{
		{"the certificate the token is bound to", withMine, codes.OK},
		{"another certificate", dial(&other), codes.Unauthenticated},
		{"no certificate", dial(nil), codes.Unauthenticated},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := callWhoami(withAuth(t.Context(), "Bearer "+bound), tt.conn)
			if got := status.Code(err); got != tt.want {
				t.Fatalf("call = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestRequireDPoPThroughInterceptors: with RequireDPoP, a bearer token is
// refused on every checked method, an unbound one too.
func TestRequireDPoPThroughInterceptors(t *testing.T) {
	iss := issuertest.NewServer()
	t.Cleanup(iss.Close)
	checker, _ := dpop.New(dpop.Config{})
	v := newJWT(t, iss)
	p := &grpcauth.Policy{Unlisted: grpcauth.RequireDefault, DPoP: checker, RequireDPoP: true, ServiceURL: serviceURL}
	conn := startServer(t, p.UnaryServerInterceptor(v), p.StreamServerInterceptor(v))
	key := dpoptest.NewKey("ES256")
	bound, plain := grpcToken(t, iss, iss.Client(), key), grpcToken(t, iss, iss.Client(), nil)
	for _, tt := range []struct {
		name string
		md   []string
		want codes.Code
	}{
		{"unbound bearer token", []string{"authorization", "Bearer " + plain}, codes.Unauthenticated},
		{"DPoP token with its proof", []string{"authorization", "DPoP " + bound, "dpop", key.Sign(dpoptest.Proof{Method: "POST", URL: serviceURL + whoamiMethod, Token: bound})}, codes.OK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := callWhoami(metadata.AppendToOutgoingContext(t.Context(), tt.md...), conn)
			if got := status.Code(err); got != tt.want {
				t.Fatalf("call = %v, want %v", err, tt.want)
			}
		})
	}
}
