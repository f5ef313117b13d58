package main

import (
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// readmeSection returns the README text from the heading to the next one
// of the same level.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q", heading)
	}
	level := heading[:strings.IndexByte(heading, ' ')+1]
	section, _, _ := strings.Cut(rest, "\n"+level)
	return section
}

// TestREADMEDocumentsEveryFlag: the flag table is the one list of flags;
// it names each flag the command has, no other, with its default.
func TestREADMEDocumentsEveryFlag(t *testing.T) {
	rows := regexp.MustCompile("(?m)^\\| `-([a-z-]+)` \\|([^|]*)\\|").FindAllStringSubmatch(readmeSection(t, "## Flags"), -1)
	documented := map[string]string{}
	for _, r := range rows {
		documented[r[1]] = strings.Trim(strings.TrimSpace(r[2]), "`")
	}
	fs := newFlagSet(&flags{}, io.Discard)
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		names = append(names, f.Name)
		doc, ok := documented[f.Name]
		switch {
		case !ok:
			t.Errorf("flag -%s is not in README.md's flag table", f.Name)
		case f.DefValue == "" || f.DefValue == "false" && doc == "":
		case sameDefault(f.DefValue, doc):
		default:
			t.Errorf("README.md says -%s defaults to %q, the command to %q", f.Name, doc, f.DefValue)
		}
	})
	for name := range documented {
		if !slices.Contains(names, name) {
			t.Errorf("README.md documents -%s, which the command does not have", name)
		}
	}
}

func sameDefault(def, doc string) bool {
	if def == doc {
		return true
	}
	a, err1 := time.ParseDuration(def)
	b, err2 := time.ParseDuration(doc)
	return err1 == nil && err2 == nil && a == b
}

// TestREADMEAdminRoutesAnswer: every request of the admin table is served.
func TestREADMEAdminRoutesAnswer(t *testing.T) {
	rows := regexp.MustCompile("(?m)^\\| `(GET|POST) (/admin/[a-z-]+)` \\|").FindAllStringSubmatch(readmeSection(t, "## Admin endpoint"), -1)
	if len(rows) < 7 {
		t.Fatalf("README.md's admin table has %d requests, want 7", len(rows))
	}
	iss, stop := startRun(t)
	defer stop()
	for _, r := range rows {
		req, _ := http.NewRequestWithContext(t.Context(), r[1], iss+r[2], strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			t.Errorf("%s %s = %d, want it served", r[1], r[2], resp.StatusCode)
		}
	}
}

// TestREADMEConfigExample: the configuration file of README.md loads.
func TestREADMEConfigExample(t *testing.T) {
	_, rest, _ := strings.Cut(readmeSection(t, "## Configuration file"), "```json\n")
	example, _, _ := strings.Cut(rest, "```")
	path := filepath.Join(t.TempDir(), "issuer.json")
	if err := os.WriteFile(path, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatalf("README.md's configuration: %v", err)
	}
	s, err := start(options(&flags{alg: "RS256", addr: "127.0.0.1:0", accessTTL: time.Minute, idTTL: time.Minute,
		refreshTTL: time.Minute, codeTTL: time.Minute, keyAhead: time.Minute}, cfg))
	if err != nil {
		t.Fatalf("README.md's configuration does not start: %v", err)
	}
	s.Close()
}
