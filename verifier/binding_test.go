package verifier_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/verifier"
)

// TestBindingCheckedOnEveryRequest: the binding of a sender-constrained
// token belongs to each request, so a token accepted with its proof is
// refused on the next request without it (RFC 9449 §7.2), whatever the
// verifier remembers of the token between the two.
func TestBindingCheckedOnEveryRequest(t *testing.T) {
	iss := issuertest.NewServer()
	t.Cleanup(iss.Close)
	v, err := verifier.New(t.Context(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience(), HTTPClient: iss.Client()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	dpopBound := iss.AccessToken(issuertest.TokenRequest{Claims: map[string]any{"cnf": map[string]any{"jkt": "key-1"}}})
	certBound := iss.AccessToken(issuertest.TokenRequest{Claims: map[string]any{"cnf": map[string]any{"x5t#S256": "cert-1"}}})
	with := func(ev *binding.Evidence) context.Context {
		if ev == nil {
			return t.Context()
		}
		return binding.NewContext(t.Context(), ev)
	}
	steps := []struct {
		name  string
		token string
		ev    *binding.Evidence
		want  error
	}{
		{"DPoP token with its proof", dpopBound, &binding.Evidence{DPoP: true, JKT: "key-1"}, nil},
		{"then as a bearer token", dpopBound, nil, verifier.ErrSenderConstrained},
		{"then with another key's proof", dpopBound, &binding.Evidence{DPoP: true, JKT: "key-2"}, binding.ErrKeyMismatch},
		{"then with its proof again", dpopBound, &binding.Evidence{DPoP: true, JKT: "key-1"}, nil},
		{"certificate-bound token with its certificate", certBound, &binding.Evidence{X5T: "cert-1"}, nil},
		{"then without", certBound, nil, verifier.ErrSenderConstrained},
		{"then with another certificate", certBound, &binding.Evidence{X5T: "cert-2"}, binding.ErrCertificateMismatch},
	}
	for _, s := range steps {
		_, err := v.Verify(with(s.ev), s.token)
		if (err == nil) != (s.want == nil) || !errors.Is(err, s.want) {
			t.Fatalf("%s: Verify() error = %v, want %v", s.name, err, s.want)
		}
		if err != nil && !errors.Is(err, verifier.ErrInvalidToken) {
			t.Fatalf("%s: Verify() error = %v does not wrap ErrInvalidToken", s.name, err)
		}
	}
}
