// Package verifier checks OAuth 2.0 access tokens and defines what every
// tokengate verifier shares: [Claims], the [TokenVerifier] interface, the
// context helpers and the errors.
//
// # Local JWT verification
//
// [New] builds a [JWT] verifier for one issuer and one API. It discovers
// the issuer's key set (OpenID Connect Discovery or RFC 8414 metadata)
// unless Config.JWKSURL is set, fetches it, and keeps it fresh in the
// background until [JWT.Close]:
//
//	v, err := verifier.New(ctx, verifier.Config{
//		Issuer:   "https://issuer.example.com",
//		Audience: "https://api.example.com",
//	})
//	if err != nil {
//		return err
//	}
//	defer v.Close()
//
//	claims, err := v.Verify(ctx, token)
//	switch {
//	case errors.Is(err, verifier.ErrUnavailable):
//		// the issuer's keys could not be had: 503, try later
//	case errors.Is(err, verifier.ErrInvalidToken):
//		// refuse the token: 401
//	}
//
// Most programs never call Verify themselves: they hand the verifier to
// middleware.Require, which does the above for each request and puts the
// claims in the request context, where handlers read them with
// [FromContext].
//
// # Several issuers, several audiences, provider quirks
//
// Config.Audiences accepts any of several audiences. [NewMulti] builds a
// [Multi], one TokenVerifier over a fixed list of issuers, each a Config
// of its own (discovery, keys, audiences, algorithms), set up when its
// first token arrives; an "iss" outside the list is refused without any
// request, and MultiConfig.Resolve lets a program trust a multi-tenant
// provider's tenants by its own decision:
//
//	v, err := verifier.NewMulti(verifier.MultiConfig{Issuers: []verifier.Config{
//		{Issuer: "https://sso.example.com/realms/shop", Audience: "orders-api"},
//		{Issuer: "https://example.eu.auth0.com/", Audience: "https://orders.example.com"},
//	}})
//
// Config.Check, Config.TokenKind, Config.IssuerAliases and
// Config.NoAudience adapt the checks to what a provider puts in its tokens;
// package profiles sets them for the common providers, naming every
// relaxation.
//
// # What is refused
//
// Verify follows RFC 8725 (JWT Best Current Practices) and RFC 9068 (JWT
// Profile for OAuth 2.0 Access Tokens) §4:
//
//   - tokens longer than Config.MaxTokenBytes, before any decoding, and
//     segments that are not canonical base64url (RFC 7515 §2: no padding,
//     no spare bits, no CR or LF) ([ErrMalformedToken]);
//   - an "alg" outside the allow-list (by default asymmetric algorithms
//     only, with Ed25519 beside EdDSA, RFC 9864 §2; never "none"; HMAC only
//     with a configured secret) ([ErrAlgorithmNotAllowed]);
//   - a bad signature ([ErrBadSignature]), or a "kid" the key set does not
//     hold, or a key whose type or "alg" does not fit the token's "alg";
//   - a "crit" header (RFC 7515 §4.1.11); "jku", "x5u", "jwk" and "x5c" are
//     ignored, never fetched or trusted;
//   - tokens that are not access tokens ([ErrNotAccessToken], below);
//   - "iss" not exactly Config.Issuer ([ErrWrongIssuer]), "aud" not
//     containing Config.Audience ([ErrWrongAudience]), "exp" missing or
//     passed ([ErrTokenExpired]), "nbf" or "iat" in the future
//     ([ErrNotYetValid]). One leeway (Config.Leeway, 30s by default)
//     applies to all three times;
//   - a "cnf" claim the request cannot satisfy: a token bound to a DPoP
//     key (RFC 9449 §6) or a TLS client certificate (RFC 8705 §3) is
//     accepted only through the middleware or interceptors, with the
//     proof of that key or that certificate; called directly, or sent as
//     a bearer token, it is refused ([ErrSenderConstrained], RFC 9449
//     §7.2). See package dpop and the README's "Sender-constrained
//     tokens".
//
// Each refusal wraps [ErrInvalidToken] and the sentinel named above, and
// its message names the check and both values (quoted, truncated to 80
// bytes, control characters escaped), never the token: for logs and
// OnError. Clients get only the name of the check.
//
// The signature is checked before any claim is believed, so a forged token
// is reported as badly signed, never as expired (CVE-2024-51744).
//
// # ID tokens are not access tokens
//
// An OpenID Connect ID token tells a client who signed in; it is signed by
// the same keys as the access tokens, so a signature check alone accepts
// it. An API that accepts ID tokens lets any client that a user signed in
// to call it as that user. Verify refuses with [ErrNotAccessToken]:
//
//   - with Config.RequireAccessTokenType, every token whose header "typ" is
//     not "at+jwt" (RFC 9068 §2.1, §4). Use it when the issuer follows
//     RFC 9068;
//   - by default, tokens typed "at+jwt" are access tokens; tokens typed
//     "JWT" or untyped, which many providers still issue as access tokens,
//     are accepted unless their claims mark another kind of token: "nonce",
//     "at_hash" or "c_hash" (ID tokens, OIDC Core §2), a "typ" claim of
//     "ID", "Refresh", "Offline" or "Logout" (Keycloak), or "events" (logout
//     and security event tokens, RFC 8417);
//   - always, tokens of any other type: "logout+jwt", "dpop+jwt",
//     "token-introspection+jwt", "secevent+jwt" and the like (RFC 8725
//     §3.11).
//
// The audience check refuses most remaining ID tokens, whose "aud" is the
// client. An untyped ID token without nonce or at_hash whose audience also
// names this API cannot be told apart by its claims; only the strict mode
// refuses it.
//
// # Outages are not bad tokens
//
// When no key that could verify the token can be had (discovery failed,
// nothing was ever fetched, the last good set is older than its maximum
// staleness, or the token's kid is not in the set held and the refresh
// that looked for it failed or did not finish within 2s) Verify returns
// [ErrUnavailable], which middleware answers with 503, not 401. An issuer
// mismatch in the discovery document is a configuration error from [New],
// not an outage. A key set that was fetched once keeps serving while the issuer is
// down; see package jwkscache for the refresh policy, including rotation
// to a new "kid" without a failed request.
//
// # Starting while the issuer is down
//
// [New] fails only for a configuration error. When the issuer cannot be
// reached it returns a verifier that answers ErrUnavailable and keeps
// trying in the background, so that a service starts with its issuer down
// and serves once it is back; [JWT.Ready] says whether it can verify
// tokens now, for a readiness probe. Config.Logger gets failed fetches at
// Warn (one line per cause a minute) and Config.Observer every discovery
// and key set fetch, for metrics.
package verifier
