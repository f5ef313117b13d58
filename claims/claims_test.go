package claims_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/claims"
	"github.com/tokengate/tokengate/scopes"
)

// keycloak, zitadel and auth0 are claim sets shaped as those providers
// document them (testdata/providers/README.md).
const (
	keycloak = `{"iss":"https://sso.example.test/realms/shop","typ":"Bearer","azp":"web-app",
		"realm_access":{"roles":["default-roles-shop","offline_access","orders-admin"]},
		"resource_access":{"orders-api":{"roles":["refund"]},"account":{"roles":["view-profile"]}},
		"email_verified":true,"acr":"1"}`
	zitadel = `{"urn:zitadel:iam:org:project:roles":{"orders-admin":{"111111111111111111":"acme.example.test"}}}`
	auth0   = `{"permissions":["orders:read"],"https://example.test/roles":["Admin"],"gty":"client-credentials"}`
	entra   = `{"roles":["Orders.Admin"],"ver":"2.0","tid":"11111111-2222-3333-4444-555555555555","n":2}`
)

func TestRequirements(t *testing.T) {
	tests := []struct {
		name     string
		req      scopes.Requirement
		claims   string
		ok       bool
		contains []string // in the error, for logs: the claim and both values
	}{
		{"realm role held", claims.Contains("realm_access.roles", "orders-admin"), keycloak, true, nil},
		{"realm role missing", claims.Contains("realm_access.roles", "refund"), keycloak, false,
			[]string{`claim "realm_access.roles" is "[\"default-roles-shop\",\"offline_access\",\"orders-admin\"]"`, `want it to contain "refund"`}},
		{"client role, nested three deep", claims.Contains("resource_access.orders-api.roles", "refund"), keycloak, true, nil},
		{"client role of another client does not count", claims.Contains("resource_access.account.roles", "refund"), keycloak, false, nil},
		{"every one needed", claims.Contains("realm_access.roles", "orders-admin", "root"), keycloak, false, []string{`"root"`}},
		{"any one is enough", claims.ContainsAny("realm_access.roles", "root", "orders-admin"), keycloak, true, nil},
		{"any: none held", claims.ContainsAny("realm_access.roles", "root", "su"), keycloak, false, []string{`one of "root" and "su"`}},
		{"exact match: case matters", claims.Contains("roles", "orders.admin"), entra, false, nil},
		{"exact match: no prefix", claims.Contains("roles", "Orders"), entra, false, nil},
		{"object member names are roles (ZITADEL)", claims.Contains("urn:zitadel:iam:org:project:roles", "orders-admin"), zitadel, true, nil},
		{"permissions (Auth0)", claims.Contains("permissions", "orders:read"), auth0, true, nil},
		{"namespaced claim with dots, by Path", claims.Contains(claims.Path("https://example.test/roles"), "Admin"), auth0, true, nil},
		{"namespaced claim read as a dotted path is absent", claims.Contains("https://example.test/roles", "Admin"), auth0, false, []string{"has no claim"}},
		{"a string claim holds itself, unsplit", claims.Contains("gty", "client-credentials"), auth0, true, nil},
		{"a string claim is not split", claims.Contains("gty", "client"), auth0, false, nil},
		{"equal string", claims.Equal("ver", "2.0"), entra, true, nil},
		{"equal string, other value", claims.Equal("tid", "99999999-2222-3333-4444-555555555555"), entra, false,
			[]string{`claim "tid" is "\"11111111-2222-3333-4444-555555555555\""`, `want "\"99999999-2222-3333-4444-555555555555\""`}},
		{"equal bool", claims.Equal("email_verified", true), keycloak, true, nil},
		{"a string is not a bool", claims.Equal("acr", 1), keycloak, false, nil},
		{"equal number", claims.Equal("n", 2.0), entra, true, nil},
		{"missing claim", claims.Equal("tenant", "acme"), keycloak, false, []string{`has no claim "tenant"`}},
		{"present", claims.Present("azp"), keycloak, true, nil},
		{"through a non-object", claims.Present("azp.x"), keycloak, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.req.Validate(); err != nil {
				t.Fatalf("Validate() error = %v", err)
			}
			err := tt.req.CheckClaims(nil, []byte(tt.claims))
			if (err == nil) != tt.ok {
				t.Fatalf("CheckClaims() error = %v, want ok %v", err, tt.ok)
			}
			var se *scopes.InsufficientScopeError
			if err != nil && (!errors.As(err, &se) || len(se.Unmet) != 1) {
				t.Fatalf("CheckClaims() error = %v, want one unmet condition", err)
			}
			for _, want := range tt.contains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for name, req := range map[string]scopes.Requirement{
		"no values":    claims.Contains("roles"),
		"empty value":  claims.ContainsAny("roles", ""),
		"empty name":   claims.Present("realm_access..roles"),
		"not JSON":     claims.Equal("x", func() {}),
		"empty path":   claims.Present(""),
		"empty in Any": scopes.AnyOf(claims.Contains("roles", "a"), claims.Contains("roles")),
	} {
		if err := req.Validate(); err == nil {
			t.Errorf("%s: Validate() = nil, want an error", name)
		}
	}
}

func TestPath(t *testing.T) {
	if got := claims.Path("https://example.test/roles", `a\b`); got != `https://example\.test/roles.a\\b` {
		t.Errorf("Path() = %q", got)
	}
	req := claims.Contains(claims.Path("resource_access", "orders-api", "roles"), "refund")
	if err := req.CheckClaims(nil, []byte(keycloak)); err != nil {
		t.Errorf("CheckClaims(Path of three names) error = %v", err)
	}
}
