package introspection_test

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tokengate/tokengate/introspection"
)

// heldCallTransport counts the round trips under way.
type heldCallTransport struct {
	inFlight atomic.Int32
	entered  chan struct{}
}

func (c *heldCallTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	if r.PostFormValue("token") == "held-token" {
		c.entered <- struct{}{}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestConcurrentCloseWaitsForCalls: both of two concurrent Closes return
// only once the call in flight has ended, not just the first.
func TestConcurrentCloseWaitsForCalls(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("token") == "held-token" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		reply(inactiveBody)(w, r)
	})
	tr := &heldCallTransport{entered: make(chan struct{}, 1)}
	in := newIntrospector(t, e, newClock(), introspection.Config{HTTPClient: &http.Client{Transport: tr}})
	go in.Verify(t.Context(), "held-token")
	<-tr.entered
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			in.Close()
			if n := tr.inFlight.Load(); n != 0 {
				t.Errorf("Close() returned with %d call in flight", n)
			}
		})
	}
	wg.Wait()
}
