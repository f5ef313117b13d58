package dpop

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/internal/netpolicy"
)

// Defaults of a [Config] field left zero.
const (
	DefaultMaxAge        = time.Minute
	DefaultMaxProofBytes = 4096
	DefaultNonceLifetime = 5 * time.Minute
	minNonceKeyBytes     = 32
)

// Config configures a [Checker]. The zero value is valid: a proof of any
// asymmetric algorithm, at most a minute old, remembered in a
// [MemoryStore], and no server nonce.
type Config struct {
	// Algorithms is the allow-list of proof "alg" values, also sent as the
	// algs attribute of the DPoP challenge (RFC 9449 §7.1). Default:
	// every asymmetric algorithm (RS256 ... EdDSA). "none" and the HMAC
	// algorithms are never allowed (RFC 9449 §4.2): a proof is signed with
	// a private key.
	Algorithms []string

	// MaxAge is how long after its "iat" a proof is accepted (RFC 9449
	// §11.1). Default (zero) DefaultMaxAge; at most 5m.
	MaxAge time.Duration

	// Leeway is the clock skew tolerated on "iat", in the future and
	// past MaxAge. Default (zero) 30s; at most 5m. Set it to
	// tokengate.NoLeeway for none.
	Leeway time.Duration

	// Replay remembers the proofs used, for MaxAge plus Leeway after their
	// "iat" (RFC 9449 §11.1). Default: a [MemoryStore] of
	// DefaultReplayEntries, which serves one process; give replicas a
	// shared store.
	Replay tokengate.ReplayStore

	// MaxProofBytes caps the length of a proof, checked before anything is
	// decoded. Default DefaultMaxProofBytes, which holds a proof with an
	// RSA key of 4096 bits.
	MaxProofBytes int

	// RequireNonce makes every proof carry a nonce this server issued
	// (RFC 9449 §9): a proof without one, or with a stale one, is refused
	// with error="use_dpop_nonce" and the nonce to use in the DPoP-Nonce
	// header. Default false.
	RequireNonce bool

	// NonceKey is the secret that makes and checks nonces, at least 32
	// bytes; replicas that share it accept each other's nonces. Default: a
	// random key per Checker. Only with RequireNonce.
	NonceKey []byte

	// NonceLifetime is how often the nonce changes; a nonce is accepted for
	// one to two lifetimes. Default DefaultNonceLifetime. Only with
	// RequireNonce.
	NonceLifetime time.Duration

	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Checker checks DPoP proofs (RFC 9449 §4.3). It implements
// tokengate.DPoPChecker, the seam the HTTP middleware (Guard.DPoP) and the
// gRPC interceptors (Policy.DPoP) take, and is safe for concurrent use.
type Checker struct {
	cfg     Config
	allowed map[string]jwt.SigningMethod
	nonces  *nonces // nil unless Config.RequireNonce
}

var _ tokengate.DPoPChecker = (*Checker)(nil)

// proofMethods maps each algorithm a proof may use to golang-jwt's
// implementation (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864 §2).
var proofMethods = map[string]jwt.SigningMethod{
	"RS256": jwt.SigningMethodRS256, "RS384": jwt.SigningMethodRS384, "RS512": jwt.SigningMethodRS512,
	"PS256": jwt.SigningMethodPS256, "PS384": jwt.SigningMethodPS384, "PS512": jwt.SigningMethodPS512,
	"ES256": jwt.SigningMethodES256, "ES384": jwt.SigningMethodES384, "ES512": jwt.SigningMethodES512,
	"EdDSA": jwt.SigningMethodEdDSA, "Ed25519": jwt.SigningMethodEdDSA,
}

// New checks cfg and returns a Checker. A configuration error names the
// field.
func New(cfg Config) (*Checker, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	c := &Checker{cfg: cfg, allowed: make(map[string]jwt.SigningMethod, len(cfg.Algorithms))}
	for _, alg := range cfg.Algorithms {
		c.allowed[alg] = proofMethods[alg]
	}
	if cfg.RequireNonce {
		c.nonces = &nonces{key: cfg.NonceKey, lifetime: cfg.NonceLifetime, now: cfg.Now}
	}
	return c, nil
}

func (c *Config) setDefaults() error {
	if len(c.Algorithms) == 0 {
		c.Algorithms = netpolicy.AsymmetricAlgorithms()
	}
	c.Algorithms = slices.Clone(c.Algorithms)
	for _, alg := range c.Algorithms {
		if proofMethods[alg] == nil {
			return fmt.Errorf("dpop: Config.Algorithms: %s is not an asymmetric algorithm; a proof is signed with a private key (RFC 9449 §4.2)", netpolicy.Quote(alg))
		}
	}
	if err := durationField("MaxAge", &c.MaxAge, DefaultMaxAge, false); err != nil {
		return err
	}
	if err := durationField("Leeway", &c.Leeway, netpolicy.DefaultLeeway, true); err != nil {
		return err
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Replay == nil {
		c.Replay, _ = NewMemoryStore(MemoryStoreConfig{Now: c.Now})
	}
	switch {
	case c.MaxProofBytes < 0:
		return errors.New("dpop: Config.MaxProofBytes must not be negative")
	case c.MaxProofBytes == 0:
		c.MaxProofBytes = DefaultMaxProofBytes
	}
	return c.nonceDefaults()
}

func (c *Config) nonceDefaults() error {
	if !c.RequireNonce {
		if c.NonceKey != nil || c.NonceLifetime != 0 {
			return errors.New("dpop: Config.NonceKey and Config.NonceLifetime need Config.RequireNonce")
		}
		return nil
	}
	switch {
	case c.NonceKey == nil:
		c.NonceKey = make([]byte, minNonceKeyBytes)
		_, _ = rand.Read(c.NonceKey) // crypto/rand.Read never fails
	case len(c.NonceKey) < minNonceKeyBytes:
		return fmt.Errorf("dpop: Config.NonceKey has %d bytes, want at least %d", len(c.NonceKey), minNonceKeyBytes)
	default:
		c.NonceKey = slices.Clone(c.NonceKey)
	}
	switch {
	case c.NonceLifetime < 0:
		return fmt.Errorf("dpop: Config.NonceLifetime %v must not be negative", c.NonceLifetime)
	case c.NonceLifetime == 0:
		c.NonceLifetime = DefaultNonceLifetime
	}
	return nil
}

// durationField fills a zero duration with def and bounds it by 5m;
// noneAllowed admits tokengate.NoLeeway for zero.
func durationField(name string, d *time.Duration, def time.Duration, noneAllowed bool) error {
	switch {
	case noneAllowed && *d == tokengate.NoLeeway:
		*d = 0
	case *d < 0 || *d > netpolicy.MaxLeeway:
		return fmt.Errorf("dpop: Config.%s %v must be between 0 and %v", name, *d, netpolicy.MaxLeeway)
	case *d == 0:
		*d = def
	}
	return nil
}

// Algorithms returns the allow-list, for the algs attribute of the DPoP
// challenge (RFC 9449 §7.1) and dpop_signing_alg_values_supported
// (RFC 9449 §5.1). The caller gets its own copy.
func (c *Checker) Algorithms() []string { return slices.Clone(c.cfg.Algorithms) }

// Nonce returns the nonce of the current window, for the DPoP-Nonce
// response header (RFC 9449 §9), or "" without Config.RequireNonce.
func (c *Checker) Nonce() string {
	if c.nonces == nil {
		return ""
	}
	return c.nonces.Current()
}

// UseProof records p in the replay store until p.Until (RFC 9449 §11.1).
// A proof used before is refused with an error wrapping
// tokengate.ErrInvalidDPoPProof; a store error wraps
// tokengate.ErrUnavailable, so that a request is never let through
// unchecked.
func (c *Checker) UseProof(ctx context.Context, p Proof) error {
	fresh, err := c.cfg.Replay.Use(ctx, p.ReplayKey, p.Until)
	switch {
	case err != nil && errors.Is(err, tokengate.ErrUnavailable):
		return fmt.Errorf("dpop: replay check: %w", err)
	case err != nil:
		return fmt.Errorf("dpop: replay check: %w: %w", tokengate.ErrUnavailable, err)
	case !fresh:
		return fmt.Errorf("%w (RFC 9449 §11.1): its \"jti\" was seen within the window", binding.ErrProofReplayed)
	}
	return nil
}

// Proof is tokengate.DPoPProof: a proof that passed [Checker.CheckProof],
// for [Checker.UseProof].
type Proof = tokengate.DPoPProof
