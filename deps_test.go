package tokengate_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

const module = "github.com/tokengate/tokengate"

// rule says what one package may import directly, outside its tests.
type rule struct {
	tokengate  []string // tokengate packages, relative to the module
	thirdParty []string // module path prefixes
	anyImport  bool     // examples: anything
}

// rules is the one direction of imports of DESIGN.md, package => allowed.
var rules = map[string]rule{
	"":                    {tokengate: []string{"internal/claimset"}},
	"scopes":              {},
	"internal/netpolicy":  {}, // standard library only; every package may import it (below)
	"internal/claimset":   {tokengate: []string{"scopes"}},
	"internal/b64url":     {}, // strict base64url of JWS segments: standard library only
	"internal/discovery":  {},
	"jwkscache":           {thirdParty: []string{"github.com/MicahParks/jwkset", "github.com/golang-jwt/jwt/v5", "golang.org/x/sync"}},
	"internal/retry":      {},
	"internal/binding":    {tokengate: []string{"", "internal/claimset"}},
	"internal/dpoptest":   {}, // the client side of DPoP for tests and examples: standard library only
	"verifier":            {tokengate: []string{"", "scopes", "jwkscache", "internal/claimset", "internal/b64url", "internal/discovery", "internal/oplog", "internal/retry", "internal/binding"}, thirdParty: []string{"github.com/golang-jwt/jwt/v5"}},
	"introspection":       {tokengate: []string{"", "scopes", "internal/claimset", "internal/discovery", "internal/oplog", "internal/retry", "internal/binding"}, thirdParty: []string{"github.com/hashicorp/golang-lru/v2", "golang.org/x/sync"}},
	"dpop":                {tokengate: []string{"", "internal/claimset", "internal/binding"}, thirdParty: []string{"github.com/golang-jwt/jwt/v5"}},
	"internal/oplog":      {tokengate: []string{""}},
	"internal/bearer":     {tokengate: []string{"", "scopes", "internal/oplog", "internal/binding"}},
	"middleware":          {tokengate: []string{"", "scopes", "internal/bearer"}},
	"middleware/grpcauth": {tokengate: []string{"", "scopes", "internal/bearer"}, thirdParty: []string{"google.golang.org/grpc"}},
	"issuertest":          {},
	"claims":              {tokengate: []string{"scopes", "internal/claimset"}},
	"stepup":              {tokengate: []string{"", "scopes", "internal/claimset"}},
	"profiles":            {tokengate: []string{"verifier", "claims", "scopes", "internal/claimset"}},
	"otelgate":            {tokengate: []string{""}, thirdParty: []string{"go.opentelemetry.io/otel", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"}},
	"cmd/tokengate":       {tokengate: []string{"verifier", "middleware", "scopes", "jwkscache", "internal/discovery"}, thirdParty: []string{"github.com/golang-jwt/jwt/v5"}},
	"revocation":          {},
	"redisstore":          {tokengate: []string{"", "introspection", "revocation"}, thirdParty: []string{"github.com/redis/go-redis/v9"}},
	"internal/redistest":  {}, // starts a real redis-server for tests; standard library only, and no "testing"
	"revocation/receiver": {tokengate: []string{"", "revocation", "verifier", "jwkscache", "internal/claimset"}, thirdParty: []string{"github.com/golang-jwt/jwt/v5"}},
}

// sharedPolicy is the one package at the bottom of the graph that every
// package may import: the network and input rules, defined once.
const sharedPolicy = "internal/netpolicy"

// forbidden are standard packages no production package may import, with
// the reason, except issuertest (built on httptest) and examples.
var forbidden = map[string]string{
	"testing":              "test code in production",
	"net/http/httptest":    "test code in production",
	module + "/issuertest": "test code in production",
}

type goPackage struct {
	ImportPath string
	GoFiles    []string
	Imports    []string
	Deps       []string
	Standard   bool
}

// listPackages returns the module's packages as go list sees them. Both
// tests read the same list, so go list runs once per test binary.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	pkgs, err := goList()
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// goList runs go list once, asking only for the fields goPackage holds.
var goList = sync.OnceValues(func() ([]goPackage, error) {
	out, err := exec.Command("go", "list", "-json=ImportPath,GoFiles,Imports,Deps,Standard", "./...").Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("decoding go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
})

func TestImportDirection(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if strings.HasPrefix(rel, "examples/") || len(p.GoFiles) == 0 {
			continue // programs, and test-only packages such as e2e
		}
		r, ok := rules[rel]
		if !ok {
			t.Errorf("package %s has no rule in deps_test.go: add one that follows DESIGN.md", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if why, bad := forbidden[imp]; bad && rel != "issuertest" {
				t.Errorf("%s imports %s => %s", rel, imp, why)
			}
			if msg := r.check(imp); msg != "" {
				t.Errorf("%s imports %s => %s", rel, imp, msg)
			}
		}
	}
}

func (r rule) check(imp string) string {
	switch {
	case r.anyImport:
		return ""
	case imp == module || strings.HasPrefix(imp, module+"/"):
		rel := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/") // "" is the root package
		if rel == sharedPolicy {
			return ""
		}
		for _, ok := range r.tokengate {
			if rel == ok {
				return ""
			}
		}
		return "against the one-way direction of DESIGN.md"
	case !strings.Contains(strings.Split(imp, "/")[0], "."):
		return "" // standard library
	}
	for _, prefix := range r.thirdParty {
		if imp == prefix || strings.HasPrefix(imp, prefix+"/") {
			return ""
		}
	}
	return "third-party module not allowed here (STYLE.md: dependencies are confined)"
}

func TestTransitiveEdges(t *testing.T) {
	edges := []struct {
		pkg, dep, why string
	}{
		{"middleware", "google.golang.org/grpc", "net/http users must not pay for gRPC"},
		{"middleware", "github.com/golang-jwt/", "the shared contract costs nothing: middleware links no JWT library"},
		{"middleware", "github.com/go-jose/", "the shared contract costs nothing"},
		{"middleware/grpcauth", "github.com/golang-jwt/", "the shared contract costs nothing: gRPC users who introspect link no JWT library"},
		// A service that only introspects (middleware + introspection) links
		// no JWT or JOSE library (the one-shape issue, point 4).
		{"introspection", "github.com/golang-jwt/", "an introspection-only service links no JWT library"},
		{"introspection", "github.com/MicahParks/", "an introspection-only service links no JWK library"},
		{"introspection", "github.com/go-jose/", "an introspection-only service links no JOSE library"},
		{"introspection", "github.com/coreos/go-oidc", "discovery is the standard library's"},
		{"introspection", module + "/verifier", "introspection builds on the root contract, not the JWT verifier"},
		{"", "github.com/golang-jwt/", "the root contract package links no third-party module"},
		{"", "github.com/MicahParks/", "the root contract package links no third-party module"},
		{"", "github.com/coreos/", "the root contract package links no third-party module"},
		{"", "github.com/go-jose/", "the root contract package links no third-party module"},
		{"", "google.golang.org/", "the root contract package links no third-party module"},
		{"scopes", "github.com/", "scopes is a standard-library leaf"},
		{"internal/netpolicy", "github.com/", "the shared policy is a standard-library leaf"},
		{"internal/binding", "github.com/golang-jwt/", "every verifier and both transports link the binding evidence; DPoP proofs are checked behind a seam"},
		{"internal/dpoptest", module + "/", "the test DPoP client shares no code with the dpop package it tests"},
		{"issuertest", module + "/", "issuertest is independent of the code it tests"},
		// OpenTelemetry is linked only by those who import otelgate.
		{"middleware", "go.opentelemetry.io/", "a service that does not use OpenTelemetry links none of it"},
		{"middleware/grpcauth", "go.opentelemetry.io/", "a service that does not use OpenTelemetry links none of it"},
		{"verifier", "go.opentelemetry.io/", "a service that does not use OpenTelemetry links none of it"},
		{"introspection", "go.opentelemetry.io/", "a service that does not use OpenTelemetry links none of it"},
		{"", "go.opentelemetry.io/", "the root contract package links no third-party module"},
		{"redisstore", "github.com/golang-jwt/", "a replica that only introspects links no JWT library, shared state or not"},
		{"redisstore", "github.com/MicahParks/", "a replica that only introspects links no JWK library"},
		{"redisstore", module + "/verifier", "the shared store builds on the root contract and introspection, not the JWT verifier"},
		{"revocation", "github.com/redis/", "the revocation vocabulary links no Redis client"},
		{"revocation", "github.com/golang-jwt/", "the revocation vocabulary links no JWT library: redisstore builds on it"},
	}
	pkgs := map[string]goPackage{}
	for _, p := range listPackages(t) {
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	for _, e := range edges {
		p, ok := pkgs[e.pkg]
		if !ok {
			continue
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, e.dep) {
				t.Errorf("%s depends on %s => %s", e.pkg, d, e.why)
			}
		}
	}
	for _, d := range pkgs["issuertest"].Deps {
		if strings.Contains(strings.Split(d, "/")[0], ".") && d != module+"/issuertest" {
			t.Errorf("issuertest depends on %s => its non-test code uses the standard library only", d)
		}
	}
	for rel, p := range pkgs {
		if rel == "redisstore" || strings.HasPrefix(rel, "examples/") {
			continue
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, "github.com/redis/") {
				t.Errorf("%s depends on %s => only redisstore links a Redis client: who does not import it does not link it", rel, d)
			}
		}
	}
	for rel, p := range pkgs {
		if rel == "internal/discovery" || strings.HasPrefix(rel, "examples/") {
			continue
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "github.com/coreos/go-oidc") {
				t.Errorf("%s imports go-oidc => only internal/discovery may", rel)
			}
		}
	}
}
