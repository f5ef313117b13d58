package issuertest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/issuertest"
)

// sink is a revocation receiver that records what it was sent.
type sink struct {
	*httptest.Server
	mu       sync.Mutex // guards requests
	requests []received
}

type received struct {
	contentType string
	body        string
}

func newSink(t testing.TB, status int) *sink {
	t.Helper()
	s := &sink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.requests = append(s.requests, received{r.Header.Get("Content-Type"), string(b)})
		s.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) got() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.requests...)
}

// receiverServer is an issuer whose API client registered both receivers.
func receiverServer(t *testing.T, logout, events string) (*issuertest.Server, *issuertest.Clock) {
	t.Helper()
	clients := issuertest.DefaultClients()
	for i := range clients {
		if clients[i].ID == issuertest.APIClientID {
			clients[i].BackchannelLogoutURI, clients[i].SecurityEventsURI = logout, events
		}
	}
	return newServer(t, issuertest.WithClients(clients...), issuertest.WithOpaqueAccessTokens())
}

// decodeEvent checks an event token's signature against the JWKS and its
// header typ, and returns its claims.
func decodeEvent(t *testing.T, s *issuertest.Server, clock *issuertest.Clock, token, typ string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(clock.Now), jwt.WithIssuer(s.URL),
		jwt.WithAudience(issuertest.APIClientID), jwt.WithIssuedAt()).
		ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
			if tok.Header["typ"] != typ {
				t.Errorf("header typ = %v, want %s", tok.Header["typ"], typ)
			}
			return keyOf(jwks(t, s))(tok)
		})
	if err != nil {
		t.Fatalf("event token does not verify: %v", err)
	}
	return claims
}

// TestEndSessionSendsLogoutTokenAndSET (OIDC BCL §2.4-2.5, RFC 8417 §2,
// RFC 8935 §2, CAEP session-revoked): the subject's tokens are inactive,
// another user's are not, and each receiver gets its event.
func TestEndSessionSendsLogoutTokenAndSET(t *testing.T) {
	logout, events := newSink(t, http.StatusOK), newSink(t, http.StatusAccepted)
	s, clock := receiverServer(t, logout.URL, events.URL)
	alice := s.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
	bob := s.AccessToken(issuertest.TokenRequest{Subject: issuertest.Bob})
	s.EndSession(issuertest.Alice)

	for tok, want := range map[string]bool{alice: false, bob: true} {
		_, _, body := postForm(t, s, "/introspect", url.Values{"token": {tok}}, issuertest.APIClientID, issuertest.APIClientSecret)
		if body["active"] != want {
			t.Errorf("introspect after EndSession: active = %v, want %v", body["active"], want)
		}
	}

	reqs := logout.got()
	if len(reqs) != 1 || reqs[0].contentType != "application/x-www-form-urlencoded" {
		t.Fatalf("logout receiver got %+v, want one form post", reqs)
	}
	form, _ := url.ParseQuery(reqs[0].body)
	lc := decodeEvent(t, s, clock, form.Get("logout_token"), "logout+jwt")
	ev, _ := lc["events"].(map[string]any)
	if _, ok := ev["http://schemas.openid.net/event/backchannel-logout"].(map[string]any); !ok || lc["sub"] != issuertest.Alice || lc["jti"] == "" || lc["nonce"] != nil {
		t.Errorf("logout token claims = %v, want sub alice, a jti, the back-channel logout event and no nonce", lc)
	}
	if exp, iat := lc["exp"].(float64), lc["iat"].(float64); exp-iat != 120 {
		t.Errorf("logout token exp - iat = %v, want 120", exp-iat)
	}

	reqs = events.got()
	if len(reqs) != 1 || reqs[0].contentType != "application/secevent+jwt" {
		t.Fatalf("events receiver got %+v, want one application/secevent+jwt post", reqs)
	}
	sc := decodeEvent(t, s, clock, reqs[0].body, "secevent+jwt")
	ev, _ = sc["events"].(map[string]any)
	sub, _ := sc["sub_id"].(map[string]any)
	if _, ok := ev["https://schemas.openid.net/secevent/caep/event-type/session-revoked"]; !ok ||
		sub["format"] != "iss_sub" || sub["iss"] != s.URL || sub["sub"] != issuertest.Alice {
		t.Errorf("SET claims = %v, want a session-revoked event for iss_sub alice", sc)
	}

	d := s.Deliveries()
	if len(d) != 2 || d[0].Status != http.StatusOK || d[1].Status != http.StatusAccepted || d[0].Subject != issuertest.Alice {
		t.Errorf("Deliveries() = %+v, want the two events with their statuses", d)
	}
}

// TestRevokingAGrantNotifies: revoking a refresh token (RFC 7009) ends
// its grant, which the receivers hear of; revoking an access token alone
// does not.
func TestRevokingAGrantNotifies(t *testing.T) {
	logout := newSink(t, http.StatusOK)
	s, _ := receiverServer(t, logout.URL, "")
	access := s.AccessToken(issuertest.TokenRequest{Subject: issuertest.Bob, ClientID: issuertest.ServiceClientID})
	postForm(t, s, "/revoke", url.Values{"token": {access}}, issuertest.ServiceClientID, issuertest.ServiceClientSecret)
	if n := len(logout.got()); n != 0 {
		t.Fatalf("events after revoking an access token = %d, want 0", n)
	}
	refresh := s.RefreshToken(issuertest.TokenRequest{Subject: issuertest.Bob})
	status, _, _ := postForm(t, s, "/revoke", url.Values{"token": {refresh}, "client_id": {issuertest.PublicClientID}}, "", "")
	if status != http.StatusOK {
		t.Fatalf("revoke status = %d", status)
	}
	reqs := logout.got()
	if len(reqs) != 1 {
		t.Fatalf("events after revoking a grant = %d, want 1", len(reqs))
	}
	form, _ := url.ParseQuery(reqs[0].body)
	payload := strings.Split(form.Get("logout_token"), ".")[1]
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	var claims map[string]any
	json.Unmarshal(raw, &claims)
	if claims["sub"] != issuertest.Bob {
		t.Errorf("logout token sub = %v, want bob", claims["sub"])
	}
}

func TestAdminEndSession(t *testing.T) {
	logout := newSink(t, http.StatusOK)
	clients := issuertest.DefaultClients()
	clients[2].BackchannelLogoutURI = logout.URL
	s, _ := newServer(t, issuertest.WithClients(clients...), issuertest.WithAdminAPI())
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/admin/end-session", strings.NewReader(`{"subject":"alice"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || len(logout.got()) != 1 {
		t.Errorf("POST /admin/end-session = %d with %d events, want 204 and 1", resp.StatusCode, len(logout.got()))
	}
}

func TestReceiverURIChecked(t *testing.T) {
	for _, bad := range []string{"not a url", "ftp://host/x", "/relative", "http://host/x#frag"} {
		t.Run(bad, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewServer accepted receiver URI %q, want a panic", bad)
				}
			}()
			issuertest.NewServer(issuertest.WithClients(issuertest.Client{ID: "api", Secret: "s", BackchannelLogoutURI: bad}))
		})
	}
}
