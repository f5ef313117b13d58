package bench

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tokengate/tokengate/verifier"
)

// TestFloorChecksTheSignature checks that the floor really verifies: it
// accepts each fixture token and refuses another token's signature.
func TestFloorChecksTheSignature(t *testing.T) {
	f := getFixture(t)
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			good := f.tokens[alg]
			if !floor(t, f, alg, good)() {
				t.Errorf("floor(%s token) = false, want true", alg)
			}
			other := f.sign(alg, f.claims(map[string]any{"sub": "admin"}))
			forged := other[:strings.LastIndexByte(other, '.')] + good[strings.LastIndexByte(good, '.'):]
			if floor(t, f, alg, forged)() {
				t.Errorf("floor(token with another token's signature) = true, want false")
			}
		})
	}
}

// TestHTTPRoutesCheckTokens checks that the protected routes of
// BenchmarkHTTP refuse what they must, so that their figures are those of
// real checks.
func TestHTTPRoutesCheckTokens(t *testing.T) {
	f := getFixture(t)
	routes := httpRoutes(t, f)
	wrongAud := f.sign(httpAlg, f.claims(map[string]any{"aud": "https://other-api.example.test"}))
	noScope := f.sign(httpAlg, f.claims(map[string]any{"scope": "profile"}))
	tests := []struct {
		name  string
		route string
		token string
		want  int
	}{
		{"unprotected serves anyone", "unprotected", "", http.StatusOK},
		{"floor serves the fixture token", "floor", "", http.StatusOK},
		{"tokengate valid token", "tokengate", f.tokens[httpAlg], http.StatusOK},
		{"tokengate no token", "tokengate", "", http.StatusUnauthorized},
		{"tokengate wrong audience", "tokengate", wrongAud, http.StatusUnauthorized},
		{"tokengate missing scope", "tokengate", noScope, http.StatusForbidden},
		{"auth0 valid token", "auth0", f.tokens[httpAlg], http.StatusOK},
		// auth0's default error handler answers 400 to a request without a
		// token (RFC 6750 §3.1 wants 401): refused all the same.
		{"auth0 no token", "auth0", "", http.StatusBadRequest},
		{"auth0 wrong audience", "auth0", wrongAud, http.StatusUnauthorized},
		{"auth0 missing scope", "auth0", noScope, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/orders", nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			w := httptest.NewRecorder()
			routes[tt.route].ServeHTTP(w, req)
			if w.Code != tt.want {
				t.Errorf("%s: status = %d, want %d", tt.route, w.Code, tt.want)
			}
		})
	}
}

// TestGRPCInterceptorChecksTokens checks the servers of BenchmarkGRPC.
func TestGRPCInterceptorChecksTokens(t *testing.T) {
	f := getFixture(t)
	clients := grpcClients(t, f)
	wrongAud := f.sign(httpAlg, f.claims(map[string]any{"aud": "https://other-api.example.test"}))
	tests := []struct {
		name   string
		server string
		token  string
		want   codes.Code
	}{
		{"unprotected", "unprotected", wrongAud, codes.OK},
		{"floor", "floor", "", codes.OK},
		{"tokengate valid token", "tokengate", f.tokens[httpAlg], codes.OK},
		{"tokengate wrong audience", "tokengate", wrongAud, codes.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := clients[tt.server].Check(withToken(t.Context(), tt.token), &healthpb.HealthCheckRequest{})
			if got := status.Code(err); got != tt.want {
				t.Errorf("Check() code = %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
}

// TestIntrospectionCacheHitsAndMisses checks that the cache-hit benchmark
// makes no call and the miss benchmark one call per Verify, and that the
// introspector checks the audience of the response.
func TestIntrospectionCacheHitsAndMisses(t *testing.T) {
	f := getFixture(t)
	srv, calls := introspectionServer(t, f)
	tests := []struct {
		name      string
		cacheSize int
		wantCalls int64
	}{
		{"cache-hit", 1024, 1},
		{"cache-miss-loopback", 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newIntrospector(t, f, srv.URL, tt.cacheSize, audience)
			calls.Store(0) // after New's credential check
			for range 3 {
				c, err := in.Verify(t.Context(), opaqueToken)
				if err != nil || c.Subject != subject {
					t.Fatalf("Verify() = %v, %v; want subject %q", c, err, subject)
				}
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls to the endpoint = %d, want %d", got, tt.wantCalls)
			}
		})
	}
	t.Run("response for another audience", func(t *testing.T) {
		in := newIntrospector(t, f, srv.URL, 0, "https://other-api.example.test")
		if _, err := in.Verify(t.Context(), opaqueToken); !errors.Is(err, verifier.ErrInvalidToken) {
			t.Errorf("Verify() error = %v, want %v", err, verifier.ErrInvalidToken)
		}
	})
}
