package oplog

import (
	"log/slog"
	"sync"
	"time"
)

// The rate limit is kept per slog.Logger and per cause, for the whole
// process: every route of a service, and every verifier, that logs to one
// logger shares it, so that an issuer outage seen by twenty routes is still
// one line a minute. The state is bounded: at most maxLoggers loggers and
// maxCauses causes per logger (causes come from a fixed vocabulary and the
// configured URLs); past that it starts afresh, which can only let a line
// through early.
const (
	maxLoggers = 64
	maxCauses  = 256
)

var limiters struct {
	mu sync.Mutex // guards m
	m  map[*slog.Logger]*limiter
}

// limiterOf returns the limiter of l.
func limiterOf(l *slog.Logger) *limiter {
	limiters.mu.Lock()
	defer limiters.mu.Unlock()
	if lim, ok := limiters.m[l]; ok {
		return lim
	}
	if limiters.m == nil || len(limiters.m) >= maxLoggers {
		limiters.m = make(map[*slog.Logger]*limiter)
	}
	lim := &limiter{causes: make(map[string]*causeState)}
	limiters.m[l] = lim
	return lim
}

type limiter struct {
	mu     sync.Mutex // guards causes
	causes map[string]*causeState
}

type causeState struct {
	next       time.Time // no line before this instant
	suppressed int       // lines left out since the last one
	logged     bool      // a line was logged since the last recovery
}

// allow reports whether a line of cause may be logged at now, and how many
// were left out before it.
func (l *limiter) allow(cause string, now time.Time) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.causes[cause]
	if s == nil {
		if len(l.causes) >= maxCauses {
			clear(l.causes)
		}
		s = &causeState{}
		l.causes[cause] = s
	}
	if now.Before(s.next) {
		s.suppressed++
		return 0, false
	}
	n := s.suppressed
	s.next, s.suppressed, s.logged = now.Add(Interval), 0, true
	return n, true
}

// recover ends the outage of cause: it reports whether a line of it was
// logged since the last recovery, with the count of lines left out, and
// resets the cause so that the next failure is logged at once.
func (l *limiter) recover(cause string) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.causes[cause]
	if s == nil || !s.logged {
		return 0, false
	}
	delete(l.causes, cause)
	return s.suppressed, true
}
