package middleware_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// These tests walk the DESIGN.md behaviour table with the real parts: a
// verifier.JWT and an introspection.Introspector checking tokens minted by
// issuertest, behind a real http.ServeMux on a loopback listener.

const realm = `Bearer realm="orders"`

// row is one request of the behaviour table and the answer it must get.
type row struct {
	name       string
	auth       []string // Authorization header values
	wantStatus int
	wantAuth   string // exact WWW-Authenticate; "" means none
}

func invalidToken(desc string) string {
	return realm + `, error="invalid_token", error_description="` + desc + `"`
}

const (
	invalidRequestTwo = realm + `, error="invalid_request", error_description="the request carries more than one access token"`
	invalidRequestBad = realm + `, error="invalid_request", error_description="the bearer credential is malformed"`
	insufficientScope = realm + `, error="insufficient_scope", error_description="the access token lacks a scope this resource requires", scope="orders:read"`
)

// commonRows are the rows that do not depend on how tokens are checked.
func commonRows(good, noScope string) []row {
	return []row{
		{name: "valid token with the scope", auth: []string{"Bearer " + good}, wantStatus: 200},
		{name: "no token", wantStatus: 401, wantAuth: realm},
		{name: "basic credentials", auth: []string{"Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ="}, wantStatus: 401, wantAuth: realm},
		{name: "second token smuggled in a second header", auth: []string{"Bearer " + good, "Bearer " + noScope}, wantStatus: 400, wantAuth: invalidRequestTwo},
		{name: "bad authorization syntax", auth: []string{"Bearer  " + good}, wantStatus: 400, wantAuth: invalidRequestBad},
		{name: "token with a trailing part", auth: []string{"Bearer " + good + " x"}, wantStatus: 400, wantAuth: invalidRequestBad},
		{name: "valid token, missing scope", auth: []string{"Bearer " + noScope}, wantStatus: 403, wantAuth: insufficientScope},
		{name: "oversized token", auth: []string{"Bearer " + strings.Repeat("A", 9000)}, wantStatus: 401, wantAuth: invalidToken("the access token is too large")},
	}
}

// ordersAPI serves GET /orders/{id} behind guard and v, and returns its URL.
func ordersAPI(t testing.TB, v verifier.TokenVerifier) string {
	t.Helper()
	g := &middleware.Guard{Realm: "orders"}
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", g.Require(v, scopes.All("orders:read"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			c, ok := verifier.FromContext(r.Context())
			if !ok {
				http.Error(w, "no claims", http.StatusInternalServerError)
				return
			}
			fmt.Fprintf(w, "order %s for %s", r.PathValue("id"), c.Subject)
		})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// check sends each row to url and compares the answer.
func check(t *testing.T, url string, rows []row) {
	t.Helper()
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/orders/42", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tt.auth {
				req.Header.Add("Authorization", a)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
			res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("GET /orders/42 = %d %q, want %d", res.StatusCode, body, tt.wantStatus)
			}
			if got := res.Header.Get("WWW-Authenticate"); got != tt.wantAuth {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantAuth)
			}
			if got := res.Header.Get("Retry-After"); (got != "") != (tt.wantStatus == 503) {
				t.Errorf("Retry-After = %q on a %d", got, tt.wantStatus)
			}
			if tt.wantStatus == 200 && !strings.HasPrefix(string(body), "order 42 for ") {
				t.Errorf("body = %q, want the handler's answer with the path value", body)
			}
			for _, a := range tt.auth {
				if tok := strings.TrimPrefix(a, "Bearer "); len(tok) > 8 && strings.Contains(string(body)+res.Header.Get("WWW-Authenticate"), tok) {
					t.Errorf("response echoes the token")
				}
			}
		})
	}
}

