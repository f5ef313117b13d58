package verifier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/b64url"
	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/jwkscache"
)

// Config configures a [JWT] verifier. Issuer and Audience are required;
// every other field has a safe default.
type Config struct {
	// Issuer is the issuer identifier; a token's "iss" must equal it
	// exactly (RFC 9068 §4, RFC 8725 §3.8). Required. Unless JWKSURL is set,
	// New discovers the key set's address from Issuer's OpenID Connect or
	// RFC 8414 metadata.
	Issuer string

	// Audience identifies this API; a token's "aud" must contain it
	// (RFC 9068 §4, RFC 8725 §3.9). Required, unless Audiences is set or
	// NoAudience is.
	Audience string

	// Audiences lists further identifiers of this API: a token's "aud"
	// must contain at least one of Audience and Audiences. Default: none.
	Audiences []string

	// NoAudience waives the audience check for a provider whose access
	// tokens carry no "aud" (Amazon Cognito): a token is then refused if
	// it has an "aud". It needs Check, which must tell this API's tokens
	// apart another way (a client_id allow-list); New refuses NoAudience
	// with Audience, Audiences or without Check. Default false.
	NoAudience bool

	// IssuerAliases lists other spellings of Issuer that a token's "iss"
	// may carry, such as Google's "accounts.google.com"; discovery and
	// keys are Issuer's. Default: none.
	IssuerAliases []string

	// Check, if set, runs once every built-in check has passed, with the
	// verified claims: a provider's own claims (Cognito's token_use,
	// Entra's ver and tid). It may set Claims.ClientID from where the
	// provider puts the client (Okta's "cid"). An error refuses the token;
	// one that wraps no ErrInvalidToken is wrapped with it. Default: none.
	Check func(c *Claims) error

	// TokenKind, if set, replaces the claim-based detection of tokens
	// that are not access tokens (see the package documentation) for
	// tokens not typed "at+jwt": it returns nil for an access token and
	// an error for any other, which is wrapped with ErrNotAccessToken.
	// Keycloak's "typ" claim and Cognito's token_use say it better than
	// the default heuristics. Default: the heuristics.
	TokenKind func(c *Claims) error

	// JWKSURL is the issuer's JSON Web Key Set. Default: the "jwks_uri" of
	// the issuer's metadata.
	JWKSURL string

	// Algorithms is the allow-list of "alg" values. Default:
	// DefaultAlgorithms() (asymmetric only). "none" is never allowed; HS256,
	// HS384 and HS512 only when listed here and HMACSecret is set.
	Algorithms []string

	// HMACSecret is a shared secret for HS256/HS384/HS512 tokens, of at
	// least 32 bytes (RFC 7518 §3.2). Default: none. When every listed
	// algorithm is an HMAC one, no key set is fetched.
	HMACSecret []byte

	// Leeway is the clock skew tolerated, the same for "exp", "nbf" and
	// "iat". Default (zero) 30s; at most 5m. Set it to [NoLeeway] for none.
	Leeway time.Duration

	// RequireAccessTokenType makes the verifier accept only tokens whose
	// header "typ" is "at+jwt" (RFC 9068 §2.1, §4). Default false: tokens
	// typed "JWT" or untyped are also accepted unless their claims mark them
	// as ID, refresh or logout tokens. See the package documentation.
	RequireAccessTokenType bool

	// MaxTokenBytes caps the token length, checked before any decoding.
	// Default 8192.
	MaxTokenBytes int

	// AllowInsecureHTTP allows plain-http issuer and JWKS URLs on hosts
	// other than loopback. Default false.
	AllowInsecureHTTP bool

	// HTTPClient fetches discovery metadata and keys. Default: a client
	// with no timeout of its own: every call carries a deadline (10s for
	// discovery, KeyPolicy.Timeout for a key fetch). A client's own
	// Timeout, if it has one, caps each call as well.
	HTTPClient *http.Client

	// Keys is where verification keys come from. Default: a
	// *jwkscache.Cache of JWKSURL (or of the issuer's jwks_uri), made with
	// HTTPClient, AllowInsecureHTTP, KeyPolicy and Now, and closed by
	// [JWT.Close]. A source set here is the caller's: JWKSURL and
	// KeyPolicy must then be unset, and Close leaves the source alone.
	Keys KeySource

	// KeyPolicy tunes the default key cache (fetch timeout, refresh
	// intervals, unknown-kid cooldown and wait, limits); its zero value
	// is jwkscache's defaults.
	KeyPolicy jwkscache.Policy

	// Logger receives the events an operator acts on, never a token: a
	// failed discovery or key set fetch at Warn, at most one line per cause
	// a minute, and the first success after one at Info. Default:
	// slog.Default().
	Logger *slog.Logger

	// Observer, if set, is told of every discovery and key set fetch, for
	// metrics and traces (package otelgate). Default: none.
	Observer tokengate.Observer

	// TokenCacheSize bounds the cache of verified tokens, in entries: a
	// token that passed every check is remembered, keyed by its exact
	// string, and the next Verify of it only re-checks "exp", "nbf" and
	// "iat" against the clock and that its key is still in the key set.
	// When inserting would evict another token, a token enters at its
	// second verification. Default (zero) 10,000; negative turns the cache
	// off. See the package documentation for the bounds, the admission of
	// tokens and what an entry costs.
	TokenCacheSize int

	// TokenCacheBytes bounds the same cache in bytes, as each entry's
	// upper bound of the memory it keeps alive counts them (at most 3.25
	// times the token's length plus 768 bytes and 16 per "aud" and scope
	// value). Default (zero) 32 MiB; negative is an error.
	TokenCacheBytes int64

	// Now is the clock. Default time.Now.
	Now func() time.Time
}

