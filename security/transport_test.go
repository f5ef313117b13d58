package security_test

import (
	"context"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/middleware/grpcauth"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// Transport attacks (RFC 6750 §2, §3.1; RFC 9110 §11): how the token is
// carried. These are refused before any verifier runs, so the sentinel is
// the one the middleware hands to its OnError hook.

// lastError records the error of the latest refusal.
type lastError struct {
	mu  sync.Mutex
	err error // guarded by mu
}

func (l *lastError) set(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = err
}

func (l *lastError) get() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func TestTransportAttacksHTTP(t *testing.T) {
	f := newFixtureSetup(t, fixture(t, "jwks.json"), nil)
	valid := token(t, "valid-rs256")
	var last lastError
	strict := newGate(t, f.v, &middleware.Guard{OnError: func(_ *http.Request, err error) { last.set(err) }})
	withQuery := newGate(t, f.v, &middleware.Guard{AllowQueryToken: true, OnError: func(_ *http.Request, err error) { last.set(err) }})
	huge := strings.Repeat("A", 1<<20)

	tests := []struct {
		name    string
		g       *gate
		auth    []string
		query   string
		want    want
		sentErr error // the sentinel OnError gets
	}{
		{"no token (RFC 6750 §3.1: bare challenge)", strict, nil, "", want{status: 401, challenge: chBare}, verifier.ErrNoToken},
		{"Basic credentials", strict, []string{"Basic YWxpY2U6c2VjcmV0"}, "", want{status: 401, challenge: chBare}, verifier.ErrNoToken},
		{"Bearer twice in one value", strict, []string{"Bearer Bearer " + valid}, "", want{status: 400, challenge: chMalformed}, verifier.ErrInvalidRequest},
		{"two Bearer credentials in one value", strict, []string{"Bearer " + valid + ", Bearer " + valid}, "", want{status: 400, challenge: chMalformed}, verifier.ErrInvalidRequest},
		{"two Authorization headers (RFC 6750 §2)", strict, []string{"Bearer " + valid, "Bearer " + valid}, "", want{status: 400, challenge: chTwoTokens}, verifier.ErrInvalidRequest},
		{"header plus query token (RFC 6750 §2: one method)", withQuery, []string{"Bearer " + valid}, "access_token=" + valid, want{status: 400, challenge: chTwoTokens}, verifier.ErrInvalidRequest},
		{"query token while query tokens are disabled (RFC 6750 §2.3)", strict, nil, "access_token=" + valid, want{status: 401, challenge: chBare}, verifier.ErrNoToken},
		{"1 MiB token", strict, []string{"Bearer " + huge}, "", want{status: 401, challenge: chTooLarge}, verifier.ErrInvalidToken},
		{"space inside the token", strict, []string{"Bearer " + valid[:20] + " " + valid[20:]}, "", want{status: 400, challenge: chMalformed}, verifier.ErrInvalidRequest},
		{"tab inside the token", strict, []string{"Bearer " + valid[:20] + "\t" + valid[20:]}, "", want{status: 400, challenge: chMalformed}, verifier.ErrInvalidRequest},
		{"two spaces after the scheme", strict, []string{"Bearer  " + valid}, "", want{status: 400, challenge: chMalformed}, verifier.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			last.set(nil)
			calls := tt.g.calls.Load()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tt.g.url+"/?"+tt.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			a := tt.g.send(t, req, tt.auth...)
			wantAnswer(t, a, tt.want, valid)
			wantSentinel(t, "OnError", last.get(), tt.sentErr)
			if n := tt.g.calls.Load() - calls; n != 0 {
				t.Errorf("the verifier ran %d times, want 0: refused before verification", n)
			}
		})
	}
	t.Run("lowercase bearer is the same scheme (RFC 9110 §11.1)", func(t *testing.T) {
		if a := strict.get(t, "bearer "+valid); a.status != http.StatusOK {
			t.Fatalf("status = %d, want 200", a.status)
		}
	})
}

