package verifier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/internal/claimset"
)

// MultiConfig configures a [Multi] verifier. At least one of Issuers and
// Resolve is required.
type MultiConfig struct {
	// Issuers are the trusted issuers. Each is checked as a [JWT] of that
	// Config checks it, with its own discovery, key source, audiences,
	// algorithms and hooks, so a key of one issuer never verifies a token
	// of another. Each Issuer (and each of its IssuerAliases) must be
	// distinct. Nothing is fetched until a token names the issuer.
	Issuers []Config

	// Resolve, if set, is asked for the Config of an "iss" that is not
	// one of Issuers: the way to trust a multi-tenant provider's tenants
	// (Entra's https://login.microsoftonline.com/{tenant}/v2.0) through a
	// decision the program makes, such as a tenant allow-list or a lookup
	// of its own customers. It returns nil and no error for an issuer it
	// does not trust, which is refused without any outbound request. The
	// returned Config's Issuer must equal iss. An error means the decision
	// cannot be made now (503), unless it wraps ErrInvalidToken (401).
	//
	// iss is attacker-controlled: Resolve must look it up, never build a
	// URL from it unchecked. The issuers it accepts are kept, at most
	// MaxResolved, the least recently used dropped first; refusals are not
	// kept, so Resolve runs for every token of an untrusted issuer and
	// must be cheap. Default: none, only Issuers are trusted.
	Resolve func(ctx context.Context, iss string) (*Config, error)

	// MaxResolved bounds the issuers from Resolve kept at once.
	// Default 100.
	MaxResolved int

	// MaxTokenBytes caps the token length, checked before "iss" is read.
	// Default 8192. Each issuer's own Config.MaxTokenBytes applies too.
	MaxTokenBytes int

	// RetryAfter is how long an issuer whose setup failed (a configuration
	// error: verifier.New fails for nothing else) is not set up again; its
	// tokens get ErrUnavailable meanwhile, and other issuers are not
	// affected. An issuer that is down is set up anyway and retried by its
	// own verifier, within its key cooldown. Default 10s.
	RetryAfter time.Duration

	// Now is the clock of the retry delay. Default time.Now. Each issuer's
	// Config.Now is its own.
	Now func() time.Time
}

const (
	defaultMaxResolved = 100
	defaultMultiRetry  = 10 * time.Second
	// maxIssuerBytes bounds the "iss" read before the signature: issuer
	// identifiers are URLs of a few dozen bytes.
	maxIssuerBytes = 2048
	// buildTimeout bounds the setup of one issuer (discovery and the first
	// key fetch, each of which has its own shorter deadline).
	buildTimeout = 30 * time.Second
)

// Multi verifies JWT access tokens of several issuers. It reads a token's
// "iss" before the signature only to choose the issuer's verifier, which
// then checks everything, "iss" included, as a [JWT] does; an "iss" that
// is not trusted is refused without any outbound request. Each issuer is
// set up (discovered, its keys fetched) once, when the first token names
// it; concurrent tokens wait for the same setup, and an issuer whose
// setup fails answers ErrUnavailable while the others keep working.
//
// Multi is a TokenVerifier, so middleware.Require and the gRPC
// interceptors take it as they take a JWT. It is safe for concurrent use.
type Multi struct {
	cfg   MultiConfig
	fixed map[string]*issuer // Issuers and their aliases; read-only after NewMulti
	names string             // the trusted issuers, quoted, for refusals
	all   []*issuer          // Issuers, each once; read-only after NewMulti

	mu       sync.Mutex // guards resolved, lru, inflight, closed
	resolved map[string]*issuer
	lru      []*issuer // resolved issuers, least recently used first
	inflight map[*issuer]context.CancelFunc
	closed   bool
	builds   sync.WaitGroup
}

var _ TokenVerifier = (*Multi)(nil)

// NewMulti checks cfg and returns a verifier for its issuers. It contacts
// no issuer: each is discovered when a token first names it.
func NewMulti(cfg MultiConfig) (*Multi, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	m := &Multi{cfg: cfg, fixed: make(map[string]*issuer), resolved: make(map[string]*issuer), inflight: make(map[*issuer]context.CancelFunc)}
	for i, c := range cfg.Issuers {
		checked := c
		if err := checked.setDefaults(); err != nil {
			return nil, fmt.Errorf("verifier: MultiConfig.Issuers[%d]: %w", i, err)
		}
		is := &issuer{cfg: c, name: c.Issuer}
		m.all = append(m.all, is)
		for _, name := range append([]string{c.Issuer}, checked.IssuerAliases...) {
			if _, dup := m.fixed[name]; dup {
				return nil, fmt.Errorf("verifier: MultiConfig.Issuers[%d]: issuer %q is listed twice", i, name)
			}
			m.fixed[name] = is
		}
	}
	names := make([]string, 0, len(m.all))
	for _, is := range m.all {
		names = append(names, is.name)
	}
	m.names = quoteList(names)
	if cfg.Resolve != nil {
		m.names += " or one MultiConfig.Resolve trusts"
	}
	return m, nil
}

