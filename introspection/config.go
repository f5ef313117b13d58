package introspection

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tokengate/tokengate/internal/discovery"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/verifier"
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

	// ClientID and ClientSecret are this resource server's credentials at
	// the introspection endpoint (RFC 7662 §2.1). Both required.
	ClientID     string
	ClientSecret string

	// AuthMethod is how the credentials are sent: "client_secret_basic"
	// (HTTP Basic, RFC 6749 §2.3.1) or "client_secret_post" (form
	// parameters). Default "client_secret_basic".
	AuthMethod string

	// Audience, when set, must be one of the response's "aud" values (a
	// string or an array). Default: the audience is not checked.
	Audience string

	// AllowInsecureHTTP allows a plain-http Endpoint or Issuer on hosts
	// other than loopback. Default false. The client secret and every
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

	// MaxBodyBytes caps an introspection response body. Default 1 MiB.
	MaxBodyBytes int64

	// MaxTokenBytes caps the token length; longer tokens are refused
	// without a call. Default 8192, as the JWT verifier's.
	MaxTokenBytes int

	// Leeway is the clock skew tolerated when checking "exp" and "nbf".
	// Default 30s (as the JWT verifier's); at most 5m.
	Leeway time.Duration

	// HTTPClient makes the calls to the endpoint and the discovery fetch.
	// Default: a client whose Timeout is Timeout. Redirects are never
	// followed, whatever the client's CheckRedirect (New uses a shallow
	// copy): following one would send the token and the client secret to
	// another address.
	HTTPClient *http.Client

	// Now is the clock. Default time.Now.
	Now func() time.Time
}

const (
	authBasic = "client_secret_basic"
	authPost  = "client_secret_post"

	defaultMaxCacheTTL      = 5 * time.Minute
	defaultNegativeCacheTTL = 10 * time.Second
	defaultTimeout          = 10 * time.Second
	defaultMaxBodyBytes     = 1 << 20
	defaultMaxTokenBytes    = 8192
	defaultLeeway           = 30 * time.Second
	maxLeeway               = 5 * time.Minute
)

// setDefaults checks c and fills in its defaults. It does not touch the
// network.
func (c *Config) setDefaults() error {
	switch {
	case c.ClientID == "":
		return errors.New("introspection: Config.ClientID is required")
	case c.ClientSecret == "":
		return errors.New("introspection: Config.ClientSecret is required")
	case c.Endpoint == "" && c.Issuer == "":
		return errors.New("introspection: Config.Endpoint or Config.Issuer is required")
	}
	switch c.AuthMethod {
	case "":
		c.AuthMethod = authBasic
	case authBasic, authPost:
	default:
		return fmt.Errorf("introspection: Config.AuthMethod %q must be %q or %q", c.AuthMethod, authBasic, authPost)
	}
	if err := c.checkURLs(); err != nil {
		return err
	}
	if err := c.setLimits(); err != nil {
		return err
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.HTTPClient = noRedirects(c.HTTPClient, c.Timeout)
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

// setLimits checks the sizes and durations: negative is an error, zero
// takes the default.
func (c *Config) setLimits() error {
	switch {
	case c.CacheSize < 0:
		return errors.New("introspection: Config.CacheSize must not be negative")
	case c.MaxCacheTTL < 0, c.NegativeCacheTTL < 0, c.Timeout < 0:
		return errors.New("introspection: Config.MaxCacheTTL, NegativeCacheTTL and Timeout must not be negative")
	case c.MaxBodyBytes < 0, c.MaxTokenBytes < 0:
		return errors.New("introspection: Config.MaxBodyBytes and MaxTokenBytes must not be negative")
	case c.Leeway < 0 || c.Leeway > maxLeeway:
		return fmt.Errorf("introspection: Config.Leeway %v must be between 0 and %v", c.Leeway, maxLeeway)
	}
	if c.NegativeCacheSize == 0 {
		c.NegativeCacheSize = c.CacheSize
	}
	setDefault(&c.MaxCacheTTL, defaultMaxCacheTTL)
	setDefault(&c.NegativeCacheTTL, defaultNegativeCacheTTL)
	setDefault(&c.Timeout, defaultTimeout)
	setDefault(&c.MaxBodyBytes, defaultMaxBodyBytes)
	setDefault(&c.MaxTokenBytes, defaultMaxTokenBytes)
	setDefault(&c.Leeway, defaultLeeway)
	return nil
}

func setDefault[T time.Duration | int | int64](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// noRedirects returns a shallow copy of client (or a new client with the
// given timeout) that returns a redirect response instead of following it.
func noRedirects(client *http.Client, timeout time.Duration) *http.Client {
	var c http.Client
	if client != nil {
		c = *client
	} else {
		c.Timeout = timeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return &c
}

// discoverEndpoint fills c.Endpoint from the issuer's metadata.
func (c *Config) discoverEndpoint(ctx context.Context) error {
	md, err := discovery.Fetch(ctx, c.Issuer, c.HTTPClient)
	if err != nil {
		return fmt.Errorf("introspection: finding the introspection endpoint of %q: %w: %w", c.Issuer, verifier.ErrUnavailable, err)
	}
	if md.IntrospectionEndpoint == "" {
		return fmt.Errorf("introspection: the metadata of %q has no introspection_endpoint (RFC 8414 §2); set Config.Endpoint", c.Issuer)
	}
	if err := netpolicy.CheckURL("introspection_endpoint", md.IntrospectionEndpoint, c.AllowInsecureHTTP); err != nil {
		return fmt.Errorf("introspection: metadata of %q: %w", c.Issuer, err)
	}
	c.Endpoint = md.IntrospectionEndpoint
	return nil
}
