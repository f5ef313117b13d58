package issuertest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// corsRoutes are the endpoints a browser client calls from its own page,
// with the methods each answers cross-origin. The authorization endpoint
// and the login pages are navigations, not fetches; introspection is for
// resource servers and the admin endpoint for tests, so neither ever
// answers a browser on another origin.
var corsRoutes = map[string][]string{
	"/.well-known/openid-configuration":       {http.MethodGet},
	"/.well-known/oauth-authorization-server": {http.MethodGet},
	"/jwks":     {http.MethodGet},
	"/token":    {http.MethodPost},
	"/revoke":   {http.MethodPost},
	"/userinfo": {http.MethodGet, http.MethodPost},
}

// corsRequestHeaders are the request headers a preflight may ask for, in
// the lowercase that Fetch sends in Access-Control-Request-Headers: the
// bearer token of /userinfo, and a form or JSON content type.
var corsRequestHeaders = []string{"authorization", "content-type"}

// corsMaxAge is how long a browser may cache a granted preflight, in seconds.
const corsMaxAge = "600"

// withCORS answers the CORS requests of registered browser clients
// (Fetch standard, "CORS protocol"): a preflight of one of [corsRoutes]
// from a client's [Client.WebOrigins] gets 204 with the allowed methods and
// headers, any other preflight 403 without them; the response to the
// request itself names the origin in Access-Control-Allow-Origin. It never
// answers "*" and never sends Access-Control-Allow-Credentials: a public
// client sends no cookies, and the issuer's own cookies (the login's CSRF
// token) must never travel with a cross-origin fetch. Every response of
// those routes varies by Origin, so that a shared cache of the JWKS or the
// metadata cannot serve one origin's answer to another.
func (s *Server) withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods, ok := corsRoutes[r.URL.Path]
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		origin, allowed := s.requestOrigin(r)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			preflight(w, r, origin, allowed, methods)
			return
		}
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", "WWW-Authenticate, Retry-After")
		}
		next.ServeHTTP(w, r)
	})
}

// requestOrigin returns the request's one Origin header and whether it is
// a web origin of a registered client, compared exactly as the browser
// serialized it.
func (s *Server) requestOrigin(r *http.Request) (string, bool) {
	values := r.Header.Values("Origin")
	if len(values) != 1 {
		return "", false
	}
	for _, c := range s.clients {
		if slices.Contains(c.WebOrigins, values[0]) {
			return values[0], true
		}
	}
	return values[0], false
}

// preflight answers a CORS-preflight request. The browser goes on with the
// request only on a 2xx that names its origin, its method and every header
// it asked for; a 403 without those headers stops it.
func preflight(w http.ResponseWriter, r *http.Request, origin string, allowed bool, methods []string) {
	h := w.Header()
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Set("Cache-Control", "no-store")
	if !allowed || !slices.Contains(methods, r.Header.Get("Access-Control-Request-Method")) ||
		!allowedRequestHeaders(r.Header.Values("Access-Control-Request-Headers")) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
}

// allowedRequestHeaders reports whether every header named in the
// Access-Control-Request-Headers values is one of [corsRequestHeaders].
func allowedRequestHeaders(values []string) bool {
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "" && !slices.Contains(corsRequestHeaders, name) {
				return false
			}
		}
	}
	return true
}

// validateWebOrigins checks a client's web origins: each is an origin as a
// browser serializes it, http or https, lowercase, without a path, query,
// user or default port, so that it can be compared with Origin exactly;
// never "*" or "null". A confidential client may have none: a page cannot
// keep a secret.
func (c *Client) validateWebOrigins() error {
	if len(c.WebOrigins) > 0 && !c.public() {
		return fmt.Errorf("client %q: web_origins are for public clients: a page cannot keep a client secret", c.ID)
	}
	for _, o := range c.WebOrigins {
		if serializedOrigin(o) != o {
			return fmt.Errorf("client %q: web origin %s must be scheme://host[:port] as a browser sends it, e.g. %q", c.ID, quote80(o), "http://127.0.0.1:8080")
		}
	}
	return nil
}

// serializedOrigin returns the origin of raw as a browser serializes it
// (RFC 6454 §6.2), or "" when raw is not an http(s) URL without user
// information.
func serializedOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host
}
