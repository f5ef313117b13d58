package jwkscache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults for the zero values of [Config].
const (
	DefaultFetchTimeout       = 10 * time.Second
	DefaultMinRefreshInterval = time.Minute
	DefaultMaxRefreshInterval = time.Hour
	DefaultUnknownKIDCooldown = 30 * time.Second
	DefaultMaxStaleness       = 24 * time.Hour
	DefaultMaxBodyBytes       = 1 << 20
	DefaultMaxKeys            = 100
	DefaultNegativeCacheSize  = 1024
)

// Config configures a [Cache]. It is passed by value and checked by [New];
// every field but URL has a usable zero value.
type Config struct {
	// URL is the issuer's jwks_uri. Required. It must be https, except for
	// loopback hosts (127.0.0.0/8, ::1, localhost) or with AllowInsecureHTTP.
	URL string

	// AllowInsecureHTTP allows a plain http URL on a non-loopback host.
	// Default false.
	AllowInsecureHTTP bool

	// HTTPClient makes the fetches. Default: a client whose Timeout is
	// FetchTimeout. Whichever client is used, a redirect to another origin
	// is not followed; the client itself is never modified.
	HTTPClient *http.Client

	// FetchTimeout bounds each fetch. Default 10s. Fetches run on a context
	// of their own, never on a caller's.
	FetchTimeout time.Duration

	// MinRefreshInterval is the lower clamp for a response's Cache-Control
	// max-age, and the first retry delay after a failed fetch. Default 1m.
	MinRefreshInterval time.Duration

	// MaxRefreshInterval is the upper clamp for max-age, the refresh
	// interval when a response has none, and the longest retry delay.
	// Default 1h.
	MaxRefreshInterval time.Duration

	// UnknownKIDCooldown is the least time between the start of one fetch
	// and a fetch triggered by a token with an unknown kid. Default 30s.
	UnknownKIDCooldown time.Duration

	// MaxStaleness is how long a key set keeps being served after its
	// refresh interval ran out while refreshes fail (RFC 5861 §4
	// stale-if-error). After it, Key returns ErrUnavailable. Default 24h.
	MaxStaleness time.Duration

	// MaxBodyBytes bounds the key set document; a longer one fails the
	// fetch. Default 1 MiB.
	MaxBodyBytes int64

	// MaxKeys bounds the keys kept from one document: the first MaxKeys
	// usable keys, in document order, are kept and the rest skipped (see
	// Status.Skipped). Default 100.
	MaxKeys int

	// NegativeCacheSize bounds how many unknown kids are remembered as
	// absent until the next successful refresh. Default 1024.
	NegativeCacheSize int

	// Now is the clock for every decision (cooldown, staleness, refresh
	// due). Default time.Now.
	Now func() time.Time
}

