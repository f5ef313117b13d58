package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/issuertest"
)

// loopback are flags that put every origin on a free loopback port.
var loopback = []string{"-app-addr", "127.0.0.1:0", "-api-addr", "127.0.0.1:0", "-analytics-addr", "127.0.0.1:0", "-issuer-addr", "127.0.0.1:0"}

// testClient has a timeout, so that a hang fails the test.
var testClient = &http.Client{Timeout: 10 * time.Second}

// fetch sends a request with headers (name, value, ...) and returns the
// response with its body read.
func fetch(t *testing.T, method, url, body string, header ...string) (*http.Response, string) {
	t.Helper()
	return send(t, testClient, method, url, body, header...)
}

// send is fetch with the client c.
func send(t *testing.T, c *http.Client, method, url, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(b)
}

// TestRunServesTheStory is the smoke test of the command: it prints one
// line with one URL, which serves the app; the app's config names the
// API, which refuses a request without a token and grants the app's
// preflight; the issuer grants the app's origin too; and the command
// stops cleanly when its context ends.
func TestRunServesTheStory(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, loopback, w, io.Discard)
		w.CloseWithError(err)
		done <- err
	}()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatalf("run printed nothing: %v", <-done)
	}
	app, ok := strings.CutPrefix(lines.Text(), "spa: open ")
	if !ok || strings.Count(lines.Text(), "http://") != 1 || !strings.HasPrefix(app, "http://127.0.0.1:") {
		t.Fatalf("run printed %q, want one line with the app's URL", lines.Text())
	}
	page, html := fetch(t, "GET", app, "")
	if page.StatusCode != 200 || !strings.Contains(html, `<script type="module" src="/app.js">`) || !strings.Contains(page.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("GET %s = %d, CSP %q:\n%s", app, page.StatusCode, page.Header.Get("Content-Security-Policy"), html)
	}
	for _, file := range []string{"app.js", "oauth.js", "story.js", "app.css"} {
		if resp, _ := fetch(t, "GET", app+file, ""); resp.StatusCode != 200 {
			t.Errorf("GET /%s = %d", file, resp.StatusCode)
		}
	}
	_, raw := fetch(t, "GET", app+"config.json", "")
	var cfg struct{ Issuer, API string }
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil || cfg.API == "" {
		t.Fatalf("config.json = %s (%v)", raw, err)
	}
	origin := strings.TrimSuffix(app, "/")
	if resp, _ := fetch(t, "GET", cfg.API+"/profile", ""); resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("GET /profile without a token = %d %q, want 401 with a Bearer challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	for _, p := range []struct{ method, url string }{{"GET", cfg.API + "/profile"}, {"POST", cfg.Issuer + "/token"}} {
		resp, _ := fetch(t, "OPTIONS", p.url, "", "Origin", origin, "Access-Control-Request-Method", p.method, "Access-Control-Request-Headers", "authorization")
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("preflight of %s %s from the app = %d %q, want 204 for %s", p.method, p.url, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), origin)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run() after its context ended = %v, want nil", err)
	}
	if lines.Scan() {
		t.Errorf("run printed a second line %q", lines.Text())
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"defaults on loopback", nil, ""},
		{"free ports", loopback, ""},
		{"localhost", []string{"-app-addr", "localhost:0"}, ""},
		{"IPv6 loopback", []string{"-api-addr", "[::1]:0"}, ""},
		{"every interface", []string{"-app-addr", ":9500"}, "-app-addr"},
		{"another host", []string{"-issuer-addr", "192.0.2.1:9503"}, "loopback"},
		{"not an address", []string{"-analytics-addr", "nowhere"}, "-analytics-addr"},
		{"negative schedule", []string{"-sync-every", "-1s"}, "-sync-every"},
		{"zero lifetime", []string{"-access-ttl", "0"}, "-access-ttl"},
		{"stray argument", []string{"extra"}, "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, io.Discard)
			if (tt.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseConfig(%q) error = %v, want %q", tt.args, err, tt.wantErr)
			}
		})
	}
	if _, err := parseConfig([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseConfig(-h) = %v, want flag.ErrHelp", err)
	}
}

// testDemo runs the demo on free ports with a clock the test moves and the
// issuer's non-interactive login (alice approves at once); ticks, if
// given, is analytics' schedule.
func testDemo(t *testing.T, ticks ...chan time.Time) (*demo, *issuertest.Clock) {
	t.Helper()
	clock := issuertest.NewClock(time.Now().Truncate(time.Second))
	cfg := config{
		appAddr: "127.0.0.1:0", apiAddr: "127.0.0.1:0", analyticsAddr: "127.0.0.1:0", issuerAddr: "127.0.0.1:0",
		accessTTL: issuertest.DefaultAccessTokenLifetime, now: clock.Now,
	}
	if len(ticks) > 0 {
		cfg.syncTicks = ticks[0]
	}
	d, err := newDemo(t.Context(), cfg)
	if err != nil {
		t.Fatalf("newDemo() error = %v", err)
	}
	t.Cleanup(func() {
		if err := d.close(); err != nil {
			t.Errorf("close() = %v", err)
		}
	})
	return d, clock
}
