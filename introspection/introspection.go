package introspection

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/internal/oplog"
	"github.com/tokengate/tokengate/internal/retry"
)

// Introspector checks opaque or JWT access tokens by asking the
// authorization server's introspection endpoint (RFC 7662), and caches the
// answers. It implements [tokengate.TokenVerifier] and is safe for
// concurrent use. [Introspector.Close] releases it.
type Introspector struct {
	cfg     Config
	signing signer // of the client assertions, for private_key_jwt
	results *results
	shared  *shared            // nil without Config.SharedCache
	flights singleflight.Group // one call per token in flight, keyed by its SHA-256

	breaker   *breaker
	newTokens *bucket       // nil: no bound on calls for new tokens
	slots     chan struct{} // one per call in flight, up to Config.MaxConcurrentCalls
	log       *oplog.Logger // Config.Logger, rate-limited
	sink      oplog.Sink    // log and Config.Observer
	endpoint  atomic.Pointer[string]
	later     *retry.Value[string] // nil unless discovery failed at New

	hits, misses atomic.Uint64 // lookups of the result caches; see CacheStats

	mu     sync.Mutex     // guards the closed-check-then-calls.Add step
	closed atomic.Bool    // set once, under mu, by Close; read without it
	calls  sync.WaitGroup // calls to the endpoint in flight

	// closing is this introspector's own lifetime, cancelled by Close to
	// abort calls in flight. It is not a caller's context.
	closing context.Context
	stop    context.CancelFunc
}

var _ tokengate.TokenVerifier = (*Introspector)(nil)

// errClosed is returned by Verify after Close.
var errClosed = fmt.Errorf("introspection: introspector closed: %w", tokengate.ErrUnavailable)

// New checks cfg and returns an Introspector. ctx bounds New's calls and
// is not kept:
//
//  1. when cfg.Endpoint is empty, New finds the endpoint in cfg.Issuer's
//     metadata (RFC 8414 §2 "introspection_endpoint"). Metadata naming
//     another issuer, or no usable endpoint, is a configuration error. An
//     issuer that cannot be reached is not: New returns, discovery is
//     retried in the background (after Config.FailureBackoff, doubling up
//     to Config.MaxFailureBackoff, and when a Verify needs the endpoint,
//     at most once per FailureBackoff), and until it succeeds Verify
//     returns an error wrapping tokengate.ErrUnavailable (503) and
//     [Introspector.Ready] says why, so that a service starts while its
//     issuer is down;
//  2. New introspects a random string that is no token, to check the
//     credentials: an endpoint that refuses them (401, 403 or
//     "invalid_client") is a configuration error naming Config.ClientID
//     and Config.AuthMethod. Any other outcome, an unreachable endpoint
//     included, does not fail New.
//
// A configuration error names the field.
func New(ctx context.Context, cfg Config) (*Introspector, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	var discoveryErr error
	if cfg.Endpoint == "" {
		if cfg.Endpoint, discoveryErr = cfg.discover(ctx); discoveryErr != nil && !errors.Is(discoveryErr, tokengate.ErrUnavailable) {
			return nil, discoveryErr // a configuration error: retrying will not mend it
		}
	}
	if cfg.AssertionAudience == "" {
		cfg.AssertionAudience = cmp.Or(cfg.Issuer, cfg.Endpoint)
	}
	res, err := newResults(&cfg)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	closing, stop := context.WithCancel(context.Background())
	in := &Introspector{
		cfg: cfg, results: res, shared: newShared(&cfg), closing: closing, stop: stop,
		newTokens: newBucket(cfg.NewTokenRate, cfg.Now()),
		slots:     make(chan struct{}, cfg.MaxConcurrentCalls),
		log:       oplog.New(cfg.Logger, cfg.Now),
	}
	in.sink = oplog.Sink{Log: in.log, Obs: cfg.Observer}
	in.breaker = &breaker{base: cfg.FailureBackoff, cap: cfg.MaxFailureBackoff, log: in.log, endpoint: in.endpointURL}
	if cfg.AuthMethod == authPrivateKeyJWT {
		in.signing, _ = assertionMethod(cfg.PrivateKey) // checked by setDefaults
	}
	if discoveryErr != nil {
		in.startLater(discoveryErr)
		return in, nil
	}
	in.endpoint.Store(&in.cfg.Endpoint)
	if err := in.checkCredentials(ctx); err != nil {
		stop()
		return nil, err
	}
	return in, nil
}

