package tokengate

import (
	"context"
	"time"
)

// ReplayStore remembers one-time values, such as the "jti" of a DPoP proof
// (RFC 9449 §11.1) or of a logout token, for as long as they could be
// replayed. An in-memory store serves one process; a shared one (Redis)
// makes a value used at one replica refused at every other.
//
// Implementations are safe for concurrent use and bounded: a store that
// is full must refuse to record rather than forget a value before until.
type ReplayStore interface {
	// Use records key until the time until and reports whether it was
	// fresh: false means key was already recorded and not yet expired (a
	// replay). Of several concurrent calls with one key, at most one
	// reports true. An error means the store could not decide; callers
	// refuse the request as unavailable rather than risk a replay.
	Use(ctx context.Context, key string, until time.Time) (fresh bool, err error)
}
