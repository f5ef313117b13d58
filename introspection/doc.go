// Package introspection verifies access tokens by asking the
// authorization server, with OAuth 2.0 Token Introspection (RFC 7662,
// https://www.rfc-editor.org/rfc/rfc7662), and caches the answers.
//
// Use it for opaque tokens, or for JWTs when a revocation must take effect
// within seconds rather than at the token's expiry. Local JWT verification
// (verifier.New) costs no call per request but cannot see a revocation;
// introspection sees one within Config.MaxCacheTTL, at the price of a call
// per token per TTL. An [Introspector] is a [verifier.TokenVerifier], so a
// route picks one or the other in the same line.
//
// # Setting up
//
// The resource server needs its own client credentials at the
// authorization server, and the identifier of this API, which access
// tokens name in "aud". The endpoint is given, or found in the issuer's
// metadata (RFC 8414 §2 "introspection_endpoint"):
//
//	in, err := introspection.New(ctx, introspection.Config{
//		Issuer:       "https://issuer.example.com",
//		ClientID:     "orders-api",
//		ClientSecret: secret,
//		Audience:     "https://api.example.com/orders",
//		CacheSize:    10_000,
//	})
//	if err != nil {
//		return err
//	}
//	defer in.Close()
//
//	mux.Handle("POST /refunds", middleware.Require(in, scopes.All("refunds:write"))(refunds))
//
// New introspects a random string once to check the credentials: an
// endpoint that refuses them fails New with an error naming
// Config.ClientID and Config.AuthMethod; an endpoint that cannot be
// reached does not fail New.
//
// # Client authentication
//
// Config.AuthMethod is one of the RFC 8414 names:
//
//   - "client_secret_basic", the default: HTTP Basic (RFC 6749 §2.3.1);
//   - "client_secret_post": client_id and client_secret in the form;
//   - "private_key_jwt" (RFC 7523 §2.2, RFC 7521 §4.2), which ZITADEL and
//     Okta use for APIs: a JWT signed with Config.PrivateKey, its iss and
//     sub the client ID, its aud the issuer (or the endpoint), a fresh
//     jti and an exp a minute away, made for each call;
//   - "none", set explicitly, for an endpoint that needs no client
//     authentication, such as ORY Hydra's admin port on a private network.
//
// # What Verify checks
//
// The request is a form-encoded POST with the token and
// token_type_hint=access_token in the body, never in the URL. Redirects
// are not followed: they would send the token elsewhere.
//
// In the response (RFC 7662 §2.2), only the JSON boolean "active": true
// makes a token active; "active": false is a refusal wrapping
// verifier.ErrInvalidToken. A response without a boolean "active" comes
// from a faulty server and wraps verifier.ErrUnavailable. A 400 whose
// "error" is "unsupported_token_type" or "invalid_token" is a refusal of
// the token (wrapping verifier.ErrInvalidToken), not an outage:
// node-oidc-provider answers so for every JWT, ID tokens included.
//
// An active token must be a bearer access token. RFC 7662 makes
// "token_type" optional, and servers tell the kinds of token apart in
// different ways, so each of these rules applies on its own, and a
// refusal wraps verifier.ErrNotAccessToken unless said otherwise:
//
//   - "token_type", when present, must be "Bearer" (any case),
//     "access_token" or urn:ietf:params:oauth:token-type:access_token
//     (RFC 6749 §7.1, RFC 8693 §3). Our issuertest and Hydra 1.x send
//     "refresh_token" for refresh tokens. "DPoP" (RFC 9449 §6.2) is an
//     access token too, and needs "cnf"."jkt": without it, the refusal
//     wraps verifier.ErrSenderConstrained.
//   - "token_use", when present, must be "access_token" (ORY Hydra v2,
//     which sends token_type "Bearer" for refresh tokens too) or "access"
//     (Cognito-style).
//   - A response with neither is an access token only if its "aud"
//     contains Config.Audience: node-oidc-provider sends neither token_type
//     nor aud for a refresh token. With Config.AnyAudience such a response
//     is refused, since nothing can tell it from a refresh token.
//   - "cnf" (RFC 9449 §6.2 "jkt", RFC 8705 §3 "x5t#S256") binds the token
//     to a key or a certificate. The answer is cached with it, and every
//     request is checked against it: through the middleware or the
//     interceptors, with the DPoP proof or the client certificate the
//     request presents; sent as a bearer token, or called directly, the
//     token is refused with verifier.ErrSenderConstrained (RFC 9449 §7.2).
//     A "cnf" method that cannot be checked is refused.
//   - Claims that mark an ID token ("nonce", "at_hash", "c_hash"), a
//     logout token ("events") or a Keycloak refresh or ID token ("typ")
//     are refused, as the JWT verifier refuses them.
//
// Then "exp" and "nbf", when present, are checked with Config.Leeway
// (verifier.ErrTokenExpired, verifier.ErrNotYetValid); "iss", when
// present and Config.Issuer is set, must equal it
// (verifier.ErrWrongIssuer); and "aud" must contain Config.Audience
// (verifier.ErrWrongAudience), which is required unless Config.AnyAudience
// waives it explicitly. Every refusal's error names the check and both
// values, quoted and cut to 80 bytes, and never the token.
//
// The claims are mapped to [verifier.Claims] exactly as the JWT verifier
// maps a JWT payload; Claims.Raw is the whole response. Each caller gets
// its own copy, slices included.
//
// Endpoint failures (unreachable, timeout, a status other than 200, a
// redirect, a body that is not JSON or is over Config.MaxBodyBytes, a 401
// or 403 for our credentials) wrap verifier.ErrUnavailable, are never
// cached and never reported as an invalid token.
//
// # Protecting the authorization server
//
// Three bounds keep a failing endpoint, or a spray of junk tokens, from
// turning into a flood of calls; a call one of them stops is not made and
// Verify answers verifier.ErrUnavailable (503 with Retry-After):
//
//   - a breaker: after a failed call, one probe call at a time; after a
//     second failure in a row, no call for Config.FailureBackoff (1s),
//     doubling with each further failure up to Config.MaxFailureBackoff
//     (30s); an answer ends it. A 400 that says our request is malformed
//     is logged but does not trip it, so a token the server cannot parse
//     does not stop the checks of everyone else's;
//   - Config.MaxConcurrentCalls (64) calls in flight at once; a call waits
//     up to Config.MaxQueueWait (1s) for a slot;
//   - Config.NewTokenRate (100 a second, with the cache on) calls for
//     tokens not seen active; the re-checks of tokens seen active are not
//     counted.
//
// Cached answers, refusals included, are served whatever the bounds say.
// The breaker and the rate are measured on Config.Now. Operator events
// (the endpoint failing and answering again, malformed-request answers)
// go to Config.Logger, at most one line per pause.
//
// # Caching and coalescing
//
// Results are cached by the SHA-256 of the token, never the token itself,
// in two bounded LRU caches: active tokens for min(exp - now,
// Config.MaxCacheTTL), so an entry is never used past the token's "exp";
// refused tokens for Config.NegativeCacheTTL in a cache of their own, so
// that a spray of junk tokens cannot evict active ones. Config.CacheSize 0
// (the zero value) disables caching. Concurrent Verify calls for one
// uncached token share a single call to the endpoint; a caller whose
// context ends stops waiting without failing the others.
//
// # Many replicas, revocations
//
// Replicas of one API can share their results through Config.SharedCache
// (a [SharedCache]; package redisstore has one on Redis), behind the
// process cache: a process miss reads the shared cache, and of the
// replicas that miss a new token at once one calls while the others wait
// for its answer (up to Config.SharedLockWait). The shared cache sees only
// keyed hashes of tokens and entries sealed with Config.SharedSecret, and
// every entry read is checked as a fresh answer is. When it fails, each
// replica works from its process cache alone, logging the outage once.
//
// [Introspector.Forget], [Introspector.ForgetSubject],
// [Introspector.ForgetClient], [Introspector.ForgetTokenID] and
// [Introspector.ForgetAll] drop results at once when the authorization
// server reports a revocation (package revocation carries the events to
// every replica); with a shared cache they hide its entries too.
//
// The Introspector starts no background goroutine, except one that retries
// discovery when the issuer could not be reached at New, until it
// succeeds. [Introspector.Close] stops it, aborts the calls in flight,
// waits for them and drops the caches.
//
// # Operations
//
// [Introspector.Ready] tells a readiness probe whether the endpoint is
// known and answering; [Introspector.CacheStats] counts cache hits and
// misses for metrics; Config.Logger gets the endpoint's failures and
// recoveries (at most one line a minute per cause), and Config.Observer
// every call, as a child of the request's span.
package introspection
