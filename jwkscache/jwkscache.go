package jwkscache

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

// Defaults for the zero values of [Config].
const (
	defaultTimeout            = netpolicy.DefaultTimeout
	defaultUnknownKIDWait     = 2 * time.Second
	defaultMinRefreshInterval = time.Minute
	defaultMaxRefreshInterval = time.Hour
	defaultMaxRetryInterval   = 5 * time.Minute
	defaultUnknownKIDCooldown = 30 * time.Second
	defaultMaxStaleness       = 24 * time.Hour
	defaultMaxBodyBytes       = netpolicy.MaxBodyBytes
	defaultMaxKeys            = 100
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

	// HTTPClient makes the fetches. Default: a client with no timeout of
	// its own, since every fetch carries the Timeout deadline; a
	// client's own Timeout, if it has one, caps each fetch as well.
	// Whichever client is used, a redirect to another origin is not
	// followed; the client itself is never modified.
	HTTPClient *http.Client

	// Policy tunes fetching, refreshing and limits; its zero value is the
	// default of each field.
	Policy

	// OnFetch, if set, is called after every fetch (New's first one,
	// periodic, triggered, retried or asked for by Refresh) with its
	// error, nil for a success, once the outcome is in place. It runs on
	// the fetching goroutine and must not block; use it for metrics and
	// logs. Default: none.
	OnFetch func(err error)

	// Now is the clock for every decision (cooldown, staleness, refresh
	// due). Default time.Now.
	Now func() time.Time
}

// Policy is how a [Cache] fetches and refreshes, and what it bounds. It
// holds no address, client or clock, so a verifier can take it to tune the
// cache it builds for an issuer. Every field's zero value is its default.
type Policy struct {
	// Timeout bounds each fetch. Default 10s. Fetches run on a context
	// of their own, never on a caller's.
	Timeout time.Duration

	// UnknownKIDWait bounds how long a lookup of an unknown kid waits for
	// the fetch it started or joined. Default 2s. The fetch itself goes on
	// to Timeout in the background, and its result serves later
	// lookups; the lookup that stopped waiting fails with [ErrUnavailable].
	UnknownKIDWait time.Duration

	// MinRefreshInterval is the lower clamp for a response's freshness
	// lifetime, the refresh interval of a response marked no-cache or
	// no-store, and the first retry delay after a failed fetch. Default 1m.
	MinRefreshInterval time.Duration

	// MaxRefreshInterval is the upper clamp for a response's freshness
	// lifetime, and the refresh interval when a response gives none.
	// Default 1h.
	MaxRefreshInterval time.Duration

	// MaxRetryInterval caps the retry delay after failed fetches, which
	// doubles from MinRefreshInterval per failure in a row. Default 5m, so
	// that a key the issuer removed during an outage stops verifying soon
	// after the issuer is back.
	MaxRetryInterval time.Duration

	// UnknownKIDCooldown is the least time between two fetches triggered
	// by tokens with unknown kids. Fetches made by New, by the periodic
	// refresh, by retries and by [Cache.Refresh] do not count. Default 30s.
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
	// Status.Skipped). At most 4×MaxKeys entries of the document are
	// examined at all. Default 100.
	MaxKeys int
}

