package receiver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/revocation"
)

// Error codes of RFC 8935 §2.3 (registered in §7.1); the back-channel
// logout response uses invalid_request for every refusal (BCL §2.8).
const (
	codeInvalidRequest  = "invalid_request"
	codeInvalidKey      = "invalid_key"
	codeInvalidIssuer   = "invalid_issuer"
	codeInvalidAudience = "invalid_audience"
	codeUnavailable     = "temporarily_unavailable"
)

// problem is a request the receiver did not act on: what the sender is
// told (the check that failed, never a value) and what the log gets.
type problem struct {
	status int    // 400, or 503 when the receiver could not decide
	code   string // an RFC 8935 §2.3 error code
	check  string // the check that failed, for the sender
	err    error  // the detail, with both values quoted, for the log
}

func (p *problem) Error() string { return p.err.Error() }

func refuse(code, check, format string, args ...any) *problem {
	return &problem{status: 400, code: code, check: check, err: fmt.Errorf("receiver: "+check+": "+format, args...)}
}

func cannotDecide(check string, err error) *problem {
	return &problem{status: 503, code: codeUnavailable, check: check, err: fmt.Errorf("receiver: %s: %w", check, err)}
}

var quote = netpolicy.Quote

// verified is a token whose signature and common claims checked out.
type verified struct {
	set    *claimset.Set
	events string // the raw "events" member, a JSON object
	sid    string // "sid", OIDC BCL §2.4
	subID  string // the raw "sub_id" member (SSF), "" when absent
	nonce  bool   // "nonce" is present
}

// verify checks a JWS signed by the issuer for this receiver, whose
// header "typ" is typ (RFC 7515 §4.1.9: the media type, with or without
// "application/", compared without regard to case): the algorithm, the
// signature, "iss", "aud", "iat" within MaxAge, "exp" when present, a
// "jti", and an "events" object (RFC 8417 §2.2, OIDC BCL §2.4).
func (r *Receiver) verify(ctx context.Context, raw, typ string) (*verified, *problem) {
	var keyErr error
	parser := jwt.NewParser(jwt.WithValidMethods(r.cfg.Algorithms), jwt.WithoutClaimsValidation())
	_, err := parser.Parse(raw, func(t *jwt.Token) (any, error) {
		if p := checkHeader(t.Header, typ); p != nil {
			keyErr = p
			return nil, p
		}
		kid, _ := t.Header["kid"].(string)
		key, err := r.cfg.Keys.Key(ctx, kid, t.Method.Alg())
		if err != nil {
			keyErr = fmt.Errorf("no key for \"kid\" %s and \"alg\" %s: %w", quote(kid), quote(t.Method.Alg()), err)
		}
		return key, keyErr
	})
	var p *problem
	switch {
	case errors.As(keyErr, &p):
		return nil, p
	case keyErr != nil && (errors.Is(keyErr, tokengate.ErrUnavailable) || errors.Is(keyErr, jwkscache.ErrUnavailable)):
		return nil, cannotDecide("issuer keys unavailable", keyErr)
	case keyErr != nil:
		return nil, refuse(codeInvalidKey, "signing key", "%w", keyErr)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, refuse(codeInvalidRequest, "JWS compact serialization", "%w", err)
	case err != nil:
		return nil, refuse(codeInvalidKey, "signature", "%w", err)
	}
	v, p := r.claims(raw)
	if p != nil {
		return nil, p
	}
	return v, r.checkClaims(v.set)
}

// checkHeader checks "typ" and refuses "crit", which names extensions
// the receiver does not understand (RFC 7515 §4.1.11).
func checkHeader(h map[string]any, want string) *problem {
	got, _ := h["typ"].(string)
	if t := strings.ToLower(got); t != want && t != "application/"+want {
		return refuse(codeInvalidRequest, "typ header", "\"typ\" %s, want %q", quote(got), want)
	}
	if _, ok := h["crit"]; ok {
		return refuse(codeInvalidRequest, "crit header", "\"crit\" names extensions this receiver does not understand (RFC 7515 §4.1.11)")
	}
	return nil
}

// claims decodes the payload, strictly, with the decoder the verifiers
// use.
func (r *Receiver) claims(raw string) (*verified, *problem) {
	parts := strings.Split(raw, ".")
	payload, err := jwt.NewParser().DecodeSegment(parts[1]) // three parts: Parse checked
	if err != nil {
		return nil, refuse(codeInvalidRequest, "JWS compact serialization", "payload: %w", err)
	}
	set, err := claimset.Parse(payload)
	if err != nil {
		return nil, refuse(codeInvalidRequest, "claims", "%w", err)
	}
	v := &verified{set: set}
	err = claimset.Members(payload, func(name, value string) error {
		switch name {
		case "events":
			v.events = value
		case "sid":
			v.sid = value
		case "sub_id":
			v.subID = value
		case "nonce":
			v.nonce = true
		}
		return nil
	})
	if err == nil {
		v.sid, err = claimset.String("sid", v.sid)
	}
	if err != nil {
		return nil, refuse(codeInvalidRequest, "claims", "%w", err)
	}
	return v, nil
}

