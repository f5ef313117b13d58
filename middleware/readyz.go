package middleware

import (
	"net/http"
	"strings"

	"github.com/tokengate/tokengate"
)

// ReadyHandler returns an http.Handler for a readiness probe such as
// Kubernetes' readinessProbe on /readyz: it asks every one of rs
// (verifier.JWT, introspection.Introspector, or tokengate.ReadyAll of
// several) and answers 200 "ready" when all are ready, else 503 with one
// line per verifier that is not, naming it and what it lacks (its
// issuer's metadata, a usable key set, an answering endpoint). The lines
// name issuers and URLs, never a token or a key. Each probe is bounded by
// the request's context; a verifier that is ready answers without I/O.
//
//	mux.Handle("GET /readyz", middleware.ReadyHandler(jwt, introspector))
//
// A liveness probe should not use it: a service whose issuer is down is
// alive, and restarting it would not bring the issuer back.
func ReadyHandler(rs ...tokengate.Readier) http.Handler {
	all := tokengate.ReadyAll(rs...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		err := all.Ready(r.Context())
		if err == nil {
			w.Write([]byte("ready\n"))
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		var b strings.Builder
		b.WriteString("not ready\n")
		for _, e := range unjoin(err) {
			b.WriteString(strings.ReplaceAll(e.Error(), "\n", " "))
			b.WriteByte('\n')
		}
		w.Write([]byte(b.String()))
	})
}

// unjoin returns the errors of the verifiers that are not ready: those
// tokengate.ReadyAll joined.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
