package verifier_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeIssuer is a real discovery and JWKS endpoint on loopback for one
// issuer and one key, counting every request it gets.
type fakeIssuer struct {
	*httptest.Server
	key       testKey
	path      string // the issuer's path, such as "/tenant-a/v2.0"
	requests  atomic.Int64
	discovery atomic.Int64

	mu      sync.Mutex
	failing bool          // guarded by mu
	hold    chan struct{} // guarded by mu; when set, discovery waits for it
	arrived chan struct{} // a held discovery request sends here first
}

func newFakeIssuer(t testing.TB, key testKey) *fakeIssuer {
	return newFakeIssuerAt(t, key, "")
}

// newFakeIssuerAt serves an issuer whose identifier has path, so several
// tenants can share one host.
func newFakeIssuerAt(t testing.TB, key testKey, path string) *fakeIssuer {
	t.Helper()
	f := &fakeIssuer{key: key, path: path, arrived: make(chan struct{}, 64)}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// Issuer is the issuer identifier.
func (f *fakeIssuer) Issuer() string { return f.URL + f.path }

func (f *fakeIssuer) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	isDiscovery := strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration")
	if isDiscovery {
		f.discovery.Add(1)
	}
	f.mu.Lock()
	failing, hold := f.failing, f.hold
	f.mu.Unlock()
	if failing {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case isDiscovery:
		if hold != nil {
			f.arrived <- struct{}{}
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": f.Issuer(), "jwks_uri": f.Issuer() + "/keys",
			"authorization_endpoint": f.Issuer() + "/authorize", "token_endpoint": f.Issuer() + "/token",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	case strings.HasSuffix(r.URL.Path, "/keys"):
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwk(f.key)}})
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeIssuer) setFailing(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing = v
}

func (f *fakeIssuer) setHold(ch chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = ch
}

// signRaw signs payload, a JSON text used exactly as given, with an RSA
// key: for payloads no map can express (a repeated member).
func signRaw(t testing.TB, k testKey, payload string) string {
	t.Helper()
	head := b64([]byte(`{"alg":"RS256","kid":"` + k.kid + `","typ":"at+jwt"}`))
	input := head + "." + b64([]byte(payload))
	h := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv.(*rsa.PrivateKey), crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}
