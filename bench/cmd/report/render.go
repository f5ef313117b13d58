package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// machine describes the run, as run.sh saw it.
type machine struct {
	date, goVersion, cpu, nproc, command, wall string
}

// render writes the report as Markdown. benchstat is benchstat's output
// for the same raw file, or "" when there is none.
func render(w io.Writer, r *report, m machine, header map[string]string, benchstat string) error {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Written by `bench/run.sh` (through `bench/cmd/report`): do not edit by hand, re-run the script.\n\n")
	b.WriteString("| | |\n|---|---|\n")
	for _, kv := range [][2]string{
		{"date", m.date},
		{"go", m.goVersion},
		{"CPU (/proc/cpuinfo)", m.cpu},
		{"CPU (go test)", header["cpu"]},
		{"nproc", m.nproc},
		{"command", "`" + m.command + "`"},
		{"wall time of the run", m.wall},
	} {
		fmt.Fprintf(&b, "| %s | %s |\n", kv[0], cell(kv[1]))
	}
	b.WriteString("\nEvery figure is the median of the runs of one benchmark (± is half the interquartile range of its ns/op, relative to the median: a run slowed by other load on the machine moves neither). " +
		"Ratios are to the floor or the unprotected baseline measured in the same run; the -GOMAXPROCS suffix of the names is dropped. " +
		"benchstat's summary of the same raw output is at the end.\n\n")

	b.WriteString("## Targets\n\n| target | status | measured |\n|---|---|---|\n")
	for _, t := range r.targets {
		fmt.Fprintf(&b, "| %s | **%s** | %s |\n", cell(t.target), t.status, cell(t.detail))
	}
	for _, g := range r.groups {
		renderGroup(&b, g)
	}
	if benchstat != "" {
		b.WriteString("\n## benchstat\n\n<details><summary>benchstat output for the same raw file</summary>\n\n```\n")
		b.WriteString(strings.TrimRight(benchstat, "\n"))
		b.WriteString("\n```\n\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func renderGroup(b *strings.Builder, g group) {
	fmt.Fprintf(b, "\n## %s (`%s`)\n\n", g.spec.title, g.spec.bench)
	if g.spec.note != "" {
		b.WriteString(g.spec.note + "\n\n")
	}
	b.WriteString("| alg | implementation | runs | ns/op | ± | B/op | allocs/op |")
	sep := "|---|---|--:|--:|--:|--:|--:|"
	cols := []struct {
		on     bool
		header string
		value  func(r row) string
	}{
		{g.spec.baseline != "" && !g.spec.load, "× " + g.spec.baseline, func(r row) string { return orDash(r.ratio > 0, ratioString(r.ratio)+"×") }},
		{g.spec.delta, "Δ µs", func(r row) string { return orDash(r.ratio > 0, signedUs(r.delta)) }},
		{g.spec.versus != "", "× " + g.spec.versus, func(r row) string { return orDash(r.versus > 0, ratioString(r.versus)+"×") }},
		{g.spec.bestPeer, "× best peer", func(r row) string { return orDash(r.peer > 0, ratioString(r.peer)+"×") }},
		{g.spec.load, "req/s", func(r row) string { return orDash(r.ns > 0, thousands(int64(1e9/r.ns))) }},
		{g.spec.load, "req/s × " + g.spec.baseline, func(r row) string { return orDash(r.ratio > 0, ratioString(1/r.ratio)+"×") }},
		{g.spec.load, "p99 µs", func(r row) string { return count(r.p99) }},
		{g.spec.bench == "BenchmarkVerifyPaired", "x-floor", func(r row) string { return orDash(r.paired > 0, ratioString(r.paired)+"×") }},
	}
	for _, c := range cols {
		if c.on {
			fmt.Fprintf(b, " %s |", c.header)
			sep += "--:|"
		}
	}
	b.WriteString("\n" + sep + "\n")
	for _, r := range g.rows {
		fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s | %s |", r.alg, r.impl, r.runs,
			formatNs(r.ns), percent(r.spread), count(r.bytes), count(r.allocs))
		for _, c := range cols {
			if c.on {
				b.WriteString(" " + c.value(r) + " |")
			}
		}
		b.WriteString("\n")
	}
}

// formatNs prints a duration in ns: one decimal under 1000, else whole
// nanoseconds with thousands separators.
func formatNs(ns float64) string {
	if ns < 1000 {
		return strconv.FormatFloat(ns, 'f', 1, 64)
	}
	return thousands(int64(math.Round(ns)))
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func count(v float64) string {
	if v < 0 {
		return "–"
	}
	return thousands(int64(math.Round(v)))
}

// ratioString prints a ratio with two decimals, or as 1/N when it is
// under 0.1 (a cache hit against a signature check).
func ratioString(r float64) string {
	if r > 0 && r < 0.1 {
		return "1/" + strconv.FormatFloat(1/r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'f', 2, 64)
}

func us(ns float64) string { return strconv.FormatFloat(ns/1000, 'f', 2, 64) }

func signedUs(ns float64) string {
	if ns >= 0 {
		return "+" + us(ns)
	}
	return us(ns)
}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

func orDash(ok bool, s string) string {
	if !ok {
		return "–"
	}
	return s
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
