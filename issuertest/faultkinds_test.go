package issuertest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tokengate/tokengate/issuertest"
)

// faultSetters set a fault on the JWKS endpoint through the Go API and
// through the admin API, whose JSON must mean the same.
var faultSetters = []struct {
	name string
	set  func(t testing.TB, s *issuertest.Server, f issuertest.Fault)
}{
	{"Go API", func(_ testing.TB, s *issuertest.Server, f issuertest.Fault) { s.SetFault(issuertest.EndpointJWKS, f) }},
	{"admin API", func(t testing.TB, s *issuertest.Server, f issuertest.Fault) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{
			"endpoint": "jwks", "delay_ms": f.Delay.Milliseconds(), "status": f.Status, "body": f.Body,
			"retry_after_seconds": int64(f.RetryAfter / time.Second), "times": f.Times, "drop": f.Drop,
			"trickle_ms": f.Trickle.Milliseconds(),
		})
		if status, out := adminCall(t, s, "POST", "/admin/fault", string(body)); status != http.StatusNoContent {
			t.Fatalf("POST /admin/fault = %d %v", status, out)
		}
	}},
}

// TestFaultForTheNextRequests: a fault with Times answers that many
// requests, then clears itself.
func TestFaultForTheNextRequests(t *testing.T) {
	for _, setter := range faultSetters {
		t.Run(setter.name, func(t *testing.T) {
			s, _ := newServer(t, issuertest.WithAdminAPI())
			f := issuertest.StatusFault(http.StatusServiceUnavailable)
			f.Times = 2
			setter.set(t, s, f)
			var got []int
			for range 4 {
				resp, _, err := get(t, t.Context(), s, "/jwks")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, resp.StatusCode)
			}
			if want := []int{503, 503, 200, 200}; !slices.Equal(got, want) {
				t.Errorf("GET /jwks statuses = %v, want %v", got, want)
			}
		})
	}
}

// TestRateLimitFault_RFC6585_4: 429 Too Many Requests with Retry-After in
// whole seconds, rounded up (RFC 9110 §10.2.3).
func TestRateLimitFault_RFC6585_4(t *testing.T) {
	for _, setter := range faultSetters {
		t.Run(setter.name, func(t *testing.T) {
			s, _ := newServer(t, issuertest.WithAdminAPI())
			setter.set(t, s, issuertest.RateLimitFault(30*time.Second))
			resp, body, err := get(t, t.Context(), s, "/jwks")
			if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "30" {
				t.Fatalf("GET /jwks = %v %q, %v; want 429 with Retry-After 30", resp.Status, resp.Header.Get("Retry-After"), err)
			}
			if !json.Valid(body) {
				t.Errorf("429 body %q is not JSON", body)
			}
		})
	}
	s, _ := newServer(t)
	s.SetFault(issuertest.EndpointJWKS, issuertest.Fault{Status: 503, RetryAfter: 1500 * time.Millisecond})
	if resp, _, _ := get(t, t.Context(), s, "/jwks"); resp.Header.Get("Retry-After") != "2" {
		t.Errorf("Retry-After for 1.5s = %q, want 2", resp.Header.Get("Retry-After"))
	}
}

// TestDropFault: the connection closes mid-body, after a Content-Length
// that promised more, both for the real answer and for a faulted one.
func TestDropFault(t *testing.T) {
	for _, setter := range faultSetters {
		for name, f := range map[string]issuertest.Fault{
			"real answer":    issuertest.DropFault(),
			"faulted answer": {Status: 500, Body: `{"error":"server_error","error_description":"boom"}`, Drop: true},
		} {
			t.Run(setter.name+"/"+name, func(t *testing.T) {
				s, _ := newServer(t, issuertest.WithAdminAPI())
				setter.set(t, s, f)
				resp, body, err := get(t, t.Context(), s, "/jwks")
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("GET /jwks with a dropped connection: %v, body %q; want %v", err, body, io.ErrUnexpectedEOF)
				}
				if resp == nil || resp.ContentLength <= 0 {
					t.Errorf("response %v has no Content-Length", resp)
				}
			})
		}
	}
}

// TestDelayVersusTrickle: a delay holds back the first byte, so a client's
// header timeout fires; a trickle sends the headers at once and the body
// slowly, so only a timeout on the whole exchange fires. The durations are
// an hour against a tenth of a second: no timing can blur them.
func TestDelayVersusTrickle(t *testing.T) {
	headerTimeout := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 100 * time.Millisecond}}
	for _, setter := range faultSetters {
		t.Run(setter.name+"/delay", func(t *testing.T) {
			s, _ := newServer(t, issuertest.WithAdminAPI())
			setter.set(t, s, issuertest.SlowFault(time.Hour))
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/jwks", nil)
			_, err := headerTimeout.Do(req)
			var nerr net.Error
			if !errors.As(err, &nerr) || !nerr.Timeout() {
				t.Errorf("GET /jwks delayed an hour with a header timeout: %v, want a timeout", err)
			}
		})
		t.Run(setter.name+"/trickle", func(t *testing.T) {
			s, _ := newServer(t, issuertest.WithAdminAPI())
			setter.set(t, s, issuertest.TrickleFault(time.Hour))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/jwks", nil)
			resp, err := headerTimeout.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /jwks trickled over an hour: %v, %v; want the headers at once", resp, err)
			}
			defer resp.Body.Close()
			first := make([]byte, 4096)
			n, err := resp.Body.Read(first)
			if n == 0 || n >= int(resp.ContentLength) {
				t.Errorf("first read = %d bytes (%v) of %d, want a first piece only", n, err, resp.ContentLength)
			}
			rest := make(chan error, 1)
			go func() { _, err := io.ReadAll(resp.Body); rest <- err }()
			cancel() // the whole-exchange deadline of a careful client
			if err := <-rest; !errors.Is(err, context.Canceled) {
				t.Errorf("reading the trickled rest after cancel: %v, want %v", err, context.Canceled)
			}
		})
	}
	// A short trickle delivers the whole, correct body.
	s, _ := newServer(t)
	s.SetFault(issuertest.EndpointJWKS, issuertest.TrickleFault(8*time.Millisecond))
	if len(jwks(t, s)) != 1 {
		t.Errorf("trickled JWKS is not the key set")
	}
}

func TestBadFaultsPanic(t *testing.T) {
	s, _ := newServer(t)
	for name, f := range map[string]issuertest.Fault{
		"negative times":     {Status: 500, Times: -1},
		"negative trickle":   {Trickle: -time.Second},
		"negative retry":     {Status: 429, RetryAfter: -time.Second},
		"drop with trickle":  {Drop: true, Trickle: time.Second},
		"status out of band": {Status: 600},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("SetFault(%+v) did not panic", f)
				}
			}()
			s.SetFault(issuertest.EndpointJWKS, f)
		})
	}
}
