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
	p99    float64 // median of the p99-µs metric; -1 when not reported
	paired float64 // median of the x-floor metric (BenchmarkVerifyPaired); -1 when not reported
	// pairedLow and pairedHigh are the least and greatest x-floor of a
	// run: the spread from load on the machine, which the target shows.
	pairedLow, pairedHigh float64
}

func summarize(name string, s *samples) stat {
	st := stat{name: name, runs: len(s.ns), ns: median(s.ns), bytes: median(s.bytes), allocs: median(s.allocs), p99: median(s.extra["p99-µs"]), paired: median(s.extra["x-floor"])}
	if st.ns > 0 {
		st.spread = (quantile(s.ns, 0.75) - quantile(s.ns, 0.25)) / 2 / st.ns
	}
	if x := s.extra["x-floor"]; len(x) > 0 {
		st.pairedLow, st.pairedHigh = slices.Min(x), slices.Max(x)
	}
	return st
}

// groupSpec says how a family of benchmarks is reported: which
// implementation of the same algorithm is the baseline of its ratios.
type groupSpec struct {
	bench    string // the top-level benchmark, e.g. "BenchmarkVerify"
	title    string
	baseline string // "" for no ratio column
	// baselineBench is the benchmark whose rows hold the baseline, when
	// not bench itself (BenchmarkVerifyRepeated takes BenchmarkVerify's
	// floor).
	baselineBench string
	delta         bool   // also report the difference to the baseline in µs
	versus        string // also report each row's time relative to this implementation's
	bestPeer      bool   // also report each row's time relative to the fastest peer in BenchmarkVerify
	load          bool   // a closed-loop load: report requests/s, its ratio to the baseline's, and p99
	note          string
}

