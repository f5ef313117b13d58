package issuertest_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/issuertest"
)

// ordersHandler stands for the API under test. In a real test it is
// protected by tokengate's verifier (Issuer: iss.URL, Audience:
// iss.Audience()); here a small golang-jwt check plays that part.
func ordersHandler(iss *issuertest.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
			if t.Header["typ"] != "at+jwt" { // RFC 9068 §4: not an ID token
				return nil, errors.New("not an access token")
			}
			kid, _ := t.Header["kid"].(string)
			return iss.PublicKey(kid), nil
		}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(iss.URL), jwt.WithAudience(iss.Audience()))
		if err != nil {
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "orders of %s", claims["sub"])
	})
}

// A user's API test: start the issuer, mint a token, call the handler.
func ExampleNewServer() {
	iss := issuertest.NewServer()
	defer iss.Close()
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}})

	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	ordersHandler(iss).ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())

	// The negative cases: every bad token is refused.
	for _, bad := range iss.BadTokens(issuertest.TokenRequest{Subject: "alice"}) {
		req.Header.Set("Authorization", "Bearer "+bad.Token)
		rec := httptest.NewRecorder()
		ordersHandler(iss).ServeHTTP(rec, req)
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
