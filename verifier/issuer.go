package verifier

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/discovery"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/internal/oplog"
	"github.com/tokengate/tokengate/internal/retry"
	"github.com/tokengate/tokengate/jwkscache"
)

// issuerKeys is the default key source: the key set at Config.JWKSURL, or
// at the jwks_uri the issuer's metadata names. When the metadata cannot be
// had at New (the issuer is down), New still returns: the source is
// pending, discovery is retried in the background, and every lookup until
// then is ErrUnavailable (503), so that a service starts without its
// issuer instead of crash-looping.
type issuerKeys struct {
	cfg     *Config
	changed func() // called after each fetch that installed a key set; may be nil
	sink    oplog.Sink
	held    atomic.Pointer[keySet] // nil until the cache is made
	later   *retry.Value[*keySet]  // nil unless discovery failed at New
	policy  jwkscache.Policy       // KeyPolicy with its defaults
}

// keySet is the cache of the key set at url.
type keySet struct {
	cache *jwkscache.Cache
	url   string
}

// newIssuerKeys finds the key set and starts its cache, within ctx. A
// configuration error is returned at once; a discovery that fails for any
// other reason leaves the source pending.
func newIssuerKeys(ctx context.Context, c *Config, changed func()) (*issuerKeys, error) {
	policy, err := c.KeyPolicy.WithDefaults()
	if err != nil {
		return nil, fmt.Errorf("verifier: Config.KeyPolicy: %w", err)
	}
	k := &issuerKeys{cfg: c, changed: changed, policy: policy, sink: oplog.Sink{Log: oplog.New(c.Logger, c.Now), Obs: c.Observer}}
	if c.JWKSURL != "" {
		if err := netpolicy.CheckURL("Config.JWKSURL", c.JWKSURL, c.AllowInsecureHTTP); err != nil {
			return nil, fmt.Errorf("verifier: %w", err)
		}
		return k, k.start(ctx, c.JWKSURL)
	}
	jwksURL, err := k.discover(ctx)
	switch {
	case err == nil:
		return k, k.start(ctx, jwksURL)
	case !errors.Is(err, ErrUnavailable):
		return nil, err // a configuration error: retrying will not mend it
	}
	k.later = retry.Start(retry.Config{
		MinDelay: policy.MinRefreshInterval, MaxDelay: policy.MaxRetryInterval,
		Cooldown: policy.UnknownKIDCooldown, Wait: policy.UnknownKIDWait,
		Timeout: policy.Timeout, Now: c.Now,
	}, err, k.retry)
	return k, nil
}

// retry is one later attempt: discovery, then the cache.
func (k *issuerKeys) retry(ctx context.Context) (*keySet, error) {
	jwksURL, err := k.discover(ctx)
	if err != nil {
		return nil, err
	}
	if err := k.start(ctx, jwksURL); err != nil {
		return nil, err
	}
	return k.held.Load(), nil
}

// discover finds the key set's address in the issuer's metadata. An error
// wraps ErrUnavailable unless it is a configuration error: metadata
// naming another issuer (OpenID Connect Discovery §4.3, RFC 8414 §3.3),
// no jwks_uri, a jwks_uri that is not https.
func (k *issuerKeys) discover(ctx context.Context) (string, error) {
	c := k.cfg
	start := c.Now()
	md, err := discovery.Fetch(ctx, c.Issuer, c.HTTPClient)
	switch {
	case errors.Is(err, discovery.ErrIssuerMismatch):
		err = fmt.Errorf("verifier: Config.Issuer %s: %w", quote(c.Issuer), err)
	case err != nil:
		err = fmt.Errorf("verifier: finding the key set of %s: %w: %w", quote(c.Issuer), ErrUnavailable, err)
	case md.JWKSURI == "":
		err = fmt.Errorf("verifier: the metadata of %s has no jwks_uri; set Config.JWKSURL", quote(c.Issuer))
	default:
		err = netpolicy.CheckURL("jwks_uri", md.JWKSURI, c.AllowInsecureHTTP)
		if err != nil {
			err = fmt.Errorf("verifier: the metadata of %s: %w", quote(c.Issuer), err)
		}
	}
	k.report(tokengate.OpDiscovery, c.Issuer, start, err)
	if err != nil {
		return "", err
	}
	return md.JWKSURI, nil
}