// setDefaults checks c and fills in the defaults. Errors name the field.
func (c *Config) setDefaults() error {
	if err := checkURL(c.URL, c.AllowInsecureHTTP); err != nil {
		return err
	}
	durations := []struct {
		name  string
		field *time.Duration
		def   time.Duration
	}{
		{"FetchTimeout", &c.FetchTimeout, DefaultFetchTimeout},
		{"MinRefreshInterval", &c.MinRefreshInterval, DefaultMinRefreshInterval},
		{"MaxRefreshInterval", &c.MaxRefreshInterval, DefaultMaxRefreshInterval},
		{"UnknownKIDCooldown", &c.UnknownKIDCooldown, DefaultUnknownKIDCooldown},
		{"MaxStaleness", &c.MaxStaleness, DefaultMaxStaleness},
	}
	for _, d := range durations {
		if *d.field < 0 {
			return fmt.Errorf("jwkscache: Config.%s must not be negative", d.name)
		}
		if *d.field == 0 {
			*d.field = d.def
		}
	}
	if c.MinRefreshInterval > c.MaxRefreshInterval {
		return fmt.Errorf("jwkscache: Config.MinRefreshInterval (%v) exceeds Config.MaxRefreshInterval (%v)", c.MinRefreshInterval, c.MaxRefreshInterval)
	}
	if err := defaultCount("MaxBodyBytes", &c.MaxBodyBytes, DefaultMaxBodyBytes); err != nil {
		return err
	}
	if err := defaultCount("MaxKeys", &c.MaxKeys, DefaultMaxKeys); err != nil {
		return err
	}
	if err := defaultCount("NegativeCacheSize", &c.NegativeCacheSize, DefaultNegativeCacheSize); err != nil {
		return err
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: c.FetchTimeout}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func defaultCount[T int | int64](name string, field *T, def T) error {
	if *field < 0 {
		return fmt.Errorf("jwkscache: Config.%s must not be negative", name)
	}
	if *field == 0 {
		*field = def
	}
	return nil
}

// checkURL enforces https except on loopback hosts (RFC 8252 §8.3 allows
// loopback for local use) or when plain http is explicitly allowed.
func checkURL(raw string, allowHTTP bool) error {
	if raw == "" {
		return errors.New("jwkscache: Config.URL is required")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("jwkscache: Config.URL: %w", err)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("jwkscache: Config.URL: scheme %q is not https", u.Scheme)
	case u.Hostname() == "":
		return errors.New("jwkscache: Config.URL has no host")
	case u.User != nil:
		return errors.New("jwkscache: Config.URL must not carry credentials")
	case u.Scheme == "http" && !allowHTTP && !isLoopback(u.Hostname()):
		return errors.New("jwkscache: Config.URL must be https for a non-loopback host (or set Config.AllowInsecureHTTP)")
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Cache keeps an issuer's JSON Web Key Set fresh and serves its keys. It is
// safe for concurrent use. [Cache.Key] reads an immutable snapshot through
// an atomic pointer; it never parses JSON or keys and never locks unless the
// kid is unknown.
type Cache struct {
	cfg        Config
	client     *http.Client    // cfg.HTTPClient, copied, with same-origin redirects only
	afterFetch func(err error) // test hook, called after each background or collapsed fetch

	keys atomic.Pointer[keySet] // last good key set; nil until a fetch succeeds
	due  atomic.Int64           // UnixNano (cfg.Now) when the loop should fetch next

	group   singleflight.Group
	ctx     context.Context // parent of every fetch after New's; cancelled by Close
	cancel  context.CancelFunc
	fetches sync.WaitGroup // fetches started by join
	wake    chan struct{}  // capacity 1: asks the loop to look at due again
	stop    chan struct{}  // closed by Close
	done    chan struct{}  // closed when the loop returns

	mu           sync.Mutex // guards the fields below
	closed       bool
	inflight     bool      // a fetch registered in group is running
	lastAttempt  time.Time // start of the latest fetch
	nextPeriodic time.Time // when the periodic refresh (or retry) is due
	pendingAt    time.Time // zero, or when a refresh put off by the cooldown runs
	dueAt        time.Time // min(nextPeriodic, pendingAt), mirrored in due
	lastErr      error     // error of the latest fetch, nil after a success
	failures     int       // fetches failed in a row
	neg          negCache
}

// New checks cfg, fills its defaults into a private copy and fetches the key
// set once, bounded by ctx and cfg.FetchTimeout. ctx is not kept.
//
// A failed first fetch is not an error: it is reported by [Cache.Status],
// [Cache.Key] returns [ErrUnavailable] until a fetch succeeds, and the cache
// keeps retrying in the background. New fails only for a bad Config.
//
// New starts one goroutine for periodic refresh; [Cache.Close] stops it.
func New(ctx context.Context, cfg Config) (*Cache, error) {
	return newCache(ctx, cfg, nil)
}

func newCache(ctx context.Context, cfg Config, afterFetch func(error)) (*Cache, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	base, cancel := context.WithCancel(context.Background())
	c := &Cache{
		cfg:        cfg,
		client:     sameOriginClient(cfg.HTTPClient),
		afterFetch: afterFetch,
		ctx:        base,
		cancel:     cancel,
		wake:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		neg:        negCache{size: cfg.NegativeCacheSize},
	}
	c.lastAttempt = cfg.Now()
	fctx, fcancel := context.WithTimeout(ctx, cfg.FetchTimeout)
	set, ttl, err := c.fetch(fctx)
	fcancel()
	c.record(set, ttl, err)
	go c.loop()
	return c, nil
}

// Close stops the background refresh and any fetch in flight, and waits
// for them to end. It is idempotent and always returns nil. After Close,
// [Cache.Key] still serves the keys held (within MaxStaleness) but never
// fetches again.
func (c *Cache) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.done
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	close(c.stop)
	<-c.done
	c.fetches.Wait()
	return nil
}

// Status is a snapshot of a [Cache]'s state, for health checks and logs.
type Status struct {
	// KIDs lists the key IDs held, sorted. Keys without a kid are not listed.
	KIDs []string
	// LastRefresh is when the key set held was fetched; zero if none was.
	LastRefresh time.Time
	// LastAttempt is when the latest fetch started.
	LastAttempt time.Time
	// NextRefresh is when the next background fetch is due.
	NextRefresh time.Time
	// LastError is the error of the latest fetch; nil if it succeeded.
	LastError error
	// Stale reports that the set held is being served past its refresh
	// interval or after its refresh failed.
	Stale bool
	// Available reports whether Key can serve keys now (a set is held and
	// is within MaxStaleness).
	Available bool
	// Skipped says why keys of the held document were not used (at most
	// 16 reasons). Reasons name parameters, never key material.
	Skipped []string
}

// Status reports the cache's state.
func (c *Cache) Status() Status {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.keys.Load()
	st := Status{
		LastAttempt: c.lastAttempt,
		NextRefresh: c.dueAt,
		LastError:   c.lastErr,
		Available:   s.usable(now),
	}
	if s != nil {
		st.KIDs = slices.Clone(s.kids)
		st.LastRefresh = s.fetched
		st.Skipped = slices.Clone(s.skipped)
		st.Stale = c.lastErr != nil || now.After(s.freshUntil)
	}
	return st
}
