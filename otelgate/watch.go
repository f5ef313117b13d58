package otelgate

import (
	"context"
	"fmt"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/tokengate/tokengate"
)

// Watch reports the cache lookups of rs (verifier.JWT,
// introspection.Introspector, or any tokengate.CacheReporter) as
// tokengate.cache.lookups, read when the metrics are collected. Lookups
// pay nothing for it but an atomic add. Unregister the returned
// registration when the verifiers are closed.
func (o *Observer) Watch(rs ...tokengate.CacheReporter) (metric.Registration, error) {
	rs = append([]tokengate.CacheReporter(nil), rs...)
	reg, err := o.meter.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		for _, r := range rs {
			for _, st := range r.CacheStats() {
				cache := attribute.String("tokengate.cache", st.Cache)
				obs.ObserveInt64(o.lookups, int64(st.Hits), metric.WithAttributes(cache, attribute.String("tokengate.result", "hit")))
				obs.ObserveInt64(o.lookups, int64(st.Misses), metric.WithAttributes(cache, attribute.String("tokengate.result", "miss")))
			}
		}
		return nil
	}, o.lookups)
	if err != nil {
		return nil, fmt.Errorf("otelgate: %w", err)
	}
	return reg, nil
}

// HTTPClient returns a copy of c (a new client when nil) whose transport
// is instrumented with otelhttp on this Observer's providers, for the
// HTTPClient of verifier.Config and introspection.Config: each outbound
// request gets a client span, the child of the span of the call or fetch
// that made it, and otelhttp's own metrics. c itself is not changed.
func (o *Observer) HTTPClient(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(o.cfg.TracerProvider),
		otelhttp.WithMeterProvider(o.cfg.MeterProvider))
	return &cp
}
