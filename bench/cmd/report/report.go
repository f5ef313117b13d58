package main

import (
	"fmt"
	"slices"
	"strings"
)

// stat is the summary of one benchmark: medians over its runs.
type stat struct {
	name   string
	runs   int
	ns     float64
	bytes  float64 // -1 without -benchmem
	allocs float64 // -1 without -benchmem
	spread float64 // half the interquartile range of ns/op, relative to the median
}

func summarize(name string, s *samples) stat {
	st := stat{name: name, runs: len(s.ns), ns: median(s.ns), bytes: median(s.bytes), allocs: median(s.allocs)}
	if st.ns > 0 {
		st.spread = (quantile(s.ns, 0.75) - quantile(s.ns, 0.25)) / 2 / st.ns
	}
	return st
}

// groupSpec says how a family of benchmarks is reported: which
// implementation of the same algorithm is the baseline of its ratios.
type groupSpec struct {
	bench    string // the top-level benchmark, e.g. "BenchmarkVerify"
	title    string
	baseline string // "" for no ratio column
	delta    bool   // also report the difference to the baseline in µs
	versus   string // also report each row's time relative to this implementation's
	note     string
}

var groupSpecs = []groupSpec{
	{bench: "BenchmarkVerify", title: "Local JWT verification", baseline: "floor", versus: "tokengate",
		note: "floor: hash + signature check of the token's signing input, nothing else. " +
			"Every verifier is configured for the same checks (signature, alg allow-list, iss, aud, exp) and reads scope and client_id."},
	{bench: "BenchmarkVerifyParallel", title: "Local JWT verification, b.RunParallel", baseline: "floor",
		note: "The same, from GOMAXPROCS goroutines; ns/op is wall time per operation across all of them."},
	{bench: "BenchmarkHTTP", title: "HTTP handler chain (httptest.ResponseRecorder, no network)", baseline: "unprotected", delta: true,
		note: "unprotected: the same handler without middleware. floor: unprotected, but the handler first does the floor's signature check. " +
			"tokengate: middleware.Require with one scope. auth0: go-jwt-middleware's CheckJWT, with the same scope check in the handler."},
	{bench: "BenchmarkHTTPParallel", title: "HTTP handler chain, b.RunParallel", baseline: "unprotected", delta: true},
	{bench: "BenchmarkHTTPLoopback", title: "HTTP over a kept-alive loopback connection", baseline: "unprotected", delta: true,
		note: "Client, network stack and server included; allocation counts include the client's. " +
			"floor (the signature check in the handler) is the control: over a connection a handler that burns CPU also costs scheduler wake-ups."},
	{bench: "BenchmarkGRPC", title: "gRPC unary health Check over loopback", baseline: "unprotected", delta: true,
		note: "With and without grpcauth.UnaryServerInterceptor, and with an interceptor that only does the floor's signature check (the control, as over HTTP); client and server in one process."},
	{bench: "BenchmarkIntrospection", title: "Token introspection (RFC 7662)",
		note: "cache-hit: the answer is in the LRU. cache-miss-loopback: cache disabled, every call posts to a loopback endpoint."},
}

// group is the rendered form of one groupSpec: its rows in run order.
type group struct {
	spec groupSpec
	rows []row
}

// row is one benchmark with its ratio to the baseline of its algorithm.
type row struct {
	alg, impl string
	stat
	ratio  float64 // to the baseline; 0 when there is none
	delta  float64 // ns over the baseline
	versus float64 // to spec.versus; 0 when there is none
}

// report is everything the Markdown is rendered from.
type report struct {
	stats   map[string]stat
	groups  []group
	targets []targetResult
}

func build(run *rawRun) *report {
	r := &report{stats: map[string]stat{}}
	for _, name := range run.order {
		r.stats[name] = summarize(name, run.results[name])
	}
	specs := slices.Clone(groupSpecs)
	for _, name := range run.order { // groups this program does not know
		top, _, _ := strings.Cut(name, "/")
		if !slices.ContainsFunc(specs, func(g groupSpec) bool { return g.bench == top }) {
			specs = append(specs, groupSpec{bench: top, title: top})
		}
	}
	for _, spec := range specs {
		if g := r.group(run.order, spec); len(g.rows) > 0 {
			r.groups = append(r.groups, g)
		}
	}
	r.targets = evaluate(r.stats)
	return r
}

