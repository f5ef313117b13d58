package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/revocation"
)

// Config configures a [Store]. It is passed by value and checked once by
// [New]; every field documents its zero-value default.
type Config struct {
	// Addr is the Redis server's host:port. Required unless Client is
	// set.
	Addr string

	// Password and DB select the account and database on Addr. Default
	// none and 0.
	Password string
	DB       int

	// Client is a go-redis client the caller already has (Sentinel, a
	// cluster client, TLS options): Addr, Password and DB must then be
	// unset, and Close leaves Client open. Its own timeouts and retries
	// apply; keep them short, as a cache must fail fast. With Redis
	// Cluster, put Prefix in braces ("{tokengate}:") so that every key of
	// the store falls in one slot, as its scripts need.
	Client redis.UniversalClient

	// Prefix starts every key and the pub/sub channel, so that APIs that
	// share a Redis do not share entries. Default "tokengate:".
	Prefix string

	// Timeout bounds dialing, and each read and write, of the default
	// client. Default 250ms: a Redis that does not answer costs a miss at
	// most this much.
	Timeout time.Duration

	// Fallback is the replay store used while Redis cannot answer, so that
	// replay protection is then per replica rather than absent. Default:
	// an in-memory store of at most MaxFallbackEntries values.
	Fallback tokengate.ReplayStore

	// MaxFallbackEntries bounds the default Fallback. Default 100_000.
	MaxFallbackEntries int

	// Now is the clock of the replay store. Default time.Now.
	Now func() time.Time

	// Logger receives the events an operator acts on: Redis failing and
	// answering again, at most one line per outage and component; purge
	// messages that are malformed. Default slog.Default(). (go-redis logs
	// its own dial failures through its package logger, redis.SetLogger.)
	Logger *slog.Logger
}

// Store is a Redis-backed store shared by the replicas of an API: an
// [introspection.SharedCache], a [tokengate.ReplayStore] and a
// [revocation.Publisher], with [Store.Subscribe] to receive the purges
// every replica publishes. It is safe for concurrent use. [Store.Close]
// releases it.
type Store struct {
	rdb      redis.UniversalClient
	owned    bool // rdb was made by New, and Close closes it
	prefix   string
	channel  string
	fallback tokengate.ReplayStore
	now      func() time.Time
	log      *slog.Logger

	replayHealth health // of Use, which logs its own outages
	busHealth    health // of Publish and the subscription

	mu         sync.Mutex // guards forgetters, subscribed and closed
	forgetters []revocation.Forgetter
	subscribed bool
	closed     bool

	stop context.CancelFunc // ends the subscription
	done chan struct{}      // closed when the subscription has ended
}

var (
	_ introspection.SharedCache = (*Store)(nil)
	_ tokengate.ReplayStore     = (*Store)(nil)
	_ revocation.Publisher      = (*Store)(nil)

	_ revocation.Forgetter = (*introspection.Introspector)(nil) // what Subscribe is given
)

const (
	defaultPrefix             = "tokengate:"
	defaultTimeout            = 250 * time.Millisecond
	defaultMaxFallbackEntries = 100_000
)

// ErrUnavailable is wrapped by the errors of operations Redis did not
// answer, together with the go-redis or network error.
var ErrUnavailable = errors.New("redisstore: redis unavailable")

// New checks cfg and returns a Store. It does not contact Redis: a Redis
// that is down at start is an outage like any other, and the store works
// from its fallbacks until Redis answers.
func New(cfg Config) (*Store, error) {
	switch {
	case cfg.Client == nil && cfg.Addr == "":
		return nil, errors.New("redisstore: Config.Addr or Config.Client is required")
	case cfg.Client != nil && (cfg.Addr != "" || cfg.Password != "" || cfg.DB != 0):
		return nil, errors.New("redisstore: Config.Addr, Password and DB configure the default client; with Config.Client set, configure the client itself")
	case cfg.Timeout < 0, cfg.MaxFallbackEntries < 0:
		return nil, errors.New("redisstore: Config.Timeout and MaxFallbackEntries must not be negative")
	}
	cfg.Prefix = cmp.Or(cfg.Prefix, defaultPrefix)
	cfg.Timeout = cmp.Or(cfg.Timeout, defaultTimeout)
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Fallback == nil {
		cfg.Fallback = newMemoryReplay(cmp.Or(cfg.MaxFallbackEntries, defaultMaxFallbackEntries), cfg.Now)
	}
	s := &Store{
		rdb: cfg.Client, prefix: cfg.Prefix, channel: cfg.Prefix + "purge",
		fallback: cfg.Fallback, now: cfg.Now, log: cfg.Logger,
		replayHealth: health{what: "replay store", log: cfg.Logger},
		busHealth:    health{what: "revocation bus", log: cfg.Logger},
	}
	if s.rdb == nil {
		s.rdb = redis.NewClient(&redis.Options{
			Addr: cfg.Addr, Password: cfg.Password, DB: cfg.DB,
			DialTimeout: cfg.Timeout, ReadTimeout: cfg.Timeout, WriteTimeout: cfg.Timeout,
			ContextTimeoutEnabled: true,
			MaxRetries:            -1, // a cache fails fast rather than retry into a timeout
			DialerRetries:         1,
			DisableIdentity:       true,
		})
		s.owned = true
	}
	return s, nil
}

// Close ends the subscription, waits for it, and closes the client New
// made. It is idempotent and always returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	stop, done := s.stop, s.done
	s.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if s.owned {
		s.rdb.Close()
	}
	return nil
}

// unavailable wraps a Redis error.
func unavailable(op string, err error) error {
	return fmt.Errorf("redisstore: %s: %w: %w", op, ErrUnavailable, err)
}

// health tracks whether one component's last Redis operation failed, so
// that an outage is logged once when it starts and once when it ends.
type health struct {
	what string
	log  *slog.Logger

	mu   sync.Mutex // guards down
	down bool
}

func (h *health) failed(err error, consequence string) {
	h.mu.Lock()
	first := !h.down
	h.down = true
	h.mu.Unlock()
	if first {
		h.log.Warn("redis not answering: "+h.what+" "+consequence, "cause", err.Error())
	}
}

func (h *health) answered() {
	h.mu.Lock()
	was := h.down
	h.down = false
	h.mu.Unlock()
	if was {
		h.log.Info("redis answering again: " + h.what + " shared again")
	}
}
