package receiver_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/revocation/receiver"
)

// TestIssuerEndSessionPurgesSubject: the issuer's own events, a logout
// token and a SET, each purge the subject's tokens, and the issuer sees
// them accepted (200 for OIDC BCL §2.8, 202 for RFC 8935 §2.2).
func TestIssuerEndSessionPurgesSubject(t *testing.T) {
	s := newSetup(t, nil)
	s.iss.EndSession(issuertest.Alice)
	if got := s.rec.purges(); !slices.Equal(got, []string{"subject alice", "subject alice"}) {
		t.Errorf("purges = %q, want the subject twice (logout token, SET)", got)
	}
	var statuses []int
	for _, d := range s.iss.Deliveries() {
		statuses = append(statuses, d.Status)
	}
	if !slices.Equal(statuses, []int{http.StatusOK, http.StatusAccepted}) {
		t.Errorf("receiver answered %v, want [200 202]", statuses)
	}
}

// TestIssuerGrantRevocationPurgesSubject: revoking a refresh token at the
// issuer (RFC 7009) reaches the receiver.
func TestIssuerGrantRevocationPurgesSubject(t *testing.T) {
	s := newSetup(t, nil)
	refresh := s.iss.RefreshToken(issuertest.TokenRequest{Subject: issuertest.Bob})
	resp, err := http.PostForm(s.iss.URL+"/revoke", url.Values{"token": {refresh}, "client_id": {issuertest.PublicClientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := s.rec.purges(); !slices.Equal(got, []string{"subject bob", "subject bob"}) {
		t.Errorf("purges = %q, want bob's tokens purged", got)
	}
}

// TestForgedLogoutTokensRefused: each row changes one thing of a valid
// logout token; every change is refused with 400 invalid_request, names
// the check and purges nothing (OIDC BCL §2.6).
func TestForgedLogoutTokensRefused(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]any
		claims map[string]any
		check  string
	}{
		{"ID token as logout token (typ JWT)", map[string]any{"typ": "JWT"}, nil, "typ header"},
		{"untyped", map[string]any{"typ": nil}, nil, "typ header"},
		{"security event as logout token", map[string]any{"typ": "secevent+jwt"}, nil, "typ header"},
		{"alg none", map[string]any{"alg": "none"}, nil, "signature"},
		{"HS256 keyed with anything", map[string]any{"alg": "HS256"}, nil, "signature"},
		{"crit extension", map[string]any{"crit": []string{"exp"}}, nil, "crit header"},
		{"another issuer", nil, map[string]any{"iss": "https://evil.test"}, "iss"},
		{"another audience", nil, map[string]any{"aud": "other-api"}, "aud"},
		{"no iat", nil, map[string]any{"iat": nil}, "iat"},
		{"iat in the future", nil, map[string]any{"iat": epoch.Add(time.Hour).Unix()}, "iat"},
		{"iat older than MaxAge", nil, map[string]any{"iat": epoch.Add(-time.Hour).Unix(), "exp": epoch.Add(time.Hour).Unix()}, "iat"},
		{"expired", nil, map[string]any{"exp": epoch.Add(-time.Minute).Unix()}, "exp"},
		{"no exp", nil, map[string]any{"exp": nil}, "exp"},
		{"no jti", nil, map[string]any{"jti": nil}, "jti"},
		{"no events", nil, map[string]any{"events": nil}, "events"},
		{"events without back-channel logout", nil, map[string]any{"events": map[string]any{"urn:other": map[string]any{}}}, "events"},
		{"back-channel logout event not an object", nil, map[string]any{"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": "x"}}, "events"},
		{"ID token claims: nonce", nil, map[string]any{"nonce": "n"}, "nonce"},
		{"no sub nor sid", nil, map[string]any{"sub": nil}, "sub"},
		{"sid only", nil, map[string]any{"sub": nil, "sid": "session-1"}, "sub"},
		{"sub not a string", nil, map[string]any{"sub": 42}, "claims"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, nil)
			header := with(map[string]any{"typ": "logout+jwt"}, tt.header)
			token := s.iss.MintJWT(header, with(s.logoutClaims(), tt.claims))
			status, body := s.postLogout(t, token)
			if status != http.StatusBadRequest || !strings.Contains(body, `"error":"invalid_request"`) || !strings.Contains(body, tt.check) {
				t.Errorf("POST = %d %s, want 400 invalid_request naming %q", status, body, tt.check)
			}
			if got := s.rec.purges(); len(got) != 0 {
				t.Errorf("purges = %q, want none", got)
			}
		})
	}
}

