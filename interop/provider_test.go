package interop_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const (
	jwtResource    = "https://orders.example.test"
	opaqueResource = "https://opaque.example.test"
	apiClient      = "api"
	apiSecret      = "api-secret-for-interop-tests-only"
	callback       = "http://127.0.0.1/callback"
)

// TestMain installs the pinned npm packages when they are missing, so
// that `go test ./...` in this module works on a fresh checkout.
func TestMain(m *testing.M) {
	if _, err := os.Stat(filepath.Join("node_modules", "oidc-provider", "package.json")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "interop: npm ci: %v (node and npm are needed)\n", err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// provider is a running node-oidc-provider.
type provider struct {
	Issuer string
	KID    string // the signing key's id, new at every start
	port   string
	cmd    *exec.Cmd
}

// startProvider starts provider.mjs on port ("0": any free port) and
// waits for its ready line; the test's end stops it.
func startProvider(t *testing.T, port string) *provider {
	t.Helper()
	cmd := exec.Command("node", "provider.mjs")
	cmd.Env = append(os.Environ(), "PORT="+port, "NODE_ENV=test")
	cmd.Stderr = &testLog{t: t}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node: %v", err)
	}
	p := &provider{cmd: cmd}
	t.Cleanup(func() { stdin.Close(); p.stop() })
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil {
			err = json.Unmarshal([]byte(line), p)
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("provider.mjs did not start: %v", err)
		}
	case <-time.After(60 * time.Second): // a hang guard, not a timing
		t.Fatal("provider.mjs did not print its ready line")
	}
	u, _ := url.Parse(p.Issuer)
	p.port = u.Port()
	return p
}

// stop ends the provider and waits for it; it may be called twice.
func (p *provider) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

// restart stops the provider and starts it again on the same port with a
// new signing key: a key rotation as node-oidc-provider does one, signing
// with the new key at once.
func (p *provider) restart(t *testing.T) *provider {
	t.Helper()
	p.stop()
	return startProvider(t, p.port)
}

// testLog passes the provider's stderr to the test log.
type testLog struct{ t *testing.T }

func (l *testLog) Write(b []byte) (int, error) {
	l.t.Logf("provider: %s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// tokens is what one code flow returned.
type tokens struct {
	access, refresh, id string
}

// codeFlow runs authorization code + PKCE for web-app, asking for
// resource, following the redirects with a cookie jar: provider.mjs signs
// alice in and consents without a page.
func codeFlow(t *testing.T, p *provider, resource string) tokens {
	t.Helper()
	conf := &oauth2.Config{
		ClientID:    "web-app",
		RedirectURL: callback,
		Endpoint:    oauth2.Endpoint{AuthURL: p.Issuer + "/auth", TokenURL: p.Issuer + "/token", AuthStyle: oauth2.AuthStyleInParams},
		Scopes:      []string{"openid", "offline_access", "orders:read"},
	}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("resource", resource), oauth2.SetAuthURLParam("prompt", "consent"))
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callback) || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatalf("authorization: %v", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorization ended at %s with %d, Location %q; want a code; body: %s", resp.Request.URL, resp.StatusCode, resp.Header.Get("Location"), body)
	}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, &http.Client{Timeout: 30 * time.Second})
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	id, _ := tok.Extra("id_token").(string)
	return tokens{access: tok.AccessToken, refresh: tok.RefreshToken, id: id}
}

// revoke revokes token as web-app (RFC 7009 §2).
func revoke(t *testing.T, p *provider, token string) {
	t.Helper()
	form := url.Values{"token": {token}, "client_id": {"web-app"}}
	resp, err := http.PostForm(p.Issuer+"/token/revocation", form)
	if err != nil {
		t.Fatalf("revocation: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation status %d, want 200", resp.StatusCode)
	}
}
