package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// samples are the measurements of one benchmark, one value per run.
type samples struct {
	ns, bytes, allocs []float64
	extra             map[string][]float64 // metrics of b.ReportMetric, by unit
}

// rawRun is the parsed output of go test -bench: the header lines and the
// samples by benchmark name (without the -GOMAXPROCS suffix), in the order
// the benchmarks first appeared.
type rawRun struct {
	header  map[string]string // goos, goarch, pkg, cpu
	order   []string
	results map[string]*samples
}

// parseRaw reads the output of go test -bench -benchmem. Lines that are
// not benchmark results or header lines are ignored; a result line that
// cannot be read is an error naming its line number.
func parseRaw(r io.Reader) (*rawRun, error) {
	run := &rawRun{header: map[string]string{}, results: map[string]*samples{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.Contains(k, " ") && !strings.HasPrefix(k, "Benchmark") {
			run.header[k] = strings.TrimSpace(v)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 {
			continue // a benchmark's name printed alone, before its result
		}
		name := trimProcs(fields[0])
		s := run.results[name]
		if s == nil {
			s = &samples{}
			run.results[name] = s
			run.order = append(run.order, name)
		}
		if err := s.add(fields[2:]); err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", n, name, err)
		}
	}
	return run, sc.Err()
}

// add records the value/unit pairs of one result line.
func (s *samples) add(pairs []string) error {
	var seenNs bool
	for i := 0; i+1 < len(pairs); i += 2 {
		v, err := strconv.ParseFloat(pairs[i], 64)
		if err != nil {
			return fmt.Errorf("value %q: %w", pairs[i], err)
		}
		switch pairs[i+1] {
		case "ns/op":
			s.ns, seenNs = append(s.ns, v), true
		case "B/op":
			s.bytes = append(s.bytes, v)
		case "allocs/op":
			s.allocs = append(s.allocs, v)
		default:
			if s.extra == nil {
				s.extra = map[string][]float64{}
			}
			s.extra[pairs[i+1]] = append(s.extra[pairs[i+1]], v)
		}
	}
	if !seenNs {
		return fmt.Errorf("no ns/op")
	}
	return nil
}

// trimProcs removes the "-N" GOMAXPROCS suffix go test adds to a name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// median returns the median of xs, or -1 when xs is empty.
func median(xs []float64) float64 { return quantile(xs, 0.5) }

// quantile returns the q-quantile of xs (0 ≤ q ≤ 1), interpolating
// linearly between the two nearest values, or -1 when xs is empty.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return -1
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}
