package introspection

import (
	"crypto"
	"log/slog"
	"net/http"
	"time"

	"github.com/tokengate/tokengate"
)

// Config configures an [Introspector]. It is passed by value and checked
// once by [New]; every field documents its zero-value default.
type Config struct {
	// Endpoint is the introspection endpoint (RFC 7662 §2). Default: the
	// "introspection_endpoint" of Issuer's metadata (RFC 8414 §2), which
	// New fetches. It must be https, except on a loopback host or when
	// AllowInsecureHTTP is set.
	Endpoint string

	// Issuer is the authorization server's issuer identifier. Optional when
	// Endpoint is set, required otherwise. When set, an "iss" member in an
	// introspection response must equal it exactly; a response without
	// "iss" is accepted.
	Issuer string

	// ClientID is this resource server's client identifier at the
	// endpoint (RFC 7662 §2.1). Required, except with AuthMethod "none",
	// where it is sent as the client_id parameter when set.
	ClientID string

	// ClientSecret is the client's secret, for AuthMethod
	// "client_secret_basic" and "client_secret_post", where it is
	// required; it must be empty for the other methods.
	ClientSecret string

	// AuthMethod is how the client authenticates to the endpoint, by its
	// RFC 8414 §2 token_endpoint_auth_methods_supported name:
	//
	//   - "client_secret_basic": HTTP Basic (RFC 6749 §2.3.1), the default;
	//   - "client_secret_post": client_id and client_secret form parameters;
	//   - "private_key_jwt": a JWT signed with PrivateKey (RFC 7523 §2.2,
	//     RFC 7521 §4.2), as ZITADEL and Okta ask of APIs;
	//   - "none": no client authentication, for an endpoint that needs
	//     none (ORY Hydra's admin port on a private network). It must be
	//     set explicitly.
	AuthMethod string

	// PrivateKey signs the client assertions of AuthMethod
	// "private_key_jwt", where it is required: an *rsa.PrivateKey (2048
	// bits or more, RS256), an *ecdsa.PrivateKey (P-256, P-384 or P-521:
	// ES256, ES384, ES512) or an ed25519.PrivateKey (EdDSA). It must be nil
	// for the other methods.
	PrivateKey crypto.Signer

	// PrivateKeyID is the "kid" header of the client assertions, naming
	// PrivateKey's public key as registered at the authorization server.
	// Default: no "kid".
	PrivateKeyID string

	// AssertionAudience is the "aud" of the client assertions. Default:
	// Issuer when set (as draft-ietf-oauth-rfc7523bis asks), else
	// Endpoint.
	AssertionAudience string

	// Audience is the identifier of this API: an active token's "aud" (a
	// string or an array) must contain it, and a response that names no
	// token type counts as an access token only if it does (see the
	// package documentation). Required unless AnyAudience is set: an
	// unchecked audience is what lets a refresh token, or a token for
	// another API, through.
	Audience string

	// AnyAudience waives the audience check, for an authorization server
	// whose access tokens carry no audience. A response must then say
	// that it is an access token ("token_type" or "token_use"). It must
	// not be set together with Audience. Default false.
	AnyAudience bool

	// AllowInsecureHTTP allows a plain-http Endpoint or Issuer on hosts
	// other than loopback. Default false. The client credentials and every
	// token would cross the network in clear text.
	AllowInsecureHTTP bool

	// CacheSize bounds the cache of active results, in entries. Zero
	// disables caching: every Verify asks the endpoint, though concurrent
	// checks of one token still share a call (and refused tokens are still
	// cached if NegativeCacheSize is set). Negative is an error.
	CacheSize int

	// NegativeCacheSize bounds the separate cache of refused tokens, so
	// that a spray of junk tokens cannot push active ones out. Default:
	// CacheSize. Negative disables negative caching.
	NegativeCacheSize int

	// MaxCacheTTL caps how long an active result is reused; an entry lives
	// min(exp - now, MaxCacheTTL). It is the longest delay before a
	// revocation at the issuer takes effect here. Default 5m.
	MaxCacheTTL time.Duration

	// NegativeCacheTTL is how long a refused token's result is reused.
	// Default 10s.
	NegativeCacheTTL time.Duration

	// Timeout bounds each call to the endpoint, whatever the caller's
	// context says. Default 10s.
	Timeout time.Duration

	// MaxConcurrentCalls bounds the calls to the endpoint in flight at
	// once. Default 64. A call over the bound waits up to MaxQueueWait for
	// a slot, then Verify answers verifier.ErrUnavailable. Negative is an
	// error.
	MaxConcurrentCalls int

	// MaxQueueWait is how long a call waits for one of the
	// MaxConcurrentCalls slots, on the real clock. Default 1s. Negative is
	// an error.
	MaxQueueWait time.Duration

	// NewTokenRate bounds the calls per second for tokens this
	// Introspector has not seen active, with bursts of as many: tokens
	// neither cached nor held in the active cache as an expired entry. A
	// call over the bound is not made: Verify answers
	// verifier.ErrUnavailable, so a spray of junk tokens costs the
	// authorization server at most NewTokenRate calls a second, while the
	// re-checks of tokens seen active are not counted. Measured on Now.
	// Default 100 when CacheSize is set; with CacheSize 0 nothing tells a
	// known token from a new one, every call would count, and the default
	// is no bound. Negative removes the bound.
	NewTokenRate int

	// FailureBackoff protects a failing endpoint. After a failed call (a
	// 5xx, a timeout, a refused connection, a faulty answer) one probe
	// call at a time is let through and every other Verify that needs a
	// call answers verifier.ErrUnavailable without calling. After a second
	// failure in a row no call is made for FailureBackoff, then one probe
	// again; each further failure doubles the pause, up to
	// MaxFailureBackoff; an answer ends it. So a lone failure costs no one
	// a pause, and an endpoint that is down gets one call per pause.
	// Measured on Now. Default 1s.
	FailureBackoff time.Duration

	// MaxFailureBackoff caps FailureBackoff's growth. Default 30s, and at
	// least FailureBackoff.
	MaxFailureBackoff time.Duration

	// MaxBodyBytes caps an introspection response body. Default 1 MiB.
	MaxBodyBytes int64

	// MaxTokenBytes caps the token length; longer tokens are refused
	// without a call. Default 8192, as the JWT verifier's.
	MaxTokenBytes int

	// Leeway is the clock skew tolerated when checking "exp" and "nbf".
	// Default (zero) 30s, as the JWT verifier's; at most 5m;
	// tokengate.NoLeeway for none.
	Leeway time.Duration

	// HTTPClient makes the calls to the endpoint and the discovery fetch.
	// Default: a client whose Timeout is Timeout. Redirects are never
	// followed, whatever the client's CheckRedirect (New uses a shallow
	// copy): following one would send the token and the client
	// credentials to another address.
	HTTPClient *http.Client

	// Logger receives the events an operator acts on, never a token: the
	// endpoint failing and answering again, and answers that say our
	// request is malformed. There is at most one line per failure
	// interval, never one per request. Default slog.Default().
	Logger *slog.Logger

	// Observer, if set, is told of every call to the endpoint and every
	// discovery fetch, for metrics and traces (package otelgate). A call
	// runs within the decision of the request that made it, so its span is
	// that request's child. Default: none.
	Observer tokengate.Observer
	// SharedCache, when set, is a cache of results the replicas of this
	// API share, behind the process cache (see [SharedCache]; package
	// redisstore has one on Redis): a process miss looks there before
	// calling, and concurrent misses of one new token across replicas wait
	// for one call. Default none: each replica calls for itself.
	SharedCache SharedCache

	// SharedSecret keys the shared cache: its keys are HMAC-SHA-256 of
	// the tokens and its entries are sealed with AES-256-GCM, both under
	// keys derived from this secret, so that read access to the store
	// yields neither tokens nor claims and cannot test guesses, and write
	// access cannot forge an answer. At least 32 random bytes, the same at every replica, kept as
	// secret as the client credentials. Required with SharedCache, unused
	// without.
	SharedSecret []byte

	// SharedTimeout bounds each operation on the shared cache, so that a
	// store that hangs costs a miss at most this much. Default 250ms.
	SharedTimeout time.Duration

	// SharedLockWait bounds how long, on the real clock, a replica waits
	// for another replica's call for the same token before calling
	// itself. Default 1s.
	SharedLockWait time.Duration

	// Now is the clock. Default time.Now.
	Now func() time.Time
}
