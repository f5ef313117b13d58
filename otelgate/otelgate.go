package otelgate

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tokengate/tokengate"
)

// instrumentationName names the meter and the tracer.
const instrumentationName = "github.com/tokengate/tokengate/otelgate"

// Config configures an [Observer]. The zero value uses the global
// providers.
type Config struct {
	// MeterProvider makes the instruments. Default:
	// otel.GetMeterProvider().
	MeterProvider metric.MeterProvider

	// TracerProvider makes the spans. Default: otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
}

// Observer is a tokengate.Observer that records metrics and spans. Set it
// as the Observer of middleware.Guard, grpcauth.Policy, verifier.Config
// and introspection.Config. It is safe for concurrent use.
type Observer struct {
	cfg    Config
	tracer trace.Tracer
	meter  metric.Meter

	decisions metric.Int64Counter
	duration  metric.Float64Histogram
	keyset    metric.Int64Counter
	discovery metric.Int64Counter
	calls     metric.Int64Counter
	lookups   metric.Int64ObservableCounter

	labels labelCache
	result resultOptions
}

var _ tokengate.Observer = (*Observer)(nil)

// New returns an Observer whose instruments are made with
// cfg.MeterProvider.
func New(cfg Config) (*Observer, error) {
	if cfg.MeterProvider == nil {
		cfg.MeterProvider = otel.GetMeterProvider()
	}
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = otel.GetTracerProvider()
	}
	o := &Observer{
		cfg:    cfg,
		tracer: cfg.TracerProvider.Tracer(instrumentationName),
		meter:  cfg.MeterProvider.Meter(instrumentationName),
	}
	if err := o.instruments(); err != nil {
		return nil, fmt.Errorf("otelgate: %w", err)
	}
	o.result = newResultOptions()
	return o, nil
}

func (o *Observer) instruments() (err error) {
	m := o.meter
	counter := func(name, desc string) metric.Int64Counter {
		if err != nil {
			return nil
		}
		var c metric.Int64Counter
		c, err = m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit("1"))
		return c
	}
	o.decisions = counter("tokengate.decisions", "Requests decided by tokengate, by outcome, check, route and transport.")
	o.keyset = counter("tokengate.keyset.fetches", "Key set (JWKS) fetches, by result.")
	o.discovery = counter("tokengate.discovery.fetches", "Issuer metadata fetches, by result.")
	o.calls = counter("tokengate.introspection.calls", "Calls to the introspection endpoint, by result.")
	if err != nil {
		return err
	}
	o.duration, err = m.Float64Histogram("tokengate.verify.duration",
		metric.WithDescription("Time a decision took, verification included."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
	if err != nil {
		return err
	}
	o.lookups, err = m.Int64ObservableCounter("tokengate.cache.lookups",
		metric.WithDescription("Cache lookups of the watched verifiers, by cache and result."), metric.WithUnit("1"))
	return err
}

// Span names, by operation.
var spanNames = [...]string{
	tokengate.OpAuthorize:  "tokengate.authorize",
	tokengate.OpIntrospect: "tokengate.introspect",
	tokengate.OpKeyFetch:   "tokengate.keyset.fetch",
	tokengate.OpDiscovery:  "tokengate.discovery",
}

func spanName(op tokengate.Op) string {
	if int(op) < len(spanNames) && spanNames[op] != "" {
		return spanNames[op]
	}
	return "tokengate." + op.String()
}

// Begin starts the span of a decision or an introspection call and
// returns its context.
func (o *Observer) Begin(ctx context.Context, op tokengate.Op) context.Context {
	switch op {
	case tokengate.OpAuthorize:
		ctx, _ = o.tracer.Start(ctx, spanNames[op])
	case tokengate.OpIntrospect:
		ctx, _ = o.tracer.Start(ctx, spanNames[op], trace.WithSpanKind(trace.SpanKindClient))
	}
	return ctx
}

// End records e's metrics and ends its span.
func (o *Observer) End(ctx context.Context, e tokengate.Event) {
	switch e.Op {
	case tokengate.OpAuthorize:
		o.endAuthorize(ctx, &e)
	case tokengate.OpIntrospect:
		o.calls.Add(ctx, 1, o.result.add(e.Outcome)...)
		o.endSpan(trace.SpanFromContext(ctx), &e)
	case tokengate.OpKeyFetch, tokengate.OpDiscovery:
		c := o.keyset
		if e.Op == tokengate.OpDiscovery {
			c = o.discovery
		}
		c.Add(ctx, 1, o.result.add(e.Outcome)...)
		// A fetch serves every request waiting for it: a root span with
		// the fetch's own start and end.
		_, span := o.tracer.Start(ctx, spanName(e.Op), trace.WithNewRoot(), trace.WithTimestamp(e.Start), trace.WithSpanKind(trace.SpanKindClient))
		o.endSpan(span, &e)
	}
}

// endAuthorize is the hot path: the options are cached per label set, and
// a span that does not record gets no attributes, so that nothing is
// allocated.
func (o *Observer) endAuthorize(ctx context.Context, e *tokengate.Event) {
	l := o.labels.get(e)
	o.decisions.Add(ctx, 1, l.add...)
	o.duration.Record(ctx, e.Duration.Seconds(), l.record...)
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("tokengate.outcome", string(e.Outcome)),
			attribute.String("tokengate.check", e.Check),
			attribute.String("tokengate.route", e.Route),
			attribute.String("tokengate.transport", e.Transport),
			attribute.String("tokengate.issuer", e.Issuer),
		)
		if e.Outcome == tokengate.OutcomeUnavailable {
			span.SetStatus(codes.Error, "the token cannot be checked now: "+e.Check)
		}
	}
	span.End()
}

// endSpan ends the span of a call or a fetch.
func (o *Observer) endSpan(span trace.Span, e *tokengate.Event) {
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("tokengate.result", string(e.Outcome)),
			attribute.String("tokengate.issuer", e.Issuer),
			attribute.String("url.full", e.URL),
		)
		if e.Outcome == tokengate.OutcomeError {
			if e.Err != nil {
				span.RecordError(e.Err)
			}
			span.SetStatus(codes.Error, e.Op.String()+" failed")
		}
	}
	if e.Op == tokengate.OpKeyFetch || e.Op == tokengate.OpDiscovery {
		span.End(trace.WithTimestamp(e.Start.Add(max(e.Duration, 0))))
		return
	}
	span.End()
}
