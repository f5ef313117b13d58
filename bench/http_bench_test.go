package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/validator"

	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// httpAlg is the algorithm of the HTTP and gRPC benchmarks; the cost of
// the other algorithms' signatures is in BenchmarkVerify.
const httpAlg = "RS256"

// requiredScope is the scope every protected route of the benchmarks
// requires, and the fixture's tokens carry.
const requiredScope = "orders:read"

// ordersHandler is the route every HTTP benchmark serves. It reads the
// claims when there are any, as a protected handler would.
var ordersHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if c, ok := verifier.FromContext(r.Context()); ok && c.Subject == "" {
		http.Error(w, "no subject", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"orders":[]}`)
})

// httpRoutes returns the route unprotected, handed claims without any
// check ("claims-only", below), behind tokengate's Require,
// behind auth0's middleware with the same scope check in the handler (as
// auth0's middleware has none), and "floor": unprotected, but the handler
// first does the floor's signature check of the fixture token. The floor
// route tells the cost of a request that burns a signature check's CPU
// from the cost of the middleware, over a connection where the two differ
// (the Go scheduler parks and wakes threads around a long handler).
func httpRoutes(tb testing.TB, f *fixture) map[string]http.Handler {
	tb.Helper()
	v := newTokengateJWT(tb, f)
	a := newAuth0Validator(tb, f, httpAlg)
	auth0Scoped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !auth0HasScope(r, requiredScope) {
			http.Error(w, "insufficient scope", http.StatusForbidden)
			return
		}
		ordersHandler.ServeHTTP(w, r)
	})
	check := floor(tb, f, httpAlg, f.tokens[httpAlg])
	floorFirst := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !check() {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		ordersHandler.ServeHTTP(w, r)
	})
	// handOnly gives the handler claims through the request context and
	// checks nothing: what carrying claims to a handler costs
	// (context.WithValue, Request.WithContext), without the middleware's
	// work.
	claims := &verifier.Claims{Subject: subject, Scopes: []string{requiredScope}}
	handOnly := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ordersHandler.ServeHTTP(w, r.WithContext(verifier.NewContext(r.Context(), claims)))
	})
	return map[string]http.Handler{
		"unprotected": ordersHandler,
		"claims-only": handOnly,
		"floor":       floorFirst,
		"tokengate":   middleware.Require(v, scopes.All(requiredScope))(ordersHandler),
		"auth0":       jwtmiddleware.New(a.ValidateToken).CheckJWT(auth0Scoped),
	}
}

// auth0HasScope reports whether the claims auth0's middleware put in r's
// context grant scope.
func auth0HasScope(r *http.Request, scope string) bool {
	vc, ok := r.Context().Value(jwtmiddleware.ContextKey{}).(*validator.ValidatedClaims)
	if !ok {
		return false
	}
	c, ok := vc.CustomClaims.(*auth0Claims)
	if !ok {
		return false
	}
	for _, s := range strings.Fields(c.Scope) {
		if s == scope {
			return true
		}
	}
	return false
}

// BenchmarkHTTP is one request through each route's handler chain, with a
// prebuilt request and an httptest.ResponseRecorder: the middleware's
// cost without the network's. The baseline is the unprotected route.
func BenchmarkHTTP(b *testing.B) {
	f := getFixture(b)
	routes := httpRoutes(b, f)
	for _, name := range []string{"unprotected", "claims-only", "floor", "tokengate", "auth0"} {
		b.Run(httpAlg+"/"+name, func(b *testing.B) {
			h, req := routes[name], ordersRequest(f.tokens[httpAlg])
			serveOnce(b, h, req)
			b.ReportAllocs()
			for b.Loop() {
				serveOnce(b, h, req)
			}
		})
	}
}

// BenchmarkHTTPParallel is BenchmarkHTTP from GOMAXPROCS goroutines.
func BenchmarkHTTPParallel(b *testing.B) {
	f := getFixture(b)
	routes := httpRoutes(b, f)
	for _, name := range []string{"unprotected", "tokengate"} {
		b.Run(httpAlg+"/"+name, func(b *testing.B) {
			h := routes[name]
			serveOnce(b, h, ordersRequest(f.tokens[httpAlg]))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := ordersRequest(f.tokens[httpAlg])
				for pb.Next() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Errorf("status = %d, want 200", w.Code)
						return
					}
				}
			})
		})
	}
}

// BenchmarkHTTPLoopback is a whole request over a kept-alive loopback
// connection to an httptest.Server: client, network stack and server
// included, for scale.
func BenchmarkHTTPLoopback(b *testing.B) {
	f := getFixture(b)
	routes := httpRoutes(b, f)
	for _, name := range []string{"unprotected", "floor", "tokengate"} {
		b.Run(httpAlg+"/"+name, func(b *testing.B) {
			srv := httptest.NewServer(routes[name])
			defer srv.Close()
			client := srv.Client()
			req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, srv.URL+"/orders", nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+f.tokens[httpAlg])
			get(b, client, req)
			b.ReportAllocs()
			for b.Loop() {
				get(b, client, req)
			}
		})
	}
}

func ordersRequest(token string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

func serveOnce(b *testing.B, h http.Handler, req *http.Request) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("status = %d, want 200 (%s)", w.Code, strings.TrimSpace(w.Body.String()))
	}
}

func get(b *testing.B, client *http.Client, req *http.Request) {
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status = %d, want 200", resp.StatusCode)
	}
}
