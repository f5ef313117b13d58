// Package middleware protects net/http routes with OAuth 2.0 bearer access
// tokens (RFC 6750, https://www.rfc-editor.org/rfc/rfc6750).
//
// # One line per route
//
// Build a verifier once (verifier.New for signed JWTs, introspection.New for
// opaque tokens), then wrap each handler with [Require] and the scopes the
// route needs:
//
//	mux := http.NewServeMux()
//	mux.Handle("GET /orders", middleware.Require(jwt, scopes.All("orders:read"))(orders))
//	mux.Handle("POST /refunds", middleware.Require(introspector, scopes.All("refunds:write"))(refunds))
//
// Require returns a func(http.Handler) http.Handler, the shape that
// http.ServeMux, chi and most routers take. The requirements are validated
// and the challenge built when Require is called; a bad requirement panics
// then, at startup, not on a request. The handler reads the verified claims
// from the request context:
//
//	claims, _ := verifier.FromContext(r.Context())
//
// # What a client is told
//
// Every refusal is classified once and answered from this table, the same
// table the gRPC interceptors of package grpcauth follow:
//
//	situation                                      status  WWW-Authenticate
//	no token, or another scheme (Basic, DPoP)      401     Bearer realm="..."  (no error code)
//	token bound to a key or certificate, without   401     error="invalid_token", error_description
//	  the request proving it (sent as Bearer)
//	bad signature, expired, wrong iss or aud,      401     error="invalid_token", error_description
//	  alg not allowed, ID token, inactive, too big
//	two tokens, malformed Authorization header     400     error="invalid_request", error_description
//	valid token, missing scope                     403     error="insufficient_scope", scope="<the route's scopes>"
//	valid token, missing role or claim             403     error="insufficient_scope", error_description naming it
//	  (package claims)
//	acr or auth_time short of the route's          401     error="insufficient_user_authentication",
//	  (package stepup, RFC 9470 §3)                          acr_values="...", max_age="..."
//	issuer's keys or introspection unreachable     503     none; Retry-After
//
// The error_description comes from a fixed vocabulary ("the access token
// expired", "the token is not an access token", ...); it never contains the
// token, a key id, a claim value or an upstream body. A verifier error that
// wraps none of the verifier sentinels means the verifier failed: it is
// answered with 503, never let through and never blamed on the token. A
// request whose check was cut short by context cancellation is answered
// with 503 too, not with a 401 that would make the client drop a good
// token.
//
// # Options
//
// A [Guard] holds the options; its zero value is what Require uses, and
// [Guard.Require] has the same signature:
//
//	g := &middleware.Guard{
//		Realm:            "orders",
//		ResourceMetadata: "https://api.example.com/.well-known/oauth-protected-resource",
//		OnError:          func(r *http.Request, err error) { log.Printf("auth: %v", err) },
//		Check: func(r *http.Request, c *verifier.Claims) error {
//			if c.ClientID != "billing" {
//				return errors.New("client not allowed")
//			}
//			return nil
//		},
//	}
//	mux.Handle("GET /invoices", g.Require(jwt, scopes.All("invoices:read"))(invoices))
//
// ErrorHandler replaces the response body (for example with RFC 9457 problem
// details) without changing the status or the challenge. Tokens in the query
// string (RFC 6750 §2.3) and in form bodies (§2.2) are off unless
// AllowQueryToken or AllowFormToken is set; a request that uses two methods
// is refused with 400.
//
// # Where the token comes from, and optional tokens
//
// The Authorization header is always read. Guard.TokenHeader names a header
// with a bare token, Guard.TokenCookie a cookie, which counts only for a
// request that passes Guard.CookieCheck, a cross-site request check (name
// it "__Host-..."); the query and form bodies stay off unless allowed
// (RFC 6750 §2.3, RFC 9700 §4.3.2). A token by two methods is refused.
// [Guard.Optional] lets a request without credentials through without
// claims, and refuses a bad token as Require does.
//
// # Operations
//
// Guard.Logger gets 503s at Warn, one line per cause a minute, and
// refusals at Debug, each with the route, the check that failed and the
// token's SHA-256 prefix; Guard.Observer (package otelgate) every
// decision. [ReadyHandler] serves the verifiers' readiness on /readyz.
//
// # Sender-constrained tokens
//
// A token bound to a TLS client certificate (RFC 8705 §3, "cnf" with
// "x5t#S256") is accepted on a connection with that certificate, with no
// option to set; [Guard.ClientCertHeader] reads it from a TLS-terminating
// proxy instead. DPoP-bound tokens (RFC 9449) need a proof checker,
// package dpop's, and the URL proofs must name:
//
//	proofs, _ := dpop.New(dpop.Config{})
//	g := &middleware.Guard{DPoP: proofs, ExternalURL: "https://api.example.com", RequireDPoP: true}
//
// The route then takes "Authorization: DPoP <token>" with a DPoP proof
// header, answers a refused proof with a DPoP challenge
// (error="invalid_dpop_proof", algs="..."), and, where Bearer tokens are
// still allowed, offers both challenges. A DPoP-bound token sent as a
// bearer token is always refused (RFC 9449 §7.2). [Guard.FillMetadata]
// advertises the route's DPoP settings in its RFC 9728 document.
//
// # Protected Resource Metadata
//
// [ProtectedResourceMetadata] serves the RFC 9728 document at
// /.well-known/oauth-protected-resource, and [Guard.ResourceMetadata] adds
// its URL to every challenge, which is how MCP clients and other modern
// clients find the authorization server to get a token from:
//
//	mux.Handle("GET "+middleware.WellKnownPath, &middleware.ProtectedResourceMetadata{
//		Resource:             "https://api.example.com",
//		AuthorizationServers: []string{"https://issuer.example.com"},
//	})
package middleware
