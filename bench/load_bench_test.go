package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// loadClients is the number of concurrent clients of BenchmarkLoad.
const loadClients = 64

// BenchmarkLoad is a closed loop over loopback: loadClients clients, each
// on a kept-alive connection, send b.N requests in all, each sending its
// next request when the last one is answered. ns/op is wall time per
// request (so requests/s is 1e9 over it); p99-µs is the 99th percentile of
// the clients' latencies. Routes:
//
//   - unprotected: the handler alone, every request carrying a token;
//   - tokengate: Require, each client reusing its own token (64 tokens);
//   - tokengate-1000: Require, the clients cycling through manyTokens
//     distinct tokens, as many clients each reusing theirs would;
//   - tokengate-nocache: as tokengate, with the token cache off: every
//     request pays the signature check.
func BenchmarkLoad(b *testing.B) {
	f := getFixture(b)
	many := f.manyRS256()
	routes := []struct {
		name   string
		h      http.Handler
		tokens []string
	}{
		{"unprotected", ordersHandler, many[:loadClients]},
		{"tokengate", protect(newTokengateJWT(b, f)), many[:loadClients]},
		{"tokengate-1000", protect(newTokengateJWT(b, f)), many},
		{"tokengate-nocache", protect(newTokengateJWT(b, f, -1)), many[:loadClients]},
	}
	for _, rt := range routes {
		b.Run(httpAlg+"/"+rt.name, func(b *testing.B) {
			srv := httptest.NewServer(rt.h)
			defer srv.Close()
			tr := srv.Client().Transport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = loadClients
			client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
			defer tr.CloseIdleConnections()
			runLoad(b, client, srv.URL+"/orders", rt.tokens, max(loadClients, len(rt.tokens))) // warm: connections, and each token seen once
			b.ReportAllocs()
			b.ResetTimer()
			lat := runLoad(b, client, srv.URL+"/orders", rt.tokens, b.N)
			b.StopTimer()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			}
		})
	}
}

// protect is the tokengate route of the HTTP benchmarks, with v.
func protect(v *verifier.JWT) http.Handler {
	return middleware.Require(v, scopes.All(requiredScope))(ordersHandler)
}

// runLoad sends n GET requests to url from loadClients goroutines, request
// k carrying tokens[k%len(tokens)], and returns their latencies. A failed
// request fails the benchmark.
func runLoad(b *testing.B, client *http.Client, url string, tokens []string, n int) []time.Duration {
	var next atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for range loadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			defer func() {
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			}()
			for k := next.Add(1) - 1; k < int64(n); k = next.Add(1) - 1 {
				req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, url, nil)
				if err != nil {
					b.Error(err)
					return
				}
				req.Header.Set("Authorization", "Bearer "+tokens[k%int64(len(tokens))])
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				lat = append(lat, time.Since(start))
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status = %d, want 200", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	return all
}
