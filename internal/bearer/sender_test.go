package bearer

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/binding"
)

// fakeChecker is a DPoP checker whose proofs are "good" or refused, and
// which counts its calls.
type fakeChecker struct {
	checks, uses int
	useErr       error
	nonce        string
}

func (f *fakeChecker) CheckProof(_ context.Context, r tokengate.DPoPRequest) (tokengate.DPoPProof, error) {
	f.checks++
	if len(r.Proofs) != 1 || r.Proofs[0] != "good" {
		return tokengate.DPoPProof{}, binding.ErrProofSignature
	}
	return tokengate.DPoPProof{JKT: "key-1", ReplayKey: "k"}, nil
}

func (f *fakeChecker) UseProof(context.Context, tokengate.DPoPProof) error {
	f.uses++
	return f.useErr
}

func (f *fakeChecker) Algorithms() []string { return []string{"ES256", "EdDSA"} }
func (f *fakeChecker) Nonce() string        { return f.nonce }

func mustSender(t testing.TB, c tokengate.DPoPChecker, require bool) *Sender {
	t.Helper()
	s, err := NewSender(c, require)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSenderParseHeader(t *testing.T) {
	allowed, required := mustSender(t, &fakeChecker{}, false), mustSender(t, &fakeChecker{}, true)
	tests := []struct {
		name   string
		s      *Sender
		value  string
		scheme Scheme
		err    error
	}{
		{"bearer only: DPoP is another scheme", nil, "DPoP abc", SchemeBearer, ErrOtherScheme},
		{"allowed: bearer", allowed, "Bearer abc", SchemeBearer, nil},
		{"allowed: DPoP (RFC 9449 §7.1)", allowed, "DPoP abc", SchemeDPoP, nil},
		{"allowed: scheme case-insensitive", allowed, "dpop abc", SchemeDPoP, nil},
		{"allowed: two spaces", allowed, "DPoP  abc", SchemeDPoP, ErrMalformedDPoP},
		{"allowed: no token", allowed, "DPoP", SchemeDPoP, ErrMalformedDPoP},
		{"required: bearer refused", required, "Bearer abc", SchemeBearer, ErrBearerNotAccepted},
		{"required: basic is another scheme", required, "Basic abc", SchemeBearer, ErrOtherScheme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scheme, token, err := tt.s.ParseHeader([]string{tt.value}, 0)
			if scheme != tt.scheme || !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) || (err == nil && token != "abc") {
				t.Fatalf("ParseHeader(%q) = %v, %q, %v; want %v, %v", tt.value, scheme, token, err, tt.scheme, tt.err)
			}
		})
	}
	if _, err := NewSender(nil, true); err == nil {
		t.Error("NewSender(nil, true) error = nil, want one: requiring DPoP needs a checker")
	}
}

// bindingVerifier checks the binding as the real verifiers do: its token
// is bound to "key-1".
type bindingVerifier struct {
	calls int
	cnf   string
}

func (v *bindingVerifier) Verify(ctx context.Context, _ string) (*tokengate.Claims, error) {
	v.calls++
	c, _ := binding.Parse(v.cnf)
	if err := binding.Check(ctx, c); err != nil {
		return nil, err
	}
	return &tokengate.Claims{Subject: "alice"}, nil
}

func TestAuthorizeRequestDPoP(t *testing.T) {
	unaware := tokengate.TokenVerifierFunc(func(context.Context, string) (*tokengate.Claims, error) {
		return &tokengate.Claims{Subject: "alice"}, nil
	})
	dpopReq := func(proof string) *Presented {
		return &Presented{Scheme: SchemeDPoP, Token: "tok", Proofs: []string{proof}, Method: "GET", URL: "https://api.test/x"}
	}
	tests := []struct {
		name       string
		p          *Presented
		v          tokengate.TokenVerifier
		useErr     error
		want       Kind // 0: allowed
		wantDPoP   bool
		wantChecks int
		wantUses   int
	}{
		{"bound token with its proof", dpopReq("good"), &bindingVerifier{cnf: `{"jkt":"key-1"}`}, nil, 0, false, 1, 1},
		{"bad proof: the verifier is never asked", dpopReq("bad"), &bindingVerifier{cnf: `{"jkt":"key-1"}`}, nil, InvalidDPoPProof, true, 1, 0},
		{"token of another key: the proof is not recorded", dpopReq("good"), &bindingVerifier{cnf: `{"jkt":"key-2"}`}, nil, InvalidToken, true, 1, 0},
		{"replayed proof", dpopReq("good"), &bindingVerifier{cnf: `{"jkt":"key-1"}`}, binding.ErrProofReplayed, InvalidDPoPProof, true, 1, 1},
		{"replay store down", dpopReq("good"), &bindingVerifier{cnf: `{"jkt":"key-1"}`}, tokengate.ErrUnavailable, Unavailable, true, 1, 1},
		{"verifier unaware of DPoP is never trusted with it", dpopReq("good"), unaware, nil, Unavailable, true, 1, 0},
		{"bound token as bearer (RFC 9449 §7.2)", &Presented{Token: "tok"}, &bindingVerifier{cnf: `{"jkt":"key-1"}`}, nil, InvalidToken, false, 0, 0},
		{"certificate-bound token with its certificate", &Presented{Token: "tok", Certificate: "cert-1"}, &bindingVerifier{cnf: `{"x5t#S256":"cert-1"}`}, nil, 0, false, 0, 0},
		{"certificate-bound token with another", &Presented{Token: "tok", Certificate: "cert-2"}, &bindingVerifier{cnf: `{"x5t#S256":"cert-1"}`}, nil, InvalidToken, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeChecker{useErr: tt.useErr, nonce: "n-1"}
			r, _ := NewRule()
			r = r.WithSender(mustSender(t, c, false))
			claims, d := r.AuthorizeRequest(context.Background(), tt.v, tt.p, nil)
			switch {
			case tt.want == 0 && (d != nil || claims == nil):
				t.Fatalf("AuthorizeRequest() = %v, %+v; want allowed", claims, d)
			case tt.want != 0 && (d == nil || d.Kind != tt.want || d.DPoP != tt.wantDPoP):
				t.Fatalf("AuthorizeRequest() decision = %+v, want kind %v, DPoP %v", d, tt.want, tt.wantDPoP)
			case d != nil && d.DPoP && d.Nonce != "n-1":
				t.Errorf("decision Nonce = %q, want the checker's", d.Nonce)
			}
			if c.checks != tt.wantChecks || c.uses != tt.wantUses {
				t.Errorf("CheckProof calls %d, UseProof calls %d; want %d and %d", c.checks, c.uses, tt.wantChecks, tt.wantUses)
			}
		})
	}
}

