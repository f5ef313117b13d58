package introspection_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

// TestTokenKindRules checks the token-kind rules of the package
// documentation on the answers real servers give (PROVIDERS.md): the
// server's "token_type" and "token_use" each refuse what they say is not
// an access token, and an answer that says neither is an access token
// only when its "aud" names this API.
func TestTokenKindRules(t *testing.T) {
	const api = `"aud":["https://api.test"]`
	tests := []struct {
		name string
		cfg  introspection.Config
		body string
		want error
	}{
		{"Hydra access token (token_use access_token)", introspection.Config{}, `{"active":true,"token_type":"Bearer","token_use":"access_token",` + api + `}`, nil},
		{"Hydra refresh token: token_type Bearer, token_use refresh_token, the access token's aud", introspection.Config{},
			`{"active":true,"token_type":"Bearer","token_use":"refresh_token",` + api + `}`, verifier.ErrNotAccessToken},
		{"Hydra 1.x refresh token (token_type refresh_token)", introspection.Config{}, `{"active":true,"token_type":"refresh_token",` + api + `}`, verifier.ErrNotAccessToken},
		{"node-oidc-provider refresh token: no token_type, no aud", introspection.Config{}, `{"active":true,"sub":"alice","client_id":"web"}`, verifier.ErrNotAccessToken},
		{"node-oidc-provider refresh token with the audience waived", introspection.Config{AnyAudience: true}, `{"active":true,"sub":"alice","client_id":"web"}`, verifier.ErrNotAccessToken},
		{"node-oidc-provider access token", introspection.Config{}, `{"active":true,"token_type":"Bearer",` + api + `}`, nil},
		{"untyped answer whose aud names this API", introspection.Config{}, `{"active":true,` + api + `}`, nil},
		{"Cognito-style access token, audience waived (token_use access)", introspection.Config{AnyAudience: true}, `{"active":true,"token_use":"access","client_id":"web"}`, nil},
		{"Cognito-style ID token (token_use id)", introspection.Config{}, `{"active":true,"token_use":"id",` + api + `}`, verifier.ErrNotAccessToken},
		{"token_use null counts as absent", introspection.Config{}, `{"active":true,"token_use":null,` + api + `}`, nil},
		{"token_use of the wrong type: faulty server", introspection.Config{}, `{"active":true,"token_use":1,` + api + `}`, verifier.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, reply(tt.body))
			verify(t, newIntrospector(t, e, newClock(), tt.cfg), "opaque-token", tt.want)
		})
	}
}

// TestSenderConstrainedTokenRefusedAsBearer: a token bound to a key
// (RFC 9449 §6.2 "cnf" "jkt", or token_type DPoP) or to a client
// certificate (RFC 8705 §3 "x5t#S256") presented as a bearer token is
// refused (RFC 9449 §7.2): whoever stole it has no key to prove, and
// sender-constrained tokens are not supported yet.
func TestSenderConstrainedTokenRefusedAsBearer(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
	}{
		{"RFC 9449 §7.2: a DPoP-bound token (cnf jkt, §6.2) as bearer", act(`"token_type":"Bearer","cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}`), verifier.ErrSenderConstrained},
		{"RFC 9449 §7.2: token_type DPoP (§6.2) as bearer", act(`"token_type":"DPoP","cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}`), verifier.ErrSenderConstrained},
		{"RFC 8705 §3: a certificate-bound token (cnf x5t#S256) as bearer", act(`"cnf":{"x5t#S256":"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}`), verifier.ErrSenderConstrained},
		{"cnf null is no binding", act(`"token_type":"Bearer","cnf":null`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, reply(tt.body))
			verify(t, newIntrospector(t, e, newClock(), introspection.Config{}), "opaque-token", tt.want)
		})
	}
}

// answer400 answers 400 with the JSON error body.
func answer400(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, body)
	}
}

// TestRefusal400IsNotAnOutage: a 400 whose "error" says the server will
// not introspect this token (node-oidc-provider's unsupported_token_type
// for every JWT, or invalid_token) refuses the token, 401 and cached,
// rather than reporting an outage; and it does not trip the breaker.
func TestRefusal400IsNotAnOutage(t *testing.T) {
	for _, code := range []string{"unsupported_token_type", "invalid_token"} {
		t.Run(code, func(t *testing.T) {
			e := newEndpoint(t, answer400(`{"error":"`+code+`"}`))
			in := newIntrospector(t, e, newClock(), introspection.Config{CacheSize: 10})
			for range 2 {
				_, err := in.Verify(t.Context(), "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")
				if !errors.Is(err, verifier.ErrInvalidToken) || errors.Is(err, verifier.ErrUnavailable) || !strings.Contains(err.Error(), code) {
					t.Fatalf("Verify() error = %v, want ErrInvalidToken naming %s", err, code)
				}
			}
			verify(t, in, "other-token", verifier.ErrInvalidToken) // called: the breaker is closed
			wantCalls(t, e, 2)
		})
	}
}

// TestMalformedRequest400 stays an outage (503) with a log line naming
// the cause, one per interval however many requests; it does not trip
// the breaker, so that a hostile token the server cannot parse does not
// stop the checks of everyone else's.
func TestMalformedRequest400(t *testing.T) {
	e := newEndpoint(t, answer400(`{"error":"invalid_request","error_description":"missing token_type_hint"}`))
	logger, lines := testLogger(t)
	in := newIntrospector(t, e, newClock(), introspection.Config{Logger: logger})
	for _, tok := range []string{"token-a", "token-b", "token-c"} {
		_, err := in.Verify(t.Context(), tok)
		wantUnavailable(t, err, `"error" "invalid_request"`)
	}
	wantCalls(t, e, 3)
	got := lines()
	if len(got) != 1 || !strings.Contains(got[0], "invalid_request") || !strings.Contains(got[0], "missing token_type_hint") {
		t.Errorf("log = %q, want one line naming the cause", got)
	}
	for _, l := range got {
		if strings.Contains(l, "token-") {
			t.Errorf("log line %q contains a token", l)
		}
	}
}

// TestFaultLogNamesCause: a failing endpoint is logged when a pause
// starts and when it answers again, not once per request.
func TestFaultLogNamesCause(t *testing.T) {
	f := &flaky{}
	f.down.Store(true)
	e := newEndpoint(t, f.ServeHTTP)
	logger, lines := testLogger(t)
	clock := newClock()
	in := newIntrospector(t, e, clock, introspection.Config{Logger: logger})
	for range 10 {
		verify(t, in, "token-a", verifier.ErrUnavailable)
	}
	f.down.Store(false)
	clock.Advance(time.Second)
	verify(t, in, "token-a", nil)
	got := lines()
	if len(got) != 2 || !strings.Contains(got[0], "status 503") || !strings.Contains(got[0], "pause=1s") || !strings.Contains(got[1], "answering again") {
		t.Errorf("log = %q, want the pause (naming status 503) and the recovery", got)
	}
}
