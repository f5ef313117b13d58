package profiles_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The provider-shaped tokens in testdata/providers are made by
// TestGenerateProviderFixtures:
//
//	go test ./profiles -run TestGenerateProviderFixtures -update
//
// It makes a fresh RSA key, signs every fixture below, writes the public
// key set, and throws the private key away. Each fixture's header and
// claims follow the provider's documented access tokens as summarised in
// shared/PROVIDERS.md; testdata/providers/README.md names the document
// each shape follows.

var update = flag.Bool("update", false, "regenerate testdata/providers with a fresh key")

const providersDir = "../testdata/providers"

// fixtureNow is the time the fixtures are valid at: the examples' iat
// (1700000000) plus 100 seconds.
var fixtureNow = time.Unix(1_700_000_100, 0)

// The made-up identifiers of the fixtures' tenants, pools and clients.
const (
	entraTenant  = "aaaaaaaa-1111-4111-8111-111111111111"
	entraClient  = "cccccccc-3333-4333-8333-333333333333" // the calling client
	entraAPI     = "eeeeeeee-5555-4555-8555-555555555555" // the API's application ID
	cognitoPool  = "eu-west-1_AbCdEf123"
	cognitoApp   = "1example23456789abcdefghij"
	okta         = "example.okta.test"
	auth0Domain  = "example-tenant.eu.auth0.com"
	zitadelHost  = "example-abc123.zitadel.cloud"
	zitadelProj  = "222222222222222222"
	hydraIssuer  = "https://auth.example.test"
	ordersAPI    = "https://orders.example.test"
	keycloakBase = "https://sso.example.test"
)

// fixture is one token: its file name, header and claims.
type fixture struct {
	name   string
	header map[string]any
	claims map[string]any
}

