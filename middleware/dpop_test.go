package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/dpop"
	"github.com/tokengate/tokengate/internal/dpoptest"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
)

// TestGuardDPoPSettingsPanic: DPoP settings that cannot work are found at
// startup.
func TestGuardDPoPSettingsPanic(t *testing.T) {
	checker := newDPoPChecker(t, dpop.Config{})
	v := tokengate.TokenVerifierFunc(nil)
	for name, g := range map[string]*middleware.Guard{
		"DPoP without ExternalURL":            {DPoP: checker},
		"RequireDPoP without DPoP":            {RequireDPoP: true},
		"ExternalURL without DPoP":            {ExternalURL: "https://api.example.test"},
		"ExternalURL with a query":            {DPoP: checker, ExternalURL: "https://api.example.test/?a=1"},
		"ExternalURL over http, not loopback": {DPoP: checker, ExternalURL: "http://api.example.test"},
		"RequireDPoP with query tokens":       {DPoP: checker, ExternalURL: "https://api.example.test", RequireDPoP: true, AllowQueryToken: true},
		"ClientCertHeader not a header name":  {ClientCertHeader: "Client Cert"},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Require() did not panic")
				}
			}()
			g.Require(v)
		})
	}
}

// TestDPoPURLComesFromConfiguration: htu is ExternalURL and the path the
// client asked for, whatever the Host header says and wherever the route
// is mounted; RequestURL replaces both.
func TestDPoPURLComesFromConfiguration(t *testing.T) {
	iss := issuertest.NewServer()
	t.Cleanup(iss.Close)
	v := newJWT(t, iss, nil)
	key := dpoptest.NewKey("ES256")
	bound := tokenFor(t, iss, iss.Client(), key)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	mounted := func(g *middleware.Guard) http.Handler {
		return http.StripPrefix("/api", g.Require(v, scopes.All("orders:read"))(ok))
	}
	const external = "https://shop.example.test"
	tests := []struct {
		name   string
		h      http.Handler
		host   string
		htu    string
		status int
	}{
		{"the URL the client used, under a stripped prefix", mounted(&middleware.Guard{DPoP: newDPoPChecker(t, dpop.Config{}), ExternalURL: external}), "", external + "/api/orders", 200},
		{"the stripped path is not the client's URL", mounted(&middleware.Guard{DPoP: newDPoPChecker(t, dpop.Config{}), ExternalURL: external}), "", external + "/orders", 401},
		{"a proof for the Host header's name", mounted(&middleware.Guard{DPoP: newDPoPChecker(t, dpop.Config{}), ExternalURL: external}), "evil.example.test", "https://evil.example.test/api/orders", 401},
		{"RequestURL decides", mounted(&middleware.Guard{DPoP: newDPoPChecker(t, dpop.Config{}), RequestURL: func(r *http.Request) string { return "https://" + r.Host + "/v2" + r.URL.Path }}), "tenant.example.test", "https://tenant.example.test/v2/orders", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/orders?page=2", nil)
			if tt.host != "" {
				r.Host = tt.host
			}
			r.Header.Set("Authorization", "DPoP "+bound)
			r.Header.Set("DPoP", key.Sign(dpoptest.Proof{Method: "GET", URL: tt.htu, Token: bound}))
			w := httptest.NewRecorder()
			tt.h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("GET = %d %q, want %d", w.Code, strings.Join(w.Header().Values("WWW-Authenticate"), " | "), tt.status)
			}
		})
	}
}
