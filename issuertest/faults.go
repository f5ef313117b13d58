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

// A Fault changes how an endpoint answers, until it is cleared or for the
// next Times requests. First the response waits Delay before its first
// byte (cut short if the client goes away or the server closes). Then, if
// Status or Body is set, the endpoint answers with them instead of doing
// its work: Status (200 if zero) and Body (a fixed text if empty) with
// Content-Type application/json, whatever the body is, and Retry-After
// when RetryAfter is set. A fault with only Delay set makes the endpoint
// slow but correct. Drop and Trickle change how the answer, the faulted
// one or the real one, is delivered.
type Fault struct {
	// Delay holds the whole response back: no byte is sent before it ends.
	Delay time.Duration
	// Status and Body replace the endpoint's answer.
	Status int
	Body   string
	// RetryAfter, when positive, adds Retry-After with this many seconds
	// (rounded up) to the answer of Status and Body (RFC 9110 §10.2.3),
	// as a rate limit (429, RFC 6585 §4) or an outage (503) has.
	RetryAfter time.Duration
	// Times, when positive, makes the fault apply to the next Times
	// requests only; then it clears itself. Zero means until cleared.
	Times int
	// Drop sends the status line, the headers (with the full
	// Content-Length) and half the body, then closes the connection: the
	// client sees the response cut off mid-body.
	Drop bool
	// Trickle sends the headers at once and the body in small pieces spread
	// over Trickle, so that a client's header timeout passes and only a
	// timeout on the whole exchange stops it. It cannot be combined with
	// Drop.
	Trickle time.Duration
}

// SlowFault makes an endpoint answer correctly after d, with no byte
// before then.
func SlowFault(d time.Duration) Fault { return Fault{Delay: d} }

// StatusFault makes an endpoint fail with an HTTP status, such as 500 or 503.
func StatusFault(status int) Fault { return Fault{Status: status} }

// GarbageFault makes an endpoint answer 200 with a body that is not the JSON
// its clients expect, though it claims to be.
func GarbageFault() Fault { return Fault{Status: http.StatusOK, Body: "<html>{not json"} }

// RateLimitFault makes an endpoint answer 429 Too Many Requests with
// Retry-After (RFC 6585 §4).
func RateLimitFault(retryAfter time.Duration) Fault {
	return Fault{Status: http.StatusTooManyRequests, Body: `{"error":"rate_limited"}`, RetryAfter: retryAfter}
}

// DropFault makes an endpoint drop the connection halfway through its
// otherwise correct answer.
func DropFault() Fault { return Fault{Drop: true} }

// TrickleFault makes an endpoint send its headers at once and its
// otherwise correct body slowly, over d.
func TrickleFault(d time.Duration) Fault { return Fault{Trickle: d} }

// validate reports what is wrong with a fault.
func (f Fault) validate() error {
	switch {
	case f.Delay < 0, f.Trickle < 0, f.RetryAfter < 0, f.Times < 0:
		return fmt.Errorf("negative Delay, Trickle, RetryAfter or Times")
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return fmt.Errorf("status %d is not an HTTP status", f.Status)
	case f.Drop && f.Trickle > 0:
		return fmt.Errorf("Drop and Trickle cannot be combined")
	}
	return nil
}

// replaces reports whether the fault answers instead of the endpoint.
func (f Fault) replaces() bool { return f.Status != 0 || f.Body != "" }

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

// take returns the fault of e for one request, counting down a fault for
// the next Times requests.
func (f *faults) take(e Endpoint) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fault, ok := f.active[e]
	if ok && fault.Times > 0 {
		if fault.Times == 1 {
			delete(f.active, e)
		} else {
			next := fault
			next.Times--
			f.active[e] = next
		}
	}
	return fault, ok
}

// SetFault makes e answer as fault says, until [Server.ClearFault] (or
// for the next fault.Times requests). It panics for an unknown endpoint or
// an invalid fault: a negative duration or count, a status outside
// 100-599, or Drop with Trickle.
func (s *Server) SetFault(e Endpoint, fault Fault) {
	if err := s.setFault(e, fault); err != nil {
		panic(err.Error())
	}
}

func (s *Server) setFault(e Endpoint, fault Fault) error {
	if _, ok := s.faults.counts[e]; !ok {
		return fmt.Errorf("issuertest: unknown endpoint %s", quote80(string(e)))
	}
	if err := fault.validate(); err != nil {
		return fmt.Errorf("issuertest: bad fault for %s: %w", quote80(string(e)), err)
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
