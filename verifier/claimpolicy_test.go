package verifier_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/verifier"
)

// TestAudiences: a token is accepted when its "aud" names any one of
// Audience and Audiences (RFC 9068 §4: the resource server's identifier),
// and Audience alone keeps working.
func TestAudiences(t *testing.T) {
	tests := []struct {
		name      string
		audience  string
		audiences []string
		aud       any
		wantErr   error
	}{
		{"Audience alone", testAudience, nil, testAudience, nil},
		{"Audiences alone, second", "", []string{"api://orders", "api://orders/"}, "api://orders/", nil},
		{"Audience and Audiences, either", testAudience, []string{"00000000-1111-2222-3333-444444444444"}, "00000000-1111-2222-3333-444444444444", nil},
		{"array naming one of them", "", []string{"a", "b"}, []string{"x", "b"}, nil},
		{"none of them", testAudience, []string{"api://orders"}, "api://other", verifier.ErrWrongAudience},
		{"trailing slash is another audience", "", []string{"https://orders.example.test"}, "https://orders.example.test/", verifier.ErrWrongAudience},
		{"no aud", testAudience, nil, nil, verifier.ErrWrongAudience},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *verifier.Config) { c.Audience, c.Audiences = tt.audience, tt.audiences })
			tok := sign(t, f.rsa, nil, accessClaims(testIssuer, f.clock.Now(), map[string]any{"aud": tt.aud}))
			_, err := f.v.Verify(t.Context(), tok)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Verify() error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	t.Run("refusal names every accepted audience", func(t *testing.T) {
		f := newFixture(t, func(c *verifier.Config) { c.Audience, c.Audiences = "", []string{"api-a", "api-b"} })
		_, err := f.v.Verify(t.Context(), sign(t, f.rsa, nil, accessClaims(testIssuer, f.clock.Now(), map[string]any{"aud": "api-c"})))
		if err == nil || !strings.Contains(err.Error(), `"aud" is ["api-c"], want one of ["api-a", "api-b"]`) {
			t.Errorf("Verify() error = %v, want it to name both audiences", err)
		}
	})
}

