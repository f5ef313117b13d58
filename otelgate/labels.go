package otelgate

import (
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/tokengate/tokengate"
)

// maxLabelSets bounds the decision label sets kept; past it new routes
// are counted as "other".
const maxLabelSets = 1024

// labelKey is one label set of a decision.
type labelKey struct {
	transport, route, check string
	outcome                 tokengate.Outcome
}

// labels are the ready-made options of one label set: building an
// attribute set allocates, so it is done once per set.
type labels struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

// labelCache maps label sets to their options. Reads take a read lock and
// allocate nothing.
type labelCache struct {
	mu sync.RWMutex // guards m
	m  map[labelKey]*labels
}

func (c *labelCache) get(e *tokengate.Event) *labels {
	k := labelKey{transport: e.Transport, route: e.Route, check: e.Check, outcome: e.Outcome}
	c.mu.RLock()
	l, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return l
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.m[k]; ok {
		return l
	}
	if c.m == nil {
		c.m = make(map[labelKey]*labels)
	}
	if len(c.m) >= maxLabelSets {
		k.route = "other"
		if l, ok := c.m[k]; ok {
			return l
		}
	}
	l = newLabels(k)
	c.m[k] = l
	return l
}

func newLabels(k labelKey) *labels {
	outcome := attribute.String("tokengate.outcome", string(k.outcome))
	transport := attribute.String("tokengate.transport", k.transport)
	all := attribute.NewSet(outcome, transport,
		attribute.String("tokengate.check", k.check),
		attribute.String("tokengate.route", k.route))
	timing := attribute.NewSet(outcome, transport)
	return &labels{
		add:    []metric.AddOption{metric.WithAttributeSet(all)},
		record: []metric.RecordOption{metric.WithAttributeSet(timing)},
	}
}

// resultOptions are the options of the fetch and call counters, one per
// result.
type resultOptions map[tokengate.Outcome][]metric.AddOption

func newResultOptions() resultOptions {
	r := resultOptions{}
	for _, o := range []tokengate.Outcome{tokengate.OutcomeOK, tokengate.OutcomeError, tokengate.OutcomeActive, tokengate.OutcomeRefused} {
		r[o] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("tokengate.result", string(o))))}
	}
	return r
}

func (r resultOptions) add(o tokengate.Outcome) []metric.AddOption {
	if opts, ok := r[o]; ok {
		return opts
	}
	return r[tokengate.OutcomeError]
}