var groupSpecs = []groupSpec{
	{bench: "BenchmarkVerify", title: "Fresh tokens: local JWT verification", baseline: "floor", versus: "tokengate", bestPeer: true,
		note: "Every implementation cycles through the same 256 distinct tokens, so none is one it has seen: tokengate's token cache is set to 64 entries, filled first with other tokens, so every Verify misses and checks in full, and the full cache does not admit a token seen once (TestFreshPoolMissesTokengatesCache checks there is no hit). " +
			"tokengate-insert: a fresh token that enters the cache, with the default cache and each token forgotten (JWT.Forget, timed with it) before its Verify. " +
			"floor: hash + signature check of the token's signing input, nothing else. " +
			"Every verifier is configured for the same checks (signature, alg allow-list, iss, aud, exp) and reads scope and client_id."},
	{bench: "BenchmarkVerifyRepeated", title: "Repeated token: a hit in tokengate's token cache", baseline: "floor", baselineBench: "BenchmarkVerify", bestPeer: true,
		note: "One token verified again and again, with the default cache. × floor and × best peer are to BenchmarkVerify's floor and fastest peer of the same run: no peer caches verified tokens, so a repeated token costs them what a fresh one does. "},
	{bench: "BenchmarkVerifyPaired", title: "Fresh tokens, the floor and tokengate paired op by op",
		note: "Each iteration verifies one fresh token with the floor and with tokengate (BenchmarkVerify's setup), in alternating order, timing each; ns/op is the pair's. x-floor is, per run, the median of tokengate's times over the median of the floor's, and here the median over runs: load from elsewhere on the machine falls on both halves alike. It decides the fresh-token targets."},
	{bench: "BenchmarkVerifyParallel", title: "Local JWT verification from GOMAXPROCS goroutines", baseline: "floor",
		note: "GOMAXPROCS goroutines taking b.N calls in batches (not b.RunParallel, whose per-goroutine counters can share a cache line: see inGoroutines); ns/op is wall time per operation across all of them. floor and tokengate-fresh cycle through the fresh pool; tokengate is the repeated token (cache hits). " +
			"A -serial row makes the same calls from one goroutine through the same harness, and is held to floor-serial: the scaling targets are serial ns over parallel ns, so that the harness's own few nanoseconds per call are on both sides."},
	{bench: "BenchmarkHTTP", title: "HTTP handler chain (httptest.ResponseRecorder, no network)", baseline: "unprotected", delta: true,
		note: "unprotected: the same handler without middleware. claims-only: the handler handed claims through the request context, nothing checked: the two allocations of carrying claims to a handler (context.WithValue, Request.WithContext). floor: unprotected, but the handler first does the floor's signature check. " +
			"tokengate: middleware.Require with one scope, the same token on every request (a cache hit). auth0: go-jwt-middleware's CheckJWT, with the same scope check in the handler."},
	{bench: "BenchmarkHTTPParallel", title: "HTTP handler chain, b.RunParallel", baseline: "unprotected", delta: true},
	{bench: "BenchmarkHTTPLoopback", title: "HTTP over a kept-alive loopback connection", baseline: "unprotected", delta: true,
		note: "Client, network stack and server included; allocation counts include the client's. " +
			"floor (the signature check in the handler) is the control: over a connection a handler that burns CPU also costs scheduler wake-ups."},
	{bench: "BenchmarkLoad", title: "Closed-loop load: 64 clients over loopback", baseline: "unprotected", load: true,
		note: "64 clients on kept-alive connections, each sending its next request when the last is answered, client and server in one process on the same cores; ns/op is wall time per request. " +
			"unprotected and tokengate: 64 tokens, one per client, reused; tokengate-1000: 1000 distinct tokens cycled (every one seen once before the timed part); tokengate-nocache: as tokengate with the token cache off. p99 is the median over runs of each run's 99th percentile latency."},
	{bench: "BenchmarkGRPC", title: "gRPC unary health Check over loopback", baseline: "unprotected", delta: true,
		note: "With and without grpcauth.UnaryServerInterceptor, and with an interceptor that only does the floor's signature check (the control, as over HTTP); client and server in one process."},
	{bench: "BenchmarkIntrospection", title: "Token introspection (RFC 7662)",
		note: "cache-hit: the answer is in the LRU. cache-miss-loopback: cache disabled, every call posts to a loopback endpoint."},
	{bench: "BenchmarkRSAModulus", title: "What a prepared RSA public key would save", baseline: "rebuilt",
		note: "The RSA public operation on the fixture's RS256 signature with filippo.io/bigmod (the maintained re-export of the standard library's bigmod): rebuilt builds the Montgomery modulus on every call, as crypto/rsa.VerifyPKCS1v15 does; prepared builds it once. " +
			"Neither checks the PKCS #1 v1.5 encoding, which on top of bigmod would be RSA written by hand: tokengate keeps crypto/rsa, and this only measures the share of the floor a prepared key would save."},
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
	peer   float64 // to the fastest peer of BenchmarkVerify; 0 when there is none
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
		baseBench := spec.bench
		if spec.baselineBench != "" {
			baseBench = spec.baselineBench
		}
		baseline := spec.baseline
		if _, ok := r.stats[baseBench+"/"+alg+"/"+baseline+"-serial"]; ok && strings.HasSuffix(impl, "-serial") {
			baseline += "-serial" // a serial row is held to the serial baseline
		}
		if base, ok := r.stats[baseBench+"/"+alg+"/"+baseline]; ok && spec.baseline != "" && base.ns > 0 {
			rw.ratio = rw.ns / base.ns
			rw.delta = rw.ns - base.ns
		}
		if vs, ok := r.stats[spec.bench+"/"+alg+"/"+spec.versus]; ok && spec.versus != "" && vs.ns > 0 {
			rw.versus = rw.ns / vs.ns
		}
		if p, ok := bestPeer(r.stats, alg); ok && spec.bestPeer {
			rw.peer = rw.ns / p.ns
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

// evaluate checks the targets of issue #14 (and the standing ones of
// issue #8) against the medians.
func evaluate(stats map[string]stat) []targetResult {
	var out []targetResult
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		out = append(out, floorTarget(stats, alg, 1.05))
	}
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		out = append(out, repeatedTarget(stats, alg))
	}
	out = append(out, speedupTarget(stats))
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		out = append(out, scalingTarget(stats, alg))
	}
	out = append(out, peersTarget(stats))
	out = append(out, httpTarget(stats))
	out = append(out, loadTarget(stats))
	out = append(out, introspectionTarget(stats))
	return out
}

