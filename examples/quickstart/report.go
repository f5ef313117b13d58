package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// reporter prints the story: a heading and details per step as text, or
// one JSON object per step.
type reporter struct {
	w     io.Writer
	opts  options
	step  int
	title string
	lines []string // details of the current step
}

func newReporter(w io.Writer, opts options) *reporter { return &reporter{w: w, opts: opts} }

// begin starts step n.
func (r *reporter) begin(n int, title string) {
	r.step, r.title, r.lines = n, title, nil
	if !r.opts.json && !r.opts.quiet {
		fmt.Fprintf(r.w, "\n%2d. %s\n", n, title)
	}
}

// say adds a detail line to the current step.
func (r *reporter) say(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	r.lines = append(r.lines, line)
	if !r.opts.json && !r.opts.quiet {
		fmt.Fprintln(r.w, "    "+line)
	}
}

// end closes the current step with its outcome.
func (r *reporter) end(err error) {
	if r.opts.json {
		rec := map[string]any{"step": r.step, "title": r.title, "ok": err == nil, "details": r.lines}
		if err != nil {
			rec["error"] = err.Error()
		}
		b, _ := json.Marshal(rec)
		fmt.Fprintln(r.w, string(b))
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = fmt.Sprintf("FAILED: %v", err)
	}
	if r.opts.quiet {
		fmt.Fprintf(r.w, "%2d. %s: %s\n", r.step, r.title, outcome)
		return
	}
	fmt.Fprintln(r.w, "    "+outcome)
}

// short shows the start and the end of a token, never the whole of it.
func short(tok string) string {
	if len(tok) <= 24 {
		return strings.Repeat("*", len(tok))
	}
	return fmt.Sprintf("%s…%s (%d chars)", tok[:12], tok[len(tok)-6:], len(tok))
}
