package verifier

import (
	"testing"
	"time"

	"github.com/tokengate/tokengate/jwkscache"
)

// TestDefaultClientDoesNotCapFetchTimeout: the default HTTP client has no
// Timeout of its own, which would silently cap a Keys.FetchTimeout longer
// than it; every call carries its own deadline instead.
func TestDefaultClientDoesNotCapFetchTimeout(t *testing.T) {
	cfg := Config{Issuer: "https://issuer.example.test", Audience: "api", Keys: jwkscache.Config{FetchTimeout: 30 * time.Second}}
	if err := cfg.setDefaults(); err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPClient.Timeout != 0 {
		t.Errorf("default HTTPClient.Timeout = %v, want none: it would cap Keys.FetchTimeout (%v)", cfg.HTTPClient.Timeout, cfg.Keys.FetchTimeout)
	}
}