func (c *MultiConfig) setDefaults() error {
	switch {
	case len(c.Issuers) == 0 && c.Resolve == nil:
		return errors.New("verifier: MultiConfig needs Issuers or Resolve")
	case c.MaxResolved < 0, c.MaxTokenBytes < 0, c.RetryAfter < 0:
		return errors.New("verifier: MultiConfig.MaxResolved, MaxTokenBytes and RetryAfter must not be negative")
	}
	c.Issuers = append([]Config(nil), c.Issuers...)
	if c.MaxResolved == 0 {
		c.MaxResolved = defaultMaxResolved
	}
	if c.MaxTokenBytes == 0 {
		c.MaxTokenBytes = defaultMaxTokenBytes
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = defaultMultiRetry
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// MaxTokenBytes returns the token length cap (MultiConfig.MaxTokenBytes),
// so that the middleware in front of m applies the same cap.
func (m *Multi) MaxTokenBytes() int { return m.cfg.MaxTokenBytes }

// Verify reads the token's "iss", picks that issuer's verifier and lets
// it check the token. The refusals before the choice, each without any
// outbound request: a token too long or not a compact JWS, a payload that
// is not a JSON object, an "iss" missing, not a string, repeated or longer
// than 2048 bytes ([ErrMalformedToken]), an "iss" that is not trusted
// ([ErrWrongIssuer]).
func (m *Multi) Verify(ctx context.Context, token string) (*Claims, error) {
	iss, err := m.peekIssuer(token)
	if err != nil {
		return nil, err
	}
	is, err := m.lookup(ctx, iss)
	if err != nil {
		return nil, err
	}
	v, err := m.verifierOf(ctx, is)
	if err != nil {
		return nil, err
	}
	return v.Verify(ctx, token)
}

// peekIssuer returns the "iss" of token's payload, unverified: it is used
// to choose, never believed.
func (m *Multi) peekIssuer(token string) (string, error) {
	if len(token) > m.cfg.MaxTokenBytes {
		return "", errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "token of %d bytes is longer than MaxTokenBytes %d", len(token), m.cfg.MaxTokenBytes)
	}
	_, payloadSeg, _, ok := split(token)
	if !ok {
		return "", errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "token is not a compact JWS of three parts (it has %d dots)", strings.Count(token, "."))
	}
	payload, ok := decodeSegment(payloadSeg)
	if !ok {
		return "", errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "payload is not canonical base64url (RFC 7515 §2)")
	}
	var raw string
	n := 0
	err := claimset.Members(payload, func(name, value string) error {
		if name == "iss" {
			raw, n = value, n+1
		}
		return nil
	})
	switch {
	case err != nil:
		return "", errorf(ErrMalformedToken, errors.Join(jwt.ErrTokenMalformed, err), "payload is not a JSON object")
	case n == 0 || raw == "null":
		return "", errorf(ErrMalformedToken, jwt.ErrTokenRequiredClaimMissing, "token has no \"iss\", so no issuer can be chosen")
	case n > 1:
		return "", errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "token has %d \"iss\" members; want one", n)
	case raw[0] != '"':
		return "", errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "token \"iss\" is not a string")
	case len(raw) > maxIssuerBytes:
		return "", errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "token \"iss\" of %d bytes is longer than %d", len(raw), maxIssuerBytes)
	}
	iss, err := claimset.String("iss", raw)
	if err != nil {
		return "", errorf(ErrMalformedToken, errors.Join(jwt.ErrTokenMalformed, err), "token \"iss\" is malformed")
	}
	return iss, nil
}

// lookup returns the issuer named iss: one of Issuers, or one Resolve
// trusts.
func (m *Multi) lookup(ctx context.Context, iss string) (*issuer, error) {
	if is := m.fixed[iss]; is != nil {
		return is, nil
	}
	if m.cfg.Resolve == nil {
		return nil, m.untrusted(iss)
	}
	if is := m.recent(iss); is != nil {
		return is, nil
	}
	cfg, err := m.cfg.Resolve(ctx, iss)
	switch {
	case errors.Is(err, ErrInvalidToken):
		return nil, err
	case err != nil:
		return nil, errorf(ErrUnavailable, err, "MultiConfig.Resolve could not decide on \"iss\" %s", quote(iss))
	case cfg == nil:
		return nil, m.untrusted(iss)
	case cfg.Issuer != iss:
		return nil, errorf(ErrUnavailable, nil, "MultiConfig.Resolve answered \"iss\" %s with Config.Issuer %s; they must be equal", quote(iss), quote(cfg.Issuer))
	}
	checked := *cfg
	if err := checked.setDefaults(); err != nil {
		return nil, errorf(ErrUnavailable, err, "MultiConfig.Resolve gave a bad Config for %s", quote(iss))
	}
	return m.keep(&issuer{cfg: *cfg, name: iss}), nil
}

func (m *Multi) untrusted(iss string) error {
	return errorf(ErrWrongIssuer, jwt.ErrTokenInvalidIssuer, "token \"iss\" is %s, which is not a trusted issuer: want one of %s", quote(iss), m.names)
}

// Close stops the background work of every issuer set up so far and of
// those being set up, and waits for it. Verify keeps working for issuers
// already set up, with the keys held.
func (m *Multi) Close() error {
	m.mu.Lock()
	m.closed = true
	for _, cancel := range m.inflight {
		cancel()
	}
	var built []*JWT
	for _, is := range append(slices.Clone(m.all), m.lru...) {
		if v := is.ready.Load(); v != nil {
			built = append(built, v)
		}
	}
	m.mu.Unlock()
	m.builds.Wait()
	var errs []error
	for _, v := range built {
		errs = append(errs, v.Close())
	}
	return errors.Join(errs...)
}
