package verifier_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/verifier"
)

const testIssuer = "https://issuer.example.test"

// fixture is a verifier with a real JWKS server and a fake clock.
type fixture struct {
	v     *verifier.JWT
	cache *jwkscache.Cache // the verifier's key source, for Refresh and Status
	jwks  *jwksServer
	clock *issuertest.Clock
	rsa   testKey
}

func newFixture(t testing.TB, mod func(*verifier.Config), ks ...testKey) *fixture {
	t.Helper()
	keys(t)
	f := &fixture{clock: newClock(), rsa: testKey{kid: "rsa-1", alg: "RS256", priv: rsaKey}}
	if len(ks) == 0 {
		ks = []testKey{f.rsa}
	}
	f.jwks = newJWKSServer(t, ks...)
	cfg := verifier.Config{
		Issuer:   testIssuer,
		Audience: testAudience,
		JWKSURL:  f.jwks.URL,
		Now:      f.clock.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	if cfg.Keys == nil && cfg.JWKSURL != "" && !onlyHMAC(cfg.Algorithms) {
		// Built here, as a user tuning the cache would, to reach its
		// Refresh and Status.
		cache, err := jwkscache.New(t.Context(), jwkscache.Config{URL: cfg.JWKSURL, Policy: cfg.KeyPolicy, Now: cfg.Now})
		if err != nil {
			t.Fatalf("jwkscache.New() error = %v", err)
		}
		t.Cleanup(func() { cache.Close() })
		cfg.Keys, cfg.JWKSURL, cfg.KeyPolicy, f.cache = cache, "", jwkscache.Policy{}, cache
	}
	v, err := verifier.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	t.Cleanup(func() { v.Close() })
	f.v = v
	return f
}

func onlyHMAC(algs []string) bool {
	for _, a := range algs {
		if !strings.HasPrefix(a, "HS") {
			return false
		}
	}
	return len(algs) > 0
}

func (f *fixture) token(t testing.TB, header, overrides map[string]any) string {
	t.Helper()
	return sign(t, f.rsa, header, accessClaims(testIssuer, f.clock.Now(), overrides))
}

func TestVerifyClaims(t *testing.T) {
	f := newFixture(t, nil)
	now := f.clock.Now()
	const leeway = 30 * time.Second
	tests := []struct {
		name      string
		overrides map[string]any
		wantErr   error // nil: accepted
		wantJWT   error // the golang-jwt sentinel also matched
	}{
		{name: "valid", overrides: nil},
		{name: "aud as array with us", overrides: map[string]any{"aud": []string{"other", testAudience}}},
		{name: "exp within leeway", overrides: map[string]any{"exp": now.Add(-leeway + time.Second).Unix()}},
		{name: "exp equal to now minus leeway is expired (RFC 7519 §4.1.4)", overrides: map[string]any{"exp": now.Add(-leeway).Unix()}, wantErr: verifier.ErrTokenExpired, wantJWT: jwt.ErrTokenExpired},
		{name: "exp long past", overrides: map[string]any{"exp": now.Add(-time.Hour).Unix()}, wantErr: verifier.ErrTokenExpired, wantJWT: jwt.ErrTokenExpired},
		{name: "exp missing (RFC 9068 §2.2)", overrides: map[string]any{"exp": nil}, wantErr: verifier.ErrInvalidToken, wantJWT: jwt.ErrTokenRequiredClaimMissing},
		{name: "exp null", overrides: map[string]any{"exp": json.RawMessage("null")}, wantErr: verifier.ErrInvalidToken},
		{name: "exp as string", overrides: map[string]any{"exp": "9999999999"}, wantErr: verifier.ErrInvalidToken},
		{name: "exp huge is clamped, not wrapped", overrides: map[string]any{"exp": 1e300}},
		{name: "nbf within leeway", overrides: map[string]any{"nbf": now.Add(leeway).Unix()}},
		{name: "nbf beyond leeway (RFC 7519 §4.1.5)", overrides: map[string]any{"nbf": now.Add(leeway + time.Second).Unix()}, wantErr: verifier.ErrInvalidToken, wantJWT: jwt.ErrTokenNotValidYet},
		{name: "iat in the future beyond leeway", overrides: map[string]any{"iat": now.Add(leeway + time.Second).Unix()}, wantErr: verifier.ErrInvalidToken, wantJWT: jwt.ErrTokenUsedBeforeIssued},
		{name: "iss of another issuer", overrides: map[string]any{"iss": "https://evil.example.test"}, wantErr: verifier.ErrInvalidToken, wantJWT: jwt.ErrTokenInvalidIssuer},
		{name: "iss with trailing slash", overrides: map[string]any{"iss": testIssuer + "/"}, wantErr: verifier.ErrInvalidToken, wantJWT: jwt.ErrTokenInvalidIssuer},
		{name: "iss differing in case", overrides: map[string]any{"iss": strings.ToUpper(testIssuer)}, wantErr: verifier.ErrInvalidToken, wantJWT: jwt.ErrTokenInvalidIssuer},
		{name: "iss missing", overrides: map[string]any{"iss": nil}, wantErr: verifier.ErrInvalidToken, wantJWT: jwt.ErrTokenInvalidIssuer},
		{name: "aud missing", overrides: map[string]any{"aud": nil}, wantErr: verifier.ErrInvalidToken, wantJWT: jwt.ErrTokenInvalidAudience},
		{name: "aud of another API", overrides: map[string]any{"aud": "https://other.example.test"}, wantErr: verifier.ErrInvalidToken, wantJWT: jwt.ErrTokenInvalidAudience},
		{name: "aud array without us", overrides: map[string]any{"aud": []string{"a", "b"}}, wantErr: verifier.ErrInvalidToken, wantJWT: jwt.ErrTokenInvalidAudience},
		{name: "aud as number", overrides: map[string]any{"aud": 42}, wantErr: verifier.ErrInvalidToken},
		{name: "scope as array is malformed", overrides: map[string]any{"scope": []string{"a"}}, wantErr: verifier.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := f.token(t, nil, tt.overrides)
			c, err := f.v.Verify(t.Context(), tok)
			if tt.wantErr == nil {
				if err != nil || c == nil {
					t.Fatalf("Verify() = %v, %v; want claims, nil", c, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || c != nil {
				t.Fatalf("Verify() = %v, %v; want nil, %v", c, err, tt.wantErr)
			}
			if tt.wantJWT != nil && !errors.Is(err, tt.wantJWT) {
				t.Errorf("Verify() error = %v, want it to match golang-jwt's %v", err, tt.wantJWT)
			}
			if strings.Contains(err.Error(), tok) {
				t.Errorf("error message contains the token")
			}
		})
	}
}

func TestVerifyReturnsClaims(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token(t, nil, map[string]any{
		"aud":       []string{testAudience, "other"},
		"client_id": nil, "azp": "from-azp",
		"scope": nil, "scp": []string{"a", "b"},
		"roles": []string{"admin"},
	})
	c, err := f.v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	now := f.clock.Now()
	if c.Issuer != testIssuer || c.Subject != "alice" || c.ClientID != "from-azp" || c.ID != "id-1" {
		t.Errorf("claims = %+v", c)
	}
	if strings.Join(c.Audience, ",") != testAudience+",other" || strings.Join(c.Scopes, ",") != "a,b" {
		t.Errorf("Audience = %v, Scopes = %v", c.Audience, c.Scopes)
	}
	if !c.ExpiresAt.Equal(now.Add(5*time.Minute)) || !c.IssuedAt.Equal(now) {
		t.Errorf("ExpiresAt = %v, IssuedAt = %v", c.ExpiresAt, c.IssuedAt)
	}
	var extra struct {
		Roles []string `json:"roles"` // claim names match exactly (RFC 7519 §4)
	}
	if err := c.Decode(&extra); err != nil || len(extra.Roles) != 1 || extra.Roles[0] != "admin" {
		t.Errorf("Decode() = %v, roles %v", err, extra.Roles)
	}
}

func TestVerifyAlgorithms(t *testing.T) {
	keys(t)
	ks := []testKey{
		{kid: "rs256", alg: "RS256", priv: rsaKey},
		{kid: "rs384", alg: "RS384", priv: rsaKey},
		{kid: "rs512", alg: "RS512", priv: rsaKey},
		{kid: "ps256", alg: "PS256", priv: rsaKey},
		{kid: "es256", alg: "ES256", priv: p256Key},
		{kid: "es384", alg: "ES384", priv: p384Key},
		{kid: "eddsa", alg: "EdDSA", priv: edKey},
		{kid: "ed25519", alg: "Ed25519", priv: edKey}, // RFC 9864 §2
	}
	f := newFixture(t, nil, ks...)
	for _, k := range ks {
		t.Run(k.alg, func(t *testing.T) {
			tok := sign(t, k, nil, accessClaims(testIssuer, f.clock.Now(), nil))
			if _, err := f.v.Verify(t.Context(), tok); err != nil {
				t.Fatalf("Verify() error = %v", err)
			}
		})
	}
	t.Run("alg outside a configured allow-list (RFC 8725 §3.1)", func(t *testing.T) {
		g := newFixture(t, func(c *verifier.Config) { c.Algorithms = []string{"ES256"} }, ks...)
		tok := sign(t, ks[0], nil, accessClaims(testIssuer, g.clock.Now(), nil))
		if _, err := g.v.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrInvalidToken) {
			t.Fatalf("Verify() error = %v, want %v", err, verifier.ErrInvalidToken)
		}
	})
}

// unsigned builds a token with the given header and an empty signature.
func unsigned(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims(claims))
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRejectsAttacks(t *testing.T) {
	f := newFixture(t, nil)
	now := f.clock.Now()
	good := f.token(t, nil, nil)
	parts := strings.Split(good, ".")

	pubDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(accessClaims(testIssuer, now, nil)))
	hs.Header["kid"] = "rsa-1"
	confused, err := hs.SignedString(pubPEM)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{name: "alg none (RFC 8725 §3.1)", token: unsigned(t, map[string]any{"alg": "none"}, accessClaims(testIssuer, now, nil)), want: verifier.ErrInvalidToken},
		{name: "alg None", token: unsigned(t, map[string]any{"alg": "None"}, accessClaims(testIssuer, now, nil)), want: verifier.ErrInvalidToken},
		{name: "alg NONE", token: unsigned(t, map[string]any{"alg": "NONE"}, accessClaims(testIssuer, now, nil)), want: verifier.ErrInvalidToken},
		{name: "alg nOnE", token: unsigned(t, map[string]any{"alg": "nOnE"}, accessClaims(testIssuer, now, nil)), want: verifier.ErrInvalidToken},
		{name: "valid token with its signature stripped", token: parts[0] + "." + parts[1] + ".", want: verifier.ErrInvalidToken},
		{name: "HS256 keyed with the RSA public key (algorithm confusion, RFC 8725 §2.1)", token: confused, want: verifier.ErrInvalidToken},
		{name: "payload swapped under a valid signature", token: parts[0] + "." + b64([]byte(`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","sub":"admin","exp":9999999999}`)) + "." + parts[2], want: verifier.ErrInvalidToken},
		{name: "two segments", token: parts[0] + "." + parts[1], want: verifier.ErrInvalidToken},
		{name: "five segments (JWE)", token: good + ".x.y", want: verifier.ErrInvalidToken},
		{name: "JWS JSON serialization", token: `{"payload":"` + parts[1] + `","signatures":[]}`, want: verifier.ErrInvalidToken},
		{name: "oversized token refused before decoding", token: strings.Repeat("a", 9000) + ".b.c", want: verifier.ErrInvalidToken},
		{name: "crit with an unknown extension (RFC 7515 §4.1.11)", token: f.token(t, map[string]any{"crit": []string{"exp-ext"}, "exp-ext": true}, nil), want: verifier.ErrInvalidToken},
		{name: "non-string kid", token: f.token(t, map[string]any{"kid": 7}, nil), want: verifier.ErrInvalidToken},
		{name: "unknown kid", token: f.token(t, map[string]any{"kid": "nope"}, nil), want: verifier.ErrInvalidToken},
		{name: "kid with path traversal", token: f.token(t, map[string]any{"kid": "../../etc/passwd"}, nil), want: verifier.ErrInvalidToken},
		{name: "garbage", token: "a.b.c", want: verifier.ErrInvalidToken},
		{name: "empty", token: "", want: verifier.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := f.v.Verify(t.Context(), tt.token)
			if !errors.Is(err, tt.want) || c != nil {
				t.Fatalf("Verify() = %v, %v; want nil, %v", c, err, tt.want)
			}
			if errors.Is(err, verifier.ErrUnavailable) {
				t.Errorf("Verify() error = %v: a bad token must not look like an outage", err)
			}
		})
	}
}

