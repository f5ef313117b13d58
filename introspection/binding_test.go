package introspection_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/verifier"
)

// TestCachedAnswerBindingCheckedOnEveryRequest: a DPoP-bound token's
// answer is cached, but its binding (RFC 9449 §6.2) is checked against
// every request's proof: one call to the endpoint, and the same token
// refused as a bearer token after being accepted with its proof.
func TestCachedAnswerBindingCheckedOnEveryRequest(t *testing.T) {
	iss := issuertest.NewServer(issuertest.WithOpaqueAccessTokens())
	t.Cleanup(iss.Close)
	calls := &countingTransport{next: iss.Client().Transport}
	in, err := introspection.New(t.Context(), introspection.Config{
		Issuer: iss.URL, ClientID: issuertest.APIClientID, ClientSecret: issuertest.APIClientSecret,
		Audience: iss.Audience(), CacheSize: 10, HTTPClient: &http.Client{Transport: calls},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	token := iss.AccessToken(issuertest.TokenRequest{Claims: map[string]any{"cnf": map[string]any{"jkt": "key-1"}}})
	calls.n.Store(0) // New's credential check
	proof := binding.NewContext(context.Background(), &binding.Evidence{DPoP: true, JKT: "key-1"})
	steps := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"with its proof", proof, nil},
		{"as a bearer token, cached", t.Context(), verifier.ErrSenderConstrained},
		{"with another key's proof, cached", binding.NewContext(t.Context(), &binding.Evidence{DPoP: true, JKT: "key-2"}), binding.ErrKeyMismatch},
		{"with its proof again, cached", binding.NewContext(t.Context(), &binding.Evidence{DPoP: true, JKT: "key-1"}), nil},
	}
	for _, s := range steps {
		_, err := in.Verify(s.ctx, token)
		if (err == nil) != (s.want == nil) || !errors.Is(err, s.want) {
			t.Fatalf("%s: Verify() error = %v, want %v", s.name, err, s.want)
		}
	}
	if n := calls.n.Load(); n != 1 {
		t.Errorf("calls to the endpoint = %d, want 1: the answer is cached, the binding is not", n)
	}
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}