// Verify checks token and returns its claims, in this order:
//
//  1. a token that is empty, longer than Config.MaxTokenBytes or not an
//     RFC 6750 §2.1 b64token is refused without a call;
//  2. a live cached result is returned without a call;
//  3. otherwise the endpoint is asked, once for all concurrent callers
//     with the same token, under Config.Timeout, within the bounds that
//     protect it (the breaker, Config.NewTokenRate and
//     Config.MaxConcurrentCalls). A caller whose ctx ends stops waiting;
//     the call goes on for the others.
//
// A refusal wraps tokengate.ErrInvalidToken, and the finer sentinel where
// one applies (tokengate.ErrTokenExpired, ErrNotYetValid, ErrWrongIssuer,
// ErrWrongAudience, ErrNotAccessToken, ErrSenderConstrained). An endpoint
// fault, or a call not made because of a bound, wraps
// tokengate.ErrUnavailable and is never cached. See the package
// documentation for the checks made on the response.
//
// The returned Claims, their slices and Raw are the caller's own copy.
func (i *Introspector) Verify(ctx context.Context, token string) (*tokengate.Claims, error) {
	if i.closed.Load() {
		return nil, errClosed
	}
	if err := checkSyntax(token, i.cfg.MaxTokenBytes); err != nil {
		return nil, err
	}
	k := keyOf(token)
	if e, ok, _ := i.results.get(k, i.cfg.Now()); ok {
		i.hits.Add(1)
		return deliver(ctx, e)
	}
	i.misses.Add(1)
	return i.wait(ctx, k, token)
}

// wait joins or starts the flight for k and waits for its result or for
// ctx to end. It is apart from Verify so that the cache-hit path does not
// pay for the closure.
func (i *Introspector) wait(ctx context.Context, k key, token string) (*tokengate.Claims, error) {
	ch := i.flights.DoChan(string(k[:]), func() (any, error) {
		return i.introspect(ctx, k, token), nil
	})
	select {
	case r := <-ch:
		return deliver(ctx, r.Val.(entry))
	case <-ctx.Done():
		return nil, fmt.Errorf("introspection: gave up waiting for the endpoint: %w: %w", tokengate.ErrUnavailable, context.Cause(ctx))
	}
}

// deliver checks a result against the caller's request, then hands it
// out. The binding of a sender-constrained token ("cnf", RFC 9449 §6.2,
// RFC 8705 §3) is checked for every request, cached answer or not, as the
// proof of possession belongs to the request and not to the token.
func deliver(ctx context.Context, e entry) (*tokengate.Claims, error) {
	if e.err != nil {
		return nil, e.err
	}
	if err := binding.Check(ctx, e.cnf); err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	return handOut(e.claims, nil)
}

// handOut gives a caller its own copy of shared claims, slices and Raw
// included, so that a handler changing them cannot change what the cache
// hands the next caller.
func handOut(c *tokengate.Claims, err error) (*tokengate.Claims, error) {
	if err != nil {
		return nil, err
	}
	cp := *c
	// One array holds both string lists; the full slice expressions keep
	// an append to one from writing into the other.
	na, ns := len(c.Audience), len(c.Scopes)
	if na+ns > 0 {
		both := append(append(make([]string, 0, na+ns), c.Audience...), c.Scopes...)
		cp.Audience, cp.Scopes = both[:na:na], both[na:na+ns:na+ns]
		if na == 0 {
			cp.Audience = nil
		}
		if ns == 0 {
			cp.Scopes = nil
		}
	}
	cp.Raw = slices.Clone(c.Raw)
	return &cp, nil
}

