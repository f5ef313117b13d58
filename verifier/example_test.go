package verifier_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/verifier"
)

// ExampleNew verifies an access token from the bundled test issuer; with a
// real provider, Issuer and Audience are all that changes.
func ExampleNew() {
	iss := issuertest.NewServer()
	defer iss.Close()

	ctx := context.Background()
	v, err := verifier.New(ctx, verifier.Config{
		Issuer:   iss.URL,        // discovery finds the JWKS from here
		Audience: iss.Audience(), // the identifier of this API
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	token := iss.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}})
	claims, err := v.Verify(ctx, token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(claims.Subject, claims.ClientID, claims.Scopes)
	// Output: alice web-app [orders:read]
}

// Example_errors shows how a caller tells the kinds of failure apart: a
// token to refuse, a token of the wrong kind, and an issuer that cannot be
// reached.
func Example_errors() {
	iss := issuertest.NewServer()
	defer iss.Close()
	ctx := context.Background()
	v, err := verifier.New(ctx, verifier.Config{Issuer: iss.URL, Audience: iss.Audience()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	for _, token := range []string{
		iss.ExpiredToken(issuertest.TokenRequest{Subject: "alice"}),
		iss.IDToken(issuertest.TokenRequest{Subject: "alice", Nonce: "n-0S6_WzA2Mj"}),
		iss.WrongAudienceToken(issuertest.TokenRequest{Subject: "alice"}),
	} {
		_, err := v.Verify(ctx, token)
		switch {
		case errors.Is(err, verifier.ErrUnavailable):
			fmt.Println("503: try again later")
		case errors.Is(err, verifier.ErrTokenExpired):
			fmt.Println("401: expired, the client may refresh")
		case errors.Is(err, verifier.ErrNotAccessToken):
			fmt.Println("401: not an access token")
		case errors.Is(err, verifier.ErrInvalidToken):
			fmt.Println("401: invalid token")
		}
	}
	// Output:
	// 401: expired, the client may refresh
	// 401: not an access token
	// 401: invalid token
}