func TestVerifyExpiredWithBadSignatureReportsSignature(t *testing.T) {
	// CVE-2024-51744: the signature is checked before any claim is believed,
	// so an expired token with a bad signature is reported as badly signed.
	f := newFixture(t, nil)
	tok := f.token(t, nil, map[string]any{"exp": f.clock.Now().Add(-time.Hour).Unix()})
	tok = tok[:len(tok)-4] + "AAAA"
	_, err := f.v.Verify(t.Context(), tok)
	if !errors.Is(err, jwt.ErrTokenSignatureInvalid) || errors.Is(err, verifier.ErrTokenExpired) {
		t.Fatalf("Verify() error = %v, want signature invalid and not expired", err)
	}
}

func TestVerifyTokenType(t *testing.T) {
	f := newFixture(t, nil)
	idClaims := map[string]any{"aud": "web-app", "nonce": "n-0S6", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "scope": nil, "client_id": nil, "azp": "web-app"}
	idWithOurAud := map[string]any{"aud": []string{"web-app", testAudience}, "nonce": "n-0S6"}
	tests := []struct {
		name   string
		header map[string]any
		claims map[string]any
		strict bool
		want   error // nil: accepted
	}{
		{name: "typ at+jwt (RFC 9068 §2.1)", header: map[string]any{"typ": "at+jwt"}},
		{name: "typ application/AT+JWT", header: map[string]any{"typ": "application/AT+JWT"}},
		{name: "typ JWT accepted by default", header: map[string]any{"typ": "JWT"}},
		{name: "no typ accepted by default", header: map[string]any{"typ": nil}},
		{name: "typ JWT refused in strict mode (RFC 9068 §4)", header: map[string]any{"typ": "JWT"}, strict: true, want: verifier.ErrNotAccessToken},
		{name: "ID token offered as access token", header: map[string]any{"typ": "JWT"}, claims: idClaims, want: verifier.ErrNotAccessToken},
		{name: "ID token with our audience added", header: map[string]any{"typ": nil}, claims: idWithOurAud, want: verifier.ErrNotAccessToken},
		{name: "ID token with only at_hash", claims: map[string]any{"at_hash": "x"}, header: map[string]any{"typ": "JWT"}, want: verifier.ErrNotAccessToken},
		{name: "Keycloak ID token typ claim", header: map[string]any{"typ": "JWT"}, claims: map[string]any{"typ": "ID"}, want: verifier.ErrNotAccessToken},
		{name: "Keycloak refresh token typ claim", header: map[string]any{"typ": "JWT"}, claims: map[string]any{"typ": "Refresh"}, want: verifier.ErrNotAccessToken},
		{name: "Keycloak access token typ claim Bearer", header: map[string]any{"typ": "JWT"}, claims: map[string]any{"typ": "Bearer"}},
		{name: "logout token", header: map[string]any{"typ": "logout+jwt"}, claims: map[string]any{"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}}, want: verifier.ErrNotAccessToken},
		{name: "logout token typed JWT", header: map[string]any{"typ": "JWT"}, claims: map[string]any{"events": map[string]any{}}, want: verifier.ErrNotAccessToken},
		{name: "DPoP proof", header: map[string]any{"typ": "dpop+jwt"}, want: verifier.ErrNotAccessToken},
		{name: "introspection response JWT", header: map[string]any{"typ": "token-introspection+jwt"}, want: verifier.ErrNotAccessToken},
		{name: "security event token", header: map[string]any{"typ": "secevent+jwt"}, want: verifier.ErrNotAccessToken},
		{name: "non-string typ", header: map[string]any{"typ": 1}, want: verifier.ErrInvalidToken},
	}
	strict := newFixture(t, func(c *verifier.Config) { c.RequireAccessTokenType = true })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := f
			if tt.strict {
				g = strict
			}
			_, err := g.v.Verify(t.Context(), g.token(t, tt.header, tt.claims))
			if tt.want == nil && err != nil {
				t.Fatalf("Verify() error = %v, want nil", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify() error = %v, want %v", err, tt.want)
			}
			if tt.want != nil && !errors.Is(err, verifier.ErrInvalidToken) {
				t.Errorf("Verify() error = %v does not wrap ErrInvalidToken", err)
			}
		})
	}
}

