// Package jwkscache keeps an issuer's JSON Web Key Set fresh for a resource
// server and hands out the public key that verifies a token
// ([RFC 7517], [RFC 7518], [RFC 8037]).
//
// # Starting
//
// [New] takes a [Config] by value. Only the URL (the issuer's jwks_uri) is
// required; it must be https unless the host is a loopback address ([RFC 8252]
// §8.3) or Config.AllowInsecureHTTP is set. New fetches the set once,
// bounded by its ctx and Config.Timeout, and starts one background
// goroutine:
//
//	keys, err := jwkscache.New(ctx, jwkscache.Config{URL: "https://issuer.example/jwks"})
//	if err != nil {
//		return err // a bad Config; a failed first fetch is not an error
//	}
//	defer keys.Close()
//
// If the first fetch fails, New still returns the cache: [Cache.Status]
// reports the error, [Cache.Key] returns [ErrUnavailable], and the cache
// keeps trying.
//
// # Looking keys up
//
// The verifier calls [Cache.Key] with the token header's kid and alg, or
// hands [Cache.Keyfunc] to golang-jwt:
//
//	token, err := jwt.Parse(raw, keys.Keyfunc(ctx), jwt.WithValidMethods(algs))
//
// A lookup of a known kid reads an immutable snapshot through an atomic
// pointer: no lock, no parsing, no allocation. The key returned always fits
// the token's alg: RS256/384/512 and PS256/384/512 get RSA keys, ES256,
// ES384 and ES512 get P-256, P-384 and P-521 keys, EdDSA and Ed25519
// ([RFC 9864] §2) get Ed25519; a
// JWK's own "alg" must equal the token's (RFC 7517 §4.4). A misfit is
// [ErrAlgMismatch]. HMAC and "none" never get a key. A token without kid
// gets the one key without kid that fits its alg, if there is exactly one:
// an issuer that names its keys names them in its tokens, so a token
// without kid never reaches a named key. The cache never tries keys one
// after another.
//
// [Cache.Generation] numbers the key sets installed, and [Cache.Holds]
// says, without fetching, whether the set held now still serves a given
// key for a kid and alg: a verifier that caches verified tokens uses them
// to drop the tokens of a key that left the set.
//
// # Which keys are used
//
// Each key of the document is checked on its own, and a key that fails is
// skipped while the others are used (RFC 7517 §5). Kept are keys with "use"
// absent or "sig" (§4.2) and "key_ops", if present, including "verify"
// (§4.3), of type RSA (modulus of 2048 to 8192 bits), EC on P-256, P-384 or
// P-521, or OKP Ed25519. Skipped are symmetric "oct" keys (a remote set is
// public, so a secret in it is not one), keys with an unknown or unfitting
// "alg", kids over 256 bytes, and keys that carry private material: a
// private key served from a public URL is compromised, so such a key is not
// trimmed to its public half but dropped. The first Config.MaxKeys usable
// keys are kept. [Status] lists why keys were skipped. Parsing is done by
// github.com/MicahParks/jwkset; these checks and everything below are this
// package's own.
//
// # Refreshing
//
// Every fetch sends "Accept: application/json", runs on a context of its
// own with Config.Timeout (never a request's context), reads at most
// Config.MaxBodyBytes (a longer body is an error, never a truncated set) and
// follows no redirect to another origin. Fetches never overlap: concurrent
// callers share the one in flight.
//
//   - Periodic: a set is fresh for the response's Cache-Control max-age
//     less its Age ([RFC 9111] §5.2.2.1, §4.2.3), or for Expires less Date
//     (§5.3) when there is no max-age, clamped to
//     [Config.MinRefreshInterval, Config.MaxRefreshInterval];
//     MinRefreshInterval when Cache-Control says no-cache or no-store (ORY
//     Hydra sends both); MaxRefreshInterval when the response says nothing.
//     The background goroutine then fetches again. Decisions use
//     Config.Now; a lookup that finds a fetch due wakes the goroutine and
//     returns without waiting.
//   - Unknown kid (key rollover): a kid not in the set joins the fetch in
//     flight, or starts one if no fetch triggered by an unknown kid started
//     within Config.UnknownKIDCooldown, and the caller waits for it, at most
//     Config.UnknownKIDWait (2s) and never past its own ctx; the fetch goes
//     on in the background to Config.Timeout and its result serves the
//     next lookups. The fetch New makes and the periodic ones do not start
//     the cooldown, so an issuer that signs with a new key the moment it
//     publishes it (ORY Hydra, node-oidc-provider) loses no request, however
//     soon after start-up it rotates. Within the cooldown the lookup fails at
//     once and one fetch is scheduled for the end of the cooldown, so a kid
//     sent before its key was published (by an attacker, or by a clock
//     running ahead) is looked for again within one cooldown. A flood of
//     bogus kids costs at most one fetch per cooldown.
//   - Failure (stale-if-error, [RFC 5861] §4): a network error, a status
//     other than 200, a body that is too long, not a JWK Set or has no
//     usable key (including {"keys":[]}) leaves the last good set in place.
//     Retries back off from MinRefreshInterval, doubling up to
//     Config.MaxRetryInterval (5m). The last good set is served until
//     Config.MaxStaleness after it stopped being fresh; then Key returns
//     [ErrUnavailable].
//   - [Cache.Refresh] fetches now, ignoring the cooldown.
//
// At most 4×Config.MaxKeys entries of a document are examined at all, so
// the cost of a fetch is bounded whatever the issuer packs into
// MaxBodyBytes.
//
// # Errors
//
// [ErrKeyNotFound] means the token is at fault (the verifier answers 401):
// its kid is not in a set fetched after it was asked for, or within the
// cooldown after such a fetch. [ErrUnavailable] means the key could not be
// looked for (503): nothing fetched yet, the set too stale, the refresh
// failed or did not finish within UnknownKIDWait, or the caller's ctx
// ended. No error matches both. Messages name the kid and the kids held,
// quoted and truncated, and never contain key material.
//
// # Stopping
//
// [Cache.Close] stops the background goroutine and cancels a fetch in
// flight, and returns once both have ended (a concurrent second Close
// waits too). Config.OnFetch reports each fetch's outcome, for metrics. Key keeps serving the keys held
// after Close, but no fetch happens any more.
//
// github.com/MicahParks/keyfunc/v3 is not used: its refresh policy (a rate
// limiter that can make a request wait, an empty set replacing good keys,
// one bad key failing a refresh, unbounded reads, refreshes on the caller's
// context, trying every key for a token without kid) is what this package
// replaces.
//
// [RFC 7517]: https://www.rfc-editor.org/rfc/rfc7517
// [RFC 7518]: https://www.rfc-editor.org/rfc/rfc7518
// [RFC 8037]: https://www.rfc-editor.org/rfc/rfc8037
// [RFC 9111]: https://www.rfc-editor.org/rfc/rfc9111
// [RFC 5861]: https://www.rfc-editor.org/rfc/rfc5861
// [RFC 8252]: https://www.rfc-editor.org/rfc/rfc8252
// [RFC 9864]: https://www.rfc-editor.org/rfc/rfc9864
package jwkscache