// TestLogoutTokenSignedByAnotherKeyRefused: a token signed by a key the
// issuer does not publish is refused (a forged logout).
func TestLogoutTokenSignedByAnotherKeyRefused(t *testing.T) {
	s := newSetup(t, nil)
	other := issuertest.NewServer(issuertest.WithClock(s.clock.Now))
	defer other.Close()
	other.RotateKey() // a key of its own, not the process's shared one
	token := other.MintJWT(map[string]any{"typ": "logout+jwt"}, s.logoutClaims())
	if status, body := s.postLogout(t, token); status != http.StatusBadRequest || !strings.Contains(body, "signing key") {
		t.Errorf("POST = %d %s, want 400 naming the signing key", status, body)
	}
	tampered := s.iss.MintJWT(map[string]any{"typ": "logout+jwt"}, s.logoutClaims())
	parts := strings.Split(tampered, ".")
	parts[1] = parts[1][:len(parts[1])-2] + "AA"
	if status, _ := s.postLogout(t, strings.Join(parts, ".")); status != http.StatusBadRequest {
		t.Errorf("POST of a tampered token = %d, want 400", status)
	}
	if got := s.rec.purges(); len(got) != 0 {
		t.Errorf("purges = %q, want none", got)
	}
}

// TestReplayedLogoutTokenRefused: the same logout token posted twice is
// acted on once.
func TestReplayedLogoutTokenRefused(t *testing.T) {
	s := newSetup(t, nil)
	token := s.iss.MintJWT(map[string]any{"typ": "logout+jwt"}, s.logoutClaims())
	if status, body := s.postLogout(t, token); status != http.StatusOK {
		t.Fatalf("first POST = %d %s, want 200", status, body)
	}
	if status, body := s.postLogout(t, token); status != http.StatusBadRequest || !strings.Contains(body, "jti replayed") {
		t.Errorf("second POST = %d %s, want 400 jti replayed", status, body)
	}
	if got := s.rec.purges(); len(got) != 1 {
		t.Errorf("purges = %q, want one", got)
	}
}

// TestSecurityEventSubjects: the subject formats a CAEP event may carry
// (RFC 9493, OpenID SSF) and the purge each maps to.
func TestSecurityEventSubjects(t *testing.T) {
	tests := []struct {
		name    string
		claims  func(s *setup) map[string]any
		purges  []string
		status  int
		errCode string
	}{
		{"iss_sub", func(s *setup) map[string]any {
			return s.setClaims(map[string]any{"format": "iss_sub", "iss": s.iss.URL, "sub": "alice"})
		}, []string{"subject alice"}, 202, ""},
		{"opaque", func(s *setup) map[string]any {
			return s.setClaims(map[string]any{"format": "opaque", "id": "bob"})
		}, []string{"subject bob"}, 202, ""},
		{"jwt_id", func(s *setup) map[string]any {
			return s.setClaims(map[string]any{"format": "jwt_id", "iss": s.iss.URL, "jti": "tok-7"})
		}, []string{"token_id tok-7"}, 202, ""},
		{"complex user", func(s *setup) map[string]any {
			return s.setClaims(map[string]any{"format": "complex", "user": map[string]any{"format": "iss_sub", "iss": s.iss.URL, "sub": "carol"}, "session": map[string]any{"format": "opaque", "id": "s1"}})
		}, []string{"subject carol"}, 202, ""},
		{"complex application", func(s *setup) map[string]any {
			return s.setClaims(map[string]any{"format": "complex", "application": map[string]any{"format": "opaque", "id": "web-app"}})
		}, []string{"client web-app"}, 202, ""},
		{"subject in the event (CAEP draft)", func(s *setup) map[string]any {
			c := s.setClaims(nil)
			delete(c, "sub_id")
			c["events"] = map[string]any{"https://schemas.openid.net/secevent/caep/event-type/token-claims-change": map[string]any{
				"subject": map[string]any{"format": "iss_sub", "iss": s.iss.URL, "sub": "dave"}, "claims": map[string]any{"role": "none"}}}
			return c
		}, []string{"subject dave"}, 202, ""},
		{"other event types ignored", func(s *setup) map[string]any {
			c := s.setClaims(map[string]any{"format": "opaque", "id": "bob"})
			c["events"] = map[string]any{"https://schemas.openid.net/secevent/caep/event-type/credential-change": map[string]any{}}
			return c
		}, nil, 202, ""},
		{"email cannot be mapped", func(s *setup) map[string]any {
			return s.setClaims(map[string]any{"format": "email", "email": "a@example.test"})
		}, nil, 400, "invalid_request"},
		{"iss_sub of another issuer", func(s *setup) map[string]any {
			return s.setClaims(map[string]any{"format": "iss_sub", "iss": "https://evil.test", "sub": "alice"})
		}, nil, 400, "invalid_issuer"},
		{"no subject", func(s *setup) map[string]any { return with(s.setClaims(nil), map[string]any{"sub_id": nil}) }, nil, 400, "invalid_request"},
		{"another audience", func(s *setup) map[string]any {
			return with(s.setClaims(map[string]any{"format": "opaque", "id": "bob"}), map[string]any{"aud": "other"})
		}, nil, 400, "invalid_audience"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, nil)
			claims := tt.claims(s)
			if v, ok := claims["sub_id"]; ok && v == nil {
				delete(claims, "sub_id")
			}
			status, body := s.postEvent(t, s.iss.MintJWT(map[string]any{"typ": "secevent+jwt"}, claims))
			if status != tt.status || (tt.errCode != "" && !strings.Contains(body, `"err":"`+tt.errCode+`"`)) {
				t.Errorf("POST = %d %s, want %d %s (RFC 8935 §2.3)", status, body, tt.status, tt.errCode)
			}
			if got := s.rec.purges(); !slices.Equal(got, tt.purges) {
				t.Errorf("purges = %q, want %q", got, tt.purges)
			}
		})
	}
}

