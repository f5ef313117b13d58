package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"regexp"
	"strings"
	"testing"
)

// TestStory tells the whole story with each signing algorithm, through the
// same code as the command, and fails on the first step that misbehaves.
func TestStory(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			var out bytes.Buffer
			s, err := newStory(t.Context(), alg, newReporter(&out, options{}))
			if err != nil {
				t.Fatalf("newStory() error = %v", err)
			}
			defer s.close()
			if err := s.tell(t.Context()); err != nil {
				t.Fatalf("tell() error = %v\n%s", err, out.String())
			}
			if strings.Contains(out.String(), s.token.AccessToken) || strings.Contains(out.String(), s.idToken) {
				t.Error("the story printed a whole access or ID token")
			}
		})
	}
}

// TestStoryCatchesForgedState proves that step 3 checks state: a redirect
// carrying another state (a CSRF attempt) fails the step.
func TestStoryCatchesForgedState(t *testing.T) {
	var out bytes.Buffer
	s, err := newStory(t.Context(), "RS256", newReporter(&out, options{}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if err := s.preparePKCE(); err != nil {
		t.Fatal(err)
	}
	if err := s.authorizationRequest(); err != nil {
		t.Fatal(err)
	}
	s.state = "the state of another request"
	if err := s.signIn(); err == nil || !strings.Contains(err.Error(), "CSRF") {
		t.Fatalf("signIn() with a forged state: error = %v, want a state mismatch", err)
	}
}

func TestRunJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"-json"}, &out, &errOut); err != nil {
		t.Fatalf("run(-json) error = %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 11 {
		t.Fatalf("run(-json) printed %d lines, want 11 steps", len(lines))
	}
	for i, line := range lines {
		var step struct {
			Step int
			OK   bool
		}
		if err := json.Unmarshal([]byte(line), &step); err != nil || step.Step != i+1 || !step.OK {
			t.Errorf("line %d = %s (%v), want step %d ok", i+1, line, err, i+1)
		}
	}
}

func TestRunFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"-h"}, &out, &errOut); !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut.String(), "-quiet") {
		t.Errorf("run(-h) error = %v, usage %q", err, errOut.String())
	}
	if err := run(t.Context(), []string{"-alg", "HS256"}, &out, &errOut); err == nil {
		t.Error("run(-alg HS256) error = nil, want the algorithm refused")
	}
}

// TestStoryShowsBothTokens: step 4 shows the ID token and the access
// token side by side, with the algorithm -alg chose for access tokens
// beside RS256 for ID tokens, and step 5 the email /userinfo has.
func TestStoryShowsBothTokens(t *testing.T) {
	for _, alg := range []string{"RS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(t.Context(), []string{"-alg", alg}, &out, io.Discard); err != nil {
				t.Fatalf("run(-alg %s) error = %v\n%s", alg, err, out.String())
			}
			for _, want := range []*regexp.Regexp{
				regexp.MustCompile(`(?m)^\s+ID token: who signed in\s+access token: what the client may do$`),
				regexp.MustCompile(`(?m)^\s+typ\s+JWT\s+at\+jwt$`),
				regexp.MustCompile(`(?m)^\s+alg\s+RS256\s+` + alg + `$`),
				regexp.MustCompile(`(?m)^\s+aud\s+web-app\s+https://api\.example\.test$`),
				regexp.MustCompile(`(?m)^\s+scope\s+-\s+openid .*orders:read`),
				regexp.MustCompile(`(?m)^\s+client_id\s+- \(azp web-app\)\s+web-app$`),
				regexp.MustCompile(`(?m)^\s+nonce\s+\S{16,}\s+-$`),
				regexp.MustCompile(`(?m)^\s+at_hash\s+\S{16,}\s+-$`),
				regexp.MustCompile(`(?m)^\s+exp\s+\d\d:\d\d:\d\d \(5m0s after iat\)\s+\d\d:\d\d:\d\d \(5m0s after iat\)$`),
				regexp.MustCompile(`access tokens signed ` + alg + ` \(-alg\)`),
				regexp.MustCompile(`/userinfo adds the name "Alice Example" and the email alice@example\.test`),
			} {
				if !want.MatchString(out.String()) {
					t.Errorf("output lacks %s:\n%s", want, out.String())
				}
			}
		})
	}
}
