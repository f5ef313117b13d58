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

// act is an active response for testAudience with more members.
func act(members string) string {
	if members == "" {
		return `{"active":true,"aud":"https://api.test"}`
	}
	return `{"active":true,"aud":"https://api.test",` + members + `}`
}

func TestResponseRFC7662(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
	}{
		{"active access token", activeBody(time.Hour), nil},
		{"only active and our aud: untyped, but for this API", act(""), nil},
		{"only active (all RFC 7662 §2.2 requires): untyped and not for this API, so possibly a refresh token", `{"active":true}`, verifier.ErrNotAccessToken},
		{"inactive token", `{"active":false}`, verifier.ErrInvalidToken},
		{"inactive token carrying stale claims is still inactive", `{"active":false,"sub":"alice","exp":` + fmt.Sprint(at(time.Hour)) + `}`, verifier.ErrInvalidToken},
		{"active missing: faulty server, not an invalid token", `{"sub":"alice"}`, verifier.ErrUnavailable},
		{"active as string true is not a JSON boolean", `{"active":"true"}`, verifier.ErrUnavailable},
		{"active as number 1 is not a JSON boolean", `{"active":1}`, verifier.ErrUnavailable},
		{"active null", `{"active":null}`, verifier.ErrUnavailable},
		{"not an object", `[true]`, verifier.ErrUnavailable},
		{"malformed exp type", act(`"exp":"tomorrow"`), verifier.ErrUnavailable},
		{"expired per exp", act(fmt.Sprintf(`"exp":%d`, at(-time.Minute))), verifier.ErrTokenExpired},
		{"expired within leeway is accepted", act(fmt.Sprintf(`"exp":%d`, at(-20*time.Second))), nil},
		{"not valid yet per nbf", act(fmt.Sprintf(`"nbf":%d`, at(time.Minute))), verifier.ErrNotYetValid},
		{"nbf within leeway is accepted", act(fmt.Sprintf(`"nbf":%d`, at(20*time.Second))), nil},
		{"refresh token presented as access token", act(`"token_type":"refresh_token"`), verifier.ErrNotAccessToken},
		{"refresh token by RFC 8693 type URI", act(`"token_type":"urn:ietf:params:oauth:token-type:refresh_token"`), verifier.ErrNotAccessToken},
		{"id token presented as access token", act(`"token_type":"id_token"`), verifier.ErrNotAccessToken},
		{"DPoP-bound token presented as bearer (RFC 9449 §6.2, §7.2)", act(`"token_type":"DPoP"`), verifier.ErrSenderConstrained},
		{"id token recognised by nonce", act(`"nonce":"n-0S6"`), verifier.ErrNotAccessToken},
		{"keycloak refresh token typ claim", act(`"typ":"Refresh"`), verifier.ErrNotAccessToken},
		{"logout token with events", act(`"events":{"http://schemas.openid.net/event/backchannel-logout":{}}`), verifier.ErrNotAccessToken},
		{"token_type bearer in any case", act(`"token_type":"bearer"`), nil},
		{"token_type access_token URI", act(`"token_type":"urn:ietf:params:oauth:token-type:access_token"`), nil},
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
	const bearer = `{"active":true,"token_type":"Bearer"`
	tests := []struct {
		name string
		cfg  introspection.Config
		body string
		want error
	}{
		{"missing aud", introspection.Config{}, bearer + `}`, verifier.ErrWrongAudience},
		{"wrong aud", introspection.Config{}, bearer + `,"aud":"https://api.test.evil"}`, verifier.ErrWrongAudience},
		{"audience in an array", introspection.Config{}, bearer + `,"aud":["https://other-api.test","https://api.test"]}`, nil},
		{"audience as a string", introspection.Config{}, bearer + `,"aud":"https://api.test"}`, nil},
		{"aud not checked when waived with AnyAudience", introspection.Config{AnyAudience: true}, bearer + `,"aud":"https://other.test"}`, nil},
		{"AnyAudience and an untyped response: nothing shows it is an access token", introspection.Config{AnyAudience: true}, `{"active":true,"aud":"https://other.test"}`, verifier.ErrNotAccessToken},
		{"token of another issuer", introspection.Config{Issuer: "https://issuer.test"}, act(`"iss":"https://evil.test"`), verifier.ErrWrongIssuer},
		{"iss mismatch when an issuer is configured", introspection.Config{Issuer: "https://issuer.test"}, act(`"iss":"https://issuer.test/"`), verifier.ErrWrongIssuer},
		{"iss absent is accepted", introspection.Config{Issuer: "https://issuer.test"}, act(""), nil},
		{"iss not checked when no issuer is configured", introspection.Config{}, act(`"iss":"https://anyone.test"`), nil},
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
