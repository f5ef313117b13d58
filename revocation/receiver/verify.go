package receiver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/jwkscache"
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

// once records the token's "jti" at the replay store for as long as the
// token could be accepted, and refuses a replay.
func (r *Receiver) once(ctx context.Context, kind string, s *claimset.Set) *problem {
	until := s.IssuedAt.Add(r.cfg.MaxAge)
	if s.ExpiresAt.After(until) {
		until = s.ExpiresAt
	}
	fresh, err := r.cfg.Replay.Use(ctx, "receiver:"+kind+":"+s.Issuer+"\x00"+s.ID, until.Add(r.cfg.Leeway))
	switch {
	case err != nil:
		return cannotDecide("replay store", err)
	case !fresh:
		return refuse(codeInvalidRequest, "jti replayed", "\"jti\" %s was seen before", quote(s.ID))
	}
	return nil
}

func instant(t time.Time) string { return t.UTC().Format(time.RFC3339) }
