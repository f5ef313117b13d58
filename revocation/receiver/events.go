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
	var a accepted
	if p == nil {
		a, p = r.logoutToken(ctx, req.PostForm.Get("logout_token"))
	}
	if p == nil {
		p = r.act(ctx, "logout token", a)
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

// logoutToken validates a logout token (OIDC BCL §2.6), which calls for
// the purge of its subject's tokens.
func (r *Receiver) logoutToken(ctx context.Context, raw string) (accepted, *problem) {
	v, p := r.verify(ctx, raw, "logout+jwt")
	if p != nil {
		return accepted{}, p
	}
	s := v.set
	switch {
	case s.ExpiresAt.IsZero():
		return accepted{}, refuse(codeInvalidRequest, "exp", "no \"exp\" (OIDC BCL §2.4)")
	case v.nonce:
		// §2.6 step 5: a nonce would make it an ID token.
		return accepted{}, refuse(codeInvalidRequest, "nonce", "a \"nonce\" claim is present (OIDC BCL §2.6)")
	case member(v.events, backChannelLogout) == "":
		return accepted{}, refuse(codeInvalidRequest, "events", "\"events\" has no %q member whose value is a JSON object (OIDC BCL §2.4)", backChannelLogout)
	case s.Subject == "" && v.sid == "":
		return accepted{}, refuse(codeInvalidRequest, "sub", "neither \"sub\" nor \"sid\" (OIDC BCL §2.4)")
	case s.Subject == "":
		// Cached results are indexed by the claims of access tokens, which
		// carry no session ID.
		return accepted{}, refuse(codeInvalidRequest, "sub", "only \"sid\" %s: this receiver purges by subject and needs \"sub\"", quote(v.sid))
	}
	return r.once(ctx, "logout", s, revocation.Purge{Kind: revocation.Subject, Value: s.Subject})
}

// event handles a pushed Security Event Token (RFC 8935 §2): the body is
// the SET. It answers 202 once the purges its events call for are
// published, 400 with an RFC 8935 §2.3 error for a SET it refuses, and
// 503 when it could not check it or reach the other replicas. Events of
// other types are accepted and ignored.
func (r *Receiver) event(w http.ResponseWriter, req *http.Request) {
	ctx, cancel := context.WithTimeout(req.Context(), r.cfg.Timeout)
	defer cancel()
	a, p := r.securityEvent(ctx, req.Body)
	if p == nil {
		p = r.act(ctx, "security event", a)
	}
	if p != nil {
		r.logRefusal("security event", p)
		writeJSON(w, p.status, map[string]string{"err": p.code, "description": "security event refused: " + p.check})
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// securityEvent validates a SET (RFC 8417, RFC 8935 §2), which calls for
// the purges of its CAEP session-revoked and token-claims-change events.
func (r *Receiver) securityEvent(ctx context.Context, body io.Reader) (accepted, *problem) {
	b, err := io.ReadAll(body)
	if err != nil {
		return accepted{}, refuse(codeInvalidRequest, "body", "%v", err)
	}
	v, p := r.verify(ctx, strings.TrimSpace(string(b)), "secevent+jwt")
	if p != nil {
		return accepted{}, p
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
		return accepted{}, p
	case err != nil:
		return accepted{}, refuse(codeInvalidRequest, "events", "\"events\" is not a JSON object: %v", err)
	}
	return r.once(ctx, "set", v.set, purges...)
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
