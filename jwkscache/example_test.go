package jwkscache_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/tokengate/tokengate/jwkscache"
)

func ExampleNew() {
	// An issuer publishing one Ed25519 key (a fixed seed keeps the output stable).
	pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		fmt.Fprintf(w, `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","use":"sig","x":%q}]}`,
			base64.RawURLEncoding.EncodeToString(pub))
	}))
	defer issuer.Close()

	ctx := context.Background()
	keys, err := jwkscache.New(ctx, jwkscache.Config{URL: issuer.URL, HTTPClient: issuer.Client()})
	if err != nil {
		panic(err) // only a bad Config fails New
	}
	defer keys.Close()

	// The verifier asks for the key named by a token's header.
	key, err := keys.Key(ctx, "k1", "EdDSA")
	fmt.Printf("%T %v\n", key, err)

	// The same key never serves another algorithm.
	_, err = keys.Key(ctx, "k1", "RS256")
	fmt.Println(errors.Is(err, jwkscache.ErrKeyNotFound))

	fmt.Println(keys.Status().KIDs)
	// Output:
	// ed25519.PublicKey <nil>
	// true
	// [k1]
}
