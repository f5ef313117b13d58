// Package issuertest runs a strict OAuth 2.0 authorization server and
// OpenID Provider in-process, for tests. It is strict by default and
// relaxed only explicitly, starts in about a millisecond like
// net/http/httptest, and gives the test control of time, keys and faults.
// It imports no other tokengate package, so that tests that use one
// against the other catch real bugs. It is for tests only: [NewServer] and
// a few methods panic on misuse.
//
// # Testing your own API
//
// Start a server, mint a token, and call the handler that your verifier
// protects (configured with Issuer: iss.URL and Audience: iss.Audience()):
//
//	iss := issuertest.NewServer()
//	defer iss.Close()
//	tok := iss.AccessToken(issuertest.TokenRequest{Subject: "alice", Scopes: []string{"orders:read"}})
//	req.Header.Set("Authorization", "Bearer "+tok)
//
// For the negative cases, the bad-token helpers ([Server.ExpiredToken],
// [Server.AlgNoneToken], ..., all of them at once with [Server.BadTokens])
// change one thing each, [Server.RefreshToken] mints a refresh token to
// present where an access token belongs, and [Server.MintJWT] signs any
// header and claims.
//
// # Defaults
//
// Without options the server has:
//   - RS256 signing (ES256 and EdDSA for access tokens with
//     [WithSigningAlg]; ID tokens stay RS256, as OIDC Core §15.1 wants every
//     relying party to accept, unless a client registered
//     [Client.IDTokenSignedResponseAlg]). The first server of a process
//     generates the key for each algorithm and later servers reuse it, so
//     that starting many servers is cheap; rotation always makes new keys.
//   - One audience, [DefaultAudience] ([WithAudience]).
//   - Three clients ([DefaultClients]): the public [PublicClientID] with
//     loopback redirect URIs, the confidential [ServiceClientID] for
//     client_credentials, and the resource server [APIClientID], the only
//     one that may introspect.
//   - Two users, [Alice] and [Bob] ([DefaultUsers]).
//   - The non-interactive login: /authorize signs in the user named by
//     login_hint, or the default user, and approves at once. The HTML login
//     and consent pages come with [WithInteractiveLogin]: responsive, with
//     labelled fields, the test users and their passwords, and each requested
//     scope with its description ([DefaultScopeDescriptions],
//     [WithScopeDescriptions]), under a CSP that allows nothing from
//     elsewhere.
//   - Lifetimes: access and ID tokens five minutes, refresh tokens an hour,
//     codes sixty seconds; a rotated-out key stays published for an hour.
//   - The real clock; [WithClock] with a [Clock] makes one settable clock
//     drive every expiry.
//
// # Endpoints
//
//	GET  /.well-known/openid-configuration      OIDC Discovery 1.0 §4
//	GET  /.well-known/oauth-authorization-server RFC 8414 §3
//	GET  /jwks                                   RFC 7517, with Cache-Control max-age
//	GET, POST /authorize                         RFC 6749 §4.1, PKCE S256 only (RFC 7636)
//	POST /login, /consent                        the interactive forms
//	POST /token                                  authorization_code, refresh_token, client_credentials
//	POST /introspect                             RFC 7662
//	POST /revoke                                 RFC 7009
//	GET, POST /userinfo                          OIDC Core §5.3
//	GET  /connected-apps                         the user's connected apps, with revocation
//
// The authorization endpoint shows (never redirects) an error about the
// client or redirect URI, and redirects every other error with state
// (RFC 6749 §4.1.2.1). It requires a registered redirect URI, matched
// exactly except for the port of loopback IP URIs (RFC 8252 §7.3); an S256
// code_challenge from every client; scopes the client may ask for; and
// resource values (RFC 8707) among the configured audiences.
//
// Every endpoint treats a parameter sent without a value as omitted (RFC
// 6749 §3.1), and keeps error_description within the characters RFC 6749
// §5.2 allows, whatever the request held.
//
// The token endpoint authenticates confidential clients with
// client_secret_basic or client_secret_post and public clients by
// client_id alone. A code is single-use and bound to its client, redirect
// URI and PKCE challenge; any second attempt revokes the tokens issued from
// it. Refresh tokens rotate on every use and reusing an old one revokes its
// family (RFC 9700 §4.14.2). Access tokens are JWTs per RFC 9068 (or opaque
// with [WithOpaqueAccessTokens]); ID tokens carry nonce and at_hash.
// Introspection reports token_type Bearer for access tokens and
// refresh_token for refresh tokens, so that a resource server can refuse a
// refresh token offered as a bearer credential; [WithHydraIntrospection]
// and [WithNodeOIDCIntrospection] make it answer as those servers do.
//
// # Browser clients and connected apps
//
// A public client with [Client.WebOrigins] runs in a page: the token,
// revocation, userinfo, JWKS and metadata endpoints answer CORS requests
// (Fetch standard) from exactly those origins. A preflight from one of
// them gets 204 with the route's methods and the Authorization and
// Content-Type headers; one from any other origin, or for another method
// or header, gets 403 without them. Responses name the origin, never "*",
// never allow credentials, and vary by Origin. The authorization and
// introspection endpoints, the login pages and the admin endpoint answer
// no other origin.
//
// The connected-apps page (/connected-apps) is where a user signs in at the
// issuer, sees each client that holds tokens of theirs with the scopes
// and audiences it was given, and revokes one: every grant the user gave
// it ends at once, so its refresh tokens are refused and introspection
// reports its access tokens inactive, while a resource server that
// verifies JWTs locally accepts them until they expire, as the page says.
// The user's other grants and password are unchanged.
//
// # Sender-constrained tokens
//
// A token request with a DPoP header (RFC 9449 §5) gets a DPoP-bound
// access token: token_type DPoP, and "cnf"."jkt" the RFC 7638 thumbprint
// of the proof's key, in the token and in introspection (which then says
// token_type DPoP). The proof is checked by this package's own code: one
// proof, typ dpop+jwt, an algorithm of [DPoPAlgorithms], a public jwk, the
// signature, htm POST, htu the token endpoint, iat within a minute, and a
// jti not seen before; a bad one is refused with 400 invalid_dpop_proof. A
// public client's refresh token is bound to the key: only a proof of that
// key refreshes it. With [WithTLSClientCertificates] the server serves TLS,
// asks for client certificates, and binds the access tokens of a client
// that presented one to it ("cnf"."x5t#S256", RFC 8705 §3). The metadata
// advertises dpop_signing_alg_values_supported and
// tls_client_certificate_bound_access_tokens. [Server.AccessToken] mints a
// bound token with Claims: {"cnf": {"jkt": ...}}.
//
// # Key rotation
//
// [Server.RotateKey] signs with a new key at once, as ORY Hydra and
// node-oidc-provider do, so that the first token carries a kid the
// verifier must refetch the JWKS for. [Server.PublishNextKey] publishes
// the next key first and signs with it only after [WithKeyPublishAhead],
// as Google, Entra ID, Auth0 and Okta do, so that a verifier that
// refetches keys rarely is never surprised. Either way the old key stays
// published for [WithKeyOverlap].
//
// # Faults and counters
//
// [Server.SetFault] makes an endpoint slow before its first byte
// ([SlowFault]), trickle its body ([TrickleFault]), drop the connection
// mid-body ([DropFault]), fail ([StatusFault]), rate-limit with 429 and
// Retry-After ([RateLimitFault]) or answer garbage ([GarbageFault]), until
// [Server.ClearFault] or, with [Fault].Times, for the next requests only;
// [Server.Requests] counts each endpoint's requests.
//
// # Revocation events
//
// A client that registers [Client.BackchannelLogoutURI] or
// [Client.SecurityEventsURI] is told whenever a grant ends (a refresh
// token is revoked) or a session ends ([Server.EndSession]): an OpenID
// Connect Back-Channel Logout token, and an RFC 8935 push of a Security
// Event Token with a CAEP session-revoked event. [Server.Deliveries] lists
// what was sent and how each receiver answered.
//
// # Admin endpoint
//
// With [WithAdminAPI] (the standalone server in examples/issuer turns it
// on) the server also answers JSON requests under /admin/, so that tests in
// other languages can do what Go tests do with methods. Every POST needs
// Content-Type application/json.
//
//	GET  /admin/keys          {"signing_kid": "...", "kids": ["..."]}
//	POST /admin/rotate        {"mode": "sign-at-once"}  -> {"kid": "...", "signs_from": "2030-01-02T03:04:05Z"}
//	                          (or "publish-then-sign"; {} signs at once)
//	POST /admin/retire        {"kid": "..."}            -> 204
//	POST /admin/fault         {"endpoint": "jwks", "delay_ms": 0, "status": 503, "body": "",
//	                           "retry_after_seconds": 0, "times": 0, "drop": false, "trickle_ms": 0} -> 204
//	POST /admin/clear-faults  {"endpoint": "jwks"} or {} -> 204
//	GET  /admin/requests      {"jwks": 3, "token": 1, ...}
//	POST /admin/token         {"kind": "access", "subject": "alice", "client_id": "", "scopes": ["orders:read"],
//	                           "audience": [], "lifetime_seconds": 0, "nonce": "", "header": {}, "claims": {}}
//	                          -> {"token": "..."}
//	POST /admin/end-session   {"subject": "alice"}      -> 204 ([Server.EndSession])
//
// The kind of /admin/token is "access" (the default), "id", or the name of
// a bad token as listed by [Server.BadTokens], such as "expired" or
// "alg none". Errors are JSON {"error": "..."} with status 400.
package issuertest