// TestTokenInMultipartBodyIsNotParsed: with form tokens allowed, a 10 MiB
// multipart body is still never read (RFC 6750 §2.2 allows only
// application/x-www-form-urlencoded), so it can neither smuggle a token
// nor cost memory.
func TestTokenInMultipartBodyIsNotParsed(t *testing.T) {
	f := newFixtureSetup(t, fixture(t, "jwks.json"), nil)
	var last lastError
	var read atomic.Int64
	mw := (&middleware.Guard{AllowFormToken: true, OnError: func(_ *http.Request, err error) { last.set(err) }}).Require(f.v)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, handlerAnswer) }))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cr := &countingReader{r: r.Body}
		r.Body = cr
		mw.ServeHTTP(w, r)
		read.Store(cr.n)
	}))
	t.Cleanup(srv.Close)

	valid := token(t, "valid-rs256")
	pr, pw := io.Pipe()
	mp := multipart.NewWriter(pw)
	go func() {
		mp.WriteField("access_token", valid)
		part, _ := mp.CreateFormFile("upload", "big.bin")
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range 160 { // 10 MiB
			if _, err := part.Write(chunk); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		mp.Close()
		pw.Close()
	}()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mp.FormDataContentType())
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	pr.CloseWithError(io.ErrClosedPipe)
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") != chBare {
		t.Errorf("POST multipart = %d %q, want 401 %q", res.StatusCode, res.Header.Get("WWW-Authenticate"), chBare)
	}
	wantSentinel(t, "OnError", last.get(), verifier.ErrNoToken)
	if n := read.Load(); n != 0 {
		t.Errorf("the middleware read %d bytes of the multipart body, want 0", n)
	}
}

type countingReader struct {
	r io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }

// TestTransportAttacksGRPC: the same rules for the "authorization"
// metadata, on a real gRPC server on loopback.
func TestTransportAttacksGRPC(t *testing.T) {
	f := newFixtureSetup(t, fixture(t, "jwks.json"), nil)
	valid := token(t, "valid-rs256")
	var last lastError
	p := &grpcauth.Policy{Unlisted: grpcauth.RequireDefault, Default: []scopes.Requirement{}, OnError: func(_ context.Context, _ string, err error) { last.set(err) }}
	conn := startGRPC(t, p.UnaryServerInterceptor(f.v))
	tests := []struct {
		name    string
		md      []string // authorization values
		want    codes.Code
		sentErr error
	}{
		{"valid token (control)", []string{"Bearer " + valid}, codes.OK, nil},
		{"no metadata", nil, codes.Unauthenticated, verifier.ErrNoToken},
		{"two authorization values", []string{"Bearer " + valid, "Bearer " + valid}, codes.InvalidArgument, verifier.ErrInvalidRequest},
		{"a 1 MiB value", []string{"Bearer " + strings.Repeat("A", 1<<20)}, codes.Unauthenticated, verifier.ErrInvalidToken},
		{"a bad token", []string{"Bearer " + token(t, "alg-none")}, codes.Unauthenticated, verifier.ErrAlgorithmNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			last.set(nil)
			ctx := t.Context()
			for _, v := range tt.md {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", v)
			}
			_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if got := status.Code(err); got != tt.want {
				t.Fatalf("Check() code = %v (%v), want %v", got, err, tt.want)
			}
			if tt.sentErr != nil {
				wantSentinel(t, "OnError", last.get(), tt.sentErr)
				if strings.Contains(status.Convert(err).Message(), valid) {
					t.Error("the status message echoes the token")
				}
			}
		})
	}
}

// startGRPC serves the health service behind unary on loopback until the
// test ends, and dials it.
func startGRPC(t testing.TB, unary grpc.UnaryServerInterceptor) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(unary))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	t.Cleanup(func() { srv.Stop(); <-done })
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