func floorTarget(stats map[string]stat, alg string, limit float64) targetResult {
	t := targetResult{target: fmt.Sprintf("fresh token: tokengate Verify %s ≤ %.2f× the floor", alg, limit)}
	tg, ok1 := stats["BenchmarkVerify/"+alg+"/tokengate"]
	fl, ok2 := stats["BenchmarkVerify/"+alg+"/floor"]
	if !ok1 || !ok2 {
		t.status = notMeasured
		return t
	}
	ratio := tg.ns / fl.ns
	t.status = verdict(ratio <= limit)
	t.detail = fmt.Sprintf("%s× (%s vs %s ns; %s vs %s allocs/op)", ratioString(ratio), formatNs(tg.ns), formatNs(fl.ns), count(tg.allocs), count(fl.allocs))
	// The paired benchmark times the two op by op, so that other load on
	// the machine falls on both alike: when it ran, it decides.
	if p, ok := stats["BenchmarkVerifyPaired/"+alg+"/tokengate"]; ok && p.paired > 0 {
		t.status = verdict(p.paired <= limit)
		t.detail = fmt.Sprintf("%.3f× paired op by op (BenchmarkVerifyPaired; runs %.3f–%.3f); ratio of the medians: %s", p.paired, p.pairedLow, p.pairedHigh, t.detail)
	}
	return t
}

// repeatedTarget: a cache hit costs at most 300 ns and one allocation.
func repeatedTarget(stats map[string]stat, alg string) targetResult {
	t := targetResult{target: fmt.Sprintf("repeated token: tokengate Verify %s ≤ 300 ns and ≤ 1 allocs/op", alg)}
	s, ok := stats["BenchmarkVerifyRepeated/"+alg+"/tokengate"]
	if !ok || s.allocs < 0 {
		t.status = notMeasured
		return t
	}
	t.status = verdict(s.ns <= 300 && s.allocs <= 1)
	t.detail = fmt.Sprintf("%s ns/op, %s allocs/op", formatNs(s.ns), count(s.allocs))
	return t
}

// speedupTarget: a repeated RS256 token is at least 150 times cheaper than
// the RS256 floor.
func speedupTarget(stats map[string]stat) targetResult {
	t := targetResult{target: "repeated RS256 token ≥ 150× faster than the RS256 floor"}
	s, ok1 := stats["BenchmarkVerifyRepeated/RS256/tokengate"]
	fl, ok2 := stats["BenchmarkVerify/RS256/floor"]
	if !ok1 || !ok2 || s.ns <= 0 {
		t.status = notMeasured
		return t
	}
	t.status = verdict(fl.ns/s.ns >= 150)
	t.detail = fmt.Sprintf("%.0f× (%s vs %s ns)", fl.ns/s.ns, formatNs(fl.ns), formatNs(s.ns))
	return t
}

// scalingTarget: repeated verifies from GOMAXPROCS goroutines run at least
// 1.8 times the rate of one goroutine making the same calls through the
// same harness (BenchmarkVerifyParallel's -serial rows).
func scalingTarget(stats map[string]stat, alg string) targetResult {
	t := targetResult{target: fmt.Sprintf("parallel repeated Verify %s scales ≥ 1.8× (serial ns ÷ parallel ns)", alg)}
	scaling := func(impl string) (float64, stat, stat, bool) {
		s, ok1 := stats["BenchmarkVerifyParallel/"+alg+"/"+impl+"-serial"]
		p, ok2 := stats["BenchmarkVerifyParallel/"+alg+"/"+impl]
		return s.ns / p.ns, s, p, ok1 && ok2 && p.ns > 0
	}
	r, s, p, ok := scaling("tokengate")
	if !ok {
		t.status = notMeasured
		return t
	}
	t.status = verdict(r >= 1.8)
	t.detail = fmt.Sprintf("%s× (%s vs %s ns)", ratioString(r), formatNs(s.ns), formatNs(p.ns))
	// The floor shares nothing, and says how much of a second core the
	// run had.
	if r, _, _, ok := scaling("floor"); ok {
		t.detail += fmt.Sprintf("; the floor, which shares nothing, %s×", ratioString(r))
	}
	return t
}

