package issuertest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Revocation events: when a grant or a session is revoked, the server
// tells every client that registered a receiver, at once and in turn:
//
//   - to [Client.BackchannelLogoutURI], a logout token (OIDC Back-Channel
//     Logout 1.0 §2.4: typ logout+jwt; iss, aud the client, iat, exp two
//     minutes later, jti, sub, and the back-channel logout event), posted
//     as the form parameter logout_token (§2.5);
//   - to [Client.SecurityEventsURI], a Security Event Token (RFC 8417:
//     typ secevent+jwt; iss, aud the client, iat, jti, sub_id of format
//     iss_sub, and a CAEP session-revoked event), pushed as RFC 8935 §2.
//
// Both are signed with the key of the client's ID tokens. A grant is
// revoked by a refresh token's revocation (RFC 7009) and a session by
// [Server.EndSession]. Every client with a receiver hears of every
// revocation: a resource server registered as a client (such as
// [APIClientID]) learns of the end of grants made to other clients, whose
// tokens it accepts.

// Event type identifiers (OIDC BCL §2.4, CAEP 1.0 §3.1).
const (
	backchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"
	sessionRevokedEvent    = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
)

// logoutTokenLifetime is the exp of a logout token, after its iat.
const logoutTokenLifetime = 2 * time.Minute

// eventClient delivers the events; each delivery is bounded, and a
// redirect is not followed, as it would send the event elsewhere.
var eventClient = &http.Client{
	Timeout:       5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// A Delivery is one revocation event the server sent.
type Delivery struct {
	ClientID string // the receiving client
	URI      string // where it was sent
	Kind     string // "logout" (a logout token) or "security-event" (a SET)
	Subject  string // whose grant or session ended
	Status   int    // the receiver's HTTP status; 0 when the request failed
	Err      string // why the request failed, if it did
}

// eventLog keeps the last deliveries.
type eventLog struct {
	mu   sync.Mutex // guards list
	list []Delivery
}

const maxDeliveries = 256

func (l *eventLog) add(d Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.list) == maxDeliveries {
		l.list = slices.Delete(l.list, 0, 1)
	}
	l.list = append(l.list, d)
}

// Deliveries returns the revocation events sent so far, oldest first (at
// most the last 256).
func (s *Server) Deliveries() []Delivery {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return slices.Clone(s.events.list)
}

// EndSession signs subject out everywhere: every grant of subject is
// revoked, so that its access and refresh tokens are inactive, and every
// client with a receiver is told (see the events above). It returns once
// every receiver has answered or timed out.
func (s *Server) EndSession(subject string) {
	s.store.endSession(subject)
	s.notifyRevoked(subject)
}

// POST /admin/end-session {"subject": "alice"} -> 204, once the receivers
// have answered ([Server.EndSession]).
func (s *Server) adminEndSession(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Subject string `json:"subject"`
	}
	if !readAdmin(w, r, &body) {
		return
	}
	if body.Subject == "" {
		adminError(w, http.StatusBadRequest, "subject is required")
		return
	}
	s.EndSession(body.Subject)
	w.WriteHeader(http.StatusNoContent)
}

// endSession revokes every grant of subject.
func (s *store) endSession(subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.access {
		if a.grant != nil && a.grant.subject == subject {
			a.grant.revoked = true
		}
	}
	for _, r := range s.refresh {
		if r.grant.subject == subject {
			r.grant.revoked = true
		}
	}
}

// notifyRevoked sends the events of the end of subject's grant or session
// to every client with a receiver.
func (s *Server) notifyRevoked(subject string) {
	for _, c := range s.cfg.clients {
		if c.BackchannelLogoutURI != "" {
			form := url.Values{"logout_token": {s.logoutToken(c.ID, subject)}}
			s.deliver(Delivery{ClientID: c.ID, URI: c.BackchannelLogoutURI, Kind: "logout", Subject: subject},
				"application/x-www-form-urlencoded", form.Encode())
		}
		if c.SecurityEventsURI != "" {
			s.deliver(Delivery{ClientID: c.ID, URI: c.SecurityEventsURI, Kind: "security-event", Subject: subject},
				"application/secevent+jwt", s.securityEvent(c.ID, subject))
		}
	}
}

// logoutToken mints a logout token for subject to clientID (OIDC BCL §2.4).
func (s *Server) logoutToken(clientID, subject string) string {
	now := s.now()
	claims := map[string]any{
		"iss": s.URL, "aud": clientID, "iat": now.Unix(), "exp": now.Add(logoutTokenLifetime).Unix(),
		"jti": randomToken()[:22], "sub": subject,
		"events": map[string]any{backchannelLogoutEvent: map[string]any{}},
	}
	return s.signEvent(clientID, "logout+jwt", claims)
}

// securityEvent mints a SET with a CAEP session-revoked event for subject
// to clientID (RFC 8417 §2, CAEP 1.0 §3.1, the subject as an RFC 9493
// iss_sub identifier).
func (s *Server) securityEvent(clientID, subject string) string {
	now := s.now()
	claims := map[string]any{
		"iss": s.URL, "aud": clientID, "iat": now.Unix(), "jti": randomToken()[:22],
		"sub_id": map[string]any{"format": "iss_sub", "iss": s.URL, "sub": subject},
		"events": map[string]any{sessionRevokedEvent: map[string]any{"event_timestamp": now.Unix()}},
	}
	return s.signEvent(clientID, "secevent+jwt", claims)
}

func (s *Server) signEvent(clientID, typ string, claims map[string]any) string {
	k := s.keys.signerFor(s.idTokenAlg(clientID))
	return encodeJWS(k.priv, k.alg, map[string]any{"alg": k.alg, "kid": k.kid, "typ": typ}, claims)
}

// deliver posts one event and records the outcome.
func (s *Server) deliver(d Delivery, contentType, body string) {
	req, err := http.NewRequest(http.MethodPost, d.URI, strings.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", "application/json")
		var resp *http.Response
		if resp, err = eventClient.Do(req); err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			d.Status = resp.StatusCode
		}
	}
	if err != nil {
		d.Err = err.Error()
	}
	s.events.add(d)
}

// validateReceivers checks the receiver URIs of a client registration.
func (c *Client) validateReceivers() error {
	for _, r := range []string{c.BackchannelLogoutURI, c.SecurityEventsURI} {
		if r == "" {
			continue
		}
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			return fmt.Errorf("client %q: receiver URI %q must be an absolute http(s) URL without a fragment", c.ID, r)
		}
	}
	return nil
}
