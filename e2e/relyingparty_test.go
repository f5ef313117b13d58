package e2e_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/client/rs"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
)

// rpConfig adds a confidential web client to the built-in ones, for
// client_secret_basic with the authorization code grant.
const rpConfig = `{"clients": [
  {"client_id": "web-app", "redirect_uris": ["http://127.0.0.1/callback"],
   "scopes": ["openid", "profile", "email", "offline_access", "orders:read"], "grant_types": ["authorization_code", "refresh_token"]},
  {"client_id": "backend-app", "client_secret": "backend-secret", "redirect_uris": ["http://127.0.0.1/callback"],
   "scopes": ["openid", "offline_access", "orders:read"], "grant_types": ["authorization_code", "refresh_token"]},
  {"client_id": "api", "client_secret": "api-secret", "introspect": true}
]}`

// relyingParty is zitadel/oidc's relying party as an application runs it:
// its own login and callback handlers, which keep the state and the PKCE
// verifier in cookies, verify the ID token, and hand over the tokens.
type relyingParty struct {
	rp     rp.RelyingParty
	url    string
	tokens chan *oidc.Tokens[*oidc.IDTokenClaims]
}

func newRelyingParty(t *testing.T, issuer, clientID, secret string, style oauth2.AuthStyle) *relyingParty {
	t.Helper()
	r := &relyingParty{tokens: make(chan *oidc.Tokens[*oidc.IDTokenClaims], 1)}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r.url = srv.URL
	cookies := httphelper.NewCookieHandler(randomKey(t), randomKey(t), httphelper.WithUnsecure())
	var err error
	r.rp, err = rp.NewRelyingPartyOIDC(t.Context(), issuer, clientID, secret, srv.URL+"/callback",
		[]string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess, "orders:read"},
		rp.WithPKCE(cookies), rp.WithHTTPClient(client), rp.WithAuthStyle(style))
	if err != nil {
		t.Fatalf("rp.NewRelyingPartyOIDC(%s) error = %v", clientID, err)
	}
	mux.Handle("/login", rp.AuthURLHandler(func() string { return rand.Text() }, r.rp, rp.WithURLParam("login_hint", "alice")))
	mux.Handle("/callback", rp.CodeExchangeHandler(func(w http.ResponseWriter, _ *http.Request, tokens *oidc.Tokens[*oidc.IDTokenClaims], _ string, _ rp.RelyingParty) {
		r.tokens <- tokens
		_, _ = w.Write([]byte("signed in"))
	}, r.rp))
	return r
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// signIn runs the code flow with PKCE through the relying party's own
// handlers, the issuer signing alice in without a page (-interactive=false).
func (r *relyingParty) signIn(t *testing.T) *oidc.Tokens[*oidc.IDTokenClaims] {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: client.Timeout}
	resp, err := browser.Get(r.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("code flow through the relying party ended with %s at %s", resp.Status, resp.Request.URL)
	}
	select {
	case tok := <-r.tokens:
		return tok
	default:
		t.Fatal("the relying party's callback got no tokens")
		return nil
	}
}

// TestZitadelRelyingParty: zitadel/oidc's relying party, a strict OpenID
// client nobody here wrote, completes code + PKCE, refresh, introspection
// (as the resource server) and revocation against the standalone issuer,
// as a confidential client with client_secret_basic and as a public
// client. The issuer signs access tokens with EdDSA, which the relying
// party's default verifier refuses for ID tokens: they must be RS256.
func TestZitadelRelyingParty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer.json")
	if err := os.WriteFile(path, []byte(rpConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	issuer := start(t, "issuer", "issuer:", "-addr", "127.0.0.1:0", "-interactive=false", "-alg", "EdDSA", "-config", path)
	api, err := rs.NewResourceServerClientCredentials(t.Context(), issuer, "api", "api-secret", rs.WithClient(client))
	if err != nil {
		t.Fatalf("rs.NewResourceServerClientCredentials() error = %v", err)
	}
	tests := []struct {
		name, clientID, secret string
		style                  oauth2.AuthStyle
	}{
		{"confidential client, client_secret_basic", "backend-app", "backend-secret", oauth2.AuthStyleInHeader},
		{"public client", "web-app", "", oauth2.AuthStyleInParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRelyingParty(t, issuer, tt.clientID, tt.secret, tt.style)
			ctx := t.Context()
			tok := r.signIn(t)
			if tok.IDTokenClaims.Subject != "alice" || tok.RefreshToken == "" {
				t.Fatalf("tokens: sub %q, refresh token %q; want alice and a refresh token", tok.IDTokenClaims.Subject, tok.RefreshToken)
			}
			introspect(t, ctx, api, tok.AccessToken, true)

			refreshed, err := rp.RefreshTokens[*oidc.IDTokenClaims](ctx, r.rp, tok.RefreshToken, "", "")
			if err != nil {
				t.Fatalf("rp.RefreshTokens() error = %v", err)
			}
			if refreshed.AccessToken == "" || refreshed.RefreshToken == "" || refreshed.RefreshToken == tok.RefreshToken {
				t.Fatalf("refresh: access %q, refresh %q; want new ones", refreshed.AccessToken, refreshed.RefreshToken)
			}
			if refreshed.IDTokenClaims == nil || refreshed.IDTokenClaims.Subject != "alice" {
				t.Errorf("refresh: ID token claims %+v, want a verified ID token for alice", refreshed.IDTokenClaims)
			}
			introspect(t, ctx, api, refreshed.AccessToken, true)

			if err := rp.RevokeToken(ctx, r.rp, refreshed.RefreshToken, "refresh_token"); err != nil {
				t.Fatalf("rp.RevokeToken() error = %v", err)
			}
			// Revoking the refresh token ends its family (RFC 7009 §2.1).
			introspect(t, ctx, api, refreshed.AccessToken, false)
			if _, err := rp.RefreshTokens[*oidc.IDTokenClaims](ctx, r.rp, refreshed.RefreshToken, "", ""); err == nil {
				t.Errorf("refresh with a revoked refresh token succeeded")
			}
		})
	}
}

// introspect asks the issuer about token as the resource server does and
// checks that it is active or not, and whose it is.
func introspect(t *testing.T, ctx context.Context, api rs.ResourceServer, token string, wantActive bool) {
	t.Helper()
	resp, err := rs.Introspect[*oidc.IntrospectionResponse](ctx, api, token)
	if err != nil {
		t.Fatalf("rs.Introspect() error = %v", err)
	}
	if resp.Active != wantActive || (wantActive && resp.Subject != "alice") {
		t.Errorf("introspection: active %v, sub %q; want active %v for alice", resp.Active, resp.Subject, wantActive)
	}
}
