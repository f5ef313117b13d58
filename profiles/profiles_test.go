package profiles_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/profiles"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// The profiles under test, as a service of each provider configures them.
var (
	entraV2  = profiles.EntraV2{TenantID: entraTenant, ClientID: entraAPI}
	entraV1  = profiles.EntraV1{TenantID: entraTenant, Audiences: []string{"api://orders-api", "api://orders-api/"}}
	cognito  = profiles.Cognito{Region: "eu-west-1", UserPoolID: cognitoPool, ClientIDs: []string{cognitoApp}}
	keycloak = profiles.Keycloak{BaseURL: keycloakBase, Realm: "shop", Audience: "orders-api"}
	oktaP    = profiles.Okta{Domain: okta}
	auth0P   = profiles.Auth0{Domain: auth0Domain, Audience: ordersAPI}
	auth0RFC = profiles.Auth0{Domain: auth0Domain, Audience: ordersAPI, RFC9068: true}
	googleP  = profiles.Google{Audience: "https://svc-abc.a.run.app/"}
	zitadelP = profiles.Zitadel{Domain: zitadelHost, ProjectID: zitadelProj}
	hydraP   = profiles.Hydra{Issuer: hydraIssuer, Audience: ordersAPI}
)

// fixtureVerifier builds p's verifier against the fixtures' key set and
// clock: no request leaves the test.
func fixtureVerifier(t testing.TB, p profiles.Profile, keys verifier.KeySource) *verifier.JWT {
	t.Helper()
	cfg, err := p.Config()
	if err != nil {
		t.Fatalf("Config() error = %v", err)
	}
	if keys == nil {
		doc, err := os.ReadFile(filepath.Join(providersDir, "jwks.json"))
		if err != nil {
			t.Fatal(err)
		}
		set, err := jwkscache.ParseSet(doc)
		if err != nil {
			t.Fatal(err)
		}
		keys = set
	}
	cfg.JWKSURL, cfg.Keys, cfg.Now = "", keys, func() time.Time { return fixtureNow }
	v, err := verifier.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("verifier.New(%T) error = %v", p, err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// TestProfilesOnProviderTokens: each profile accepts its provider's
// documented access tokens (testdata/providers/README.md names the
// document of each shape), reads the client from where the provider puts
// it, and refuses that provider's other tokens by the check named.
func TestProfilesOnProviderTokens(t *testing.T) {
	tests := []struct {
		name       string
		profile    profiles.Profile
		fixture    string
		wantClient string
		wantErr    error  // nil: accepted
		wantMsg    string // in the refusal: the profile's check
		roles      scopes.Requirement
	}{
		{"Entra v2 app-only token", entraV2, "entra-v2-access", entraClient, nil, "", entraV2.Roles("Orders.ReadWrite.All")},
		{"Entra v1 token, client from appid", entraV1, "entra-v1-access", entraClient, nil, "", scopes.All("orders.read")},
		{"Cognito access token, no aud", cognito, "cognito-access", cognitoApp, nil, "", cognito.Groups("admin")},
		{"Cognito ID token refused by token_use", cognito, "cognito-id", "", verifier.ErrNotAccessToken, `"token_use" is "id", want "access"`, scopes.Requirement{}},
		{"Keycloak access token", keycloak, "keycloak-access", "web-app", nil, "", scopes.AllOf(keycloak.RealmRoles("orders-admin"), keycloak.ClientRoles("orders-api", "refund"))},
		{"Keycloak before 25.0: nonce in an access token", keycloak, "keycloak-access-pre25-nonce", "web-app", nil, "", scopes.Requirement{}},
		{"Keycloak ID token refused by typ", keycloak, "keycloak-id", "", verifier.ErrNotAccessToken, `"typ" is "ID", want "Bearer"`, scopes.Requirement{}},
		{"Keycloak refresh token refused by typ", keycloak, "keycloak-refresh", "", verifier.ErrNotAccessToken, `"typ" is "Refresh", want "Bearer"`, scopes.Requirement{}},
		{"Keycloak account audience is not the API", keycloak, "keycloak-account-audience", "", verifier.ErrWrongAudience, `want "orders-api"`, scopes.Requirement{}},
		{"Okta token, client from cid, scp array", oktaP, "okta-access", "0oaExampleClient123", nil, "", scopes.AllOf(scopes.All("orders:read"), oktaP.Groups("orders-admins"))},
		{"Auth0 token, client from azp", auth0P, "auth0-access", "Zk3exampleClientId0000000000000", nil, "", auth0P.Permissions("orders:read")},
		{"Auth0 RFC 9068 token, aud array with userinfo", auth0RFC, "auth0-rfc9068-access", "Zk3exampleClientId0000000000000", nil, "", auth0RFC.Permissions("orders:write")},
		{"Auth0 RFC 9068 profile refuses a JWT-typed token", auth0RFC, "auth0-access", "", verifier.ErrNotAccessToken, `want "at+jwt"`, scopes.Requirement{}},
		{"Google ID token for Cloud Run", googleP, "google-id-cloudrun", "100000000000000000001", nil, "", scopes.Requirement{}},
		{"Google iss without scheme", googleP, "google-id-noscheme-iss", "100000000000000000001", nil, "", scopes.Requirement{}},
		{"ZITADEL token, project in aud, roles object", zitadelP, "zitadel-access", "333333333333333333@shop", nil, "", zitadelP.Roles("orders-admin")},
		{"Hydra token, aud and scp arrays", hydraP, "hydra-access", "web-app", nil, "", scopes.AllOf(scopes.All("orders:read"), hydraP.Ext("tenant", "acme"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := fixtureVerifier(t, tt.profile, nil)
			c, err := v.Verify(t.Context(), readFixture(t, tt.fixture))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("Verify() error = %v, want %v naming %s", err, tt.wantErr, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify() error = %v", err)
			}
			if c.ClientID != tt.wantClient {
				t.Errorf("ClientID = %q, want %q", c.ClientID, tt.wantClient)
			}
			if err := tt.roles.CheckClaims(c.Scopes, c.Raw); err != nil {
				t.Errorf("requirement %s: %v", tt.roles, err)
			}
		})
	}
}

// TestProfileRefusesAnotherProvidersShape: a token shaped like another
// provider's, re-signed with the profile's key and given the profile's
// issuer and audience, is refused, and the error names the profile's own
// check (the claim it looked for), not some generic failure.
func TestProfileRefusesAnotherProvidersShape(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwkscache.NewSet(map[string]crypto.PublicKey{"k": key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	targets := []struct {
		name    string
		profile profiles.Profile
		check   string // what the refusal names
		others  []string
	}{
		{"entra v2", entraV2, "profiles: entra v2", []string{"entra-v1-access", "keycloak-access", "okta-access", "auth0-access", "hydra-access", "zitadel-access", "cognito-access"}},
		{"entra v1", entraV1, "profiles: entra v1", []string{"entra-v2-access", "keycloak-access", "okta-access", "auth0-access", "hydra-access", "cognito-access"}},
		{"cognito", cognito, "cognito", []string{"keycloak-access", "okta-access", "auth0-access", "hydra-access", "entra-v2-access", "zitadel-access", "google-id-cloudrun"}},
		{"keycloak", keycloak, "profiles: keycloak", []string{"okta-access", "auth0-access", "hydra-access", "entra-v2-access", "zitadel-access", "cognito-access"}},
		{"okta", oktaP, "profiles: okta", []string{"keycloak-access", "auth0-access", "hydra-access", "entra-v2-access", "zitadel-access", "cognito-access"}},
		{"auth0 rfc9068", auth0RFC, "at+jwt", []string{"keycloak-access", "okta-access", "hydra-access", "entra-v2-access", "cognito-access"}},
		{"hydra", hydraP, "profiles: hydra", []string{"okta-access", "auth0-access", "keycloak-access", "entra-v2-access", "zitadel-access", "google-id-cloudrun"}},
		{"zitadel", zitadelP, "profiles: zitadel", []string{"okta-access", "cognito-access", "hydra-access"}},
		{"google", googleP, "profiles: google", []string{"okta-access", "cognito-access", "hydra-access"}},
	}
	for _, tgt := range targets {
		cfg, _ := tgt.profile.Config()
		v := fixtureVerifier(t, tgt.profile, set)
		for _, other := range tgt.others {
			t.Run(tgt.name+"/"+other, func(t *testing.T) {
				header, claims := decodeFixture(t, readFixture(t, other))
				header["kid"] = "k"
				claims["iss"] = cfg.Issuer
				if cfg.NoAudience {
					delete(claims, "aud")
				} else if cfg.Audience != "" {
					claims["aud"] = cfg.Audience
				} else {
					claims["aud"] = cfg.Audiences[0]
				}
				_, err := v.Verify(t.Context(), signRS256(t, key, header, claims))
				if !errors.Is(err, verifier.ErrInvalidToken) || !strings.Contains(err.Error(), tgt.check) {
					t.Errorf("Verify(%s shaped as %s) error = %v, want a refusal naming %q", tgt.name, other, err, tgt.check)
				}
			})
		}
	}
}

func decodeFixture(t testing.TB, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

// TestProfileConfigErrors: a profile refuses settings that would trust too
// much: a tenant name for Entra, Keycloak's "account" audience, Cognito
// without a client allow-list.
func TestProfileConfigErrors(t *testing.T) {
	tests := []struct {
		profile profiles.Profile
		want    string
	}{
		{profiles.EntraV2{TenantID: "common", ClientID: entraAPI}, "GUID"},
		{profiles.EntraV2{TenantID: entraTenant}, "ClientID"},
		{profiles.EntraV1{TenantID: entraTenant}, "ClientID"},
		{profiles.Cognito{Region: "eu-west-1", UserPoolID: cognitoPool}, "ClientIDs is required"},
		{profiles.Cognito{Region: "mars", UserPoolID: cognitoPool, ClientIDs: []string{"a"}}, "Region"},
		{profiles.Keycloak{BaseURL: keycloakBase, Realm: "shop", Audience: "account"}, `"account"`},
		{profiles.Keycloak{BaseURL: "sso.example.test", Realm: "shop", Audience: "api"}, "BaseURL"},
		{profiles.Okta{Domain: "https://example.okta.test"}, "host name"},
		{profiles.Auth0{Domain: auth0Domain}, "Audience"},
		{profiles.Google{}, "Audience"},
		{profiles.Zitadel{Domain: zitadelHost}, "ProjectID"},
		{profiles.Hydra{Audience: "a"}, "Issuer"},
	}
	for _, tt := range tests {
		if _, err := tt.profile.Config(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%T.Config() error = %v, want one naming %s", tt.profile, err, tt.want)
		}
	}
	if _, err := profiles.EntraTenants(entraAPI); err == nil {
		t.Error("EntraTenants() with no tenant: error = nil")
	}
}