// setDefaults checks c and fills in the defaults. Errors name the field.
func (c *Config) setDefaults() error {
	if err := netpolicy.CheckURL("Config.URL", c.URL, c.AllowInsecureHTTP); err != nil {
		return fmt.Errorf("jwkscache: %w", err)
	}
	if err := c.Policy.setDefaults(); err != nil {
		return err
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// setDefaults checks p and fills in the defaults. Errors name the field.
func (c *Policy) setDefaults() error {
	durations := []struct {
		name  string
		field *time.Duration
		def   time.Duration
	}{
		{"Timeout", &c.Timeout, defaultTimeout},
		{"UnknownKIDWait", &c.UnknownKIDWait, defaultUnknownKIDWait},
		{"MinRefreshInterval", &c.MinRefreshInterval, defaultMinRefreshInterval},
		{"MaxRefreshInterval", &c.MaxRefreshInterval, defaultMaxRefreshInterval},
		{"MaxRetryInterval", &c.MaxRetryInterval, defaultMaxRetryInterval},
		{"UnknownKIDCooldown", &c.UnknownKIDCooldown, defaultUnknownKIDCooldown},
		{"MaxStaleness", &c.MaxStaleness, defaultMaxStaleness},
	}
	for _, d := range durations {
		if *d.field < 0 {
			return fmt.Errorf("jwkscache: Config.%s must not be negative, got %v", d.name, *d.field)
		}
		if *d.field == 0 {
			*d.field = d.def
		}
	}
	if c.MinRefreshInterval > c.MaxRefreshInterval {
		return fmt.Errorf("jwkscache: Config.MinRefreshInterval (%v) exceeds Config.MaxRefreshInterval (%v)", c.MinRefreshInterval, c.MaxRefreshInterval)
	}
	if c.MinRefreshInterval > c.MaxRetryInterval {
		return fmt.Errorf("jwkscache: Config.MinRefreshInterval (%v) exceeds Config.MaxRetryInterval (%v)", c.MinRefreshInterval, c.MaxRetryInterval)
	}
	if err := defaultCount("MaxBodyBytes", &c.MaxBodyBytes, defaultMaxBodyBytes); err != nil {
		return err
	}
	return defaultCount("MaxKeys", &c.MaxKeys, defaultMaxKeys)
}

func defaultCount[T int | int64](name string, field *T, def T) error {
	if *field < 0 {
		return fmt.Errorf("jwkscache: Config.%s must not be negative, got %d", name, *field)
	}
	if *field == 0 {
		*field = def
	}
	return nil
}

// Cache keeps an issuer's JSON Web Key Set fresh and serves its keys. It is
// safe for concurrent use. [Cache.Key] reads an immutable snapshot through
// an atomic pointer; it never parses JSON or keys and never locks unless the
// kid is unknown.
type Cache struct {
	cfg    Config
	client *http.Client // cfg.HTTPClient, copied, with same-origin redirects only

	keys atomic.Pointer[keySet] // last good key set; nil until a fetch succeeds
	due  atomic.Int64           // dueAt as UnixNano, read without the lock by Key

	wake chan struct{}  // capacity 1: asks the loop to look at due again
	stop chan struct{}  // closed by Close
	wg   sync.WaitGroup // the loop and every fetch goroutine

	mu            sync.Mutex // guards the fields below
	flight        *flight    // the fetch in progress; nil when none is
	closed        bool
	lastAttempt   time.Time // start of the latest fetch
	lastTriggered time.Time // start of the latest fetch triggered by an unknown kid
	pending       bool      // an unknown kid met in the cooldown wants a fetch at its end
	nextPeriodic  time.Time // when the periodic refresh (or retry) is due
	dueAt         time.Time // the earlier of nextPeriodic and the pending fetch
	lastErr       error     // error of the latest fetch, nil after a success
	failures      int       // fetches failed in a row

	hits, misses atomic.Uint64 // lookups of Key; see Stats
}

// New checks cfg, fills its defaults into a private copy and fetches the key
// set once, waiting for that fetch until it ends or ctx does. ctx is not
// kept: a first fetch still running when ctx ends goes on in the
// background, bounded by cfg.Timeout.
//
// A failed first fetch is not an error: it is reported by [Cache.Status],
// [Cache.Key] returns [ErrUnavailable] until a fetch succeeds, and the cache
// keeps retrying in the background. New fails only for a bad Config.
//
// New starts one goroutine for periodic refresh; [Cache.Close] stops it.
func New(ctx context.Context, cfg Config) (*Cache, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	c := &Cache{
		cfg:    cfg,
		client: netpolicy.Client(cfg.HTTPClient, netpolicy.SameOrigin),
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
	}
	c.mu.Lock()
	f := c.startLocked(cfg.Now(), false)
	c.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
	}
	c.wg.Add(1)
	go c.loop()
	return c, nil
}

// Close stops the background refresh and any fetch in flight, and waits
// for them to end; a concurrent second Close waits as well. It is
// idempotent and always returns nil. After Close, [Cache.Key] still serves
// the keys held (within MaxStaleness) but never fetches again.
func (c *Cache) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.stop)
		if c.flight != nil {
			c.flight.cancel()
		}
	}
	c.mu.Unlock()
	c.wg.Wait()
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