const (
	defaultLeeway        = netpolicy.DefaultLeeway
	maxLeeway            = netpolicy.MaxLeeway
	defaultMaxTokenBytes = netpolicy.DefaultMaxTokenBytes
	minHMACSecretBytes   = 32
)

// JWT verifies signed JWT access tokens locally, against the issuer's key
// set. It is safe for concurrent use. Close stops its background key
// refresh.
type JWT struct {
	cfg     Config
	allowed map[string]jwt.SigningMethod // Config.Algorithms
	headers headerCache
	keys    KeySource   // hmacSource in front when Config.HMACSecret is set
	owned   *issuerKeys // the default source New made, which Close stops; nil for Config.Keys
	tokens  *tokenCache // verified tokens; nil when Config.TokenCacheSize is negative

	// versions is the asymmetric key source when it can say that a key
	// left its set (the default source, a *jwkscache.Cache); nil otherwise.
	versions keyVersions
}

var _ TokenVerifier = (*JWT)(nil)

// New checks cfg, finds the issuer's key set and fetches it once. ctx
// bounds only that start-up work (discovery and the first key fetch); it
// is not kept.
//
// New fails only for a configuration error: a field out of range, a URL
// that is not https, metadata naming another issuer, metadata without a
// jwks_uri. An issuer that cannot be reached is not one: New returns, and
// the verifier keeps trying in the background (discovery and the key set
// alike, after KeyPolicy.MinRefreshInterval, doubling up to
// KeyPolicy.MaxRetryInterval, and when a request finds no key, at most
// once per KeyPolicy.UnknownKIDCooldown). Until it has keys, Verify
// returns ErrUnavailable (503 with Retry-After) and [JWT.Ready] says why,
// so a service starts while its issuer is down and serves once the issuer
// is back, instead of crash-looping. A service that must not start
// without its issuer calls Ready after New and stops on its error.
func New(ctx context.Context, cfg Config) (*JWT, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	v := &JWT{cfg: cfg, allowed: make(map[string]jwt.SigningMethod), keys: cfg.Keys,
		tokens: newTokenCache(cfg.TokenCacheSize, cfg.TokenCacheBytes)}
	for _, alg := range cfg.Algorithms {
		v.allowed[alg] = methods[alg]
	}
	if v.keys == nil && !cfg.onlyHMAC() {
		sw := &sweeper{tokens: v.tokens}
		keys, err := newIssuerKeys(ctx, &v.cfg, sw.fetched)
		if err != nil {
			return nil, err
		}
		v.keys, v.owned = keys, keys
		sw.src.Store(keys)
	}
	v.versions, _ = v.keys.(keyVersions)
	if len(cfg.HMACSecret) > 0 {
		v.keys = hmacSource{secret: cfg.HMACSecret, next: v.keys}
	}
	return v, nil
}

