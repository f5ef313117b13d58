package security_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokengate/tokengate/middleware"
)

// Resource bounds: hostile input costs a fixed amount of memory, and every
// goroutine a flood starts ends when the parts are closed.

// TestOversizedTokenRefusedAtConstantCost: the size cap is checked before
// anything is decoded, so a 4 MiB token costs what a 16 KiB one does.
func TestOversizedTokenRefusedAtConstantCost(t *testing.T) {
	f := newFixtureSetup(t, fixture(t, "jwks.json"), nil)
	ctx := t.Context()
	verifyAllocs := func(tok string) float64 {
		return testing.AllocsPerRun(500, func() { f.v.Verify(ctx, tok) })
	}
	small, large := strings.Repeat("A", 16<<10)+".b.c", strings.Repeat("A", 4<<20)+".b.c"
	if s, l := verifyAllocs(small), verifyAllocs(large); s != l || l > 4 {
		t.Errorf("Verify allocations: %v for 16 KiB, %v for 4 MiB; want equal and at most 4", s, l)
	}

	h := middleware.Require(f.v)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("the handler ran for an oversized token")
	}))
	serveAllocs := func(tok string) float64 {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		return testing.AllocsPerRun(200, func() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", w.Code)
			}
		})
	}
	if s, l := serveAllocs(strings.Repeat("A", 16<<10)), serveAllocs(strings.Repeat("A", 4<<20)); s != l {
		t.Errorf("middleware allocations: %v for a 16 KiB token, %v for a 4 MiB one; want equal", s, l)
	}
}

// TestGoroutinesReturnToBaselineAfterFloods runs the floods of the suite
// (random kids, a hanging key set endpoint, junk tokens at introspection)
// and checks that once the verifiers and servers are closed, no goroutine
// they started is left.
func TestGoroutinesReturnToBaselineAfterFloods(t *testing.T) {
	baseline := settledGoroutines()
	t.Run("floods", func(t *testing.T) {
		f := newFixtureSetup(t, fixture(t, "jwks.json"), withShortFetch)
		valid := token(t, "valid-rs256")
		f.clock.Advance(cooldownPassed)
		flood(t, 8, 25, func(i int) {
			f.get(t, "Bearer "+withKID(t, valid, fmt.Sprintf("flood-%d", i)))
		})
		f.keys.setHang()
		f.clock.Advance(cooldownPassed)
		flood(t, 8, 5, func(i int) {
			f.get(t, "Bearer "+withKID(t, valid, fmt.Sprintf("hang-%d", i)))
		})

		in := newIntrospectionSetup(t)
		in.e.answer(body(200, `{"active":false}`))
		flood(t, 8, 25, func(i int) {
			in.get(t, fmt.Sprintf("Bearer junk-%d", i))
		})
	})
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling for goroutines to exit, not for a timer
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("%d goroutines after the floods, %d before; still running:\n%s", n, baseline, bytes.TrimSpace(buf))
	}
}

// flood runs fn(i) for i in [0, workers*each) on workers goroutines.
func flood(t *testing.T, workers, each int, fn func(i int)) {
	t.Helper()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				fn(w*each + i)
			}
		}()
	}
	wg.Wait()
}

// settledGoroutines waits briefly for goroutines of earlier tests to end
// and returns the count.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(10 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			return n
		}
		n = m
	}
	return n
}