// group collects the benchmarks of spec, named spec.bench/alg/impl.
func (r *report) group(order []string, spec groupSpec) group {
	g := group{spec: spec}
	for _, name := range order {
		rest, ok := strings.CutPrefix(name, spec.bench+"/")
		if !ok {
			continue
		}
		alg, impl, found := strings.Cut(rest, "/")
		if !found {
			alg, impl = "", rest
		}
		rw := row{alg: alg, impl: impl, stat: r.stats[name]}
		if base, ok := r.stats[spec.bench+"/"+alg+"/"+spec.baseline]; ok && spec.baseline != "" && base.ns > 0 {
			rw.ratio = rw.ns / base.ns
			rw.delta = rw.ns - base.ns
		}
		if vs, ok := r.stats[spec.bench+"/"+alg+"/"+spec.versus]; ok && spec.versus != "" && vs.ns > 0 {
			rw.versus = rw.ns / vs.ns
		}
		g.rows = append(g.rows, rw)
	}
	return g
}

// Status of a target.
const (
	met         = "met"
	notMet      = "NOT MET"
	notMeasured = "not measured"
)

type targetResult struct {
	target, status, detail string
}

// evaluate checks the targets of issue #8 against the medians.
func evaluate(stats map[string]stat) []targetResult {
	var out []targetResult
	for _, t := range []struct {
		alg   string
		limit float64
	}{{"RS256", 1.15}, {"ES256", 1.15}, {"EdDSA", 1.3}} {
		out = append(out, floorTarget(stats, t.alg, t.limit))
	}
	out = append(out, peersTarget(stats))
	out = append(out, httpTarget(stats))
	out = append(out, introspectionTarget(stats))
	return out
}

func floorTarget(stats map[string]stat, alg string, limit float64) targetResult {
	t := targetResult{target: fmt.Sprintf("tokengate Verify %s ≤ %.2f× the floor", alg, limit)}
	tg, ok1 := stats["BenchmarkVerify/"+alg+"/tokengate"]
	fl, ok2 := stats["BenchmarkVerify/"+alg+"/floor"]
	if !ok1 || !ok2 {
		t.status = notMeasured
		return t
	}
	ratio := tg.ns / fl.ns
	t.status = verdict(ratio <= limit)
	t.detail = fmt.Sprintf("%s× (%s vs %s)", ratioString(ratio), formatNs(tg.ns), formatNs(fl.ns))
	return t
}

// peersTarget: no peer's median is below tokengate's, on any algorithm.
func peersTarget(stats map[string]stat) targetResult {
	t := targetResult{target: "no peer faster than tokengate on any algorithm"}
	var faster, compared []string
	for _, name := range sortedKeys(stats) {
		rest, ok := strings.CutPrefix(name, "BenchmarkVerify/")
		alg, impl, _ := strings.Cut(rest, "/")
		if !ok || impl == "floor" || impl == "tokengate" {
			continue
		}
		tg, ok := stats["BenchmarkVerify/"+alg+"/tokengate"]
		if !ok {
			continue
		}
		compared = append(compared, name)
		if p := stats[name]; p.ns < tg.ns {
			faster = append(faster, fmt.Sprintf("%s %s (%s× tokengate's time)", alg, impl, ratioString(p.ns/tg.ns)))
		}
	}
	switch {
	case len(compared) == 0:
		t.status = notMeasured
	case len(faster) == 0:
		t.status, t.detail = met, fmt.Sprintf("%d peer benchmarks, all slower by median", len(compared))
	default:
		t.status, t.detail = notMet, "faster: "+strings.Join(faster, "; ")
	}
	return t
}

// httpTarget: Require's cost over the unprotected handler is at most the
// verification's plus 2 µs.
func httpTarget(stats map[string]stat) targetResult {
	t := targetResult{target: "HTTP request through Require ≤ Verify + 2 µs over unprotected (RS256)"}
	req, ok1 := stats["BenchmarkHTTP/RS256/tokengate"]
	base, ok2 := stats["BenchmarkHTTP/RS256/unprotected"]
	v, ok3 := stats["BenchmarkVerify/RS256/tokengate"]
	if !ok1 || !ok2 || !ok3 {
		t.status = notMeasured
		return t
	}
	delta, limit := req.ns-base.ns, v.ns+2000
	t.status = verdict(delta <= limit)
	t.detail = fmt.Sprintf("+%s µs over unprotected; limit %s µs (Verify %s µs + 2); middleware beyond Verify: %+.2f µs",
		us(delta), us(limit), us(v.ns), (delta-v.ns)/1000)
	return t
}

func introspectionTarget(stats map[string]stat) targetResult {
	t := targetResult{target: "introspection cache hit ≤ 1 µs and ≤ 3 allocs/op"}
	s, ok := stats["BenchmarkIntrospection/opaque/cache-hit"]
	if !ok || s.allocs < 0 {
		t.status = notMeasured
		return t
	}
	t.status = verdict(s.ns <= 1000 && s.allocs <= 3)
	t.detail = fmt.Sprintf("%s ns/op, %.0f allocs/op", formatNs(s.ns), s.allocs)
	return t
}

func verdict(ok bool) string {
	if ok {
		return met
	}
	return notMet
}

func sortedKeys(m map[string]stat) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