func TestChallenges(t *testing.T) {
	ch := Challenge{Realm: "orders"}
	allowed, required := mustSender(t, &fakeChecker{}, false), mustSender(t, &fakeChecker{}, true)
	bearerErr := &Decision{Kind: InvalidToken, Code: "invalid_token", Description: "the access token expired"}
	proofErr := &Decision{Kind: InvalidDPoPProof, Code: "invalid_dpop_proof", Description: "the DPoP proof was used before", DPoP: true}
	tests := []struct {
		name string
		s    *Sender
		d    *Decision
		want []string
	}{
		{"bearer only", nil, &Decision{Kind: Missing}, []string{`Bearer realm="orders"`}},
		{"both offered without a token (RFC 9449 §7.2)", allowed, &Decision{Kind: Missing}, []string{`Bearer realm="orders"`, `DPoP realm="orders", algs="ES256 EdDSA"`}},
		{"bearer error goes on Bearer", allowed, bearerErr, []string{`Bearer realm="orders", error="invalid_token", error_description="the access token expired"`, `DPoP realm="orders", algs="ES256 EdDSA"`}},
		{"proof error goes on DPoP, first (RFC 9449 §7.1)", allowed, proofErr, []string{`DPoP realm="orders", error="invalid_dpop_proof", error_description="the DPoP proof was used before", algs="ES256 EdDSA"`, `Bearer realm="orders"`}},
		{"required: DPoP only", required, &Decision{Kind: Missing}, []string{`DPoP realm="orders", algs="ES256 EdDSA"`}},
		{"required: every error on DPoP", required, &Decision{Kind: InvalidRequest, Code: "invalid_request", Description: "x"}, []string{`DPoP realm="orders", error="invalid_request", error_description="x", algs="ES256 EdDSA"`}},
		{"unavailable: none", allowed, &Decision{Kind: Unavailable}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ch.Challenges(tt.s, tt.d)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("Challenges() = %q,\nwant %q", got, tt.want)
			}
		})
	}
}

func TestForwardedCertificate(t *testing.T) {
	der := []byte("a DER certificate")
	want := CertificateThumbprint(der)
	pemCert := url.PathEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	tests := []struct {
		name   string
		values []string
		want   string
		err    error
	}{
		{"none", nil, "", nil},
		{"empty", []string{""}, "", nil},
		{"RFC 9440 byte sequence", []string{":" + base64.StdEncoding.EncodeToString(der) + ":"}, want, nil},
		{"URL-encoded PEM", []string{pemCert}, want, nil},
		{"two values", []string{pemCert, pemCert}, "", ErrForwardedCertificate},
		{"unterminated byte sequence", []string{":" + base64.StdEncoding.EncodeToString(der)}, "", ErrForwardedCertificate},
		{"a PEM private key", []string{url.PathEscape(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))}, "", ErrForwardedCertificate},
		{"too large", []string{":" + strings.Repeat("A", MaxForwardedCertificateBytes) + ":"}, "", ErrForwardedCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ForwardedCertificate(tt.values)
			if got != tt.want || !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("ForwardedCertificate() = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
	if !errors.Is(ErrForwardedCertificate, tokengate.ErrInvalidRequest) {
		t.Error("ErrForwardedCertificate does not wrap ErrInvalidRequest (400)")
	}
}