// TestConfigAudienceRules: New refuses a config that would check no
// audience by accident.
func TestConfigAudienceRules(t *testing.T) {
	check := func(*verifier.Claims) error { return nil }
	tests := []struct {
		name string
		cfg  verifier.Config
		want string
	}{
		{"no audience at all", verifier.Config{Issuer: testIssuer, JWKSURL: "https://k.example.test"}, "Config.Audience"},
		{"empty entry", verifier.Config{Issuer: testIssuer, Audiences: []string{"a", ""}}, "Config.Audiences[1]"},
		{"NoAudience without Check", verifier.Config{Issuer: testIssuer, NoAudience: true}, "needs Config.Check"},
		{"NoAudience with an audience", verifier.Config{Issuer: testIssuer, NoAudience: true, Audience: "a", Check: check}, "leave Config.Audience"},
		{"empty issuer alias", verifier.Config{Issuer: testIssuer, Audience: "a", IssuerAliases: []string{""}}, "Config.IssuerAliases[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verifier.New(t.Context(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New() error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

// TestNoAudience: the waiver for providers without "aud" (Amazon Cognito)
// refuses a token that does name an audience, and still runs Check.
func TestNoAudience(t *testing.T) {
	errClient := errors.New("client not allowed")
	f := newFixture(t, func(c *verifier.Config) {
		c.Audience, c.NoAudience = "", true
		c.Check = func(c *verifier.Claims) error {
			if c.ClientID != "web-app" {
				return errClient
			}
			return nil
		}
	})
	now := f.clock.Now()
	tests := []struct {
		name    string
		claims  map[string]any
		wantErr error
	}{
		{"no aud, allowed client", map[string]any{"aud": nil}, nil},
		{"an aud is refused", map[string]any{"aud": testAudience}, verifier.ErrWrongAudience},
		{"no aud, other client: Check refuses", map[string]any{"aud": nil, "client_id": "other"}, errClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.v.Verify(t.Context(), sign(t, f.rsa, nil, accessClaims(testIssuer, now, tt.claims)))
			if tt.wantErr == nil && err != nil || !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, verifier.ErrInvalidToken) {
				t.Errorf("Verify() error = %v, want it to wrap ErrInvalidToken", err)
			}
		})
	}
}

// TestIssuerAliases: Google's two spellings of one issuer.
func TestIssuerAliases(t *testing.T) {
	f := newFixture(t, func(c *verifier.Config) { c.IssuerAliases = []string{"issuer.example.test"} })
	now := f.clock.Now()
	for iss, want := range map[string]error{
		testIssuer:                     nil,
		"issuer.example.test":          nil,
		"https://issuer.example.test/": verifier.ErrWrongIssuer,
		"http://issuer.example.test":   verifier.ErrWrongIssuer,
	} {
		_, err := f.v.Verify(t.Context(), sign(t, f.rsa, nil, accessClaims(iss, now, nil)))
		if want == nil && err != nil || !errors.Is(err, want) {
			t.Errorf("Verify(iss %q) error = %v, want %v", iss, err, want)
		}
	}
}

// TestCheckAndTokenKind: Check may set the client id from a provider's
// claim and refuses with ErrInvalidToken; TokenKind replaces the claim
// heuristics for tokens not typed at+jwt (a Keycloak access token before
// 25.0 carries "nonce"), and its refusal is ErrNotAccessToken.
func TestCheckAndTokenKind(t *testing.T) {
	f := newFixture(t, func(c *verifier.Config) {
		c.Check = func(c *verifier.Claims) error {
			var extra struct {
				CID string `json:"cid"`
			}
			if err := c.Decode(&extra); err != nil {
				return err
			}
			if extra.CID != "" {
				c.ClientID = extra.CID
			}
			return nil
		}
		c.TokenKind = func(c *verifier.Claims) error {
			var kind struct {
				Typ string `json:"typ"`
			}
			if err := c.Decode(&kind); err != nil || kind.Typ != "Bearer" {
				return fmt.Errorf("\"typ\" claim is %q, want \"Bearer\"", kind.Typ)
			}
			return nil
		}
	})
	now := f.clock.Now()
	jwtTyp := map[string]any{"typ": "JWT"}
	t.Run("Check sets the client id", func(t *testing.T) {
		c, err := f.v.Verify(t.Context(), sign(t, f.rsa, jwtTyp, accessClaims(testIssuer, now, map[string]any{"cid": "0oaX", "client_id": nil, "typ": "Bearer"})))
		if err != nil || c.ClientID != "0oaX" {
			t.Fatalf("Verify() = %+v, %v; want ClientID 0oaX", c, err)
		}
	})
	t.Run("TokenKind admits a nonce the heuristics would refuse", func(t *testing.T) {
		_, err := f.v.Verify(t.Context(), sign(t, f.rsa, jwtTyp, accessClaims(testIssuer, now, map[string]any{"nonce": "n", "typ": "Bearer"})))
		if err != nil {
			t.Fatalf("Verify() error = %v", err)
		}
	})
	t.Run("TokenKind refuses", func(t *testing.T) {
		_, err := f.v.Verify(t.Context(), sign(t, f.rsa, jwtTyp, accessClaims(testIssuer, now, map[string]any{"typ": "Refresh"})))
		if !errors.Is(err, verifier.ErrNotAccessToken) || !strings.Contains(err.Error(), `"Refresh"`) {
			t.Fatalf("Verify() error = %v, want ErrNotAccessToken naming the typ", err)
		}
	})
	t.Run("at+jwt skips TokenKind", func(t *testing.T) {
		if _, err := f.v.Verify(t.Context(), sign(t, f.rsa, nil, accessClaims(testIssuer, now, nil))); err != nil {
			t.Fatalf("Verify() error = %v", err)
		}
	})
}