func TestVerifyHMACOnlyWhenConfigured(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	f := newFixture(t, func(c *verifier.Config) {
		c.Algorithms = []string{"HS256"}
		c.HMACSecret = secret
	})
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(accessClaims(testIssuer, f.clock.Now(), nil)))
	tok, err := hs.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify(HS256 with the configured secret) error = %v", err)
	}
	if n := f.jwks.requests.Load(); n != 0 {
		t.Errorf("HMAC-only verifier fetched the key set %d times, want 0", n)
	}
	def := newFixture(t, nil)
	if _, err := def.v.Verify(t.Context(), tok); !errors.Is(err, verifier.ErrInvalidToken) {
		t.Fatalf("default verifier: Verify(HS256) error = %v, want %v", err, verifier.ErrInvalidToken)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  verifier.Config
		want string
	}{
		{name: "no issuer", cfg: verifier.Config{Audience: "a"}, want: "Config.Issuer"},
		{name: "no audience", cfg: verifier.Config{Issuer: testIssuer}, want: "Config.Audience"},
		{name: "http issuer off loopback", cfg: verifier.Config{Issuer: "http://issuer.example.test", Audience: "a"}, want: "https"},
		{name: "alg none", cfg: verifier.Config{Issuer: testIssuer, Audience: "a", Algorithms: []string{"none"}}, want: "Config.Algorithms"},
		{name: "HS256 without a secret", cfg: verifier.Config{Issuer: testIssuer, Audience: "a", Algorithms: []string{"HS256"}}, want: "HMACSecret"},
		{name: "short HMAC secret", cfg: verifier.Config{Issuer: testIssuer, Audience: "a", Algorithms: []string{"HS256"}, HMACSecret: []byte("short")}, want: "HMACSecret"},
		{name: "negative leeway", cfg: verifier.Config{Issuer: testIssuer, Audience: "a", Leeway: -time.Second}, want: "Config.Leeway"},
		{name: "huge leeway", cfg: verifier.Config{Issuer: testIssuer, Audience: "a", Leeway: time.Hour}, want: "Config.Leeway"},
		{name: "http JWKS URL off loopback", cfg: verifier.Config{Issuer: testIssuer, Audience: "a", JWKSURL: "http://keys.example.test/jwks"}, want: "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verifier.New(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() error = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// TestClaimsOfEveryPayloadSize verifies tokens whose payloads run from
// under 200 bytes to over 4 KiB, cached and not: the claims are the
// token's, Raw is the payload, an append to Raw copies, and writing into
// Raw changes no claim (the claim strings are cut from a copy of their
// own).
func TestClaimsOfEveryPayloadSize(t *testing.T) {
	keys(t)
	ed := testKey{kid: "ed-1", alg: "EdDSA", priv: edKey}
	for _, cacheSize := range []int{0, -1} {
		f := newFixture(t, func(c *verifier.Config) { c.TokenCacheSize = cacheSize; c.Algorithms = []string{"EdDSA"} }, ed)
		for pad := 0; pad < 4200; pad += 13 {
			want := strings.Repeat("p", pad)
			tok := sign(t, ed, nil, accessClaims(testIssuer, f.clock.Now(), map[string]any{"pad": want}))
			for range 2 { // the second is a hit when cached
				c, err := f.v.Verify(t.Context(), tok)
				if err != nil {
					t.Fatalf("cache %d, pad %d: Verify() error = %v", cacheSize, pad, err)
				}
				var raw struct{ Pad, Sub string }
				if err := json.Unmarshal(c.Raw, &raw); err != nil || raw.Pad != want || raw.Sub != "alice" {
					t.Fatalf("cache %d, pad %d: Raw = %.80q…, %v", cacheSize, pad, c.Raw, err)
				}
				if c.Subject != "alice" || c.ID != "id-1" || !slices.Equal(c.Audience, []string{testAudience}) || !slices.Equal(c.Scopes, []string{"orders:read", "orders:write"}) {
					t.Fatalf("cache %d, pad %d: claims = %+v", cacheSize, pad, c)
				}
				if cap(c.Raw) != len(c.Raw) {
					t.Fatalf("cache %d, pad %d: cap(Raw) = %d > len %d: an append would write past it", cacheSize, pad, cap(c.Raw), len(c.Raw))
				}
			}
			if cacheSize < 0 { // the claims are this request's own: write into Raw
				c, _ := f.v.Verify(t.Context(), tok)
				for i := range c.Raw {
					c.Raw[i] = 'x'
				}
				if c.Subject != "alice" || c.Issuer != testIssuer || c.ClientID != "web-app" {
					t.Fatalf("pad %d: writing into Raw changed the claims: %+v", pad, c)
				}
			}
		}
	}
}
