package bearer

import (
	"context"
	"log/slog"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/oplog"
)

// Site is where the routes of one transport report their decisions: the
// logger and the observer, fixed at setup. [Site.Authorize] is the one
// place a per-request event is emitted, for both transports.
type Site struct {
	transport string
	sink      oplog.Sink
}

// NewSite returns the Site of a transport ("http" or "grpc") that logs to
// l (nil: slog.Default()) with its rate limit on now (nil: time.Now), and
// reports to obs (nil: nothing more).
func NewSite(transport string, l *slog.Logger, now func() time.Time, obs tokengate.Observer) *Site {
	return &Site{transport: transport, sink: oplog.Sink{Log: oplog.New(l, now), Obs: obs}}
}

// Request is what a transport read from one request: where it went, and
// what it presented.
type Request struct {
	Route  string // the route's pattern or the gRPC full method; "" if unknown
	Target string // the URL path or the gRPC full method, for logs
	Presented
}

// issuerNamer is implemented by verifiers that know their issuer
// (verifier.JWT, introspection.Introspector).
type issuerNamer interface{ Issuer() string }

// Authorize is [Rule.AuthorizeRequest] inside the request's event: the observer's
// Begin (whose context, a span's, the verifier runs in), the decision,
// then one event to the logger and the observer with the outcome, the
// check that failed and the time the decision took. It allocates nothing
// of its own when no observer is set and the logger does not log the
// outcome.
func (s *Site) Authorize(ctx context.Context, r *Rule, q *Request, v tokengate.TokenVerifier, check func(*tokengate.Claims) error) (*tokengate.Claims, *Decision) {
	ctx = s.sink.Begin(ctx, tokengate.OpAuthorize)
	start := time.Now()
	claims, d := r.AuthorizeRequest(ctx, v, &q.Presented, check)
	e := tokengate.Event{
		Op: tokengate.OpAuthorize, Transport: s.transport, Route: q.Route, Target: q.Target,
		Token: tokengate.RefToken(q.Token), Start: start, Duration: time.Since(start),
	}
	switch {
	case d != nil:
		e.Outcome, e.Err, e.Check = Outcome(d.Kind), d.Err, CheckOf(d)
	case claims == nil:
		e.Outcome = tokengate.OutcomeAnonymous
	default:
		e.Outcome, e.Issuer = tokengate.OutcomeAccepted, claims.Issuer
	}
	if e.Issuer == "" {
		if n, ok := v.(issuerNamer); ok {
			e.Issuer = n.Issuer()
		}
	}
	s.sink.End(ctx, e)
	return claims, d
}

// Outcome is the event outcome of a refusal of kind k.
func Outcome(k Kind) tokengate.Outcome {
	switch k {
	case Missing:
		return tokengate.OutcomeMissing
	case InvalidRequest:
		return tokengate.OutcomeInvalidRequest
	case InvalidToken:
		return tokengate.OutcomeInvalidToken
	case InsufficientScope:
		return tokengate.OutcomeInsufficientScope
	case InsufficientUserAuthentication:
		return tokengate.OutcomeInsufficientUserAuthentication
	case InvalidDPoPProof:
		return tokengate.OutcomeInvalidDPoPProof
	case UseDPoPNonce:
		return tokengate.OutcomeUseDPoPNonce
	}
	return tokengate.OutcomeUnavailable
}
