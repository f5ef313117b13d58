package introspection_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

// at formats a NumericDate d after the fake clock's epoch.
func at(d time.Duration) int64 { return epoch.Add(d).Unix() }

func TestResponseRFC7662(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
	}{
		{"active access token", activeBody(time.Hour), nil},
		{"active with no optional members (RFC 7662 §2.2: only active is required)", `{"active":true}`, nil},
		{"inactive token", `{"active":false}`, verifier.ErrInvalidToken},
		{"inactive token carrying stale claims is still inactive", `{"active":false,"sub":"alice","exp":` + fmt.Sprint(at(time.Hour)) + `}`, verifier.ErrInvalidToken},
		{"active missing: faulty server, not an invalid token", `{"sub":"alice"}`, verifier.ErrUnavailable},
		{"active as string true is not a JSON boolean", `{"active":"true"}`, verifier.ErrUnavailable},
		{"active as number 1 is not a JSON boolean", `{"active":1}`, verifier.ErrUnavailable},
		{"active null", `{"active":null}`, verifier.ErrUnavailable},
		{"not an object", `[true]`, verifier.ErrUnavailable},
		{"malformed exp type", `{"active":true,"exp":"tomorrow"}`, verifier.ErrUnavailable},
		{"expired per exp", fmt.Sprintf(`{"active":true,"exp":%d}`, at(-time.Minute)), verifier.ErrTokenExpired},
		{"expired within leeway is accepted", fmt.Sprintf(`{"active":true,"exp":%d}`, at(-20*time.Second)), nil},
		{"not valid yet per nbf", fmt.Sprintf(`{"active":true,"nbf":%d}`, at(time.Minute)), verifier.ErrInvalidToken},
		{"nbf within leeway is accepted", fmt.Sprintf(`{"active":true,"nbf":%d}`, at(20*time.Second)), nil},
		{"refresh token presented as access token", `{"active":true,"token_type":"refresh_token"}`, verifier.ErrNotAccessToken},
		{"refresh token by RFC 8693 type URI", `{"active":true,"token_type":"urn:ietf:params:oauth:token-type:refresh_token"}`, verifier.ErrNotAccessToken},
		{"id token presented as access token", `{"active":true,"token_type":"id_token"}`, verifier.ErrNotAccessToken},
		{"DPoP-bound token presented as bearer (RFC 9449 §7.1)", `{"active":true,"token_type":"DPoP"}`, verifier.ErrNotAccessToken},
		{"id token recognised by nonce", `{"active":true,"nonce":"n-0S6"}`, verifier.ErrNotAccessToken},
		{"keycloak refresh token typ claim", `{"active":true,"typ":"Refresh"}`, verifier.ErrNotAccessToken},
		{"logout token with events", `{"active":true,"events":{"http://schemas.openid.net/event/backchannel-logout":{}}}`, verifier.ErrNotAccessToken},
		{"token_type bearer in any case", `{"active":true,"token_type":"bearer"}`, nil},
		{"token_type access_token URI", `{"active":true,"token_type":"urn:ietf:params:oauth:token-type:access_token"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, reply(tt.body))
			in := newIntrospector(t, e, newClock(), introspection.Config{})
			verify(t, in, "opaque-token", tt.want)
		})
	}
}

func TestResponseAudienceAndIssuerChecks(t *testing.T) {
	tests := []struct {
		name string
		cfg  introspection.Config
		body string
		want error
	}{
		{"missing aud when an audience is required", introspection.Config{Audience: "https://api.test"}, `{"active":true}`, verifier.ErrInvalidToken},
		{"wrong aud", introspection.Config{Audience: "https://api.test"}, `{"active":true,"aud":"https://api.test.evil"}`, verifier.ErrInvalidToken},
		{"audience in an array", introspection.Config{Audience: "https://api.test"}, `{"active":true,"aud":["https://other-api.test","https://api.test"]}`, nil},
		{"audience as a string", introspection.Config{Audience: "https://api.test"}, `{"active":true,"aud":"https://api.test"}`, nil},
		{"token of another issuer", introspection.Config{Issuer: "https://issuer.test"}, `{"active":true,"iss":"https://evil.test"}`, verifier.ErrInvalidToken},
		{"aud not checked when no audience is configured", introspection.Config{}, `{"active":true,"aud":"https://other.test"}`, nil},
		{"iss mismatch when an issuer is configured", introspection.Config{Issuer: "https://issuer.test"}, `{"active":true,"iss":"https://issuer.test/"}`, verifier.ErrInvalidToken},
		{"iss absent is accepted", introspection.Config{Issuer: "https://issuer.test"}, `{"active":true}`, nil},
		{"iss not checked when no issuer is configured", introspection.Config{}, `{"active":true,"iss":"https://anyone.test"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, reply(tt.body))
			verify(t, newIntrospector(t, e, newClock(), tt.cfg), "opaque-token", tt.want)
		})
	}
}

// TestClaimsMapping checks the response maps to verifier.Claims as a JWT
// payload does, with Raw the whole response.
func TestClaimsMapping(t *testing.T) {
	body := activeBody(time.Hour)
	e := newEndpoint(t, reply(body))
	c := verify(t, newIntrospector(t, e, newClock(), introspection.Config{}), "opaque-token", nil)

	want := verifier.Claims{
		Issuer: "https://issuer.test", Subject: "alice", Audience: []string{"https://api.test"},
		ClientID: "web", Scopes: []string{"orders:read", "orders:write"},
		ExpiresAt: epoch.Add(time.Hour), IssuedAt: epoch, ID: "j1",
	}
	if c.Issuer != want.Issuer || c.Subject != want.Subject || c.ClientID != want.ClientID || c.ID != want.ID ||
		!slices.Equal(c.Audience, want.Audience) || !slices.Equal(c.Scopes, want.Scopes) ||
		!c.ExpiresAt.Equal(want.ExpiresAt) || !c.IssuedAt.Equal(want.IssuedAt) {
		t.Errorf("Verify() claims = %+v, want %+v", *c, want)
	}
	if string(c.Raw) != body {
		t.Errorf("Claims.Raw = %s, want the whole response %s", c.Raw, body)
	}
	var extra struct {
		Active    bool   `json:"active"`
		TokenType string `json:"token_type"`
	}
	if err := c.Decode(&extra); err != nil || !extra.Active || extra.TokenType != "Bearer" {
		t.Errorf("Decode() = %+v, %v; want active and token_type from the response", extra, err)
	}
}

// TestErrorsNeverEchoTheToken checks refusals and faults do not quote the
// token, whatever the endpoint sends back.
func TestErrorsNeverEchoTheToken(t *testing.T) {
	const token = "SECRET-token-value-0123456789"
	bodies := []string{
		`{"active":false}`,
		`{"active":"` + token + `"}`,
		`{"active":true,"token_type":"refresh_token"}`,
		`not json ` + token,
	}
	for _, body := range bodies {
		e := newEndpoint(t, reply(body))
		_, err := newIntrospector(t, e, newClock(), introspection.Config{}).Verify(t.Context(), token)
		if err == nil {
			t.Fatalf("Verify() error = nil for response %s", body)
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("Verify() error %q contains the token", err)
		}
	}
}
