package introspection_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/verifier"
)

// These tests run the introspector against the real test issuer's
// /introspect, which shares no code with this package.

// startIssuer starts a test issuer on a settable clock.
func startIssuer(t *testing.T, opts ...issuertest.Option) (*issuertest.Server, *issuertest.Clock) {
	t.Helper()
	clock := issuertest.NewClock(epoch)
	iss := issuertest.NewServer(append([]issuertest.Option{issuertest.WithClock(clock.Now)}, opts...)...)
	t.Cleanup(iss.Close)
	return iss, clock
}

// issuerIntrospector discovers iss's introspection endpoint and uses the
// resource server's credentials; cfg adds to that.
func issuerIntrospector(t *testing.T, iss *issuertest.Server, now func() time.Time, cfg introspection.Config) *introspection.Introspector {
	t.Helper()
	cfg.Issuer, cfg.Now = iss.URL, now
	if cfg.Audience == "" && !cfg.AnyAudience {
		cfg.Audience = iss.Audience()
	}
	if cfg.Logger == nil {
		cfg.Logger, _ = testLogger(t)
	}
	if cfg.ClientID == "" && usesSecret(cfg.AuthMethod) {
		cfg.ClientID, cfg.ClientSecret = issuertest.APIClientID, issuertest.APIClientSecret
	}
	in, err := introspection.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

func TestIssuerActiveAccessToken(t *testing.T) {
	for _, method := range []string{"client_secret_basic", "client_secret_post"} {
		t.Run(method, func(t *testing.T) {
			iss, clock := startIssuer(t)
			in := issuerIntrospector(t, iss, clock.Now, introspection.Config{AuthMethod: method})
			tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read", "orders:write"}})
			c := verify(t, in, tok, nil)
			checkAliceClaims(t, iss, c)
		})
	}
}

func checkAliceClaims(t *testing.T, iss *issuertest.Server, c *verifier.Claims) {
	t.Helper()
	if c.Issuer != iss.URL || c.Subject != issuertest.Alice || c.ClientID != issuertest.PublicClientID ||
		!slices.Contains(c.Audience, iss.Audience()) || !slices.Equal(c.Scopes, []string{"orders:read", "orders:write"}) ||
		!c.ExpiresAt.Equal(epoch.Add(5*time.Minute)) || c.ID == "" {
		t.Errorf("Verify() claims = %+v", *c)
	}
}

func TestIssuerOpaqueAccessTokens(t *testing.T) {
	iss, clock := startIssuer(t, issuertest.WithOpaqueAccessTokens())
	in := issuerIntrospector(t, iss, clock.Now, introspection.Config{CacheSize: 10})
	base := iss.Requests(issuertest.EndpointIntrospect) // New's credential check
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read", "orders:write"}})
	if strings.Contains(tok, ".") {
		t.Fatalf("issuer gave a JWT-shaped token %q, want an opaque one", tok)
	}
	checkAliceClaims(t, iss, verify(t, in, tok, nil))
	verify(t, in, tok, nil)
	verify(t, in, "unknown-opaque-token", verifier.ErrInvalidToken)
	if n := iss.Requests(issuertest.EndpointIntrospect) - base; n != 2 {
		t.Errorf("introspection requests = %d, want 2 (the second Verify is cached)", n)
	}
}

// TestIssuerRevokedToken shows revocation latency: without a cache the
// next request sees it; with one, it is seen once MaxCacheTTL has passed.
func TestIssuerRevokedToken(t *testing.T) {
	iss, clock := startIssuer(t)
	uncached := issuerIntrospector(t, iss, clock.Now, introspection.Config{})
	cached := issuerIntrospector(t, iss, clock.Now, introspection.Config{CacheSize: 10, MaxCacheTTL: time.Minute})
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
	verify(t, uncached, tok, nil)
	verify(t, cached, tok, nil)

	revoke(t, iss, tok, issuertest.PublicClientID)
	verify(t, uncached, tok, verifier.ErrInvalidToken)
	verify(t, cached, tok, nil) // still within MaxCacheTTL
	clock.Advance(time.Minute)
	verify(t, cached, tok, verifier.ErrInvalidToken)
}

// revoke revokes token at iss (RFC 7009) as the public client that holds it.
func revoke(t *testing.T, iss *issuertest.Server, token, clientID string) {
	t.Helper()
	resp, err := iss.Client().PostForm(iss.URL+"/revoke", url.Values{"token": {token}, "client_id": {clientID}})
	if err != nil {
		t.Fatalf("POST /revoke: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /revoke status = %d, want 200", resp.StatusCode)
	}
}

func TestIssuerExpiredToken(t *testing.T) {
	t.Run("issuer's clock past exp: inactive", func(t *testing.T) {
		iss, clock := startIssuer(t)
		in := issuerIntrospector(t, iss, clock.Now, introspection.Config{})
		tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
		clock.Advance(5 * time.Minute)
		verify(t, in, tok, verifier.ErrInvalidToken)
	})
	t.Run("our clock past exp while the issuer's lags", func(t *testing.T) {
		iss, clock := startIssuer(t)
		ours := func() time.Time { return clock.Now().Add(6 * time.Minute) }
		in := issuerIntrospector(t, iss, ours, introspection.Config{})
		tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
		verify(t, in, tok, verifier.ErrTokenExpired)
	})
	t.Run("minted already expired", func(t *testing.T) {
		iss, clock := startIssuer(t)
		in := issuerIntrospector(t, iss, clock.Now, introspection.Config{})
		verify(t, in, iss.ExpiredToken(issuertest.TokenRequest{Subject: issuertest.Alice}), verifier.ErrInvalidToken)
	})
}

func TestIssuerRefreshTokenAsAccessToken(t *testing.T) {
	iss, clock := startIssuer(t)
	in := issuerIntrospector(t, iss, clock.Now, introspection.Config{CacheSize: 10})
	tok := codeFlow(t, iss)
	if tok.RefreshToken == "" {
		t.Fatal("code flow gave no refresh token")
	}
	verify(t, in, tok.AccessToken, nil)
	verify(t, in, tok.RefreshToken, verifier.ErrNotAccessToken)
	idToken, ok := tok.Extra("id_token").(string)
	if !ok {
		t.Fatal("code flow with openid gave no ID token")
	}
	verify(t, in, idToken, verifier.ErrInvalidToken) // ID tokens are not recorded: inactive
}

// codeFlow runs the authorization code flow with PKCE for the issuer's
// public client and returns its token response.
func codeFlow(t *testing.T, iss *issuertest.Server) *oauth2.Token {
	t.Helper()
	conf := &oauth2.Config{
		ClientID:    issuertest.PublicClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: iss.URL + "/authorize", TokenURL: iss.URL + "/token", AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: "http://127.0.0.1:8123/callback",
		Scopes:      []string{"openid", "orders:read"},
	}
	pkce := oauth2.GenerateVerifier()
	client := *iss.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(conf.AuthCodeURL("state", oauth2.S256ChallengeOption(pkce)))
	if err != nil {
		t.Fatalf("GET /authorize: %v", err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("GET /authorize answered %d, Location %q: no code", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := conf.Exchange(t.Context(), loc.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatalf("Exchange() error = %v", err)
	}
	return tok
}

// TestNewRejectsWrongCredentials: New checks the credentials once, so a
// wrong secret is a configuration error naming ClientID and AuthMethod at
// startup, not a 503 on every request for ever after.
func TestNewRejectsWrongCredentials(t *testing.T) {
	tests := []struct {
		name       string
		id, secret string
		method     string
	}{
		{"wrong secret (401)", issuertest.APIClientID, "wrong", "client_secret_basic"},
		{"wrong secret sent as form parameters (401)", issuertest.APIClientID, "wrong", "client_secret_post"},
		{"client not allowed to introspect (403)", issuertest.ServiceClientID, issuertest.ServiceClientSecret, "client_secret_basic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss, clock := startIssuer(t)
			_, err := introspection.New(t.Context(), introspection.Config{
				Issuer: iss.URL, Audience: iss.Audience(), Now: clock.Now,
				ClientID: tt.id, ClientSecret: tt.secret, AuthMethod: tt.method,
			})
			switch {
			case err == nil:
				t.Fatal("New() error = nil, want the refused credentials")
			case errors.Is(err, verifier.ErrUnavailable):
				t.Errorf("New() error = %v: wrong credentials are a configuration error, not ErrUnavailable", err)
			case !strings.Contains(err.Error(), "Config.ClientID "+strconv.Quote(tt.id)) || !strings.Contains(err.Error(), "Config.AuthMethod "+strconv.Quote(tt.method)):
				t.Errorf("New() error = %q, want it to name Config.ClientID %q and Config.AuthMethod %q", err, tt.id, tt.method)
			case strings.Contains(err.Error(), tt.secret):
				t.Errorf("New() error = %q contains the secret", err)
			}
		})
	}
}

func TestIssuerFaults(t *testing.T) {
	iss, clock := startIssuer(t)
	in := issuerIntrospector(t, iss, clock.Now, introspection.Config{CacheSize: 10, Timeout: 100 * time.Millisecond, MaxFailureBackoff: time.Second})
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
	faults := []struct {
		name  string
		fault issuertest.Fault
		msg   string
	}{
		{"503", issuertest.StatusFault(http.StatusServiceUnavailable), "status 503"},
		{"garbage", issuertest.GarbageFault(), "malformed response"},
		{"slow", issuertest.SlowFault(time.Minute), "calling the endpoint"},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			iss.SetFault(issuertest.EndpointIntrospect, f.fault)
			_, err := in.Verify(t.Context(), tok)
			wantUnavailable(t, err, f.msg)
			clock.Advance(time.Second) // past the breaker's pause
		})
	}
	iss.ClearFault(issuertest.EndpointIntrospect)
	verify(t, in, tok, nil) // faults were not cached
}

func TestIssuerCoalescing(t *testing.T) {
	iss, clock := startIssuer(t)
	in := issuerIntrospector(t, iss, clock.Now, introspection.Config{CacheSize: 10})
	base := iss.Requests(issuertest.EndpointIntrospect) // New's credential check
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() {
			_, err := in.Verify(t.Context(), tok)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Verify() error = %v", err)
		}
	}
	if n := iss.Requests(issuertest.EndpointIntrospect) - base; n != 1 {
		t.Errorf("introspection requests = %d, want 1", n)
	}
}
