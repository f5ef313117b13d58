// Package introspection verifies access tokens by asking the authorization
// server, with OAuth 2.0 Token Introspection (RFC 7662,
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
// authorization server. The endpoint is given, or found in the issuer's
// metadata (RFC 8414 §2 "introspection_endpoint"):
//
//	in, err := introspection.New(ctx, introspection.Config{
//		Issuer:       "https://issuer.example.com",
//		ClientID:     "orders-api",
//		ClientSecret: secret,
//		Audience:     "https://api.example.com/orders", // optional
//		CacheSize:    10_000,
//	})
//	if err != nil {
//		return err
//	}
//	defer in.Close()
//
//	mux.Handle("POST /refunds", middleware.Require(in, scopes.All("refunds:write"))(refunds))
//
// # What Verify checks
//
// The request is a form-encoded POST with the token and
// token_type_hint=access_token in the body, never in the URL, and the
// client credentials as HTTP Basic (RFC 6749 §2.3.1, the default) or as
// form parameters (Config.AuthMethod "client_secret_post"). Redirects are
// not followed: they would send the token elsewhere.
//
// In the response (RFC 7662 §2.2), only the JSON boolean "active": true
// makes a token active; "active": false is a refusal wrapping
// verifier.ErrInvalidToken. A response without a boolean "active" comes
// from a faulty server and wraps verifier.ErrUnavailable. For an active
// token:
//
//   - "token_type", when present, must name a bearer access token
//     ("Bearer", "access_token" or urn:ietf:params:oauth:token-type:access_token);
//     a refresh token, an ID token or a DPoP-bound token presented as a
//     bearer token is refused with verifier.ErrNotAccessToken, as are
//     responses carrying ID token or logout token claims;
//   - "exp" and "nbf", when present, are checked with Config.Leeway
//     (an expired token wraps verifier.ErrTokenExpired);
//   - "iss", when present and Config.Issuer is set, must equal it;
//   - "aud" must contain Config.Audience, when that is set.
//
// The claims are mapped to [verifier.Claims] exactly as the JWT verifier
// maps a JWT payload; Claims.Raw is the whole response.
//
// Endpoint failures (unreachable, timeout, a status other than 200,
// 401 or 403 for wrong client credentials, a redirect, a body that is not
// JSON or is over Config.MaxBodyBytes) wrap verifier.ErrUnavailable, are
// never cached and never reported as an invalid token.
//
// # Caching and coalescing
//
// Results are cached by the SHA-256 of the token, never the token itself,
// in two bounded LRU caches: active tokens for min(exp - now,
// Config.MaxCacheTTL), so an entry is never used past the token's "exp";
// refused tokens for Config.NegativeCacheTTL in a cache of their own, so
// that a spray of junk tokens cannot evict active ones. Config.CacheSize 0
// (the zero value) disables caching. Concurrent Verify calls for one uncached token share a
// single call to the endpoint; a caller whose context ends stops waiting
// without failing the others.
//
// The Introspector starts no background goroutine. [Introspector.Close]
// aborts the calls in flight, waits for them and drops the caches.
package introspection