// TestLogoutTokenPushedAsSecurityEventRefused: a logout token is not a
// SET, whichever endpoint it is sent to.
func TestLogoutTokenPushedAsSecurityEventRefused(t *testing.T) {
	s := newSetup(t, nil)
	token := s.iss.MintJWT(map[string]any{"typ": "logout+jwt"}, s.logoutClaims())
	if status, body := s.postEvent(t, token); status != http.StatusBadRequest || !strings.Contains(body, "typ header") {
		t.Errorf("POST = %d %s, want 400 naming the typ header", status, body)
	}
}

// TestCannotDecideAnswers503: a replay store, key source or bus that
// fails makes the receiver answer 503, so that the issuer may retry,
// rather than claim a logout it did not carry out.
func TestCannotDecideAnswers503(t *testing.T) {
	tests := []struct {
		name string
		edit func(*receiver.Config)
	}{
		{"replay store fails", func(c *receiver.Config) { c.Replay = &memReplay{err: errStore} }},
		{"publisher fails", func(c *receiver.Config) { c.Publisher = failingPublisher{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, tt.edit)
			token := s.iss.MintJWT(map[string]any{"typ": "logout+jwt"}, s.logoutClaims())
			if status, body := s.postLogout(t, token); status != http.StatusServiceUnavailable {
				t.Errorf("POST = %d %s, want 503", status, body)
			}
		})
	}
}

// TestRefusalsDoNotEchoValues: the answer names the check, not the
// values of the token.
func TestRefusalsDoNotEchoValues(t *testing.T) {
	s := newSetup(t, nil)
	token := s.iss.MintJWT(map[string]any{"typ": "logout+jwt"}, with(s.logoutClaims(), map[string]any{"iss": "https://evil.test/secret-value"}))
	_, body := s.postLogout(t, token)
	if strings.Contains(body, "secret-value") || strings.Contains(body, token) {
		t.Errorf("answer %s echoes the token's values", body)
	}
}

func TestRequestShape(t *testing.T) {
	s := newSetup(t, nil)
	tests := []struct {
		name        string
		method      string
		contentType string
		body        string
		want        int
	}{
		{"GET", http.MethodGet, "", "", http.StatusMethodNotAllowed},
		{"JSON", http.MethodPost, "application/json", "{}", http.StatusUnsupportedMediaType},
		{"two logout tokens", http.MethodPost, "application/x-www-form-urlencoded", "logout_token=a&logout_token=b", http.StatusBadRequest},
		{"no logout token", http.MethodPost, "application/x-www-form-urlencoded", "x=1", http.StatusBadRequest},
		{"not a JWS", http.MethodPost, "application/secevent+jwt", "garbage", http.StatusBadRequest},
		{"oversized", http.MethodPost, "application/secevent+jwt", strings.Repeat("a", 1<<20), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, s.url, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	s := newSetup(t, nil)
	base := func() receiver.Config {
		return receiver.Config{Issuer: s.iss.URL, Audience: "api", Keys: nil, Replay: &memReplay{}, Publisher: failingPublisher{}}
	}
	tests := []struct {
		name string
		edit func(*receiver.Config)
		want string
	}{
		{"no keys", func(c *receiver.Config) {}, "Config.Keys"},
		{"HMAC algorithm", func(c *receiver.Config) { c.Algorithms = []string{"HS256"} }, "HS256"},
		{"no replay store", func(c *receiver.Config) { c.Replay = nil }, "Config.Replay"},
		{"no issuer", func(c *receiver.Config) { c.Issuer = "" }, "Config.Issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base()
			if tt.name != "no keys" {
				cfg.Keys = keysOf(t, s)
			}
			tt.edit(&cfg)
			if _, err := receiver.New(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New() error = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// TestRetryAfterUnpublishedPurgeActedOn: the issuer retries a logout the
// receiver answered 503 because the purge could not be published; the
// retry is acted on, not refused as a replay, and a replay after that is
// refused.
func TestRetryAfterUnpublishedPurgeActedOn(t *testing.T) {
	pub := &onceFailing{}
	s := newSetup(t, func(c *receiver.Config) { pub.next = c.Publisher; c.Publisher = pub })
	token := s.iss.MintJWT(map[string]any{"typ": "logout+jwt"}, s.logoutClaims())
	for i, want := range []int{http.StatusServiceUnavailable, http.StatusOK, http.StatusBadRequest} {
		if status, body := s.postLogout(t, token); status != want {
			t.Fatalf("POST #%d = %d %s, want %d", i, status, body, want)
		}
	}
	if got := s.rec.purges(); !slices.Equal(got, []string{"subject alice"}) {
		t.Errorf("purges = %q, want the retry's", got)
	}
}
