package introspection_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

// TestRefusalMessagesNameBothValues: each refusal's error, meant for logs,
// names the check, the value received and the value wanted, quoted and
// cut to 80 bytes with control characters escaped, and never carries the
// token, even from a server that echoes it.
func TestRefusalMessagesNameBothValues(t *testing.T) {
	const token = "tok-0123456789abcdefghij"
	long := strings.Repeat("x", 200)
	tests := []struct {
		name    string
		answer  http.HandlerFunc
		want    error
		mention []string
		absent  []string
	}{
		{"inactive", reply(`{"active":false}`), verifier.ErrInvalidToken, []string{`"active" false`, "want true"}, nil},
		{"token_type", reply(act(`"token_type":"refresh_token"`)), verifier.ErrNotAccessToken, []string{`"token_type" "refresh_token"`, `want "Bearer"`}, nil},
		{"token_use", reply(act(`"token_use":"refresh_token"`)), verifier.ErrNotAccessToken, []string{`"token_use" "refresh_token"`, `want "access_token"`}, nil},
		{"untyped for another audience", reply(`{"active":true,"aud":["https://other.test"]}`), verifier.ErrNotAccessToken,
			[]string{`"aud" ["https://other.test"]`, `Config.Audience "https://api.test"`}, nil},
		{"cnf", reply(act(`"cnf":{"jkt":"abc"}`)), verifier.ErrSenderConstrained, []string{`"cnf"."jkt" "abc"`, "want none", "bearer token"}, nil},
		{"DPoP", reply(act(`"token_type":"DPoP"`)), verifier.ErrSenderConstrained, []string{`"token_type" "DPoP"`, `no "jkt"`}, nil},
		{"exp", reply(act(fmt.Sprintf(`"exp":%d`, at(-time.Hour)))), verifier.ErrTokenExpired,
			[]string{`"exp" 2023-11-14T21:13:20Z`, "now 2023-11-14T22:13:20Z", "leeway 30s"}, nil},
		{"nbf", reply(act(fmt.Sprintf(`"nbf":%d`, at(time.Hour)))), verifier.ErrNotYetValid,
			[]string{`"nbf" 2023-11-14T23:13:20Z`, "now 2023-11-14T22:13:20Z"}, nil},
		{"iss", reply(act(`"iss":"https://evil.test"`)), verifier.ErrWrongIssuer, []string{`"iss" "https://evil.test"`, `Config.Issuer "https://issuer.test"`}, nil},
		{"aud", reply(act(`"token_type":"Bearer","aud":["https://a.test","https://b.test"]`)), verifier.ErrWrongAudience,
			[]string{`"aud" ["https://a.test", "https://b.test"]`, `Config.Audience "https://api.test"`}, nil},
		{"unsupported_token_type", answer400(`{"error":"unsupported_token_type"}`), verifier.ErrInvalidToken, []string{`"error" "unsupported_token_type"`, "want 200"}, nil},
		{"a server echoing the token in iss", reply(act(`"iss":"` + token + `"`)), verifier.ErrWrongIssuer, []string{`"iss" (the token itself)`}, nil},
		{"a server echoing part of the token in aud", reply(act(`"token_type":"Bearer","aud":"` + token[:12] + `"`)), verifier.ErrWrongAudience, []string{`"aud" [(the token itself)]`}, []string{token[:12]}},
		{"a long iss cut to 80 bytes", reply(act(`"iss":"` + long + `"`)), verifier.ErrWrongIssuer, []string{`"iss" "` + long[:80] + `"...`}, []string{long[:81]}},
		{"control characters escaped", reply(act(`"iss":"https://evil.test\n\u001b[31mFAKE LOG LINE"`)), verifier.ErrWrongIssuer,
			[]string{`"https://evil.test\n\x1b[31mFAKE LOG LINE"`}, []string{"\n", "\x1b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, tt.answer)
			in := newIntrospector(t, e, newClock(), introspection.Config{Issuer: "https://issuer.test"})
			_, err := in.Verify(t.Context(), token)
			wantErr(t, "Verify()", err, tt.want)
			msg := err.Error()
			for _, m := range tt.mention {
				if !strings.Contains(msg, m) {
					t.Errorf("Verify() error = %q, want it to mention %q", msg, m)
				}
			}
			for _, a := range append(tt.absent, token) {
				if strings.Contains(msg, a) {
					t.Errorf("Verify() error = %q contains %q", msg, a)
				}
			}
		})
	}
}
