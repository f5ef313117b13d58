package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMEStory: the README's story section quotes the API's routes as
// api.go has them, and shows every screenshot of the story in docs/ and no
// other.
func TestREADMEStory(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## The story in a browser\n")
	if !ok {
		t.Fatal("README.md has no section \"The story in a browser\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	if !strings.Contains(section, "go run ./examples/spa") {
		t.Error("the section does not say how to run the story")
	}
	api, err := os.ReadFile("api.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range regexp.MustCompile(`(?m)^mux\.Handle\(.*$`).FindAllString(section, -1) {
		if !strings.Contains(string(api), "\t"+line+"\n") {
			t.Errorf("README.md quotes a route api.go does not have: %s", line)
		}
	}
	shown := regexp.MustCompile(`\(docs/(spa-[a-z0-9-]+\.png)\)`).FindAllStringSubmatch(section, -1)
	var names []string
	for _, m := range shown {
		names = append(names, m[1])
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "docs", "spa-*.png"))
	for _, f := range files {
		if !slices.Contains(names, filepath.Base(f)) {
			t.Errorf("docs/%s is not shown in README.md", filepath.Base(f))
		}
	}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join("..", "..", "docs", n)); err != nil {
			t.Errorf("README.md shows docs/%s, which does not exist", n)
		}
	}
	if len(names) == 0 {
		t.Error("the section shows no screenshot")
	}
}
