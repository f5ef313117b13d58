package introspection_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/verifier"
)

// ExampleNew checks an opaque access token at the test issuer's
// introspection endpoint, found through its metadata.
func ExampleNew() {
	iss := issuertest.NewServer(issuertest.WithOpaqueAccessTokens())
	defer iss.Close()

	in, err := introspection.New(context.Background(), introspection.Config{
		Issuer:       iss.URL,
		ClientID:     issuertest.APIClientID,
		ClientSecret: issuertest.APIClientSecret,
		Audience:     iss.Audience(),
		CacheSize:    1000,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()

	token := iss.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}})
	claims, err := in.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Subject, claims.Scopes)
	// Output: alice [orders:read]
}

// Example_errors tells a refused token (answer 401) from an endpoint that
// cannot be asked now (answer 503).
func Example_errors() {
	iss := issuertest.NewServer()
	defer iss.Close()
	in, err := introspection.New(context.Background(), introspection.Config{
		Issuer:       iss.URL,
		ClientID:     issuertest.APIClientID,
		ClientSecret: issuertest.APIClientSecret,
		Audience:     iss.Audience(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()

	classify := func(token string) string {
		_, err := in.Verify(context.Background(), token)
		switch {
		case err == nil:
			return "ok"
		case errors.Is(err, verifier.ErrNotAccessToken):
			return "401: not an access token"
		case errors.Is(err, verifier.ErrInvalidToken):
			return "401: invalid token"
		case errors.Is(err, verifier.ErrUnavailable):
			return "503: try again later"
		}
		return "unexpected: " + err.Error()
	}

	fmt.Println(classify(iss.AccessToken(issuertest.TokenRequest{Subject: "alice"})))
	fmt.Println(classify("never-issued"))
	fmt.Println(classify("bad token with spaces"))
	fmt.Println(classify(iss.RefreshToken(issuertest.TokenRequest{Subject: "alice"})))
	iss.SetFault(issuertest.EndpointIntrospect, issuertest.StatusFault(500))
	fmt.Println(classify("any-token"))
	// Output:
	// ok
	// 401: invalid token
	// 401: invalid token
	// 401: not an access token
	// 503: try again later
}
