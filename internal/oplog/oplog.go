// Package oplog writes tokengate's events to log/slog, by the rules every
// part shares: the events an operator acts on (a request answered 503
// because the issuer is down, a key set or metadata fetch failing, an
// introspection endpoint failing) at Warn, at most one line per cause per
// [Interval]; refusals of tokens (400, 401, 403) at Debug only; accepted
// requests not at all. Every line about a request carries the token's
// SHA-256 prefix (never the token), the check that failed with the values
// involved, and the route or gRPC method.
//
// A [Logger] is a tokengate.Observer, so that logging plugs into the same
// hook as metrics and traces.
package oplog

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tokengate/tokengate"
)

// Interval is the least time between two lines of one cause on one
// logger.
const Interval = time.Minute

// Logger writes events to a slog.Logger. The zero Logger, and a nil one,
// log to slog.Default() on the real clock.
type Logger struct {
	l   *slog.Logger     // nil: slog.Default(), looked up at each line
	now func() time.Time // the clock of the rate limit; nil: time.Now
}

var _ tokengate.Observer = (*Logger)(nil)

// New returns a Logger writing to l (nil: slog.Default()) whose rate limit
// runs on now (nil: time.Now).
func New(l *slog.Logger, now func() time.Time) *Logger {
	return &Logger{l: l, now: now}
}

// logger is the slog.Logger lines go to.
func (g *Logger) logger() *slog.Logger {
	if g == nil || g.l == nil {
		return slog.Default()
	}
	return g.l
}

func (g *Logger) clock() time.Time {
	if g == nil || g.now == nil {
		return time.Now()
	}
	return g.now()
}

// Begin returns ctx: logging has nothing to add to it.
func (g *Logger) Begin(ctx context.Context, _ tokengate.Op) context.Context { return ctx }

// End logs e by the package's rules.
func (g *Logger) End(ctx context.Context, e tokengate.Event) {
	switch e.Op {
	case tokengate.OpAuthorize:
		g.decision(ctx, &e)
	case tokengate.OpKeyFetch, tokengate.OpDiscovery:
		g.fetch(ctx, &e)
	}
	// OpIntrospect: the introspector logs the endpoint's failures itself,
	// once per failure interval (see Limited), not once per call.
}

// decision logs a request's decision: nothing for an accepted or
// anonymous request, so that the hot path pays nothing; Debug for a
// refusal; Warn, limited, for a 503.
func (g *Logger) decision(ctx context.Context, e *tokengate.Event) {
	switch e.Outcome {
	case tokengate.OutcomeAccepted, tokengate.OutcomeAnonymous:
		return
	case tokengate.OutcomeUnavailable:
		g.Limited(ctx, slog.LevelWarn, "authorize "+e.Check, "tokengate: the token cannot be checked now; the request is answered 503 / Unavailable", requestAttrs(e)...)
		return
	}
	l := g.logger()
	if !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	l.LogAttrs(ctx, slog.LevelDebug, "tokengate: request refused", requestAttrs(e)...)
}

// requestAttrs are the attributes of a line about a request.
func requestAttrs(e *tokengate.Event) []slog.Attr {
	route := e.Route
	if route == "" {
		route = e.Target
	}
	attrs := []slog.Attr{
		slog.String("transport", e.Transport),
		slog.String("route", route),
		slog.String("outcome", string(e.Outcome)),
		slog.String("check", e.Check),
	}
	if !e.Token.IsZero() {
		attrs = append(attrs, slog.String("token_sha256", e.Token.Hash()))
	}
	if e.Issuer != "" {
		attrs = append(attrs, slog.String("issuer", e.Issuer))
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	return attrs
}

// fetch logs a failed key set or metadata fetch at Warn, limited, and the
// first success after logged failures at Info.
func (g *Logger) fetch(ctx context.Context, e *tokengate.Event) {
	what, meanwhile := "key set", "tokens whose key is not held are answered 503 / Unavailable; the last good set is used while it lasts"
	if e.Op == tokengate.OpDiscovery {
		what, meanwhile = "issuer metadata", "every token is answered 503 / Unavailable until it is had"
		if e.Err != nil && !errors.Is(e.Err, tokengate.ErrUnavailable) {
			meanwhile = "the configuration is wrong (retrying will not mend it), so New fails"
		}
	}
	cause := e.Op.String() + " " + e.URL
	if e.Outcome == tokengate.OutcomeOK {
		g.Recovered(ctx, cause, "tokengate: "+what+" fetched again", slog.String("url", e.URL), slog.String("issuer", e.Issuer))
		return
	}
	attrs := []slog.Attr{slog.String("url", e.URL), slog.String("issuer", e.Issuer)}
	if e.Err != nil {
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	g.Limited(ctx, slog.LevelWarn, cause, "tokengate: fetching the "+what+" failed; "+meanwhile, attrs...)
}

// Limited logs msg at level unless a line of the same cause went to the
// same logger within [Interval] of the clock; the line then counts how
// many were left out since the last one ("suppressed").
func (g *Logger) Limited(ctx context.Context, level slog.Level, cause, msg string, attrs ...slog.Attr) {
	l := g.logger()
	if !l.Enabled(ctx, level) {
		return
	}
	n, ok := limiterOf(l).allow(cause, g.clock())
	if !ok {
		return
	}
	if n > 0 {
		attrs = append(attrs, slog.Int("suppressed", n))
	}
	l.LogAttrs(ctx, level, msg, attrs...)
}

// Recovered logs msg at Info if a line of cause was logged since the last
// recovery, and reports whether it did: the line that says an outage is
// over comes once, and only after one was reported.
func (g *Logger) Recovered(ctx context.Context, cause, msg string, attrs ...slog.Attr) bool {
	l := g.logger()
	n, ok := limiterOf(l).recover(cause)
	if ok {
		l.LogAttrs(ctx, slog.LevelInfo, msg, append(attrs, slog.Int("suppressed", n))...)
	}
	return ok
}

// Sink reports events to a Logger and, if set, to an Observer: the pair
// every part that reports holds.
type Sink struct {
	Log *Logger
	Obs tokengate.Observer // nil: none
}

// Begin calls the Observer's Begin, if there is an Observer.
func (s Sink) Begin(ctx context.Context, op tokengate.Op) context.Context {
	if s.Obs == nil {
		return ctx
	}
	return s.Obs.Begin(ctx, op)
}

// End logs e and reports it to the Observer.
func (s Sink) End(ctx context.Context, e tokengate.Event) {
	s.Log.End(ctx, e)
	if s.Obs != nil {
		s.Obs.End(ctx, e)
	}
}
