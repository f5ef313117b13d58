package introspection_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

// gate is a handler that reports each request's arrival and holds it
// until released; it then answers body, or reports that the request's
// context ended first.
type gate struct {
	body      string
	arrived   chan struct{}
	release   chan struct{}
	cancelled chan struct{}
}

func newGate(body string) *gate {
	return &gate{
		body:      body,
		arrived:   make(chan struct{}, 1000),
		release:   make(chan struct{}),
		cancelled: make(chan struct{}, 1000),
	}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body) // so that the server notices the client leaving
	g.arrived <- struct{}{}
	select {
	case <-g.release:
		reply(g.body)(w, r)
	case <-r.Context().Done():
		g.cancelled <- struct{}{}
	}
}

func TestCoalescing1000ConcurrentRequests(t *testing.T) {
	g := newGate(activeBody(time.Hour))
	e := newEndpoint(t, g.ServeHTTP)
	in := newIntrospector(t, e, newClock(), introspection.Config{CacheSize: 10})

	const n = 1000
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			c, err := in.Verify(t.Context(), "new-token")
			if err == nil && c.Subject != "alice" {
				err = errors.New("wrong subject")
			}
			errs <- err
		})
	}
	close(start)
	<-g.arrived // the one call is held while the others pile up
	close(g.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Verify() error = %v", err)
		}
	}
	wantCalls(t, e, 1)
}

// TestCancelledCallerDoesNotFailOthers: the caller who started the call
// leaves; the call goes on, and the caller who joined it gets the answer.
func TestCancelledCallerDoesNotFailOthers(t *testing.T) {
	g := newGate(activeBody(time.Hour))
	e := newEndpoint(t, g.ServeHTTP)
	in := newIntrospector(t, e, newClock(), introspection.Config{CacheSize: 10})

	ctx, cancel := context.WithCancel(t.Context())
	firstErr := make(chan error, 1)
	go func() {
		_, err := in.Verify(ctx, "new-token")
		firstErr <- err
	}()
	<-g.arrived
	secondErr := make(chan error, 1)
	go func() {
		_, err := in.Verify(t.Context(), "new-token")
		secondErr <- err
	}()

	cancel()
	err := <-firstErr
	if !errors.Is(err, context.Canceled) || !errors.Is(err, verifier.ErrUnavailable) {
		t.Fatalf("cancelled caller: Verify() error = %v, want context.Canceled and ErrUnavailable", err)
	}
	close(g.release)
	if err := <-secondErr; err != nil {
		t.Fatalf("other caller: Verify() error = %v, want nil", err)
	}
	if len(g.cancelled) != 0 {
		t.Error("the first caller's cancellation cancelled the shared call")
	}
	wantCalls(t, e, 1)
}

// TestCloseAbortsCallsInFlight checks Close cancels a call in flight and
// returns only once it has ended, leaving nothing running.
func TestCloseAbortsCallsInFlight(t *testing.T) {
	g := newGate(activeBody(time.Hour))
	e := newEndpoint(t, g.ServeHTTP)
	in := newIntrospector(t, e, newClock(), introspection.Config{CacheSize: 10})

	errc := make(chan error, 1)
	go func() {
		_, err := in.Verify(t.Context(), "new-token")
		errc <- err
	}()
	<-g.arrived
	if err := in.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	if err := <-errc; !errors.Is(err, verifier.ErrUnavailable) {
		t.Errorf("Verify() during Close error = %v, want %v", err, verifier.ErrUnavailable)
	}
	defer close(g.release)
	select {
	case <-g.cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the call in flight was not cancelled by Close")
	}
}

func TestVerifyAfterClose(t *testing.T) {
	e := newEndpoint(t, reply(activeBody(time.Hour)))
	in := newIntrospector(t, e, newClock(), introspection.Config{CacheSize: 10})
	verify(t, in, "token-a", nil)
	in.Close()
	if err := in.Close(); err != nil {
		t.Errorf("second Close() error = %v, want nil", err)
	}
	verify(t, in, "token-a", verifier.ErrUnavailable) // not served from the dropped cache
	verify(t, in, "token-b", verifier.ErrUnavailable)
	wantCalls(t, e, 1)
}
