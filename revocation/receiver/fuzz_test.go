package receiver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzReceiver posts arbitrary bodies as logout requests and security
// events: the receiver never panics, never purges for a body the issuer
// did not sign, and answers 400 to anything but the one valid event.
func FuzzReceiver(f *testing.F) {
	s := newSetup(f, nil)
	valid := s.iss.MintJWT(map[string]any{"typ": "secevent+jwt"}, s.setClaims(map[string]any{"format": "opaque", "id": "x"}))
	for _, seed := range []string{"", "a.b.c", valid[:len(valid)-4], `{"events":{}}`, "logout_token=" + valid[:40]} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	rcv := s.handler
	f.Fuzz(func(t *testing.T, body string, asEvent bool) {
		ct := "application/x-www-form-urlencoded"
		if asEvent {
			ct = "application/secevent+jwt"
		}
		req := httptest.NewRequest(http.MethodPost, "/revocations", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		rcv.ServeHTTP(w, req)
		if w.Code != http.StatusBadRequest && w.Code != http.StatusOK && w.Code != http.StatusAccepted {
			t.Fatalf("status %d for body %q", w.Code, body)
		}
		if w.Code != http.StatusBadRequest && body != valid {
			t.Fatalf("status %d for a body the issuer did not sign: %q", w.Code, body)
		}
	})
}
