package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
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
			if strings.Contains(out.String(), s.token.AccessToken) {
				t.Error("the story printed a whole access token")
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