func (c *Config) setDefaults() error {
	if c.Issuer == "" {
		return errors.New("verifier: Config.Issuer is required")
	}
	if err := c.checkAudiences(); err != nil {
		return err
	}
	if err := netpolicy.CheckURL("Config.Issuer", c.Issuer, c.AllowInsecureHTTP); err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	if len(c.Algorithms) == 0 {
		c.Algorithms = defaultAlgorithms
	}
	c.Algorithms = append([]string(nil), c.Algorithms...)
	for _, alg := range c.Algorithms {
		if methods[alg] == nil {
			return fmt.Errorf("verifier: Config.Algorithms: %q is not a supported algorithm", alg)
		}
		if hmacAlgorithms[alg] && len(c.HMACSecret) < minHMACSecretBytes {
			return fmt.Errorf("verifier: Config.Algorithms lists %s, which needs Config.HMACSecret of at least %d bytes", alg, minHMACSecretBytes)
		}
	}
	switch {
	case c.Leeway == NoLeeway:
		c.Leeway = 0
	case c.Leeway < 0 || c.Leeway > maxLeeway:
		return fmt.Errorf("verifier: Config.Leeway %v must be between 0 and %v, or NoLeeway", c.Leeway, maxLeeway)
	case c.Leeway == 0:
		c.Leeway = defaultLeeway
	}
	if c.Keys != nil && (c.JWKSURL != "" || c.KeyPolicy != (jwkscache.Policy{})) {
		return errors.New("verifier: Config.JWKSURL and Config.KeyPolicy configure the default key cache; with Config.Keys set, configure the source itself")
	}
	if c.MaxTokenBytes < 0 {
		return errors.New("verifier: Config.MaxTokenBytes must not be negative")
	}
	if c.MaxTokenBytes == 0 {
		c.MaxTokenBytes = defaultMaxTokenBytes
	}
	if c.TokenCacheSize == 0 {
		c.TokenCacheSize = defaultTokenCacheSize
	}
	switch {
	case c.TokenCacheBytes < 0:
		return errors.New("verifier: Config.TokenCacheBytes must not be negative")
	case c.TokenCacheBytes == 0:
		c.TokenCacheBytes = defaultTokenCacheBytes
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func (c *Config) onlyHMAC() bool {
	for _, alg := range c.Algorithms {
		if !hmacAlgorithms[alg] {
			return false
		}
	}
	return true
}

// Close stops the background refresh of the key cache New made (and
// discovery, if it was still being retried), waits for it, and empties the
// cache of verified tokens. Verify keeps working with the keys held,
// checking every token from scratch. A Config.Keys source is the caller's
// to close.
func (v *JWT) Close() error {
	if v.tokens != nil {
		v.tokens.purge(true)
	}
	if v.owned == nil {
		return nil
	}
	return v.owned.close()
}

// Verify checks token and returns its claims. The checks run in this
// order, so that no claim is believed before the signature is checked
// (CVE-2024-51744):
//
//  1. size cap and compact serialization shape, before any decoding;
//  2. header: "alg" in the allow-list, no "crit", a "typ" of an access
//     token or none (RFC 9068 §2.1);
//  3. signature, with the key the header's "kid" names; "jku", "x5u",
//     "jwk" and "x5c" are never used (RFC 8725 §3.10);
//  4. claims: not an ID, refresh or logout token; "iss" equal to
//     Config.Issuer (or one of its IssuerAliases); "aud" containing
//     Config.Audience or one of Config.Audiences; "exp" present and not
//     passed; "nbf" and "iat" not in the future, each with the same
//     leeway; then Config.Check, if set;
//  5. "cnf" against the request's DPoP proof or TLS client certificate,
//     which the middleware passes along (RFC 9449 §6.1, RFC 8705 §3); a
//     token with "cnf" called without them is refused with
//     ErrSenderConstrained (RFC 9449 §7.2).
//
// A token that passed them all is cached: verified again, it is accepted
// after the clock checks of step 4, a check that its key is still in the
// key set, and the check of step 5 against this request's proof, and
// refused by the full checks otherwise. Config.Check runs once, before a
// token is cached. The claims returned are read-only (see Claims): every
// Verify of one cached token returns the same *Claims.
func (v *JWT) Verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > v.cfg.MaxTokenBytes {
		return nil, errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "token of %d bytes is longer than MaxTokenBytes %d", len(token), v.cfg.MaxTokenBytes)
	}
	var th uint64 // the token's hash in the cache: its lookup, admission and insert
	if v.tokens != nil {
		th = v.tokens.hash(token)
	}
	if c, cnf := v.cached(token, th); c != nil {
		// The binding belongs to the request, not to the token: checked
		// on every one, cached token or not (RFC 9449 §7.2).
		if err := checkConfirmation(ctx, cnf); err != nil {
			return nil, err
		}
		return c, nil
	}
	headSeg, payloadSeg, sigSeg, ok := split(token)
	if !ok {
		return nil, errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "token is not a compact JWS of three parts (it has %d dots)", strings.Count(token, "."))
	}
	h := v.headers.get(headSeg)
	cached := h != nil
	if !cached {
		var err error
		if h, err = v.parseHeader(headSeg); err != nil {
			return nil, err
		}
	}
	key, err := v.checkSignature(ctx, h, token[:len(headSeg)+1+len(payloadSeg)], sigSeg)
	if err != nil {
		return nil, err
	}
	if !cached {
		v.headers.put(headSeg, h)
	}
	// A token that may enter the cache (see tokenCache.admits) gets its
	// entry below, with room for the claims its hits will share, and a
	// copy of the token in the payload's allocation.
	admitted := v.tokens != nil && v.tokens.admits(th)
	p, ok := decodePayload(payloadSeg, token, admitted)
	if !ok {
		return nil, errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "payload is not canonical base64url (RFC 7515 §2)")
	}
	// The claims returned, and the array their Audience and Scopes go in
	// when they fit, are allocated with the cache entry of a token that
	// may be cached, or together otherwise.
	var e *cacheEntry
	var out *Claims
	var spare []string
	if admitted {
		e = &cacheEntry{hash: th}
		out, spare = &e.shared, e.spare[:]
	} else {
		b := new(claimsBox)
		out, spare = &b.claims, b.spare[:]
	}
	var s claimset.Set
	if err := claimset.ParseText(p.raw, p.text, &s, spare); err != nil {
		return nil, errorf(ErrMalformedToken, errors.Join(jwt.ErrTokenMalformed, err), "malformed claims")
	}
	if !h.accessTyped {
		if err := v.checkKind(&s); err != nil {
			return nil, err
		}
	}
	if err := v.checkClaims(&s); err != nil {
		return nil, err
	}
	cnf, err := checkBinding(ctx, s.Confirmation)
	if err != nil {
		return nil, err // RFC 9449 §6.1, §7.2; RFC 8705 §3
	}
	*out = Claims(s.Registered)
	if out, err = v.finish(out); err != nil {
		return nil, err
	}
	v.remember(e, p.token, h, key, out, cnf)
	return out, nil
}

