package verifier

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// noKeys is a key source that knows no key and makes no request.
type noKeys struct{}

func (noKeys) Key(context.Context, string, string) (any, error) {
	return nil, errors.New("no such key")
}

// unsignedToken has a payload of iss and a header naming RS256; its
// signature never verifies.
func unsignedToken(iss string) string {
	head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"k"}`))
	payload := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"iss":%q}`, iss)))
	return head + "." + payload + ".c2ln"
}

// TestMultiResolvedIssuersStayBounded: a resolver that trusts every one of
// 10,000 tenants never makes Multi keep more than MaxResolved of them.
func TestMultiResolvedIssuersStayBounded(t *testing.T) {
	const bound = 8
	m, err := NewMulti(MultiConfig{
		MaxResolved: bound,
		Resolve: func(_ context.Context, iss string) (*Config, error) {
			if !strings.HasPrefix(iss, "https://login.example.test/") {
				return nil, nil
			}
			return &Config{Issuer: iss, Audience: "api", Keys: noKeys{}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i := range 10_000 {
		_, err := m.Verify(t.Context(), unsignedToken(fmt.Sprintf("https://login.example.test/tenant-%d", i)))
		if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("Verify(tenant %d) error = %v, want ErrInvalidToken", i, err)
		}
		m.mu.Lock()
		n, l := len(m.resolved), len(m.lru)
		m.mu.Unlock()
		if n > bound || l != n {
			t.Fatalf("after %d tenants Multi keeps %d issuers (lru %d); want at most %d", i+1, n, l, bound)
		}
	}
	// The most recently used stays; the oldest went.
	m.recent("https://login.example.test/tenant-9993")
	m.Verify(t.Context(), unsignedToken("https://login.example.test/tenant-0"))
	if m.recent("https://login.example.test/tenant-9993") == nil || m.recent("https://login.example.test/tenant-9992") != nil {
		t.Error("eviction is not least recently used first")
	}
}
