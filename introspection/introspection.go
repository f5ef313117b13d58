package introspection

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"

	"github.com/tokengate/tokengate/verifier"
)

// Introspector checks opaque or JWT access tokens by asking the
// authorization server's introspection endpoint (RFC 7662), and caches the
// answers. It implements [verifier.TokenVerifier] and is safe for
// concurrent use. [Introspector.Close] releases it.
type Introspector struct {
	cfg     Config
	results *results
	flights singleflight.Group // one call per token in flight, keyed by its SHA-256

	mu     sync.Mutex     // guards the closed-check-then-calls.Add step
	closed atomic.Bool    // set once, under mu, by Close; read without it
	calls  sync.WaitGroup // calls to the endpoint in flight

	// closing is this introspector's own lifetime, cancelled by Close to
	// abort calls in flight. It is not a caller's context.
	closing context.Context
	stop    context.CancelFunc
}

var _ verifier.TokenVerifier = (*Introspector)(nil)

// errClosed is returned by Verify after Close.
var errClosed = fmt.Errorf("introspection: introspector closed: %w", verifier.ErrUnavailable)

// New checks cfg and returns an Introspector. When cfg.Endpoint is empty
// it finds the endpoint in cfg.Issuer's metadata (RFC 8414 §2
// "introspection_endpoint"); ctx bounds only that fetch and is not kept.
// A configuration error names the field; a failed metadata fetch wraps
// verifier.ErrUnavailable, so the caller may retry.
func New(ctx context.Context, cfg Config) (*Introspector, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if cfg.Endpoint == "" {
		if err := cfg.discoverEndpoint(ctx); err != nil {
			return nil, err
		}
	}
	res, err := newResults(&cfg)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	closing, stop := context.WithCancel(context.Background())
	return &Introspector{cfg: cfg, results: res, closing: closing, stop: stop}, nil
}

// Verify checks token and returns its claims, in this order:
//
//  1. a token that is empty, longer than Config.MaxTokenBytes or not an
//     RFC 6750 §2.1 b64token is refused without a call;
//  2. a live cached result is returned without a call;
//  3. otherwise the endpoint is asked, once for all concurrent callers
//     with the same token, under Config.Timeout. A caller whose ctx ends
//     stops waiting; the call goes on for the others.
//
// A refusal wraps verifier.ErrInvalidToken (verifier.ErrTokenExpired,
// verifier.ErrNotAccessToken where they apply). An endpoint fault wraps
// verifier.ErrUnavailable and is never cached. See the package
// documentation for the checks made on the response.
//
// The returned Claims are the caller's own copy, but their slices and Raw
// are shared with the cache and must not be modified.
func (i *Introspector) Verify(ctx context.Context, token string) (*verifier.Claims, error) {
	if i.closed.Load() {
		return nil, errClosed
	}
	if err := checkSyntax(token, i.cfg.MaxTokenBytes); err != nil {
		return nil, err
	}
	k := keyOf(token)
	if e, ok := i.results.get(k, i.cfg.Now()); ok {
		return handOut(e.claims, e.err)
	}
	return i.wait(ctx, k, token)
}

// wait joins or starts the flight for k and waits for its result or for
// ctx to end. It is apart from Verify so that the cache-hit path does not
// pay for the closure.
func (i *Introspector) wait(ctx context.Context, k key, token string) (*verifier.Claims, error) {
	ch := i.flights.DoChan(string(k[:]), func() (any, error) {
		c, err := i.introspect(ctx, k, token)
		return c, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return handOut(r.Val.(*verifier.Claims), nil)
	case <-ctx.Done():
		return nil, fmt.Errorf("introspection: gave up waiting for the endpoint: %w: %w", verifier.ErrUnavailable, context.Cause(ctx))
	}
}

// handOut gives a caller its own shallow copy of shared claims.
func handOut(c *verifier.Claims, err error) (*verifier.Claims, error) {
	if err != nil {
		return nil, err
	}
	cp := *c
	return &cp, nil
}

// introspect runs in the one flight for k. It keeps ctx's values but not
// its cancellation, so that the first caller leaving does not fail the
// callers who joined; the call is bounded by Config.Timeout and by Close.
func (i *Introspector) introspect(ctx context.Context, k key, token string) (*verifier.Claims, error) {
	i.mu.Lock()
	if i.closed.Load() {
		i.mu.Unlock()
		return nil, errClosed
	}
	i.calls.Add(1)
	i.mu.Unlock()
	defer i.calls.Done()

	// A flight that ended between the caller's cache miss and this one
	// may have left the answer.
	if e, ok := i.results.get(k, i.cfg.Now()); ok {
		return e.claims, e.err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), i.cfg.Timeout)
	defer cancel()
	defer context.AfterFunc(i.closing, cancel)()

	body, err := i.post(ctx, token)
	if err != nil {
		return nil, err
	}
	now := i.cfg.Now()
	v := i.interpret(body, now)
	i.results.put(k, v, now)
	return v.claims, v.err
}

// Close aborts the calls in flight, waits for them to end and drops the
// caches. Verify then fails with an error wrapping
// verifier.ErrUnavailable. The Introspector starts no background
// goroutine; after Close none of its calls is left running. Close is
// idempotent and always returns nil.
func (i *Introspector) Close() error {
	i.mu.Lock()
	if i.closed.Load() {
		i.mu.Unlock()
		return nil
	}
	i.closed.Store(true)
	i.mu.Unlock()

	i.stop()
	i.calls.Wait()
	i.results.purge()
	return nil
}
