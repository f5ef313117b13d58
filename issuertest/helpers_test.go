package issuertest_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/issuertest"
)

// epoch is the start of every fake clock, a whole second so that numeric
// dates compare exactly.
var epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// newServer starts a server with a fake clock and stops it with the test.
func newServer(t testing.TB, opts ...issuertest.Option) (*issuertest.Server, *issuertest.Clock) {
	t.Helper()
	clock := issuertest.NewClock(epoch)
	s := issuertest.NewServer(append([]issuertest.Option{issuertest.WithClock(clock.Now)}, opts...)...)
	t.Cleanup(s.Close)
	return s, clock
}

// noRedirect is a client that returns redirects instead of following them.
func noRedirect(s *issuertest.Server) *http.Client {
	c := *s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// publicConfig is an oauth2 client for the default public client.
func publicConfig(s *issuertest.Server, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: issuertest.PublicClientID,
		Endpoint: oauth2.Endpoint{
			AuthURL:   s.URL + "/authorize",
			TokenURL:  s.URL + "/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: "http://127.0.0.1:8123/callback",
		Scopes:      scopes,
	}
}

// authorize sends a GET to an authorization URL and returns the redirect
// it answers with; it fails the test on any other answer.
func authorize(t testing.TB, s *issuertest.Server, authURL string) *url.URL {
	t.Helper()
	resp, err := noRedirect(s).Get(authURL)
	if err != nil {
		t.Fatalf("GET /authorize: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /authorize status = %d, want 302; body: %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location: %v", err)
	}
	return loc
}

// codeFlow runs the authorization code flow with PKCE for the public client
// and returns the token response.
func codeFlow(t testing.TB, s *issuertest.Server, conf *oauth2.Config, opts ...oauth2.AuthCodeOption) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	loc := authorize(t, s, conf.AuthCodeURL("st", append(opts, oauth2.S256ChallengeOption(verifier))...))
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("redirect %s has no code", loc)
	}
	tok, err := conf.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok
}

// postForm posts a form, with HTTP Basic credentials when user is set, and
// returns the status, headers and decoded JSON body.
func postForm(t testing.TB, s *issuertest.Server, path string, form url.Values, user, pass string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("POST %s: body %q is not JSON: %v", path, raw, err)
		}
	}
	return resp.StatusCode, resp.Header, body
}

// getJSON fetches a JSON document.
func getJSON(t testing.TB, s *issuertest.Server, path string, v any) *http.Response {
	t.Helper()
	resp, err := s.Client().Get(s.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp
}

// jwks fetches the server's JWKS and decodes each key by hand, so that the
// document's format is checked independently of the server's code.
func jwks(t testing.TB, s *issuertest.Server) map[string]any {
	t.Helper()
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	getJSON(t, s, "/jwks", &doc)
	keys := map[string]any{}
	for _, k := range doc.Keys {
		keys[k["kid"]] = decodeJWK(t, k)
	}
	return keys
}

func decodeJWK(t testing.TB, k map[string]string) any {
	t.Helper()
	num := func(name string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(k[name])
		if err != nil || len(b) == 0 {
			t.Fatalf("jwk %s: bad %q", k["kid"], name)
		}
		return new(big.Int).SetBytes(b)
	}
	if k["use"] != "sig" || k["alg"] == "" || k["kid"] == "" {
		t.Fatalf("jwk %v lacks use sig, alg or kid", k)
	}
	switch k["kty"] {
	case "RSA":
		return &rsa.PublicKey{N: num("n"), E: int(num("e").Int64())}
	case "EC":
		point := append([]byte{4}, append(num("x").FillBytes(make([]byte, 32)), num("y").FillBytes(make([]byte, 32))...)...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
		if err != nil {
			t.Fatalf("jwk %s: %v", k["kid"], err)
		}
		return pub
	case "OKP":
		return ed25519.PublicKey(num("x").FillBytes(make([]byte, ed25519.PublicKeySize)))
	}
	t.Fatalf("jwk %v: unknown kty", k)
	return nil
}

// parseAccess verifies an access token with golang-jwt against the JWKS,
// the way a careful resource server would, and returns its claims.
func parseAccess(t testing.TB, s *issuertest.Server, clock *issuertest.Clock, token string) (jwt.MapClaims, error) {
	t.Helper()
	return parseAccessWith(s, clock, jwks(t, s), token)
}

// parseAccessWith verifies an access token against keys fetched earlier.
func parseAccessWith(s *issuertest.Server, clock *issuertest.Clock, keys map[string]any, token string) (jwt.MapClaims, error) {
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256", "ES256", "EdDSA"}),
		jwt.WithIssuer(s.URL), jwt.WithAudience(s.Audience()),
		jwt.WithTimeFunc(clock.Now), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
	)
	claims := jwt.MapClaims{}
	tok, err := p.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
		if tok.Header["typ"] != "at+jwt" {
			return nil, errNotAccessToken
		}
		return keyOf(keys)(tok)
	})
	if err != nil {
		return nil, err
	}
	if !tok.Valid {
		return nil, jwt.ErrTokenSignatureInvalid
	}
	return claims, nil
}

// keyOf finds a token's key by its kid among keys.
func keyOf(keys map[string]any) jwt.Keyfunc {
	return func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		key, ok := keys[kid]
		if !ok {
			return nil, errUnknownKID
		}
		return key, nil
	}
}

type testError string

func (e testError) Error() string { return string(e) }

const (
	errNotAccessToken = testError("typ is not at+jwt")
	errUnknownKID     = testError("unknown kid")
)
