package issuertest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tokengate/tokengate/issuertest"
)

func get(t testing.TB, ctx context.Context, s *issuertest.Server, path string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	resp, err := s.Client().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestFaults(t *testing.T) {
	s, _ := newServer(t)
	tests := []struct {
		name       string
		fault      issuertest.Fault
		wantStatus int
		wantJSON   bool
	}{
		{name: "failing", fault: issuertest.StatusFault(503), wantStatus: 503},
		{name: "garbage", fault: issuertest.GarbageFault(), wantStatus: 200},
		{name: "custom body", fault: issuertest.Fault{Status: 500, Body: `{"error":"boom"}`}, wantStatus: 500, wantJSON: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetFault(issuertest.EndpointJWKS, tt.fault)
			resp, body, err := get(t, t.Context(), s, "/jwks")
			if err != nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET /jwks = %v, %v; want %d", resp, err, tt.wantStatus)
			}
			var doc map[string]any
			if isJSON := json.Unmarshal(body, &doc) == nil; isJSON != tt.wantJSON {
				t.Errorf("body %q: JSON = %v, want %v", body, isJSON, tt.wantJSON)
			}
			if _, ok := doc["keys"]; ok {
				t.Errorf("faulted JWKS still serves keys")
			}
			s.ClearFault(issuertest.EndpointJWKS)
			if len(jwks(t, s)) != 1 {
				t.Errorf("JWKS not restored after ClearFault")
			}
		})
	}
}

// TestSlowFault: the delay holds the response back until the client gives
// up, and Close does not wait for it.
func TestSlowFault(t *testing.T) {
	s := issuertest.NewServer()
	s.SetFault(issuertest.EndpointDiscovery, issuertest.SlowFault(time.Hour))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := get(t, ctx, s, "/.well-known/openid-configuration"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow discovery error = %v, want %v", err, context.DeadlineExceeded)
	}

	// A request still waiting when the server closes does not hold Close.
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, _ = get(t, context.Background(), s, "/.well-known/openid-configuration")
	}()
	for s.Requests(issuertest.EndpointDiscovery) < 2 {
		time.Sleep(time.Millisecond) // wait for the request to arrive, not for time to pass
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for a delayed request")
	}
	<-done

	// A short delay still answers correctly.
	s2, _ := newServer(t)
	s2.SetFault(issuertest.EndpointDiscovery, issuertest.SlowFault(time.Millisecond))
	if resp, _, err := get(t, t.Context(), s2, "/.well-known/openid-configuration"); err != nil || resp.StatusCode != 200 {
		t.Errorf("slightly slow discovery = %v, %v; want 200", resp, err)
	}
}

func TestFaultEveryEndpointAndCounters(t *testing.T) {
	s, _ := newServer(t)
	paths := map[issuertest.Endpoint]string{
		issuertest.EndpointDiscovery: "/.well-known/oauth-authorization-server", issuertest.EndpointJWKS: "/jwks",
		issuertest.EndpointAuthorize: "/authorize", issuertest.EndpointUserinfo: "/userinfo",
	}
	for e, path := range paths {
		s.SetFault(e, issuertest.StatusFault(502))
		if resp, _, err := get(t, t.Context(), s, path); err != nil || resp.StatusCode != 502 {
			t.Errorf("%s with a fault = %v, %v; want 502", e, resp, err)
		}
	}
	for _, e := range []issuertest.Endpoint{issuertest.EndpointToken, issuertest.EndpointIntrospect, issuertest.EndpointRevoke} {
		s.SetFault(e, issuertest.StatusFault(500))
		if status, _, _ := postFormRaw(t, s, "/"+string(e)); status != 500 {
			t.Errorf("%s with a fault = %d, want 500", e, status)
		}
	}
	s.ClearFaults()
	if resp, _, err := get(t, t.Context(), s, "/jwks"); err != nil || resp.StatusCode != 200 {
		t.Errorf("after ClearFaults /jwks = %v, %v", resp, err)
	}
	for _, e := range issuertest.Endpoints() {
		want := 1
		switch e {
		case issuertest.EndpointJWKS:
			want = 2
		case issuertest.EndpointLogin:
			want = 0
		}
		if got := s.Requests(e); got != want {
			t.Errorf("Requests(%s) = %d, want %d", e, got, want)
		}
	}
	s.ResetRequests()
	if s.Requests(issuertest.EndpointJWKS) != 0 {
		t.Errorf("ResetRequests left a count")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("SetFault on an unknown endpoint did not panic")
		}
	}()
	s.SetFault("nope", issuertest.StatusFault(500))
}

func postFormRaw(t testing.TB, s *issuertest.Server, path string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := s.Client().PostForm(s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}
