package issuertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"time"
)

// trickleParts is how many pieces a trickled body is sent in.
const trickleParts = 8

// endpoint wraps h with the request counter and fault of e.
func (s *Server) endpoint(e Endpoint, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.faults.counts[e].Add(1)
		fault, ok := s.faults.take(e)
		if !ok {
			h(w, r)
			return
		}
		if fault.Delay > 0 && !s.wait(r, fault.Delay) {
			return
		}
		if !fault.Drop && fault.Trickle == 0 {
			if fault.replaces() {
				writeFault(w, fault)
			} else {
				h(w, r)
			}
			return
		}
		// Drop and Trickle deliver a finished answer in their own way.
		rec := httptest.NewRecorder()
		if fault.replaces() {
			writeFault(rec, fault)
		} else {
			h(rec, r)
		}
		if fault.Drop {
			dropMidBody(w, rec)
			return
		}
		s.trickle(w, r, rec, fault.Trickle)
	})
}

// writeFault answers with the fault's status, body and Retry-After.
func writeFault(w http.ResponseWriter, fault Fault) {
	status, body := fault.Status, fault.Body
	if status == 0 {
		status = http.StatusOK
	}
	if body == "" {
		body = "issuertest: injected fault"
	}
	if fault.RetryAfter > 0 {
		secs := (fault.RetryAfter + time.Second - 1) / time.Second
		w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// dropMidBody writes the recorded answer's status line, headers with the
// full Content-Length, and half its body on the raw connection, then
// closes it.
func dropMidBody(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	defer conn.Close()
	body := rec.Body.Bytes()
	h := rec.Header().Clone()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", rec.Code, http.StatusText(rec.Code))
	_ = h.Write(buf)
	buf.WriteString("\r\n")
	buf.Write(body[:len(body)/2])
	_ = buf.Flush()
}

// trickle sends the recorded answer's headers at once and its body in
// pieces spread over d, stopping if the client goes away or the server
// closes.
func (s *Server) trickle(w http.ResponseWriter, r *http.Request, rec *httptest.ResponseRecorder, d time.Duration) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	body := rec.Body.Bytes()
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	size := max(1, (len(body)+trickleParts-1)/trickleParts)
	first := true
	for part := range slices.Chunk(body, size) {
		if !first && !s.wait(r, d/trickleParts) {
			return
		}
		first = false
		if _, err := w.Write(part); err != nil || rc.Flush() != nil {
			return
		}
	}
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