// bestPeer returns the fastest peer of BenchmarkVerify for alg.
func bestPeer(stats map[string]stat, alg string) (stat, bool) {
	var best stat
	found := false
	for _, name := range sortedKeys(stats) {
		impl, ok := strings.CutPrefix(name, "BenchmarkVerify/"+alg+"/")
		if !ok || impl == "floor" || strings.HasPrefix(impl, "tokengate") {
			continue
		}
		if p := stats[name]; !found || p.ns < best.ns {
			best, found = p, true
		}
	}
	return best, found
}

// peersTarget: no peer's median is below tokengate's, on any algorithm.
func peersTarget(stats map[string]stat) targetResult {
	t := targetResult{target: "fresh token: no peer faster than tokengate on any algorithm"}
	var faster, compared []string
	for _, name := range sortedKeys(stats) {
		rest, ok := strings.CutPrefix(name, "BenchmarkVerify/")
		alg, impl, _ := strings.Cut(rest, "/")
		if !ok || impl == "floor" || strings.HasPrefix(impl, "tokengate") {
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

// httpTarget: a repeated token through Require costs at most 1.5 µs over
// the unprotected handler, and no allocations but the two that hand the
// handler its claims (the context that carries them, and the request copy
// http.Request.WithContext makes).
func httpTarget(stats map[string]stat) targetResult {
	t := targetResult{target: "repeated token through Require ≤ 1.5 µs and ≤ 2 allocs/op over unprotected (RS256)"}
	req, ok1 := stats["BenchmarkHTTP/RS256/tokengate"]
	base, ok2 := stats["BenchmarkHTTP/RS256/unprotected"]
	if !ok1 || !ok2 || req.allocs < 0 || base.allocs < 0 {
		t.status = notMeasured
		return t
	}
	delta, allocs := req.ns-base.ns, req.allocs-base.allocs
	t.status = verdict(delta <= 1500 && allocs <= 2)
	t.detail = fmt.Sprintf("+%s µs, +%.0f allocs/op (%s B)", us(delta), allocs, count(req.bytes-base.bytes))
	if hand, ok := stats["BenchmarkHTTP/RS256/claims-only"]; ok && hand.allocs >= 0 {
		t.detail += fmt.Sprintf("; over claims-only (context.WithValue, Request.WithContext): %+.0f allocs/op, %+.2f µs", req.allocs-hand.allocs, (req.ns-hand.ns)/1000)
	}
	return t
}

// loadTarget: under the closed-loop load, the protected route with reused
// tokens serves at least 0.9 times the requests per second of the
// unprotected one.
func loadTarget(stats map[string]stat) targetResult {
	t := targetResult{target: "load, 64 clients reusing tokens: protected ≥ 0.9× the unprotected requests/s"}
	p, ok1 := stats["BenchmarkLoad/RS256/tokengate"]
	u, ok2 := stats["BenchmarkLoad/RS256/unprotected"]
	if !ok1 || !ok2 || p.ns <= 0 {
		t.status = notMeasured
		return t
	}
	t.status = verdict(u.ns/p.ns >= 0.9)
	t.detail = fmt.Sprintf("%s× (%s vs %s req/s; p99 %s vs %s µs)", ratioString(u.ns/p.ns), thousands(int64(1e9/p.ns)), thousands(int64(1e9/u.ns)), count(p.p99), count(u.p99))
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