// start makes the key cache for jwksURL; its first fetch is waited for
// within ctx and, failed, is retried by the cache itself.
func (k *issuerKeys) start(ctx context.Context, jwksURL string) error {
	c := k.cfg
	started := c.Now()
	cache, err := jwkscache.New(ctx, jwkscache.Config{
		URL: jwksURL, AllowInsecureHTTP: c.AllowInsecureHTTP, HTTPClient: c.HTTPClient,
		Policy: c.KeyPolicy, Now: c.Now,
		OnFetch: func(err error) {
			begun := started
			if held := k.held.Load(); held != nil {
				begun = held.cache.Status().LastAttempt
			}
			k.report(tokengate.OpKeyFetch, jwksURL, begun, err)
			if err == nil && k.changed != nil {
				k.changed()
			}
		},
	})
	if err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	k.held.Store(&keySet{cache: cache, url: jwksURL})
	return nil
}

// report emits the event of a fetch that started at start.
func (k *issuerKeys) report(op tokengate.Op, url string, start time.Time, err error) {
	e := tokengate.Event{Op: op, Outcome: tokengate.OutcomeOK, Err: err, URL: url, Issuer: k.cfg.Issuer, Start: start, Duration: k.cfg.Now().Sub(start)}
	if err != nil {
		e.Outcome = tokengate.OutcomeError
	}
	k.sink.End(context.Background(), e)
}

// Key returns the key from the cache, or ErrUnavailable while discovery
// is pending. A lookup while pending may start a discovery attempt, as an
// unknown kid starts a key set fetch: if none was started by a lookup
// within KeyPolicy.UnknownKIDCooldown, and it waits for it at most
// KeyPolicy.UnknownKIDWait.
func (k *issuerKeys) Key(ctx context.Context, kid, alg string) (any, error) {
	held, err := k.keySet(ctx)
	if err != nil {
		return nil, fmt.Errorf("verifier: the key set of %s is not known yet: discovery has not succeeded: %w: %w", quote(k.cfg.Issuer), ErrUnavailable, err)
	}
	return held.cache.Key(ctx, kid, alg)
}

// keySet returns the cache, or, while discovery is pending, what
// retry.Value.Get says.
func (k *issuerKeys) keySet(ctx context.Context) (*keySet, error) {
	if held := k.held.Load(); held != nil {
		return held, nil
	}
	return k.later.Get(ctx)
}

// ready reports whether the key set is held and usable. While discovery
// is pending it may start an attempt, as Key does.
func (k *issuerKeys) ready(ctx context.Context) error {
	held, err := k.keySet(ctx)
	if err != nil {
		_, attempts := k.later.Status()
		return fmt.Errorf("verifier: issuer %s not ready: its metadata could not be had (%d attempts; the last: %w)", quote(k.cfg.Issuer), attempts, err)
	}
	if st := held.cache.Status(); !st.Available {
		return fmt.Errorf("verifier: issuer %s not ready: no usable key set from %s (the last fetch: %v)", quote(k.cfg.Issuer), quote(held.url), st.LastError)
	}
	return nil
}

// stats returns the key set's lookup counts, once the cache is made.
func (k *issuerKeys) stats() (jwkscache.Stats, bool) {
	if held := k.held.Load(); held != nil {
		return held.cache.Stats(), true
	}
	return jwkscache.Stats{}, false
}

// close stops the discovery retries and the cache.
func (k *issuerKeys) close() error {
	if k.later != nil {
		k.later.Close()
	}
	if held := k.held.Load(); held != nil {
		return held.cache.Close()
	}
	return nil
}

// Generation is the generation of the key set held (jwkscache.Cache), 0
// while discovery is pending: with Holds, what lets the verified-token
// cache drop a token whose key left the set.
func (k *issuerKeys) Generation() uint64 {
	if held := k.held.Load(); held != nil {
		return held.cache.Generation()
	}
	return 0
}

// Holds reports whether the key set held serves pub under kid for alg;
// never while discovery is pending.
func (k *issuerKeys) Holds(kid, alg string, pub crypto.PublicKey) (uint64, time.Time, bool) {
	if held := k.held.Load(); held != nil {
		return held.cache.Holds(kid, alg, pub)
	}
	return 0, time.Time{}, false
}
