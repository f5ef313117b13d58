package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleRaw is go test output with two runs of each benchmark: tokengate
// at 1.10× the floor on RS256 and 1.40× on EdDSA, a peer faster than
// tokengate on EdDSA, Require 62 µs over unprotected, a repeated RS256
// token at 250 ns (200× the floor) scaling 1.92× in parallel, and the load
// at 0.95× the unprotected requests/s.
const sampleRaw = `goos: linux
goarch: amd64
pkg: github.com/tokengate/tokengate/bench
cpu: Test CPU @ 3.00GHz
BenchmarkVerify/RS256/floor-2         	   20000	     50000 ns/op	    1376 B/op	       9 allocs/op
BenchmarkVerify/RS256/tokengate-2     	   20000	     55000 ns/op	    3234 B/op	      33 allocs/op
BenchmarkVerify/RS256/jwx-2           	   20000	     90000 ns/op	   16039 B/op	     282 allocs/op
BenchmarkVerify/EdDSA/floor-2         	   20000	     50000 ns/op	       0 B/op	       0 allocs/op
BenchmarkVerify/EdDSA/tokengate-2     	   20000	     70000 ns/op	    1505 B/op	      22 allocs/op
BenchmarkVerify/EdDSA/golang-jwt+keyfunc-2	   20000	     60000 ns/op	    3273 B/op	      56 allocs/op
BenchmarkHTTP/RS256/unprotected-2     	  900000	      1500 ns/op	    1008 B/op	       9 allocs/op
BenchmarkHTTP/RS256/tokengate-2       	   20000	     63500 ns/op	    4608 B/op	      44 allocs/op
BenchmarkIntrospection/opaque/cache-hit-2	 4000000	       300.5 ns/op	     208 B/op	       1 allocs/op
BenchmarkCustom/thing-2               	 4000000	       10.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkVerifyRepeated/RS256/tokengate-2	10000000	       250.0 ns/op	     224 B/op	       1 allocs/op
BenchmarkVerifyParallel/RS256/tokengate-2	10000000	       130.0 ns/op	     224 B/op	       1 allocs/op
BenchmarkVerifyParallel/RS256/tokengate-serial-2	10000000	       250.0 ns/op	     224 B/op	       1 allocs/op
BenchmarkLoad/RS256/unprotected-2     	   50000	     20000 ns/op	      4000 p99-µs	    9000 B/op	      83 allocs/op
BenchmarkLoad/RS256/tokengate-2       	   50000	     21000 ns/op	      4500 p99-µs	    9600 B/op	      86 allocs/op
some log line: ignored
BenchmarkVerify/RS256/floor-2         	   20000	     50000 ns/op	    1376 B/op	       9 allocs/op
BenchmarkVerify/RS256/tokengate-2     	   20000	     55000 ns/op	    3234 B/op	      33 allocs/op
BenchmarkVerify/RS256/jwx-2           	   20000	     90000 ns/op	   16039 B/op	     282 allocs/op
BenchmarkVerify/EdDSA/floor-2         	   20000	     50000 ns/op	       0 B/op	       0 allocs/op
BenchmarkVerify/EdDSA/tokengate-2     	   20000	     70000 ns/op	    1505 B/op	      22 allocs/op
BenchmarkVerify/EdDSA/golang-jwt+keyfunc-2	   20000	     60000 ns/op	    3273 B/op	      56 allocs/op
BenchmarkHTTP/RS256/unprotected-2     	  900000	      1500 ns/op	    1008 B/op	       9 allocs/op
BenchmarkHTTP/RS256/tokengate-2       	   20000	     63500 ns/op	    4608 B/op	      44 allocs/op
BenchmarkIntrospection/opaque/cache-hit-2	 4000000	       299.5 ns/op	     208 B/op	       1 allocs/op
BenchmarkCustom/thing-2               	 4000000	       10.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkVerifyRepeated/RS256/tokengate-2	10000000	       250.0 ns/op	     224 B/op	       1 allocs/op
BenchmarkVerifyParallel/RS256/tokengate-2	10000000	       130.0 ns/op	     224 B/op	       1 allocs/op
BenchmarkVerifyParallel/RS256/tokengate-serial-2	10000000	       250.0 ns/op	     224 B/op	       1 allocs/op
BenchmarkLoad/RS256/unprotected-2     	   50000	     20000 ns/op	      4000 p99-µs	    9000 B/op	      83 allocs/op
BenchmarkLoad/RS256/tokengate-2       	   50000	     21000 ns/op	      4500 p99-µs	    9600 B/op	      86 allocs/op
PASS
ok  	github.com/tokengate/tokengate/bench	12.3s
`

