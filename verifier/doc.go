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
// # Verified tokens are cached
//
// A client reuses its access token for minutes, so most requests carry a
// token already verified. A [JWT] remembers each token that passed every
// check, keyed by the exact token string (never a hash of it: two tokens
// never share an entry, whatever bytes they differ in), and a Verify of it
// again costs a lookup, the clock checks of "exp", "nbf" and "iat" with the
// leeway, and a check that its key is still in the key set: a few hundred
// nanoseconds instead of a signature check (about 50 ns on the machine of
// BENCHMARKS.md), with no allocation. When any of
// that fails the entry is dropped and the token is checked from scratch,
// which refuses it with the reason (expired, key not found, 503 for a key
// set past its staleness limit).
//
//   - Bounds: Config.TokenCacheSize entries (10,000) and
//     Config.TokenCacheBytes bytes (32 MiB). An entry counts an upper bound
//     of the memory it keeps alive: the token's length, three times its
//     payload's (the payload as Raw, the string the claims point into, and
//     room for claims whose escapes had to be decoded), 16 bytes per "aud"
//     and scope value, and 768 bytes for the entry itself and the claims
//     its hits share; at most about 3.25 times the token plus 768 bytes.
//     The table of slots is fixed: 24 bytes per slot (the entry's
//     pointer, its hash and its CLOCK mark, so that a lookup or an
//     eviction reads one cache line of a set and then only the entry it
//     wants), 1 to 2 slots per entry of TokenCacheSize, allocated on the
//     first insert. A full cache evicts: the hand of a CLOCK sweep
//     passes over entries hit since it last passed them (a second chance)
//     and removes the first that was not, so a flood of tokens presented
//     once pushes out its own kind first. A token lands in one of 2^k sets
//     of 8 slots, chosen by a seeded hash of its last 32 bytes; a full set
//     evicts its oldest entry not hit lately, so the cache may hold fewer
//     than TokenCacheSize entries.
//   - Admission: when inserting a token would evict another (its set is
//     full, or the cache is at its bounds), the token enters only at its
//     second full verification, while a doorkeeper (a table of hashes,
//     half as many as TokenCacheSize) still remembers the first. A token
//     verified once, as in a flood of distinct tokens or a working set
//     larger than the cache, then costs no insert and evicts nothing; a
//     token its client reuses enters at its second use.
//   - Lookups take no lock and allocate nothing, and write nothing shared
//     but a slot's first hit mark and a hit counter striped over 64
//     cache lines by goroutine (not by token, which would put every hit of
//     a popular token on one line), so cores verify cached tokens, even
//     one token, in parallel; inserts and evictions take one mutex, after
//     a signature check.
//   - Purges: when the key that verified an entry leaves the key set. A
//     *jwkscache.Cache (the default, or one passed as Config.Keys) numbers
//     its key sets ([jwkscache.Cache.Generation]); a hit that sees a new
//     number asks it whether the set still holds the same key under the
//     same kid ([jwkscache.Cache.Holds], a map lookup, never a fetch), and
//     the default cache's refresh also sweeps every entry at once. A
//     *jwkscache.Set never changes; a [KeyfuncSource] cannot tell, so its
//     tokens stay cached until they expire or are evicted: call
//     [JWT.ForgetAll] when its keys change. [JWT.Close] empties the cache
//     and stops caching; [JWT.Forget] and [JWT.ForgetAll] drop entries on
//     demand. Forgetting does not refuse a token, which stays valid until
//     its "exp": keep revoked tokens out with a deny list in the route's
//     check (middleware.Guard.Check runs on every request, cached or not).
//   - Per verifier: verifiers of two audiences never share entries.
//   - Sender-constrained tokens: a cached token's "cnf" is checked against
//     every request's DPoP proof or client certificate, as on a miss.
//   - Claims: every hit of a token returns the same *Claims, read-only
//     (see [Claims]): copy the struct to change a field. The entry keeps a
//     copy of its own that it never hands out; each hit compares the
//     shared claims with it, field by field by identity, and when a caller
//     wrote to them anyway, hands out a new copy from then on and logs a
//     warning (once per verifier), so a write never reaches the cache and
//     is undone at the next hit. Audience, Scopes and Raw are cut to their
//     length, so that an append copies rather than writes into the shared
//     arrays; nothing in tokengate writes to claims.
//
// Config.TokenCacheSize -1 turns the cache off.
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
