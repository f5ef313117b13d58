package issuertest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// A user's API test: start the issuer, protect the handler with the
// verifier it runs in production, mint a token, call the handler; then
// check that every bad token is refused.
func ExampleNewServer() {
	iss := issuertest.NewServer()
	defer iss.Close()
	v, err := verifier.New(context.Background(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verifier.FromContext(r.Context())
		fmt.Fprintf(w, "orders of %s", c.Subject)
	})
	h := middleware.Require(v, scopes.All("orders:read"))(orders)

	tok := iss.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}})
	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())

	for _, bad := range iss.BadTokens(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}}) {
		req.Header.Set("Authorization", "Bearer "+bad.Token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			fmt.Println("accepted:", bad.Name)
		}
	}
	// Output:
	// 200 orders of alice
}

// Faults make the issuer misbehave for resilience tests.
func ExampleServer_SetFault() {
	iss := issuertest.NewServer()
	defer iss.Close()
	iss.SetFault(issuertest.EndpointJWKS, issuertest.StatusFault(http.StatusServiceUnavailable))

	resp, err := iss.Client().Get(iss.URL + "/jwks")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, iss.Requests(issuertest.EndpointJWKS))

	iss.ClearFault(issuertest.EndpointJWKS)
	// Output: 503 1
}
