package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startRun runs the command in-process on a free port and returns the
// issuer URL it printed and a function that stops it and returns run's
// error.
func startRun(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw)
		pw.CloseWithError(io.EOF)
		errc <- err
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "issuer: "); ok {
			go func() { _, _ = io.Copy(io.Discard, pr) }()
			return u, func() error {
				cancel()
				select {
				case err := <-errc:
					return err
				case <-time.After(5 * time.Second):
					t.Fatal("run did not return after cancel")
					return nil
				}
			}
		}
	}
	cancel()
	t.Fatalf("run printed no issuer line: %v", <-errc)
	return "", nil
}

func getJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d, %v", url, resp.StatusCode, err)
	}
	return m
}

func TestRunServesDiscoveryAndAdmin(t *testing.T) {
	iss, stop := startRun(t, "-alg", "ES256")
	m := getJSON(t, iss+"/.well-known/openid-configuration")
	if m["issuer"] != iss || m["jwks_uri"] != iss+"/jwks" {
		t.Errorf("discovery = %v", m)
	}
	resp, err := http.Post(iss+"/admin/rotate", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("POST /admin/rotate = %d", resp.StatusCode)
	}
	// ES256 signs access tokens and RS256 ID tokens; both rotate, and the
	// old keys stay published for the overlap.
	if keys := getJSON(t, iss+"/jwks")["keys"].([]any); len(keys) != 4 {
		t.Errorf("JWKS after rotation has %d keys, want 4", len(keys))
	}
	// The standalone default is the interactive login page.
	resp, err = http.Get(iss + "/authorize?response_type=code&client_id=web-app&redirect_uri=http://127.0.0.1:1/callback" +
		"&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `name="password"`) {
		t.Errorf("GET /authorize = %d, want the login page", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("run() error = %v, want nil after cancel", err)
	}
	if _, err := http.Get(iss + "/jwks"); err == nil {
		t.Errorf("server still answers after run returned")
	}
}

func TestRunWithConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer.json")
	cfg := `{"audiences":["https://orders.example.test"],
	  "clients":[{"client_id":"cli","client_secret":"s3cret","grant_types":["client_credentials"],"scopes":["orders:read"]}],
	  "users":[{"subject":"carol","password":"pw"}]}`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	iss, stop := startRun(t, "-config", path, "-admin=false")
	defer stop()
	resp, err := http.PostForm(iss+"/token", map[string][]string{
		"grant_type": {"client_credentials"}, "client_id": {"cli"}, "client_secret": {"s3cret"}, "scope": {"orders:read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("client_credentials for the configured client = %d", resp.StatusCode)
	}
	if r, err := http.Post(iss+"/admin/rotate", "application/json", nil); err != nil || r.StatusCode != 404 {
		t.Errorf("admin endpoint served with -admin=false")
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.json")
	_ = os.WriteFile(unknown, []byte(`{"clientz":[]}`), 0o600)
	dup := filepath.Join(dir, "dup.json")
	_ = os.WriteFile(dup, []byte(`{"users":[{"subject":"a","password":"x"},{"subject":"a","password":"y"}]}`), 0o600)
	tests := map[string][]string{
		"unsupported alg":       {"-alg", "HS256"},
		"missing config file":   {"-config", filepath.Join(dir, "nope.json")},
		"unknown config member": {"-config", unknown},
		"duplicate user":        {"-config", dup},
		"issuer with a path":    {"-issuer", "https://x.example/p"},
		"stray argument":        {"extra"},
		"bad duration":          {"-access-ttl", "soon"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			err := run(t.Context(), append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard)
			if err == nil {
				t.Errorf("run(%v) error = nil, want an error", args)
			}
		})
	}
}

func TestPrintConfig(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), []string{"-print-config"}, &out); err != nil {
		t.Fatal(err)
	}
	var cfg fileConfig
	if err := json.Unmarshal([]byte(out.String()), &cfg); err != nil || len(cfg.Clients) != 3 || len(cfg.Users) != 2 {
		t.Errorf("-print-config = %s (%v)", out.String(), err)
	}
}