// claimsBox is the claims of a token that is not cached, with room for
// their Audience and Scopes.
type claimsBox struct {
	claims Claims
	spare  [spareStrings]string
}

// spareStrings is how many "aud" and scope values fit beside the claims
// without an allocation of their own.
const spareStrings = 4

// payload is a decoded payload segment: raw, the bytes (Claims.Raw);
// text, the same bytes as a string, which the claim strings are cut from;
// and token, a copy of the token the cache can keep, when asked for.
type payload struct {
	raw   []byte
	text  string
	token string
}

// decodePayload decodes seg as decodeSegment does, into one allocation
// that holds, side by side, the token (when keepToken), raw and text.
// raw's capacity ends where text begins, so an append to Raw copies, and
// writing into Raw cannot reach text or the token, which no one else has a
// slice of and are never written again.
func decodePayload(seg, token string, keepToken bool) (payload, bool) {
	n, t := b64url.DecodedLen(len(seg)), 0
	if keepToken {
		t = len(token)
	}
	buf := make([]byte, t+2*n)
	m, ok := b64url.Decode(buf[t:t+n], seg)
	if !ok {
		return payload{}, false
	}
	p := payload{raw: buf[t : t+m : t+m]}
	if m > 0 {
		text := buf[t+n : t+n+m]
		copy(text, p.raw)
		p.text = unsafe.String(&text[0], m)
	}
	if t > 0 {
		copy(buf, token)
		p.token = unsafe.String(&buf[0], t)
	}
	return p, true
}

