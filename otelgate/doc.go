// Package otelgate reports what tokengate does to OpenTelemetry: metrics
// of every decision, fetch and call, and a span per verification with
// child spans for the calls it makes. It is a package of its own so that
// a service that does not use OpenTelemetry links none of it: middleware,
// verifier and introspection know only the tokengate.Observer hook that an
// [*Observer] fills.
//
//	tel, err := otelgate.New(otelgate.Config{}) // the global providers
//	if err != nil { ... }
//	jwt, err := verifier.New(ctx, verifier.Config{
//		Issuer: issuer, Audience: audience,
//		Observer: tel, HTTPClient: tel.HTTPClient(nil),
//	})
//	reg, err := tel.Watch(jwt) // cache hits and misses
//	defer reg.Unregister()
//	guard := &middleware.Guard{Observer: tel}
//	mux.Handle("GET /orders", guard.Require(jwt, scopes.All("orders:read"))(orders))
//
// # Metrics
//
// Every instrument's name starts with "tokengate."; attribute names with
// "tokengate." too. An exporter renders them in its own way: the
// Prometheus exporter turns tokengate.decisions into
// tokengate_decisions_total and tokengate.verify.duration into
// tokengate_verify_duration_seconds.
//
//   - tokengate.decisions (counter): requests decided, by
//     tokengate.outcome (accepted, anonymous, missing, invalid_request,
//     invalid_token, insufficient_scope, unavailable), tokengate.check (the
//     check a refusal failed: exp, aud, iss, signature, scope, issuer,
//     ...; "" when accepted), tokengate.route (the route pattern or gRPC
//     method) and tokengate.transport (http, grpc).
//   - tokengate.verify.duration (histogram, seconds): the time a
//     decision took, verification included, by tokengate.outcome and
//     tokengate.transport.
//   - tokengate.keyset.fetches (counter): key set (JWKS) fetches, by
//     tokengate.result (ok, error).
//   - tokengate.discovery.fetches (counter): issuer metadata fetches, by
//     tokengate.result (ok, error).
//   - tokengate.introspection.calls (counter): calls to an introspection
//     endpoint, by tokengate.result (active, refused, error).
//   - tokengate.cache.lookups (asynchronous counter, read from the
//     verifiers given to [Observer.Watch]): cache lookups by
//     tokengate.cache (keyset, introspection, verified) and
//     tokengate.result (hit, miss).
//
// A route label takes the request's pattern (http.Request.Pattern), never
// its path, so that it stays bounded; past 1024 distinct label sets new
// routes are counted under the route "other".
//
// # Traces
//
// Each decision is a span "tokengate.authorize" with the outcome, the
// check, the route and the issuer (tokengate.issuer); an unavailable
// outcome sets the span's status to Error, a refusal does not (refusing a
// bad token is the system working). A call to an introspection endpoint
// is a child span "tokengate.introspect", and the HTTP client that
// [Observer.HTTPClient] instruments with otelhttp adds its own client
// span below it. Key set and metadata fetches serve every request waiting
// for them and run on their own contexts, so each is a root span
// ("tokengate.keyset.fetch", "tokengate.discovery") with the fetch's
// start and duration.
//
// With a no-op tracer provider and the metrics on, a decision costs under
// a microsecond and one allocation more than without (BenchmarkObserver in
// the middleware's tests of this package).
package otelgate