func TestTrimProcs(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"suffix", "BenchmarkVerify/RS256/floor-2", "BenchmarkVerify/RS256/floor"},
		{"hyphenated name", "BenchmarkVerify/RS256/golang-jwt+keyfunc-16", "BenchmarkVerify/RS256/golang-jwt+keyfunc"},
		{"no suffix (GOMAXPROCS=1)", "BenchmarkVerify/RS256/golang-jwt+keyfunc", "BenchmarkVerify/RS256/golang-jwt+keyfunc"},
		{"trailing hyphen", "BenchmarkX-", "BenchmarkX-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trimProcs(tt.in); got != tt.want {
				t.Errorf("trimProcs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
		{"empty", nil, -1},
		{"one", []float64{7}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestQuantileIgnoresOutliers(t *testing.T) {
	// One run slowed 100× by other load: the quartiles do not move.
	xs := []float64{10, 11, 12, 13, 14, 15, 16, 17, 18, 1500}
	if got, want := quantile(xs, 0.25), 12.25; got != want {
		t.Errorf("quantile(xs, 0.25) = %v, want %v", got, want)
	}
	if got, want := quantile(xs, 0.75), 16.75; got != want {
		t.Errorf("quantile(xs, 0.75) = %v, want %v", got, want)
	}
	if got, want := quantile(xs, 1), 1500.0; got != want {
		t.Errorf("quantile(xs, 1) = %v, want %v", got, want)
	}
}

func TestParseRaw(t *testing.T) {
	run, err := parseRaw(strings.NewReader(sampleRaw))
	if err != nil {
		t.Fatalf("parseRaw() error = %v", err)
	}
	if got := run.header["cpu"]; got != "Test CPU @ 3.00GHz" {
		t.Errorf("header cpu = %q, want %q", got, "Test CPU @ 3.00GHz")
	}
	if len(run.order) != 15 || run.order[0] != "BenchmarkVerify/RS256/floor" {
		t.Errorf("order = %v, want 15 names starting with BenchmarkVerify/RS256/floor", run.order)
	}
	if load := run.results["BenchmarkLoad/RS256/tokengate"]; load == nil || len(load.extra["p99-µs"]) != 2 {
		t.Errorf("load samples = %+v, want two p99-µs values", load)
	}
	hit := run.results["BenchmarkIntrospection/opaque/cache-hit"]
	if hit == nil || len(hit.ns) != 2 || hit.ns[0] != 300.5 || hit.allocs[1] != 1 {
		t.Errorf("cache-hit samples = %+v, want ns [300.5 299.5], allocs [1 1]", hit)
	}

	_, err = parseRaw(strings.NewReader("BenchmarkX-2 \t 10 \t abc ns/op\n"))
	if err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("parseRaw(bad value) error = %v, want an error naming line 1", err)
	}
}

func TestEvaluate(t *testing.T) {
	run, err := parseRaw(strings.NewReader(sampleRaw))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tr := range build(run).targets {
		got[tr.target] = tr.status
	}
	want := map[string]string{
		"fresh token: tokengate Verify RS256 ≤ 1.05× the floor":                              notMet, // 1.10×
		"fresh token: tokengate Verify ES256 ≤ 1.05× the floor":                              notMeasured,
		"fresh token: tokengate Verify EdDSA ≤ 1.05× the floor":                              notMet, // 1.40×
		"repeated token: tokengate Verify RS256 ≤ 300 ns and ≤ 1 allocs/op":                  met,
		"repeated token: tokengate Verify ES256 ≤ 300 ns and ≤ 1 allocs/op":                  notMeasured,
		"repeated token: tokengate Verify EdDSA ≤ 300 ns and ≤ 1 allocs/op":                  notMeasured,
		"repeated RS256 token ≥ 150× faster than the RS256 floor":                            met, // 200×
		"parallel repeated Verify RS256 scales ≥ 1.8× (serial ns ÷ parallel ns)":             met, // 1.92×
		"parallel repeated Verify ES256 scales ≥ 1.8× (serial ns ÷ parallel ns)":             notMeasured,
		"parallel repeated Verify EdDSA scales ≥ 1.8× (serial ns ÷ parallel ns)":             notMeasured,
		"fresh token: no peer faster than tokengate on any algorithm":                        notMet, // golang-jwt+keyfunc on EdDSA
		"repeated token through Require ≤ 1.5 µs and ≤ 2 allocs/op over unprotected (RS256)": notMet, // +62 µs
		"load, 64 clients reusing tokens: protected ≥ 0.9× the unprotected requests/s":       met,    // 0.95×
		"introspection cache hit ≤ 1 µs and ≤ 3 allocs/op":                                   met,
	}
	for target, status := range want {
		if got[target] != status {
			t.Errorf("target %q = %q, want %q", target, got[target], status)
		}
	}
	if len(got) != len(want) {
		t.Errorf("targets = %v, want %d of them", got, len(want))
	}
}

func TestRunWritesReport(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.txt")
	stat := filepath.Join(dir, "benchstat.txt")
	out := filepath.Join(dir, "BENCHMARKS.md")
	writeTestFile(t, raw, sampleRaw)
	writeTestFile(t, stat, "goos: linux\nsec/op benchstat table\n")
	writeTestFile(t, out, "old report")
	args := []string{"-raw", raw, "-benchstat", stat, "-out", out, "-go", "go version go1.26.8 linux/amd64",
		"-cpu", "Test CPU", "-nproc", "2", "-date", "2026-11-25", "-cmd", "go test -bench .", "-wall", "1m2s"}
	if err := run(args, io.Discard); err != nil {
		t.Fatalf("run() error = %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{
		"| go | go version go1.26.8 linux/amd64 |",
		"| wall time of the run | 1m2s |",
		"| fresh token: tokengate Verify RS256 ≤ 1.05× the floor | **NOT MET** | 1.10× (55,000 vs 50,000 ns; 33 vs 9 allocs/op) |",
		"| RS256 | jwx | 2 | 90,000 | 0.0% | 16,039 | 282 | 1.80× | 1.64× | 1.00× |",
		"| RS256 | tokengate | 2 | 250.0 | 0.0% | 224 | 1 | 1/200× | 1/360× |",
		"| RS256 | tokengate | 2 | 21,000 | 0.0% | 9,600 | 86 | 47,619 | 0.95× | 4,500 |",
		"| RS256 | tokengate | 2 | 63,500 | 0.0% | 4,608 | 44 | 42.33× | +62.00 |",
		"| opaque | cache-hit | 2 | 300.0 | 0.1% | 208 | 1 |",
		"## BenchmarkCustom (`BenchmarkCustom`)",
		"sec/op benchstat table",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q\n%s", want, md)
		}
	}
}

func TestRunRefusesEmptyRaw(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.txt")
	writeTestFile(t, raw, "PASS\n")
	err := run([]string{"-raw", raw, "-out", filepath.Join(dir, "out.md")}, io.Discard)
	if err == nil {
		t.Fatal("run(raw without results) error = nil, want an error")
	}
	if _, statErr := os.Stat(filepath.Join(dir, "out.md")); statErr == nil {
		t.Error("run wrote a report from a raw file without results")
	}
}

func writeTestFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
