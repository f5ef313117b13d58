package issuertest_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/issuertest"
)

func decodePart(t testing.TB, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("part %d: %v", i, err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("part %d: %v", i, err)
	}
	return m
}

func headerOf(t testing.TB, token string) map[string]any { t.Helper(); return decodePart(t, token, 0) }
func claimsOf(t testing.TB, token string) map[string]any { t.Helper(); return decodePart(t, token, 1) }

// signedBy reports whether golang-jwt accepts token's signature under key,
// ignoring every claim: the bad tokens are well-signed where they should
// be, so a verifier that rejects them does so for the right reason.
func signedBy(token string, key any, alg string) bool {
	p := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithoutClaimsValidation())
	_, err := p.Parse(token, func(*jwt.Token) (any, error) { return key, nil })
	return err == nil
}

// TestBadTokens: each helper's token is refused by a careful verifier
// (golang-jwt with an algorithm allow-list, iss, aud, exp, iat, typ and kid
// checks) for exactly the reason it stands for.
func TestBadTokens(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s, clock := newServer(t, issuertest.WithSigningAlg(alg))
			req := issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}}
			current := s.PublicKey(s.SigningKeyID())
			tests := []struct {
				name    string
				token   string
				wantErr error
				check   func(t *testing.T, token string)
			}{
				{name: "expired", token: s.ExpiredToken(req), wantErr: jwt.ErrTokenExpired},
				{name: "not yet valid", token: s.NotYetValidToken(req), wantErr: jwt.ErrTokenNotValidYet},
				{name: "wrong audience", token: s.WrongAudienceToken(req), wantErr: jwt.ErrTokenInvalidAudience},
				{name: "wrong issuer", token: s.WrongIssuerToken(req), wantErr: jwt.ErrTokenInvalidIssuer},
				{name: "id token as access token", token: s.IDTokenAsAccessToken(req), wantErr: errNotAccessToken, check: func(t *testing.T, tok string) {
					c := claimsOf(t, tok)
					if aud, _ := c["aud"].([]any); len(aud) != 2 || aud[1] != s.Audience() || c["azp"] != issuertest.PublicClientID || c["nonce"] == nil {
						t.Errorf("ID token claims = %v, want aud [client, API], azp, nonce", c)
					}
				}},
				{name: "signed by a key not in the jwks", token: s.ForeignKeyToken(req), wantErr: jwt.ErrTokenSignatureInvalid, check: func(t *testing.T, tok string) {
					if headerOf(t, tok)["kid"] != s.SigningKeyID() {
						t.Errorf("foreign-key token does not claim the current kid")
					}
				}},
				{name: "alg none", token: s.AlgNoneToken(req), wantErr: jwt.ErrTokenSignatureInvalid, check: func(t *testing.T, tok string) {
					if headerOf(t, tok)["alg"] != "none" || !strings.HasSuffix(tok, ".") {
						t.Errorf("alg none token = %q, want alg none and an empty signature", tok)
					}
				}},
				{name: "hs256 keyed with the public key", token: s.HS256PublicKeyToken(req), wantErr: jwt.ErrTokenSignatureInvalid, check: func(t *testing.T, tok string) {
					if !signedBy(tok, publicPEM(t, current), "HS256") {
						t.Errorf("HS256 token does not verify with the PEM public key as HMAC secret: the attack is not real")
					}
				}},
				{name: "missing kid", token: s.MissingKIDToken(req), wantErr: errUnknownKID, check: func(t *testing.T, tok string) {
					if _, ok := headerOf(t, tok)["kid"]; ok || !signedBy(tok, current, alg) {
						t.Errorf("missing-kid token has a kid or is not signed by the current key")
					}
				}},
				{name: "unknown kid", token: s.UnknownKIDToken(req), wantErr: errUnknownKID, check: func(t *testing.T, tok string) {
					if !signedBy(tok, current, alg) {
						t.Errorf("unknown-kid token is not signed by the current key")
					}
				}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := parseAccess(t, s, clock, tt.token)
					if !errors.Is(err, tt.wantErr) {
						t.Errorf("parseAccess(%s) error = %v, want %v", tt.name, err, tt.wantErr)
					}
					if c := claimsOf(t, tt.token); c["sub"] != "alice" {
						t.Errorf("claims = %v, want sub alice", c)
					}
					if tt.check != nil {
						tt.check(t, tt.token)
					}
				})
			}
			named := s.BadTokens(req)
			if len(named) != len(tests) {
				t.Fatalf("BadTokens has %d tokens, the table %d", len(named), len(tests))
			}
			for i, n := range named {
				if n.Name != tests[i].name {
					t.Errorf("BadTokens()[%d] = %q, want %q", i, n.Name, tests[i].name)
				}
				if _, err := parseAccess(t, s, clock, n.Token); err == nil {
					t.Errorf("BadTokens %q verified", n.Name)
				}
			}
		})
	}
}

func TestMintJWT(t *testing.T) {
	s, clock := newServer(t)
	good := map[string]any{
		"iss": s.URL, "aud": s.Audience(), "sub": "x",
		"iat": clock.Now().Unix(), "exp": clock.Now().Unix() + 60,
	}
	tok := s.MintJWT(map[string]any{"typ": nil, "cty": "x"}, good)
	h := headerOf(t, tok)
	if _, ok := h["typ"]; ok || h["cty"] != "x" || h["alg"] != "RS256" || h["kid"] != s.SigningKeyID() {
		t.Errorf("header = %v, want typ removed, cty added, alg and kid kept", h)
	}
	if _, err := parseAccess(t, s, clock, s.MintJWT(nil, good)); err != nil {
		t.Errorf("MintJWT with valid claims does not verify: %v", err)
	}
	if _, err := parseAccess(t, s, clock, tok); !errors.Is(err, errNotAccessToken) {
		t.Errorf("MintJWT without typ: err = %v, want %v", err, errNotAccessToken)
	}
	// The header lies about the algorithm; the signature stays RS256.
	liar := s.MintJWT(map[string]any{"alg": "RS512"}, good)
	input, sig, _ := strings.Cut(liar[:strings.LastIndex(liar, ".")]+"|"+liar[strings.LastIndex(liar, ".")+1:], "|")
	rawSig, _ := base64.RawURLEncoding.DecodeString(sig)
	sum := sha256.Sum256([]byte(input))
	if err := rsa.VerifyPKCS1v15(s.PublicKey(s.SigningKeyID()).(*rsa.PublicKey), crypto.SHA256, sum[:], rawSig); err != nil {
		t.Errorf("token with alg RS512 in its header is not RS256-signed: %v", err)
	}
	if headerOf(t, liar)["alg"] != "RS512" {
		t.Errorf("alg override ignored")
	}
	if _, err := parseAccess(t, s, clock, liar); err == nil {
		t.Errorf("token whose header lies about alg verified")
	}
}

func TestIDTokenHelper(t *testing.T) {
	s, clock := newServer(t)
	tok := s.IDToken(issuertest.TokenRequest{Nonce: "abc"})
	h, c := headerOf(t, tok), claimsOf(t, tok)
	want := map[string]any{
		"iss": s.URL, "sub": issuertest.Alice, "aud": issuertest.PublicClientID, "azp": issuertest.PublicClientID,
		"nonce": "abc", "auth_time": float64(clock.Now().Unix()),
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("ID token %s = %v, want %v", k, c[k], v)
		}
	}
	if h["typ"] != "JWT" {
		t.Errorf("ID token typ = %v, want JWT", h["typ"])
	}
}

func publicPEM(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
