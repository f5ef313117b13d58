package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// get sends a GET with an optional bearer token and prints the answer.
func get(url, token string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	fmt.Println(res.StatusCode, res.Header.Get("WWW-Authenticate"))
}

// One line protects a route. The issuer here is issuertest, so the example
// runs offline; in production Issuer is your authorization server.
func ExampleRequire() {
	iss := issuertest.NewServer()
	defer iss.Close()
	v, err := verifier.New(context.Background(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience()})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /orders", middleware.Require(v, scopes.All("orders:read"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			claims, _ := verifier.FromContext(r.Context())
			fmt.Println("orders for", claims.Subject)
		})))
	api := httptest.NewServer(mux)
	defer api.Close()

	get(api.URL+"/orders", "")
	get(api.URL+"/orders", iss.AccessToken(issuertest.TokenRequest{Subject: "alice"}))
	get(api.URL+"/orders", iss.ExpiredToken(issuertest.TokenRequest{Subject: "alice"}))
	get(api.URL+"/orders", iss.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}}))
	// Output:
	// 401 Bearer
	// 403 Bearer error="insufficient_scope", error_description="the access token lacks a scope this resource requires", scope="orders:read"
	// 401 Bearer error="invalid_token", error_description="the access token expired"
	// orders for alice
	// 200
}

// A Guard carries the options. Here refusals are answered with RFC 9457
// problem details, logged, and point clients at the resource's RFC 9728
// metadata.
func ExampleGuard_errorHandler() {
	iss := issuertest.NewServer()
	defer iss.Close()
	v, err := verifier.New(context.Background(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience()})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	g := &middleware.Guard{
		Realm:            "orders",
		ResourceMetadata: "https://api.example.com/.well-known/oauth-protected-resource",
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, e *middleware.Error) {
			w.Header().Set("Content-Type", "application/problem+json")
			_ = json.NewEncoder(w).Encode(map[string]any{"status": e.Status, "title": e.Code, "detail": e.Description})
		},
		OnError: func(r *http.Request, err error) {
			// err is the whole chain (never the token): log it, or count
			// refusals by sentinel.
			fmt.Println("refused, expired:", errors.Is(err, verifier.ErrTokenExpired))
		},
	}
	api := httptest.NewServer(g.Require(v, scopes.All("orders:read"))(http.NotFoundHandler()))
	defer api.Close()

	req, _ := http.NewRequest(http.MethodGet, api.URL, nil)
	req.Header.Set("Authorization", "Bearer "+iss.ExpiredToken(issuertest.TokenRequest{}))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	var problem map[string]any
	_ = json.NewDecoder(res.Body).Decode(&problem)
	fmt.Println(res.StatusCode, res.Header.Get("Content-Type"))
	fmt.Println(problem["title"], "-", problem["detail"])
	fmt.Println(res.Header.Get("WWW-Authenticate"))
	// Output:
	// refused, expired: true
	// 401 application/problem+json
	// invalid_token - the access token expired
	// Bearer realm="orders", error="invalid_token", error_description="the access token expired", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"
}

// Guard.Check refuses a valid token that the scopes alone would let in.
// The client gets a 403 whose challenge names no scope, as more scope would
// not help; a check returning an error that wraps verifier.ErrUnavailable
// would get a 503 instead.
func ExampleGuard_check() {
	iss := issuertest.NewServer()
	defer iss.Close()
	v, err := verifier.New(context.Background(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience()})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	g := &middleware.Guard{Check: func(r *http.Request, c *verifier.Claims) error {
		if c.ClientID != "billing" {
			return fmt.Errorf("client_id %q is not on the allow-list", c.ClientID)
		}
		return nil
	}}
	api := httptest.NewServer(g.Require(v, scopes.All("invoices:read"))(http.NotFoundHandler()))
	defer api.Close()

	get(api.URL, iss.AccessToken(issuertest.TokenRequest{Scopes: []string{"invoices:read"}}))
	// Output:
	// 403 Bearer error="insufficient_scope", error_description="the access token does not grant access to this resource"
}

func ExampleProtectedResourceMetadata() {
	md := &middleware.ProtectedResourceMetadata{
		Resource:               "https://api.example.com",
		AuthorizationServers:   []string{"https://issuer.example.com"},
		ScopesSupported:        []string{"orders:read"},
		BearerMethodsSupported: []string{"header"},
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+middleware.WellKnownPath, md)

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, middleware.WellKnownPath, nil))
	fmt.Print(w.Body.String())

	url, _ := middleware.ResourceMetadataURL("https://api.example.com/v1")
	fmt.Println(url)
	// Output:
	// {"resource":"https://api.example.com","authorization_servers":["https://issuer.example.com"],"scopes_supported":["orders:read"],"bearer_methods_supported":["header"]}
	// https://api.example.com/.well-known/oauth-protected-resource/v1
}