// decodeSegment decodes one segment of a compact JWS: unpadded base64url,
// with zero spare bits and no other characters (RFC 7515 §2), so that a
// signed token has one spelling only (RFC 7515 §5.2, RFC 4648 §3.5); see
// package b64url.
func decodeSegment(seg string) ([]byte, bool) {
	b := make([]byte, b64url.DecodedLen(len(seg)))
	n, ok := b64url.Decode(b, seg)
	return b[:n], ok
}

// checkSignature verifies the signature over signingInput with the key
// the header names. "jku", "x5u", "jwk" and "x5c" are never consulted.
// It returns the key that verified it.
func (v *JWT) checkSignature(ctx context.Context, h *header, signingInput, sigSeg string) (any, error) {
	var buf [maxSignatureBytes]byte
	sig, ok := decodeSignature(&buf, sigSeg)
	if !ok {
		return nil, errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "signature missing or not canonical base64url (RFC 7515 §2)")
	}
	key, err := v.key(ctx, h)
	if err != nil {
		return nil, err
	}
	if err := verifySignature(h, signingInput, sig, key); err != nil {
		return nil, errorf(ErrBadSignature, errors.Join(jwt.ErrTokenSignatureInvalid, err), "%s signature does not verify with the key of kid %s", h.alg, quote(h.kid))
	}
	return key, nil
}

// key returns the verification key for a token with header h.
func (v *JWT) key(ctx context.Context, h *header) (any, error) {
	k, err := v.keys.Key(ctx, h.kid, h.alg)
	switch {
	case errors.Is(err, jwkscache.ErrUnavailable), errors.Is(err, ErrUnavailable):
		return nil, errorf(ErrUnavailable, err, "no key to check kid %s alg %s", quote(h.kid), h.alg)
	case err != nil:
		return nil, errorf(ErrInvalidToken, errors.Join(jwt.ErrTokenUnverifiable, err), "no key for kid %s alg %s", quote(h.kid), h.alg)
	}
	return k, nil
}

// checkClaims checks the registered claims with one leeway (RFC 7519 §4.1,
// RFC 9068 §4). Each error also wraps golang-jwt's matching sentinel.
func (v *JWT) checkClaims(s *claimset.Set) error {
	now, leeway := v.cfg.Now(), v.cfg.Leeway
	switch {
	case s.Issuer != v.cfg.Issuer && !slices.Contains(v.cfg.IssuerAliases, s.Issuer):
		return errorf(ErrWrongIssuer, jwt.ErrTokenInvalidIssuer, "token \"iss\" is %s, want %s", quote(s.Issuer), quote(v.cfg.Issuer))
	case !v.audienceOK(s.Audience):
		return v.audienceError(s.Audience)
	case s.ExpiresAt.IsZero():
		return errorf(ErrInvalidToken, jwt.ErrTokenRequiredClaimMissing, "token has no \"exp\"")
	case !now.Before(s.ExpiresAt.Add(leeway)):
		return errorf(ErrTokenExpired, jwt.ErrTokenExpired, "token \"exp\" %s has passed: it is %s (leeway %v)", stamp(s.ExpiresAt), stamp(now), leeway)
	case !s.NotBefore.IsZero() && now.Add(leeway).Before(s.NotBefore):
		return errorf(ErrNotYetValid, jwt.ErrTokenNotValidYet, "token \"nbf\" %s is in the future: it is %s (leeway %v)", stamp(s.NotBefore), stamp(now), leeway)
	case !s.IssuedAt.IsZero() && now.Add(leeway).Before(s.IssuedAt):
		return errorf(ErrNotYetValid, jwt.ErrTokenUsedBeforeIssued, "token \"iat\" %s is in the future: it is %s (leeway %v)", stamp(s.IssuedAt), stamp(now), leeway)
	}
	return nil
}
