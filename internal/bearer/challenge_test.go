package bearer

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/challenges")

// goldenDir is the repository's shared testdata folder.
var goldenDir = filepath.Join("..", "..", "testdata", "challenges")

func TestChallengeGolden(t *testing.T) {
	const md = "https://api.example.com/.well-known/oauth-protected-resource"
	tests := []struct {
		name   string // golden file name, without .txt
		ch     Challenge
		err    error
		scopes string
	}{
		{name: "missing_bare", err: verifier.ErrNoToken},
		{name: "missing_realm", ch: Challenge{Realm: "orders"}, err: verifier.ErrNoToken},
		{name: "other_scheme", ch: Challenge{Realm: "orders"}, err: ErrOtherScheme},
		{name: "invalid_token", ch: Challenge{Realm: "orders"}, err: verifier.ErrInvalidToken},
		{name: "invalid_token_expired", ch: Challenge{Realm: "orders"}, err: verifier.ErrTokenExpired},
		{name: "invalid_token_not_access_token", ch: Challenge{Realm: "orders"}, err: verifier.ErrNotAccessToken},
		{name: "invalid_token_too_large", ch: Challenge{Realm: "orders"}, err: ErrTooLarge},
		{name: "invalid_request_two_tokens", ch: Challenge{Realm: "orders"}, err: ErrMultipleTokens},
		{name: "invalid_request_malformed", ch: Challenge{Realm: "orders"}, err: ErrMalformed},
		{name: "insufficient_scope", ch: Challenge{Realm: "orders"}, err: scopes.All("orders:read", "orders:write").Check(nil), scopes: "orders:read orders:write"},
		{name: "insufficient_scope_denied", ch: Challenge{Realm: "orders"}, err: Denied(errors.New("role")), scopes: ""},
		{name: "resource_metadata_missing", ch: Challenge{ResourceMetadata: md}, err: verifier.ErrNoToken},
		{name: "resource_metadata_invalid_token", ch: Challenge{Realm: "orders", ResourceMetadata: md}, err: verifier.ErrInvalidToken},
		{name: "resource_metadata_insufficient_scope", ch: Challenge{Realm: "orders", ResourceMetadata: md}, err: scopes.All("admin").Check(nil), scopes: "admin"},
		{name: "realm_escaping", ch: Challenge{Realm: `say "hi" \ bye`}, err: verifier.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.ch.Render(Classify(tt.err), Describe(tt.err), tt.scopes) + "\n"
			path := filepath.Join(goldenDir, tt.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("Render() = %q, want %q (from %s)", got, want, path)
			}
		})
	}
}

func TestRenderUnavailableHasNoChallenge(t *testing.T) {
	// DESIGN.md: a 503 carries no WWW-Authenticate.
	ch := Challenge{Realm: "r", ResourceMetadata: "https://a.example/m"}
	for _, k := range []Kind{Unavailable, 0, 42} {
		if got := ch.Render(k, "x", "y"); got != "" {
			t.Errorf("Render(%v) = %q, want \"\"", k, got)
		}
	}
}

func TestRenderScopeOnlyOnInsufficientScope(t *testing.T) {
	for _, k := range []Kind{Missing, InvalidRequest, InvalidToken} {
		if got := (Challenge{}).Render(k, "d", "orders:read"); strings.Contains(got, "scope=") {
			t.Errorf("Render(%v) = %q, want no scope attribute", k, got)
		}
	}
}

func TestRenderNeverSplitsTheHeader(t *testing.T) {
	// Validate refuses such a realm at setup; Render still never emits a
	// control character, whatever it is given.
	got := Challenge{Realm: "a\r\nSet-Cookie: x=1\x00\x7f"}.Render(InvalidToken, "d\n", "s\r")
	for i := 0; i < len(got); i++ {
		if c := got[i]; c < 0x20 || c == 0x7f {
			t.Fatalf("Render() = %q has control byte %#x", got, c)
		}
	}
}

func TestChallengeValidate(t *testing.T) {
	tests := []struct {
		name    string
		ch      Challenge
		wantErr bool
	}{
		{name: "zero value", ch: Challenge{}},
		{name: "realm with quotes is escaped, not refused", ch: Challenge{Realm: `a "b"`}},
		{name: "https metadata", ch: Challenge{ResourceMetadata: "https://api.example.com/.well-known/oauth-protected-resource"}},
		{name: "http on loopback", ch: Challenge{ResourceMetadata: "http://127.0.0.1:8080/.well-known/oauth-protected-resource"}},
		{name: "http on localhost", ch: Challenge{ResourceMetadata: "http://localhost/.well-known/oauth-protected-resource"}},
		{name: "header injection through realm", ch: Challenge{Realm: "a\r\nSet-Cookie: x"}, wantErr: true},
		{name: "non-ASCII realm", ch: Challenge{Realm: "Bücher"}, wantErr: true},
		{name: "plain http metadata", ch: Challenge{ResourceMetadata: "http://api.example.com/m"}, wantErr: true},
		{name: "relative metadata", ch: Challenge{ResourceMetadata: "/.well-known/oauth-protected-resource"}, wantErr: true},
		{name: "metadata with fragment", ch: Challenge{ResourceMetadata: "https://a.example/m#x"}, wantErr: true},
		{name: "metadata with quote", ch: Challenge{ResourceMetadata: `https://a.example/m"x`}, wantErr: true},
		{name: "javascript metadata", ch: Challenge{ResourceMetadata: "javascript:alert(1)"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ch.Validate()
			if (err != nil) != tt.wantErr {
				t.Errorf("Validate() error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "bearer: ") {
				t.Errorf("Validate() error = %q, want the bearer: prefix", err)
			}
		})
	}
}

func ExampleChallenge_Render() {
	err := fmt.Errorf("verifier: exp in the past: %w", verifier.ErrTokenExpired)
	ch := Challenge{Realm: "orders"}
	fmt.Println(ch.Render(Classify(err), Describe(err), ""))
	// Output: Bearer realm="orders", error="invalid_token", error_description="the access token expired"
}
