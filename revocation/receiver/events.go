package receiver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/revocation"
)

// Event type identifiers.
const (
	// backChannelLogout is the member of a logout token's "events"
	// (OIDC BCL §2.4).
	backChannelLogout = "http://schemas.openid.net/event/backchannel-logout"
	// CAEP 1.0 §3.1 and §3.2.
	sessionRevoked    = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
	tokenClaimsChange = "https://schemas.openid.net/secevent/caep/event-type/token-claims-change"
)

// logout handles a back-channel logout request (OIDC BCL §2.5): one
// logout_token form parameter. It answers 200 with Cache-Control no-store
// once the subject's tokens are purged, 400 for a token it refuses, and
// 503 when it could not check the token or reach the other replicas, so
// that the issuer may try again (§2.8).
func (r *Receiver) logout(w http.ResponseWriter, req *http.Request) {
	ctx, cancel := context.WithTimeout(req.Context(), r.cfg.Timeout)
	defer cancel()
	p := r.parseForm(req)
	var purge revocation.Purge
	if p == nil {
		purge, p = r.logoutPurge(ctx, req.PostForm.Get("logout_token"))
	}
	if p == nil {
		p = r.publish(ctx, "logout token", purge)
	}
	w.Header().Set("Cache-Control", "no-store")
	if p != nil {
		r.logRefusal("logout token", p)
		code := codeInvalidRequest // the one OAuth 2.0 §5.2 code that fits (OIDC BCL §2.8)
		if p.status != http.StatusBadRequest {
			code = p.code
		}
		writeJSON(w, p.status, map[string]string{"error": code, "error_description": "logout token refused: " + p.check})
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (r *Receiver) parseForm(req *http.Request) *problem {
	if err := req.ParseForm(); err != nil {
		return refuse(codeInvalidRequest, "form body", "%v", err)
	}
	if n := len(req.PostForm["logout_token"]); n != 1 {
		return refuse(codeInvalidRequest, "logout_token parameter", "%d logout_token parameters, want 1 (OIDC BCL §2.5)", n)
	}
	return nil
}

// logoutPurge validates a logout token (OIDC BCL §2.6) and returns the
// purge of its subject's tokens.
func (r *Receiver) logoutPurge(ctx context.Context, raw string) (revocation.Purge, *problem) {
	v, p := r.verify(ctx, raw, "logout+jwt")
	if p != nil {
		return revocation.Purge{}, p
	}
	s := v.set
	switch {
	case s.ExpiresAt.IsZero():
		return revocation.Purge{}, refuse(codeInvalidRequest, "exp", "no \"exp\" (OIDC BCL §2.4)")
	case v.nonce:
		// §2.6 step 5: a nonce would make it an ID token.
		return revocation.Purge{}, refuse(codeInvalidRequest, "nonce", "a \"nonce\" claim is present (OIDC BCL §2.6)")
	case member(v.events, backChannelLogout) == "":
		return revocation.Purge{}, refuse(codeInvalidRequest, "events", "\"events\" has no %q member whose value is a JSON object (OIDC BCL §2.4)", backChannelLogout)
	case s.Subject == "" && v.sid == "":
		return revocation.Purge{}, refuse(codeInvalidRequest, "sub", "neither \"sub\" nor \"sid\" (OIDC BCL §2.4)")
	case s.Subject == "":
		// Cached results are indexed by the claims of access tokens, which
		// carry no session ID.
		return revocation.Purge{}, refuse(codeInvalidRequest, "sub", "only \"sid\" %s: this receiver purges by subject and needs \"sub\"", quote(v.sid))
	}
	if p := r.once(ctx, "logout", s); p != nil {
		return revocation.Purge{}, p
	}
	return revocation.Purge{Kind: revocation.Subject, Value: s.Subject}, nil
}

// event handles a pushed Security Event Token (RFC 8935 §2): the body is
// the SET. It answers 202 once the purges its events call for are
// published, 400 with an RFC 8935 §2.3 error for a SET it refuses, and
// 503 when it could not check it or reach the other replicas. Events of
// other types are accepted and ignored.
func (r *Receiver) event(w http.ResponseWriter, req *http.Request) {
	ctx, cancel := context.WithTimeout(req.Context(), r.cfg.Timeout)
	defer cancel()
	purges, p := r.eventPurges(ctx, req.Body)
	for _, purge := range purges {
		if p == nil {
			p = r.publish(ctx, "security event", purge)
		}
	}
	if p != nil {
		r.logRefusal("security event", p)
		writeJSON(w, p.status, map[string]string{"err": p.code, "description": "security event refused: " + p.check})
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// eventPurges validates a SET (RFC 8417, RFC 8935 §2) and returns the
// purges of its CAEP session-revoked and token-claims-change events.
func (r *Receiver) eventPurges(ctx context.Context, body io.Reader) ([]revocation.Purge, *problem) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, refuse(codeInvalidRequest, "body", "%v", err)
	}
	v, p := r.verify(ctx, strings.TrimSpace(string(b)), "secevent+jwt")
	if p != nil {
		return nil, p
	}
	var purges []revocation.Purge
	err = claimset.Members([]byte(v.events), func(uri, event string) error {
		if uri != sessionRevoked && uri != tokenClaimsChange {
			return nil
		}
		purge, p := r.subjectPurge(v.subID, event)
		if p != nil {
			return p
		}
		purges = append(purges, purge)
		return nil
	})
	switch {
	case errors.As(err, &p):
		return nil, p
	case err != nil:
		return nil, refuse(codeInvalidRequest, "events", "\"events\" is not a JSON object: %v", err)
	}
	if p := r.once(ctx, "set", v.set); p != nil {
		return nil, p
	}
	return purges, nil
}

// publish sends a purge on its way, and logs it.
func (r *Receiver) publish(ctx context.Context, what string, purge revocation.Purge) *problem {
	if err := r.cfg.Publisher.Publish(ctx, purge); err != nil {
		return cannotDecide("publishing the purge", err)
	}
	r.cfg.Logger.Info("receiver: "+what+" accepted: purge published", "purge", purge.String())
	return nil
}

// logRefusal logs a problem, at most once a second.
func (r *Receiver) logRefusal(what string, p *problem) {
	now := r.cfg.Now()
	r.mu.Lock()
	ok := !now.Before(r.nextRefusal)
	if ok {
		r.nextRefusal = now.Add(time.Second)
	}
	r.mu.Unlock()
	if ok {
		r.cfg.Logger.Warn("receiver: "+what+" not acted on", "status", p.status, "cause", p.err.Error())
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
