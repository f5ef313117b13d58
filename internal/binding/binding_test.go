package binding

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/tokengate/tokengate"
)

const (
	jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	x5t = "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"
)

func TestCheck(t *testing.T) {
	raw, _ := base64.RawURLEncoding.DecodeString(x5t)
	dpop := &Evidence{DPoP: true, JKT: jkt}
	cert := &Evidence{X5T: x5t}
	tests := []struct {
		name string
		cnf  string
		ev   *Evidence
		want error // nil: accepted
	}{
		{"unbound bearer token", ``, nil, nil},
		{"DPoP token as a bearer token (RFC 9449 §7.2)", `{"jkt":"` + jkt + `"}`, nil, tokengate.ErrSenderConstrained},
		{"DPoP token as a bearer token with a certificate", `{"jkt":"` + jkt + `"}`, cert, tokengate.ErrSenderConstrained},
		{"DPoP token with its proof", `{"jkt":"` + jkt + `"}`, dpop, nil},
		{"DPoP token with another key's proof", `{"jkt":"` + jkt + `"}`, &Evidence{DPoP: true, JKT: "other"}, ErrKeyMismatch},
		{"unbound token with the DPoP scheme", ``, dpop, ErrNotDPoPBound},
		{"certificate-bound token without a certificate", `{"x5t#S256":"` + x5t + `"}`, nil, ErrNoCertificate},
		{"certificate-bound token with its certificate", `{"x5t#S256":"` + x5t + `"}`, cert, nil},
		{"certificate-bound token with another certificate", `{"x5t#S256":"` + x5t + `"}`, &Evidence{X5T: "other"}, ErrCertificateMismatch},
		{"thumbprint in hex", `{"x5t#S256":"` + hex.EncodeToString(raw) + `"}`, cert, ErrCertificateMismatch},
		{"thumbprint padded", `{"x5t#S256":"` + base64.URLEncoding.EncodeToString(raw) + `"}`, cert, ErrCertificateMismatch},
		{"thumbprint in standard base64", `{"x5t#S256":"` + base64.StdEncoding.EncodeToString(raw) + `"}`, &Evidence{X5T: "bwcK0esc3ACC3DB2Y5/lESsXE8o9ltc05O89jdN+dg2"}, ErrCertificateMismatch},
		{"bound to both, both shown", `{"jkt":"` + jkt + `","x5t#S256":"` + x5t + `"}`, &Evidence{DPoP: true, JKT: jkt, X5T: x5t}, nil},
		{"bound to both, certificate missing", `{"jkt":"` + jkt + `","x5t#S256":"` + x5t + `"}`, dpop, ErrNoCertificate},
		{"a confirmation method that cannot be checked", `{"jwk":{"kty":"EC"}}`, dpop, tokengate.ErrSenderConstrained},
		{"an SHA-1 certificate thumbprint", `{"x5t":"abc"}`, cert, tokengate.ErrSenderConstrained},
		{"an empty cnf", `{}`, nil, tokengate.ErrSenderConstrained},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.cnf)
			if err != nil {
				t.Fatalf("Parse(%s) error = %v", tt.cnf, err)
			}
			ctx := context.Background()
			if tt.ev != nil {
				ev := &Evidence{DPoP: tt.ev.DPoP, JKT: tt.ev.JKT, X5T: tt.ev.X5T}
				ctx = NewContext(ctx, ev)
			}
			err = Check(ctx, c)
			if (err == nil) != (tt.want == nil) || !errors.Is(err, tt.want) {
				t.Fatalf("Check() error = %v, want %v", err, tt.want)
			}
			if err != nil && !errors.Is(err, tokengate.ErrInvalidToken) {
				t.Errorf("Check() error = %v does not wrap ErrInvalidToken", err)
			}
		})
	}
}

func TestCheckConfirmsOnlyAHeldDPoPBinding(t *testing.T) {
	ok := &Evidence{DPoP: true, JKT: jkt}
	_ = Check(NewContext(context.Background(), ok), Confirmation{JKT: jkt})
	bad := &Evidence{DPoP: true, JKT: "other"}
	_ = Check(NewContext(context.Background(), bad), Confirmation{JKT: jkt})
	if !ok.Confirmed() || bad.Confirmed() {
		t.Fatalf("Confirmed() = %v, %v; want true for the held binding only", ok.Confirmed(), bad.Confirmed())
	}
}

func TestParseRefusesMalformed(t *testing.T) {
	for _, raw := range []string{`"jkt"`, `{"jkt":1}`, `{"jkt":""}`, `[1]`, `{"x5t#S256":null}`} {
		if _, err := Parse(raw); err == nil {
			t.Errorf("Parse(%s) error = nil, want one", raw)
		}
	}
}
