package middleware

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tokengate/tokengate/internal/bearer"
)

// Error describes a refused request to a [Guard.ErrorHandler]. Every field
// but Err is safe to show to the client.
type Error struct {
	// Status is the HTTP status that will be sent: 400, 401, 403 or 503.
	Status int

	// Code is the RFC 6750 §3.1 error code: "invalid_request",
	// "invalid_token" or "insufficient_scope", RFC 9470's
	// "insufficient_user_authentication", or for a DPoP request the
	// RFC 9449 §7.1 "invalid_dpop_proof" or "use_dpop_nonce"; "" for a request without a
	// bearer token (RFC 6750 §3.1 asks for no error information) and for
	// 503.
	Code string

	// Description is a sentence from a fixed vocabulary ("the access token
	// expired"); it never contains the token, a key id, a claim value or an
	// upstream body. It is "" for a request without a bearer token.
	Description string

	// Scope lists, for insufficient_scope, the scopes the route requires;
	// otherwise it is nil.
	Scope []string

	// ACRValues and MaxAge are, for insufficient_user_authentication
	// (RFC 9470 §3), the acceptable acr values and the maximum age of the
	// authentication in seconds (0: none) the client should ask the
	// authorization server for; otherwise nil and 0.
	ACRValues []string
	MaxAge    int

	// Err is the cause, for logs: match it with errors.Is against the
	// verifier sentinels. Never show its text to the client.
	Err error
}

// Error returns a short description for logs; it does not include Err.
func (e *Error) Error() string {
	if e.Description == "" {
		return "middleware: " + strconv.Itoa(e.Status) + " " + strings.ToLower(http.StatusText(e.Status))
	}
	return "middleware: " + strconv.Itoa(e.Status) + " " + e.Description
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// newError is the client's view of a refusal decided by bearer.Rule, the
// decision the gRPC interceptors share; only the status is chosen here.
func newError(d *bearer.Decision) *Error {
	e := &Error{Status: httpStatus(d.Kind), Code: d.Code, Description: d.Description, Err: d.Err}
	if d.Scope != "" {
		e.Scope = strings.Split(d.Scope, " ")
	}
	if d.ACRValues != "" {
		e.ACRValues = strings.Split(d.ACRValues, " ")
	}
	e.MaxAge, _ = strconv.Atoi(d.MaxAge)
	return e
}

// httpStatus is the HTTP column of the behaviour table.
func httpStatus(k bearer.Kind) int {
	switch k {
	case bearer.Missing, bearer.InvalidToken, bearer.InsufficientUserAuthentication, bearer.InvalidDPoPProof, bearer.UseDPoPNonce:
		return http.StatusUnauthorized
	case bearer.InvalidRequest:
		return http.StatusBadRequest
	case bearer.InsufficientScope:
		return http.StatusForbidden
	}
	return http.StatusServiceUnavailable
}

// refuse answers a refused request: hook, headers, then the body.
func (p *policy) refuse(w http.ResponseWriter, r *http.Request, d *bearer.Decision) {
	if p.opts.OnError != nil {
		p.opts.OnError(r, d.Err)
	}
	e := newError(d)
	h := w.Header()
	h.Del("WWW-Authenticate")
	for _, challenge := range p.challenge.Challenges(p.sender, d) {
		h.Add("WWW-Authenticate", challenge)
	}
	if d.Nonce != "" {
		h.Set("DPoP-Nonce", d.Nonce) // RFC 9449 §9
	}
	if e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", p.retryAfter)
	}
	if p.opts.ErrorHandler == nil {
		body := e.Description
		if body == "" {
			body = strings.ToLower(http.StatusText(e.Status))
		}
		http.Error(w, body, e.Status)
		return
	}
	pw := &pinnedWriter{ResponseWriter: w, status: e.Status}
	p.opts.ErrorHandler(pw, r, e)
	pw.WriteHeader(e.Status) // in case the handler wrote nothing
}

// pinnedWriter sends its fixed status whatever status the ErrorHandler
// asks for, so that replacing the body cannot change the decision.
type pinnedWriter struct {
	http.ResponseWriter
	status  int
	written bool
}

func (w *pinnedWriter) WriteHeader(int) {
	if !w.written {
		w.written = true
		w.ResponseWriter.WriteHeader(w.status)
	}
}

func (w *pinnedWriter) Write(b []byte) (int, error) {
	w.WriteHeader(w.status)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *pinnedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
