package otelgate_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/otelgate"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// telemetry is an Observer on the real SDK with an in-memory reader and
// span recorder.
type telemetry struct {
	obs    *otelgate.Observer
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
}

func newTelemetry(t testing.TB) *telemetry {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	obs, err := otelgate.New(otelgate.Config{
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)),
	})
	if err != nil {
		t.Fatalf("otelgate.New() error = %v", err)
	}
	return &telemetry{obs: obs, reader: reader, spans: spans}
}

// collect returns the metrics collected now.
func (tel *telemetry) collect(t testing.TB) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tel.reader.Collect(t.Context(), &rm); err != nil {
		t.Fatalf("Collect() error = %v", err)
	}
	return rm
}

// sum returns the value of the counter name at the data point whose
// attributes are exactly attrs, and the sum over all its points.
func sum(rm metricdata.ResourceMetrics, name string, attrs ...attribute.KeyValue) (at, total int64) {
	want := attribute.NewSet(attrs...)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				total += dp.Value
				if dp.Attributes.Equals(&want) {
					at += dp.Value
				}
			}
		}
	}
	return at, total
}

// histogramCount returns how many values the histogram name recorded.
func histogramCount(rm metricdata.ResourceMetrics, name string) uint64 {
	var n uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					n += dp.Count
				}
			}
		}
	}
	return n
}

func decision(outcome, check, route string) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("tokengate.outcome", outcome), attribute.String("tokengate.check", check),
		attribute.String("tokengate.route", route), attribute.String("tokengate.transport", "http"),
	}
}

func result(r string) attribute.KeyValue { return attribute.String("tokengate.result", r) }

// TestScriptedSequence runs accepted, refused and unavailable requests
// through the middleware with both verifiers against the real test issuer
// and checks every counter, the histogram and the spans exactly.
func TestScriptedSequence(t *testing.T) {
	tel := newTelemetry(t)
	clock := issuertest.NewClock(time.Unix(1_800_000_000, 0))
	iss := issuertest.NewServer(issuertest.WithClock(clock.Now))
	defer iss.Close()
	quiet := slog.New(slog.DiscardHandler)
	client := tel.obs.HTTPClient(iss.Client())
	jwt, err := verifier.New(t.Context(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience(), Now: clock.Now, HTTPClient: client, Logger: quiet, Observer: tel.obs})
	if err != nil {
		t.Fatalf("verifier.New() error = %v", err)
	}
	defer jwt.Close()
	intro, err := introspection.New(t.Context(), introspection.Config{
		Issuer: iss.URL, Audience: iss.Audience(), ClientID: issuertest.APIClientID, ClientSecret: issuertest.APIClientSecret,
		CacheSize: 10, Now: clock.Now, HTTPClient: client, Logger: quiet, Observer: tel.obs,
	})
	if err != nil {
		t.Fatalf("introspection.New() error = %v", err)
	}
	defer intro.Close()
	reg, err := tel.obs.Watch(jwt, intro)
	if err != nil {
		t.Fatalf("Watch() error = %v", err)
	}
	defer reg.Unregister()

	g := &middleware.Guard{Observer: tel.obs, Logger: quiet}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	mux := http.NewServeMux()
	mux.Handle("GET /orders", g.Require(jwt, scopes.All("orders:read"))(ok))
	mux.Handle("GET /refunds", g.Require(intro)(ok))
	get := func(path, token string) int {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w.Code
	}
	req := issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}}
	good := iss.AccessToken(req)
	script := []struct {
		path, token string
		want        int
	}{
		{"/orders", good, 200},
		{"/orders", good, 200},
		{"/orders", iss.ExpiredToken(req), 401},
		{"/orders", "", 401},
		{"/orders", iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"profile"}}), 403},
		{"/refunds", good, 200},                        // an introspection call
		{"/refunds", good, 200},                        // a cache hit
		{"/refunds", iss.WrongAudienceToken(req), 401}, // a call that refuses: inactive
	}
	for i, s := range script {
		if got := get(s.path, s.token); got != s.want {
			t.Fatalf("step %d: GET %s = %d, want %d", i, s.path, got, s.want)
		}
	}
	iss.SetFault(issuertest.EndpointIntrospect, issuertest.StatusFault(http.StatusServiceUnavailable))
	if got := get("/refunds", iss.AccessToken(req)); got != 503 {
		t.Fatalf("GET /refunds with the endpoint down = %d, want 503", got)
	}

	rm := tel.collect(t)
	counters := []struct {
		name  string
		attrs []attribute.KeyValue
		want  int64
	}{
		{"tokengate.decisions", decision("accepted", "", "GET /orders"), 2},
		{"tokengate.decisions", decision("invalid_token", "exp", "GET /orders"), 1},
		{"tokengate.decisions", decision("missing", "present", "GET /orders"), 1},
		{"tokengate.decisions", decision("insufficient_scope", "scope", "GET /orders"), 1},
		{"tokengate.decisions", decision("accepted", "", "GET /refunds"), 2},
		{"tokengate.decisions", decision("invalid_token", "token", "GET /refunds"), 1}, // the issuer answers inactive
		{"tokengate.decisions", decision("unavailable", "issuer", "GET /refunds"), 1},
		{"tokengate.keyset.fetches", []attribute.KeyValue{result("ok")}, 1},
		{"tokengate.discovery.fetches", []attribute.KeyValue{result("ok")}, 2},
		// New's credential check asks about a string that is no token:
		// refused, like the wrong audience.
		{"tokengate.introspection.calls", []attribute.KeyValue{result("active")}, 1},
		{"tokengate.introspection.calls", []attribute.KeyValue{result("refused")}, 2},
		{"tokengate.introspection.calls", []attribute.KeyValue{result("error")}, 1},
		// The second good token is a verified-token hit: no key lookup.
		{"tokengate.cache.lookups", []attribute.KeyValue{attribute.String("tokengate.cache", "verified"), result("hit")}, 1},
		{"tokengate.cache.lookups", []attribute.KeyValue{attribute.String("tokengate.cache", "verified"), result("miss")}, 3},
		{"tokengate.cache.lookups", []attribute.KeyValue{attribute.String("tokengate.cache", "keyset"), result("hit")}, 3},
		{"tokengate.cache.lookups", []attribute.KeyValue{attribute.String("tokengate.cache", "keyset"), result("miss")}, 0},
		{"tokengate.cache.lookups", []attribute.KeyValue{attribute.String("tokengate.cache", "introspection"), result("hit")}, 1},
		{"tokengate.cache.lookups", []attribute.KeyValue{attribute.String("tokengate.cache", "introspection"), result("miss")}, 3},
	}
	totals := map[string]int64{"tokengate.decisions": 9, "tokengate.keyset.fetches": 1, "tokengate.discovery.fetches": 2, "tokengate.introspection.calls": 4, "tokengate.cache.lookups": 11}
	for _, c := range counters {
		if got, _ := sum(rm, c.name, c.attrs...); got != c.want {
			t.Errorf("%s%v = %d, want %d", c.name, c.attrs, got, c.want)
		}
	}
	for name, want := range totals {
		if _, got := sum(rm, name); got != want {
			t.Errorf("%s over all points = %d, want %d", name, got, want)
		}
	}
	if got := histogramCount(rm, "tokengate.verify.duration"); got != 9 {
		t.Errorf("tokengate.verify.duration count = %d, want 9", got)
	}
	checkSpans(t, tel.spans.Ended())
}

