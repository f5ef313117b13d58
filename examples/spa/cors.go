package main

import (
	"net/http"
	"slices"
	"strings"
)

// corsPolicy lets one origin, the app's, call a server from the browser
// (Fetch standard, "CORS protocol"). A request that carries any other
// Origin is refused with 403 before it reaches a handler: a browser would
// hide the answer from that page anyway, and the server does not act on
// it. Preflights are answered here, so that no route needs a token for
// OPTIONS.
type corsPolicy struct {
	origin  string   // the one allowed origin, exactly as browsers send it
	methods []string // the methods the server answers
	// credentials lets the page send cookies (fetch credentials "include"):
	// then the origin must be named, as it always is here, never "*".
	credentials bool
}

// allowedHeaders are the request headers the app sends: a bearer token
// and a JSON body.
var allowedHeaders = []string{"authorization", "content-type"}

func (p corsPolicy) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		origins := r.Header.Values("Origin")
		if len(origins) == 0 {
			next.ServeHTTP(w, r) // not from a browser page: nothing to allow
			return
		}
		if len(origins) > 1 || origins[0] != p.origin {
			http.Error(w, "origin not allowed: only the app may call this from a browser", http.StatusForbidden)
			return
		}
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight && (!slices.Contains(p.methods, r.Header.Get("Access-Control-Request-Method")) || !p.headersAllowed(r)) {
			h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			http.Error(w, "preflight refused: method or header not allowed", http.StatusForbidden)
			return
		}
		h.Set("Access-Control-Allow-Origin", p.origin)
		if p.credentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if !preflight {
			h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Retry-After")
			next.ServeHTTP(w, r)
			return
		}
		h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Methods", strings.Join(p.methods, ", "))
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

// headersAllowed reports whether a preflight asks only for allowedHeaders.
func (p corsPolicy) headersAllowed(r *http.Request) bool {
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" && !slices.Contains(allowedHeaders, name) {
				return false
			}
		}
	}
	return true
}