// newJWT returns a verifier.JWT for iss, closed at the end of the test.
func newJWT(t testing.TB, iss *issuertest.Server, now func() time.Time) *verifier.JWT {
	t.Helper()
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience(), HTTPClient: iss.Client(), Now: now})
	if err != nil {
		t.Fatalf("verifier.New() error = %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// newIntrospector returns an introspection.Introspector for iss.
func newIntrospector(t testing.TB, iss *issuertest.Server, now func() time.Time) *introspection.Introspector {
	t.Helper()
	in, err := introspection.New(t.Context(), introspection.Config{
		Issuer:       iss.URL,
		ClientID:     issuertest.APIClientID,
		ClientSecret: issuertest.APIClientSecret,
		Audience:     iss.Audience(),
		CacheSize:    100,
		HTTPClient:   iss.Client(),
		Now:          now,
	})
	if err != nil {
		t.Fatalf("introspection.New() error = %v", err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

func TestE2EBehaviourTableJWT(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	url := ordersAPI(t, newJWT(t, iss, nil))

	alice := issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}}
	rows := commonRows(iss.AccessToken(alice), iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice}))
	rows = append(rows,
		row{name: "malformed jwt", auth: []string{"Bearer not.a.jwt"}, wantStatus: 401, wantAuth: invalidToken("the access token is malformed")},
		row{name: "expired token replayed", auth: []string{"Bearer " + iss.ExpiredToken(alice)}, wantStatus: 401, wantAuth: invalidToken("the access token expired")},
		row{name: "id token as access token", auth: []string{"Bearer " + iss.IDTokenAsAccessToken(alice)}, wantStatus: 401, wantAuth: invalidToken("the token is not an access token")},
	)
	// Each refusal names the check that failed, never the values.
	described := map[string]string{
		"not yet valid":                   "the token is not valid yet",
		"wrong audience":                  "the token's audience is not this API",
		"wrong issuer":                    "the token's issuer is not trusted by this API",
		"signed by a key not in the jwks": "the token's signature is not valid",
		"alg none":                        "the token's algorithm is not allowed",
		"hs256 keyed with the public key": "the token's algorithm is not allowed",
	}
	for _, bad := range iss.BadTokens(alice) {
		switch bad.Name {
		case "expired", "id token as access token":
			continue // above, with their own description
		}
		desc, ok := described[bad.Name]
		if !ok {
			desc = "the access token is invalid"
		}
		rows = append(rows, row{name: bad.Name, auth: []string{"Bearer " + bad.Token}, wantStatus: 401, wantAuth: invalidToken(desc)})
	}
	check(t, url, rows)
}

func TestE2EBehaviourTableIntrospection(t *testing.T) {
	clock := issuertest.NewClock(time.Now())
	iss := issuertest.NewServer(issuertest.WithOpaqueAccessTokens(), issuertest.WithClock(clock.Now))
	defer iss.Close()
	url := ordersAPI(t, newIntrospector(t, iss, clock.Now))

	alice := issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}}
	short := alice
	short.Lifetime = time.Minute
	expiring := iss.AccessToken(short)
	rows := commonRows(iss.AccessToken(alice), iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice}))
	rows = append(rows,
		row{name: "inactive token", auth: []string{"Bearer bm90LWEtcmVhbC10b2tlbg"}, wantStatus: 401, wantAuth: invalidToken("the access token is invalid")},
		row{name: "id token as access token", auth: []string{"Bearer " + iss.IDTokenAsAccessToken(alice)}, wantStatus: 401, wantAuth: invalidToken("the access token is invalid")},
		row{name: "jwt signed by a foreign key", auth: []string{"Bearer " + iss.ForeignKeyToken(alice)}, wantStatus: 401, wantAuth: invalidToken("the access token is invalid")},
	)
	check(t, url, rows)

	clock.Advance(2 * time.Minute)
	check(t, url, []row{{name: "expired token", auth: []string{"Bearer " + expiring}, wantStatus: 401, wantAuth: invalidToken("the access token is invalid")}})
}

func TestE2EUnavailable(t *testing.T) {
	t.Run("jwks unreachable and nothing cached", func(t *testing.T) {
		iss := issuertest.NewServer()
		defer iss.Close()
		iss.SetFault(issuertest.EndpointJWKS, issuertest.StatusFault(http.StatusServiceUnavailable))
		url := ordersAPI(t, newJWT(t, iss, nil))
		tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}})
		check(t, url, []row{{name: "valid token, issuer down", auth: []string{"Bearer " + tok}, wantStatus: 503}})
	})
	t.Run("introspection unreachable and nothing cached", func(t *testing.T) {
		iss := issuertest.NewServer(issuertest.WithOpaqueAccessTokens())
		defer iss.Close()
		url := ordersAPI(t, newIntrospector(t, iss, nil))
		tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}})
		iss.SetFault(issuertest.EndpointIntrospect, issuertest.StatusFault(http.StatusInternalServerError))
		check(t, url, []row{{name: "valid token, issuer down", auth: []string{"Bearer " + tok}, wantStatus: 503}})
		iss.ClearFaults()
		check(t, url, []row{{name: "valid token, issuer back", auth: []string{"Bearer " + tok}, wantStatus: 200}})
	})
	t.Run("introspection garbage is not blamed on the token", func(t *testing.T) {
		iss := issuertest.NewServer(issuertest.WithOpaqueAccessTokens())
		defer iss.Close()
		url := ordersAPI(t, newIntrospector(t, iss, nil))
		iss.SetFault(issuertest.EndpointIntrospect, issuertest.GarbageFault())
		tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}})
		check(t, url, []row{{name: "garbage answer", auth: []string{"Bearer " + tok}, wantStatus: 503}})
	})
}