// checkSpans checks the spans of the scripted sequence.
func checkSpans(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	byName := map[string][]sdktrace.ReadOnlySpan{}
	ids := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byName[s.Name()] = append(byName[s.Name()], s)
		ids[s.SpanContext().SpanID().String()] = s
	}
	for name, want := range map[string]int{"tokengate.authorize": 9, "tokengate.introspect": 4, "tokengate.keyset.fetch": 1, "tokengate.discovery": 2} {
		if got := len(byName[name]); got != want {
			t.Errorf("%d spans %q, want %d", got, name, want)
		}
	}
	var unavailable, children, httpUnder int
	for _, s := range byName["tokengate.authorize"] {
		attrs := attribute.NewSet(s.Attributes()...)
		if v, _ := attrs.Value("tokengate.outcome"); v.AsString() == "unavailable" {
			unavailable++
			if s.Status().Code != codes.Error {
				t.Errorf("unavailable decision span status = %v, want Error", s.Status().Code)
			}
		} else if s.Status().Code == codes.Error {
			t.Errorf("span of a %s decision has status Error; only unavailable does", v.AsString())
		}
		if v, _ := attrs.Value("tokengate.issuer"); v.AsString() == "" {
			t.Errorf("decision span without tokengate.issuer: %v", s.Attributes())
		}
	}
	for _, s := range byName["tokengate.introspect"] {
		if p, ok := ids[s.Parent().SpanID().String()]; ok && p.Name() == "tokengate.authorize" {
			children++
		}
	}
	for _, s := range spans {
		if p, ok := ids[s.Parent().SpanID().String()]; ok && p.Name() == "tokengate.introspect" && s.SpanKind().String() == "client" {
			httpUnder++
		}
	}
	if unavailable != 1 {
		t.Errorf("%d unavailable decision spans, want 1", unavailable)
	}
	// New's credential check runs outside any request.
	if children != 3 {
		t.Errorf("%d introspect spans are children of a decision span, want 3", children)
	}
	if httpUnder != 4 {
		t.Errorf("%d otelhttp client spans under introspect spans, want 4", httpUnder)
	}
	for _, s := range append(byName["tokengate.keyset.fetch"], byName["tokengate.discovery"]...) {
		if s.Parent().IsValid() {
			t.Errorf("%s span has a parent; a fetch is a root span", s.Name())
		}
	}
}