// introspect runs in the one flight for k. It keeps ctx's values but not
// its cancellation, so that the first caller leaving does not fail the
// callers who joined; the call is bounded by Config.Timeout and by Close.
// Its result is every waiter's, checked against each one's own request by
// deliver.
func (i *Introspector) introspect(ctx context.Context, k key, token string) entry {
	i.mu.Lock()
	if i.closed.Load() {
		i.mu.Unlock()
		return entry{err: errClosed}
	}
	i.calls.Add(1)
	i.mu.Unlock()
	defer i.calls.Done()

	// A flight that ended between the caller's cache miss and this one
	// may have left the answer.
	e, ok, known := i.results.get(k, i.cfg.Now())
	if ok {
		return e
	}
	gen := i.results.generation()
	v := i.resolve(ctx, token, known, gen)
	i.results.put(k, v, i.cfg.Now(), gen)
	return entry{claims: v.claims, cnf: v.cnf, err: v.err}
}

// resolve finds the verdict on a token missing from the process cache:
// from the shared cache when there is one, where a replica that calls for
// a new token makes the others wait for its answer; else from the
// endpoint. gen is the process cache's generation when the flight began:
// an answer that a revocation may have overtaken is not shared.
func (i *Introspector) resolve(ctx context.Context, token string, known bool, gen uint64) verdict {
	if i.shared == nil {
		return i.guarded(ctx, token, known)
	}
	q := quoter{token: token}
	key := i.shared.keys.keyOf(token)
	if v, ok := i.sharedLoad(ctx, key, q); ok {
		return v
	}
	v, found, unlock := i.sharedAwait(ctx, key, q)
	if found {
		return v
	}
	if unlock != nil {
		defer unlock()
	}
	v = i.guarded(ctx, token, known)
	if i.results.generation() == gen {
		i.sharedStore(ctx, key, v, i.cfg.Now())
	}
	return v
}

// guarded asks the endpoint within the bounds that protect it, in this
// order, so that a call one bound stops costs nothing against the next:
// the breaker; for a token not seen active (known false), the new-token
// rate; the concurrency bound.
func (i *Introspector) guarded(ctx context.Context, token string, known bool) (v verdict) {
	if err := i.needEndpoint(ctx); err != nil {
		return verdict{err: err}
	}
	t, err := i.breaker.enter(i.cfg.Now())
	if err != nil {
		return verdict{err: err}
	}
	o := notMade
	defer func() { i.breaker.leave(t, o, v.err, i.cfg.Now()) }()
	if !known && !i.newTokens.take(i.cfg.Now()) {
		return verdict{err: i.errRate()}
	}
	if err := i.acquire(); err != nil {
		return verdict{err: err}
	}
	defer i.release()

	v = i.ask(ctx, token)
	switch {
	case i.closing.Err() != nil:
		// Aborted by Close: says nothing about the endpoint.
	case v.trips:
		o = failed
	default:
		o = answered
	}
	return v
}

// ask makes the call and reads its answer: the one place a call to the
// endpoint is made and reported (OpIntrospect).
func (i *Introspector) ask(ctx context.Context, token string) verdict {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), i.cfg.Timeout)
	defer cancel()
	defer context.AfterFunc(i.closing, cancel)()
	ctx = i.sink.Begin(ctx, tokengate.OpIntrospect)
	start := i.cfg.Now()

	q := quoter{token: token}
	body, v := i.call(ctx, token, q)
	if v.err == nil {
		v = i.interpret(body, i.cfg.Now(), q)
		v.body = body
	}
	i.report(ctx, start, v)
	return v
}

// Close aborts the calls in flight, waits for them to end and drops the
// caches. Verify then fails with an error wrapping
// tokengate.ErrUnavailable. The Introspector starts no background
// goroutine but the one retrying discovery, if New could not have the
// metadata, which Close stops; after Close none of its calls is left
// running. Close is
// idempotent and always returns nil.
func (i *Introspector) Close() error {
	i.mu.Lock()
	first := !i.closed.Load()
	i.closed.Store(true) // under mu: no call starts after this
	i.mu.Unlock()

	if first {
		i.stop()
	}
	if i.later != nil {
		i.later.Close() // idempotent; waits for the retry goroutine
	}
	// A concurrent second Close waits for the calls too, as its doc says.
	i.calls.Wait()
	if first {
		i.results.purge()
	}
	return nil
}
