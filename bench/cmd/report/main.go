// Command report turns the raw output of the bench module's benchmarks
// into BENCHMARKS.md: medians per benchmark, every figure as a ratio to the
// floor or unprotected baseline of the same run, and the targets of issues
// #8 and #14 marked met or not. bench/run.sh runs it:
//
//	go run ./cmd/report -raw out/raw.txt -benchstat out/benchstat.txt -out ../BENCHMARKS.md \
//		-go "$(go version)" -cpu "$cpu" -nproc "$(nproc)" -date "$date" -cmd "$cmd" -wall 9m12s
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// run parses args, reads the raw output and writes the report.
func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var m machine
	rawPath := fs.String("raw", "out/raw.txt", "raw output of go test -bench -benchmem")
	statPath := fs.String("benchstat", "", "benchstat's output for the same raw file (optional)")
	outPath := fs.String("out", "../BENCHMARKS.md", "the report to write")
	fs.StringVar(&m.date, "date", "", "date of the run")
	fs.StringVar(&m.goVersion, "go", "", "output of go version")
	fs.StringVar(&m.cpu, "cpu", "", "CPU model, from /proc/cpuinfo")
	fs.StringVar(&m.nproc, "nproc", "", "output of nproc")
	fs.StringVar(&m.command, "cmd", "", "the benchmark command")
	fs.StringVar(&m.wall, "wall", "", "wall time of the benchmark command")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*rawPath)
	if err != nil {
		return err
	}
	parsed, err := parseRaw(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", *rawPath, err)
	}
	if len(parsed.order) == 0 {
		return errors.New(*rawPath + ": no benchmark results")
	}
	var benchstat []byte
	if *statPath != "" {
		if benchstat, err = os.ReadFile(*statPath); err != nil {
			return err
		}
	}
	var out bytes.Buffer
	if err := render(&out, build(parsed), m, parsed.header, string(benchstat)); err != nil {
		return err
	}
	return writeFile(*outPath, out.Bytes())
}

// writeFile replaces path with data through a temporary file in the same
// directory, so that an interrupted run leaves the old report whole.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
