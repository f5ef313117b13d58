package introspection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/discovery"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/internal/oplog"
)

const (
	authBasic         = "client_secret_basic"
	authPost          = "client_secret_post"
	authPrivateKeyJWT = "private_key_jwt"
	authNone          = "none"

	defaultMaxCacheTTL        = 5 * time.Minute
	defaultNegativeCacheTTL   = 10 * time.Second
	defaultTimeout            = netpolicy.DefaultTimeout
	defaultMaxConcurrentCalls = 64
	defaultMaxQueueWait       = time.Second
	defaultNewTokenRate       = 100
	defaultFailureBackoff     = time.Second
	defaultMaxFailureBackoff  = 30 * time.Second
	defaultMaxBodyBytes       = netpolicy.MaxBodyBytes
	defaultMaxTokenBytes      = netpolicy.DefaultMaxTokenBytes
	defaultSharedTimeout      = 250 * time.Millisecond
	defaultSharedLockWait     = time.Second
	defaultLeeway             = netpolicy.DefaultLeeway
	maxLeeway                 = netpolicy.MaxLeeway
)

// setDefaults checks c and fills in its defaults. It does not touch the
// network.
func (c *Config) setDefaults() error {
	switch {
	case c.Endpoint == "" && c.Issuer == "":
		return errors.New("introspection: Config.Endpoint or Config.Issuer is required")
	case c.Audience == "" && !c.AnyAudience:
		return errors.New("introspection: Config.Audience is required (an unchecked audience lets refresh tokens and tokens for other APIs through); set Config.AnyAudience to waive the check explicitly")
	case c.Audience != "" && c.AnyAudience:
		return fmt.Errorf("introspection: Config.Audience %s and Config.AnyAudience are both set; set one", quote(c.Audience))
	}
	if err := c.checkAuth(); err != nil {
		return err
	}
	if err := c.checkURLs(); err != nil {
		return err
	}
	if err := c.setLimits(); err != nil {
		return err
	}
	if err := c.checkShared(); err != nil {
		return err
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.HTTPClient = netpolicy.Client(c.HTTPClient, netpolicy.NoRedirects) // a redirect would carry the token and our credentials elsewhere
	return nil
}

// checkAuth checks that the credentials fit AuthMethod, and that nothing
// is configured that the method would silently not send.
func (c *Config) checkAuth() error {
	if c.AuthMethod == "" {
		c.AuthMethod = authBasic
	}
	m := quote(c.AuthMethod)
	switch c.AuthMethod {
	case authBasic, authPost:
		switch {
		case c.ClientID == "":
			return fmt.Errorf("introspection: Config.ClientID is required with Config.AuthMethod %s", m)
		case c.ClientSecret == "":
			return fmt.Errorf("introspection: Config.ClientSecret is required with Config.AuthMethod %s", m)
		case c.PrivateKey != nil:
			return fmt.Errorf("introspection: Config.PrivateKey is set but Config.AuthMethod is %s; set AuthMethod %q", m, authPrivateKeyJWT)
		}
	case authPrivateKeyJWT:
		switch {
		case c.ClientID == "":
			return fmt.Errorf("introspection: Config.ClientID is required with Config.AuthMethod %s", m)
		case c.ClientSecret != "":
			return fmt.Errorf("introspection: Config.ClientSecret is set but Config.AuthMethod %s does not send it", m)
		}
		if _, err := assertionMethod(c.PrivateKey); err != nil {
			return err
		}
	case authNone:
		if c.ClientSecret != "" || c.PrivateKey != nil {
			return fmt.Errorf("introspection: Config.ClientSecret or PrivateKey is set but Config.AuthMethod %s sends no credentials", m)
		}
	default:
		return fmt.Errorf("introspection: Config.AuthMethod %s must be %q, %q, %q or %q", m, authBasic, authPost, authPrivateKeyJWT, authNone)
	}
	return nil
}

func (c *Config) checkURLs() error {
	if c.Endpoint != "" {
		if err := netpolicy.CheckURL("Config.Endpoint", c.Endpoint, c.AllowInsecureHTTP); err != nil {
			return fmt.Errorf("introspection: %w", err)
		}
	}
	if c.Issuer != "" {
		if err := netpolicy.CheckURL("Config.Issuer", c.Issuer, c.AllowInsecureHTTP); err != nil {
			return fmt.Errorf("introspection: %w", err)
		}
	}
	return nil
}

// setLimits checks the sizes and durations: negative is an error (except
// where a field says it disables something), zero takes the default.
func (c *Config) setLimits() error {
	switch {
	case c.CacheSize < 0:
		return errors.New("introspection: Config.CacheSize must not be negative")
	case c.MaxCacheTTL < 0, c.NegativeCacheTTL < 0, c.Timeout < 0:
		return errors.New("introspection: Config.MaxCacheTTL, NegativeCacheTTL and Timeout must not be negative")
	case c.MaxConcurrentCalls < 0, c.MaxQueueWait < 0:
		return errors.New("introspection: Config.MaxConcurrentCalls and MaxQueueWait must not be negative")
	case c.FailureBackoff < 0, c.MaxFailureBackoff < 0:
		return errors.New("introspection: Config.FailureBackoff and MaxFailureBackoff must not be negative")
	case c.MaxBodyBytes < 0, c.MaxTokenBytes < 0:
		return errors.New("introspection: Config.MaxBodyBytes and MaxTokenBytes must not be negative")
	case c.Leeway == tokengate.NoLeeway:
	case c.Leeway < 0 || c.Leeway > maxLeeway:
		return fmt.Errorf("introspection: Config.Leeway %v must be between 0 and %v, or tokengate.NoLeeway", c.Leeway, maxLeeway)
	}
	if c.NegativeCacheSize == 0 {
		c.NegativeCacheSize = c.CacheSize
	}
	setDefault(&c.MaxCacheTTL, defaultMaxCacheTTL)
	setDefault(&c.NegativeCacheTTL, defaultNegativeCacheTTL)
	setDefault(&c.Timeout, defaultTimeout)
	setDefault(&c.MaxConcurrentCalls, defaultMaxConcurrentCalls)
	setDefault(&c.MaxQueueWait, defaultMaxQueueWait)
	if c.NewTokenRate == 0 && c.CacheSize == 0 {
		c.NewTokenRate = -1 // nothing tells a known token from a new one
	}
	setDefault(&c.NewTokenRate, defaultNewTokenRate)
	setDefault(&c.FailureBackoff, defaultFailureBackoff)
	setDefault(&c.MaxFailureBackoff, defaultMaxFailureBackoff)
	c.MaxFailureBackoff = max(c.MaxFailureBackoff, c.FailureBackoff)
	setDefault(&c.MaxBodyBytes, defaultMaxBodyBytes)
	setDefault(&c.MaxTokenBytes, defaultMaxTokenBytes)
	setDefault(&c.Leeway, defaultLeeway)
	if c.Leeway == tokengate.NoLeeway {
		c.Leeway = 0
	}
	return nil
}

// checkShared checks the shared cache settings.
func (c *Config) checkShared() error {
	switch {
	case c.SharedTimeout < 0, c.SharedLockWait < 0:
		return errors.New("introspection: Config.SharedTimeout and SharedLockWait must not be negative")
	case c.SharedCache == nil && len(c.SharedSecret) > 0:
		return errors.New("introspection: Config.SharedSecret is set but Config.SharedCache is not")
	case c.SharedCache != nil && len(c.SharedSecret) < minSharedSecret:
		return fmt.Errorf("introspection: Config.SharedSecret has %d bytes, want at least %d random bytes shared by the replicas", len(c.SharedSecret), minSharedSecret)
	}
	c.SharedSecret = append([]byte(nil), c.SharedSecret...)
	setDefault(&c.SharedTimeout, defaultSharedTimeout)
	setDefault(&c.SharedLockWait, defaultSharedLockWait)
	return nil
}

func setDefault[T time.Duration | int | int64](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// discover returns the endpoint from the issuer's metadata, and reports
// the fetch (OpDiscovery). An error wraps tokengate.ErrUnavailable, except
// a configuration error, which retrying will not mend: metadata naming
// another issuer (RFC 8414 §3.3), without an introspection_endpoint, or
// with one that is not https.
func (c *Config) discover(ctx context.Context) (string, error) {
	start := c.Now()
	ep, err := c.fetchEndpoint(ctx)
	e := tokengate.Event{Op: tokengate.OpDiscovery, Outcome: tokengate.OutcomeOK, Err: err, URL: c.Issuer, Issuer: c.Issuer, Start: start, Duration: c.Now().Sub(start)}
	if err != nil {
		e.Outcome = tokengate.OutcomeError
	}
	oplog.Sink{Log: oplog.New(c.Logger, c.Now), Obs: c.Observer}.End(context.Background(), e)
	return ep, err
}

func (c *Config) fetchEndpoint(ctx context.Context) (string, error) {
	md, err := discovery.Fetch(ctx, c.Issuer, c.HTTPClient)
	switch {
	case errors.Is(err, discovery.ErrIssuerMismatch):
		return "", fmt.Errorf("introspection: Config.Issuer %s: %w", quote(c.Issuer), err)
	case err != nil:
		return "", fmt.Errorf("introspection: finding the introspection endpoint of %s: %w: %w", quote(c.Issuer), tokengate.ErrUnavailable, err)
	case md.IntrospectionEndpoint == "":
		return "", fmt.Errorf("introspection: the metadata of %s has no introspection_endpoint (RFC 8414 §2); set Config.Endpoint", quote(c.Issuer))
	}
	if err := netpolicy.CheckURL("introspection_endpoint", md.IntrospectionEndpoint, c.AllowInsecureHTTP); err != nil {
		return "", fmt.Errorf("introspection: metadata of %s: %w", quote(c.Issuer), err)
	}
	return md.IntrospectionEndpoint, nil
}