func fixtures() []fixture {
	entraV1 := map[string]any{"aud": "api://orders-api", "iss": "https://sts.windows.net/" + entraTenant + "/",
		"iat": 1700000000, "nbf": 1700000000, "exp": 1700004500, "acr": "1", "aio": "opaque", "amr": []string{"pwd"},
		"appid": entraClient, "appidacr": "0", "name": "Alice", "oid": "dddddddd-4444-4444-8444-444444444444",
		"rh": "opaque", "scp": "orders.read orders.write", "sub": "pairwise-string", "tid": entraTenant,
		"unique_name": "alice@contoso.example", "uti": "opaque", "ver": "1.0"}
	entraV2 := map[string]any{"aud": entraAPI, "iss": "https://login.microsoftonline.com/" + entraTenant + "/v2.0",
		"iat": 1700000000, "nbf": 1700000000, "exp": 1700004500, "aio": "opaque", "azp": entraClient, "azpacr": "1",
		"idtyp": "app", "oid": "ffffffff-6666-4666-8666-666666666666", "roles": []string{"Orders.ReadWrite.All"},
		"rh": "opaque", "sub": "ffffffff-6666-4666-8666-666666666666", "tid": entraTenant, "uti": "opaque", "ver": "2.0"}
	cognito := map[string]any{"sub": "11111111-aaaa-4bbb-8ccc-222222222222", "cognito:groups": []string{"admin"},
		"token_use": "access", "scope": "openid orders/read", "auth_time": 1700000000,
		"iss": "https://cognito-idp.eu-west-1.amazonaws.com/" + cognitoPool, "exp": 1700003600, "iat": 1700000000,
		"jti": "33333333-aaaa-4bbb-8ccc-333333333333", "origin_jti": "44444444-aaaa-4bbb-8ccc-444444444444",
		"event_id": "55555555-aaaa-4bbb-8ccc-555555555555", "client_id": cognitoApp, "username": "alice"}
	cognitoID := map[string]any{"sub": "11111111-aaaa-4bbb-8ccc-222222222222", "aud": cognitoApp, "token_use": "id",
		"at_hash": "b2theGFtcGxlaGFzaA", "auth_time": 1700000000, "cognito:username": "alice", "email": "alice@example.test",
		"iss": "https://cognito-idp.eu-west-1.amazonaws.com/" + cognitoPool, "exp": 1700003600, "iat": 1700000000,
		"jti": "66666666-aaaa-4bbb-8ccc-666666666666", "origin_jti": "44444444-aaaa-4bbb-8ccc-444444444444"}
	keycloak := map[string]any{"exp": 1700000300, "iat": 1700000000, "auth_time": 1699999990,
		"jti": "11111111-aaaa-4bbb-8ccc-000000000001", "iss": keycloakBase + "/realms/shop", "aud": []string{"orders-api", "account"},
		"sub": "22222222-aaaa-4bbb-8ccc-000000000002", "typ": "Bearer", "azp": "web-app", "sid": "33333333-aaaa-4bbb-8ccc-000000000003",
		"acr": "1", "allowed-origins": []string{"https://app.example.test"},
		"realm_access":    map[string]any{"roles": []string{"default-roles-shop", "offline_access", "orders-admin"}},
		"resource_access": map[string]any{"orders-api": map[string]any{"roles": []string{"refund"}}, "account": map[string]any{"roles": []string{"view-profile"}}},
		"scope":           "openid profile email", "email_verified": true, "preferred_username": "alice"}
	okta := map[string]any{"ver": 1, "jti": "AT.aaaaaaaaaaaaaaaa", "iss": "https://" + okta + "/oauth2/default",
		"aud": "api://default", "sub": "alice@example.test", "iat": 1700000000, "exp": 1700003600,
		"cid": "0oaExampleClient123", "uid": "00uExampleUser456", "scp": []string{"openid", "orders:read"},
		"auth_time": 1699999990, "groups": []string{"Everyone", "orders-admins"}}
	auth0 := map[string]any{"iss": "https://" + auth0Domain + "/", "sub": "Zk3exampleClientId0000000000000@clients",
		"aud": ordersAPI, "iat": 1700000000, "exp": 1700086400, "azp": "Zk3exampleClientId0000000000000",
		"scope": "orders:read", "gty": "client-credentials", "permissions": []string{"orders:read"}}
	auth0RFC := map[string]any{"iss": "https://" + auth0Domain + "/", "sub": "auth0|abc123example",
		"aud": []string{ordersAPI, "https://" + auth0Domain + "/userinfo"}, "iat": 1700000000, "exp": 1700086400,
		"client_id": "Zk3exampleClientId0000000000000", "jti": "a0jti-0001", "scope": "openid orders:read",
		"permissions": []string{"orders:read", "orders:write"}}
	google := map[string]any{"iss": "https://accounts.google.com", "aud": "https://svc-abc.a.run.app/",
		"azp": "100000000000000000001", "sub": "100000000000000000001", "email": "caller@example-project.iam.gserviceaccount.test",
		"email_verified": true, "iat": 1700000000, "exp": 1700003600}
	googleNoScheme := clone(google, map[string]any{"iss": "accounts.google.com"})
	zitadel := map[string]any{"iss": "https://" + zitadelHost, "sub": "77777777777777777", "aud": []string{zitadelProj, "333333333333333333@shop"},
		"exp": 1700003600, "iat": 1700000000, "nbf": 1700000000, "jti": "88888888888888888", "azp": "333333333333333333@shop",
		"urn:zitadel:iam:org:project:roles": map[string]any{"orders-admin": map[string]any{"111111111111111111": "acme.example.test"}}}
	hydra := map[string]any{"aud": []string{ordersAPI}, "client_id": "web-app", "exp": 1700003600, "ext": map[string]any{"tenant": "acme"},
		"iat": 1700000000, "iss": hydraIssuer, "jti": "66666666-aaaa-4bbb-8ccc-666666666666", "nbf": 1700000000,
		"scp": []string{"openid", "offline_access", "orders:read"}, "sub": "alice"}
	return []fixture{
		{"entra-v1-access", map[string]any{"typ": "JWT", "alg": "RS256", "x5t": "kidV1aaaa", "kid": "kidV1aaaa"}, entraV1},
		{"entra-v2-access", map[string]any{"typ": "JWT", "alg": "RS256", "kid": "kidV2bbbb"}, entraV2},
		{"cognito-access", map[string]any{"kid": "kidAccess1=", "alg": "RS256"}, cognito},
		{"cognito-id", map[string]any{"kid": "kidId1=", "alg": "RS256"}, cognitoID},
		{"keycloak-access", map[string]any{"alg": "RS256", "typ": "JWT", "kid": "kcKid1"}, keycloak},
		{"keycloak-access-pre25-nonce", map[string]any{"alg": "RS256", "typ": "JWT", "kid": "kcKid1"}, clone(keycloak, map[string]any{"nonce": "n-0S6_WzA2Mj"})},
		{"keycloak-id", map[string]any{"alg": "RS256", "typ": "JWT", "kid": "kcKid1"}, clone(keycloak, map[string]any{"typ": "ID", "aud": "web-app", "nonce": "n-0S6_WzA2Mj", "realm_access": nil, "resource_access": nil, "scope": nil})},
		{"keycloak-refresh", map[string]any{"alg": "RS256", "typ": "JWT", "kid": "kcKid1"}, clone(keycloak, map[string]any{"typ": "Refresh", "aud": keycloakBase + "/realms/shop", "realm_access": nil, "resource_access": nil})},
		{"keycloak-account-audience", map[string]any{"alg": "RS256", "typ": "JWT", "kid": "kcKid1"}, clone(keycloak, map[string]any{"aud": "account"})},
		{"okta-access", map[string]any{"alg": "RS256", "kid": "oktaKid1"}, okta},
		{"auth0-access", map[string]any{"alg": "RS256", "typ": "JWT", "kid": "a0Kid1"}, auth0},
		{"auth0-rfc9068-access", map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": "a0Kid1"}, auth0RFC},
		{"google-id-cloudrun", map[string]any{"alg": "RS256", "kid": "gKid1", "typ": "JWT"}, google},
		{"google-id-noscheme-iss", map[string]any{"alg": "RS256", "kid": "gKid1", "typ": "JWT"}, googleNoScheme},
		{"zitadel-access", map[string]any{"alg": "RS256", "kid": "zKid1"}, zitadel},
		{"hydra-access", map[string]any{"alg": "RS256", "kid": "11111111-2222-4333-8444-555555555555", "typ": "JWT"}, hydra},
	}
}

// clone copies m with changes applied; a nil value removes a claim.
func clone(m, changes map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signRS256 signs header and claims with key (RFC 7515 §5.1, RFC 7518 §3.3).
func signRS256(t testing.TB, key *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}

// jwksOf is the public key set for key under every kid the fixtures use.
func jwksOf(key *rsa.PublicKey) map[string]any {
	var keys []any
	seen := map[string]bool{}
	for _, f := range fixtures() {
		kid := f.header["kid"].(string)
		if seen[kid] {
			continue
		}
		seen[kid] = true
		keys = append(keys, map[string]any{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())})
	}
	return map[string]any{"keys": keys}
}

func TestGenerateProviderFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate testdata/providers")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(providersDir, 0o755); err != nil {
		t.Fatal(err)
	}
	doc, err := json.MarshalIndent(jwksOf(&key.PublicKey), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(providersDir, "jwks.json"), append(doc, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures() {
		tok := signRS256(t, key, f.header, f.claims)
		if err := os.WriteFile(filepath.Join(providersDir, f.name+".jwt"), []byte(tok+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readFixture returns a fixture token.
func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(providersDir, name+".jwt"))
	if err != nil {
		t.Fatalf("fixture %s: %v (regenerate with -update)", name, err)
	}
	return strings.TrimSpace(string(b))
}
