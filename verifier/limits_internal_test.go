package verifier

import (
	"testing"
	"time"

	"github.com/tokengate/tokengate/jwkscache"
)

// TestDefaultClientDoesNotCapFetchTimeout: the default HTTP client has no
// Timeout of its own, which would silently cap a KeyPolicy.Timeout longer
// than it; every call carries its own deadline instead.
func TestDefaultClientDoesNotCapFetchTimeout(t *testing.T) {
	cfg := Config{Issuer: "https://issuer.example.test", Audience: "api", KeyPolicy: jwkscache.Policy{Timeout: 30 * time.Second}}
	if err := cfg.setDefaults(); err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPClient.Timeout != 0 {
		t.Errorf("default HTTPClient.Timeout = %v, want none: it would cap KeyPolicy.Timeout (%v)", cfg.HTTPClient.Timeout, cfg.KeyPolicy.Timeout)
	}
}
