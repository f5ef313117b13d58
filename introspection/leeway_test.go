package introspection_test

import (
	"testing"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

// TestNoLeeway: a zero Leeway is the 30s default; tokengate.NoLeeway
// tolerates no skew, so an answer whose "exp" passed a second ago is
// refused.
func TestNoLeeway(t *testing.T) {
	for _, tt := range []struct {
		name   string
		leeway time.Duration
		want   error
	}{
		{"zero is the default 30s", 0, nil},
		{"NoLeeway", tokengate.NoLeeway, verifier.ErrTokenExpired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, reply(activeBody(-time.Second)))
			in := newIntrospector(t, e, newClock(), introspection.Config{Leeway: tt.leeway})
			verify(t, in, "a-token", tt.want)
		})
	}
}