// checkClaims checks the claims every event token must have.
func (r *Receiver) checkClaims(s *claimset.Set) *problem {
	now, leeway := r.cfg.Now(), r.cfg.Leeway
	switch {
	case s.Issuer != r.cfg.Issuer:
		return refuse(codeInvalidIssuer, "iss", "\"iss\" %s is not Config.Issuer %s", quote(s.Issuer), quote(r.cfg.Issuer))
	case !slices.Contains(s.Audience, r.cfg.Audience):
		return refuse(codeInvalidAudience, "aud", "\"aud\" %q does not contain Config.Audience %s", s.Audience, quote(r.cfg.Audience))
	case s.IssuedAt.IsZero():
		return refuse(codeInvalidRequest, "iat", "no \"iat\" (RFC 8417 §2.2, OIDC BCL §2.4)")
	case now.Add(leeway).Before(s.IssuedAt):
		return refuse(codeInvalidRequest, "iat", "\"iat\" %s is after now %s plus the leeway %v", instant(s.IssuedAt), instant(now), leeway)
	case s.IssuedAt.Add(r.cfg.MaxAge + leeway).Before(now):
		return refuse(codeInvalidRequest, "iat", "\"iat\" %s is more than Config.MaxAge %v before now %s", instant(s.IssuedAt), r.cfg.MaxAge, instant(now))
	case !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt.Add(leeway)):
		return refuse(codeInvalidRequest, "exp", "\"exp\" %s is not after now %s less the leeway %v", instant(s.ExpiresAt), instant(now), leeway)
	case s.ID == "":
		return refuse(codeInvalidRequest, "jti", "no \"jti\" (RFC 8417 §2.2, OIDC BCL §2.4)")
	case !s.HasEvents:
		return refuse(codeInvalidRequest, "events", "no \"events\" member (RFC 8417 §2.2, OIDC BCL §2.4)")
	}
	return nil
}

// accepted is an event token that passed every check: the purges it
// calls for, and its key at the replay store and how long it lives there.
type accepted struct {
	purges []revocation.Purge
	key    string
	until  time.Time
}

// once records the token's "jti" at the replay store for as long as the
// token could be accepted, and refuses a replay, except the retry of a
// token whose purges could not be published (see unpublished).
func (r *Receiver) once(ctx context.Context, kind string, s *claimset.Set, purges ...revocation.Purge) (accepted, *problem) {
	until := s.IssuedAt.Add(r.cfg.MaxAge)
	if s.ExpiresAt.After(until) {
		until = s.ExpiresAt
	}
	a := accepted{purges: purges, key: "receiver:" + kind + ":" + s.Issuer + "\x00" + s.ID, until: until.Add(r.cfg.Leeway)}
	fresh, err := r.cfg.Replay.Use(ctx, a.key, a.until)
	switch {
	case err != nil:
		return accepted{}, cannotDecide("replay store", err)
	case !fresh && !r.unpublished.has(a.key, r.cfg.Now()):
		return accepted{}, refuse(codeInvalidRequest, "jti replayed", "\"jti\" %s was seen before", quote(s.ID))
	}
	return a, nil
}

// act publishes the purges of a, and logs them.
func (r *Receiver) act(ctx context.Context, what string, a accepted) *problem {
	for _, purge := range a.purges {
		if err := r.cfg.Publisher.Publish(ctx, purge); err != nil {
			r.unpublished.add(a.key, a.until, r.cfg.Now())
			return cannotDecide("publishing the purge", err)
		}
		r.cfg.Logger.Info("receiver: "+what+" accepted: purge published", "purge", purge.String())
	}
	r.unpublished.remove(a.key)
	return nil
}

// unpublished remembers, until they expire, the tokens that were accepted
// but whose purges could not be published, so that the issuer's retry of
// one (after a 503) is acted on rather than refused as a replay. It is
// bounded; when full, such a retry is refused, and the replicas that
// missed the purge rely on their subscriptions, which purge everything
// when they are restored.
type unpublished struct {
	mu      sync.Mutex // guards pending
	pending map[string]time.Time
}

const maxUnpublished = 1024

func (u *unpublished) has(key string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	until, ok := u.pending[key]
	return ok && now.Before(until)
}

func (u *unpublished) add(key string, until, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pending == nil {
		u.pending = map[string]time.Time{}
	}
	if len(u.pending) >= maxUnpublished {
		maps.DeleteFunc(u.pending, func(_ string, t time.Time) bool { return !now.Before(t) })
	}
	if len(u.pending) < maxUnpublished {
		u.pending[key] = until
	}
}

func (u *unpublished) remove(key string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.pending, key)
}

func instant(t time.Time) string { return t.UTC().Format(time.RFC3339) }
