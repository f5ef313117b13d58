package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/otelgate"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// api holds the handler and the verifiers it owns.
type api struct {
	handler http.Handler
	jwt     *verifier.JWT
	intro   *introspection.Introspector
	watch   metric.Registration // the verifiers' cache counts
}

// newAPI builds both verifiers and the routes. The introspector caches
// active results for up to 30 seconds: a revoked token can work that long.
//
// Both verifiers start even when the issuer is down (they answer 503
// until it is back, and /readyz says so); only a configuration error
// fails here. Metrics go through OpenTelemetry to /metrics in the
// Prometheus format.
func newAPI(ctx context.Context, cfg config) (*api, error) {
	tel, metrics, err := newTelemetry()
	if err != nil {
		return nil, err
	}
	client := tel.HTTPClient(nil)
	jwt, err := verifier.New(ctx, verifier.Config{
		Issuer:     cfg.issuer,
		Audience:   cfg.audience,
		KeyPolicy:  jwkscache.Policy{UnknownKIDCooldown: cfg.cooldown},
		HTTPClient: client,
		Observer:   tel,
	})
	if err != nil {
		return nil, err
	}
	intro, err := introspection.New(ctx, introspection.Config{
		Issuer:       cfg.issuer,
		ClientID:     cfg.clientID,
		ClientSecret: cfg.clientSecret,
		Audience:     cfg.audience,
		CacheSize:    10_000,
		MaxCacheTTL:  30 * time.Second,
		HTTPClient:   client,
		Observer:     tel,
	})
	if err != nil {
		jwt.Close()
		return nil, err
	}
	a := &api{jwt: jwt, intro: intro}
	metaURL, err := middleware.ResourceMetadataURL(cfg.resource)
	if err == nil {
		a.watch, err = tel.Watch(jwt, intro)
	}
	if err != nil {
		a.close()
		return nil, err
	}
	guard := &middleware.Guard{Realm: "httpapi", ResourceMetadata: metaURL, Observer: tel}
	mux := http.NewServeMux()
	mux.Handle("GET /orders", guard.Require(jwt, scopes.All("orders:read"))(reply("listed orders")))
	mux.Handle("POST /orders", guard.Require(jwt, scopes.All("orders:write"))(reply("created an order")))
	mux.Handle("POST /refunds", guard.Require(intro, scopes.All("refunds:write"))(reply("refunded")))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("GET /readyz", middleware.ReadyHandler(jwt, intro))
	mux.Handle("GET /metrics", metrics)
	mux.Handle("GET /.well-known/oauth-protected-resource", &middleware.ProtectedResourceMetadata{
		Resource:               cfg.resource,
		AuthorizationServers:   []string{cfg.issuer},
		ScopesSupported:        []string{"orders:read", "orders:write", "refunds:write"},
		BearerMethodsSupported: []string{"header"},
	})
	a.handler = mux
	return a, nil
}

func (a *api) close() {
	if a.watch != nil {
		a.watch.Unregister()
	}
	a.jwt.Close()
	a.intro.Close()
}

// newTelemetry returns the OpenTelemetry observer, its metrics exported in
// the Prometheus format by the returned handler. Traces go to the global
// tracer provider, a no-op unless the program installs one.
func newTelemetry() (*otelgate.Observer, http.Handler, error) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, err
	}
	tel, err := otelgate.New(otelgate.Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))})
	if err != nil {
		return nil, nil, err
	}
	return tel, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}

// reply answers with what was done and for whom.
func reply(what string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verifier.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"result": what, "sub": c.Subject, "client_id": c.ClientID, "scopes": c.Scopes})
	})
}
