package issuertest

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// An Endpoint names a group of the server's routes, for faults and request
// counters.
type Endpoint string

// The server's endpoints.
const (
	// EndpointDiscovery is both metadata documents:
	// /.well-known/openid-configuration and
	// /.well-known/oauth-authorization-server.
	EndpointDiscovery  Endpoint = "discovery"
	EndpointJWKS       Endpoint = "jwks"
	EndpointAuthorize  Endpoint = "authorize"
	EndpointLogin      Endpoint = "login" // the login and consent forms
	EndpointToken      Endpoint = "token"
	EndpointIntrospect Endpoint = "introspect"
	EndpointRevoke     Endpoint = "revoke"
	EndpointUserinfo   Endpoint = "userinfo"
)

// Endpoints returns every [Endpoint].
func Endpoints() []Endpoint {
	return []Endpoint{
		EndpointDiscovery, EndpointJWKS, EndpointAuthorize, EndpointLogin,
		EndpointToken, EndpointIntrospect, EndpointRevoke, EndpointUserinfo,
	}
}

// A Fault changes how an endpoint answers until it is cleared. First the
// response waits Delay (cut short if the client goes away or the server
// closes). Then, if Status or Body is set, the endpoint answers with them
// instead of doing its work: Status (200 if zero) and Body (a fixed text if
// empty) with Content-Type application/json, whatever the body is. A fault
// with only Delay set makes the endpoint slow but correct.
type Fault struct {
	Delay  time.Duration
	Status int
	Body   string
}

// SlowFault makes an endpoint answer correctly after d.
func SlowFault(d time.Duration) Fault { return Fault{Delay: d} }

// StatusFault makes an endpoint fail with an HTTP status, such as 500 or 503.
func StatusFault(status int) Fault { return Fault{Status: status} }

// GarbageFault makes an endpoint answer 200 with a body that is not the JSON
// its clients expect, though it claims to be.
func GarbageFault() Fault { return Fault{Status: http.StatusOK, Body: "<html>{not json"} }

type faults struct {
	mu     sync.Mutex // guards active
	active map[Endpoint]Fault
	counts map[Endpoint]*atomic.Int64 // fixed at construction
}

func newFaults() *faults {
	f := &faults{active: map[Endpoint]Fault{}, counts: map[Endpoint]*atomic.Int64{}}
	for _, e := range Endpoints() {
		f.counts[e] = new(atomic.Int64)
	}
	return f
}

func (f *faults) get(e Endpoint) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fault, ok := f.active[e]
	return fault, ok
}

// SetFault makes e answer as fault says, until [Server.ClearFault]. It
// panics for an unknown endpoint or a negative delay or an invalid status.
func (s *Server) SetFault(e Endpoint, fault Fault) {
	if err := s.setFault(e, fault); err != nil {
		panic(err.Error())
	}
}

func (s *Server) setFault(e Endpoint, fault Fault) error {
	if _, ok := s.faults.counts[e]; !ok {
		return fmt.Errorf("issuertest: unknown endpoint %q", e)
	}
	if fault.Delay < 0 || (fault.Status != 0 && (fault.Status < 100 || fault.Status > 599)) {
		return fmt.Errorf("issuertest: bad fault for %q", e)
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.active[e] = fault
	return nil
}

// ClearFault makes e answer normally again.
func (s *Server) ClearFault(e Endpoint) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	delete(s.faults.active, e)
}

// ClearFaults makes every endpoint answer normally again.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	clear(s.faults.active)
}

// Requests returns how many requests e has received, faulted ones included.
func (s *Server) Requests(e Endpoint) int {
	c, ok := s.faults.counts[e]
	if !ok {
		return 0
	}
	return int(c.Load())
}

// ResetRequests sets every request counter back to zero.
func (s *Server) ResetRequests() {
	for _, c := range s.faults.counts {
		c.Store(0)
	}
}

// endpoint wraps h with the request counter and fault of e.
func (s *Server) endpoint(e Endpoint, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.faults.counts[e].Add(1)
		fault, ok := s.faults.get(e)
		if !ok {
			h(w, r)
			return
		}
		if fault.Delay > 0 && !s.wait(r, fault.Delay) {
			return
		}
		if fault.Status == 0 && fault.Body == "" {
			h(w, r)
			return
		}
		status, body := fault.Status, fault.Body
		if status == 0 {
			status = http.StatusOK
		}
		if body == "" {
			body = "issuertest: injected fault"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
}

// wait waits d, and reports false if the request or the server ended first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}
