package bearer

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/verifier"
)

func TestParseHeader(t *testing.T) {
	const jwtish = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
	tests := []struct {
		name    string
		values  []string
		max     int
		want    string
		wantErr error
	}{
		{name: "bearer token", values: []string{"Bearer " + jwtish}, want: jwtish},
		{name: "scheme lowercase (RFC 9110 §11.1)", values: []string{"bearer abc"}, want: "abc"},
		{name: "scheme uppercase", values: []string{"BEARER abc"}, want: "abc"},
		{name: "scheme mixed case", values: []string{"BeArEr abc"}, want: "abc"},
		{name: "every b64token character", values: []string{"Bearer azAZ09-._~+/=="}, want: "azAZ09-._~+/=="},
		{name: "no header", values: nil, wantErr: verifier.ErrNoToken},
		{name: "second token smuggled in a second header", values: []string{"Bearer a", "Bearer b"}, wantErr: ErrMultipleTokens},
		{name: "same token twice", values: []string{"Bearer a", "Bearer a"}, wantErr: ErrMultipleTokens},
		{name: "empty second header", values: []string{"Bearer a", ""}, wantErr: ErrMultipleTokens},
		{name: "basic credentials", values: []string{"Basic dXNlcjpwYXNz"}, wantErr: ErrOtherScheme},
		{name: "dpop while unsupported", values: []string{"DPoP abc"}, wantErr: ErrOtherScheme},
		{name: "scheme only, other", values: []string{"Negotiate"}, wantErr: ErrOtherScheme},
		{name: "scheme glued to token", values: []string{"Bearerabc"}, wantErr: ErrOtherScheme},
		{name: "scheme without token", values: []string{"Bearer"}, wantErr: ErrMalformed},
		{name: "empty token", values: []string{"Bearer "}, wantErr: ErrMalformed},
		{name: "empty header value", values: []string{""}, wantErr: ErrMalformed},
		{name: "leading space", values: []string{" Bearer abc"}, wantErr: ErrMalformed},
		{name: "two spaces", values: []string{"Bearer  abc"}, wantErr: ErrMalformed},
		{name: "tab instead of space", values: []string{"Bearer\tabc"}, wantErr: ErrMalformed},
		{name: "trailing space", values: []string{"Bearer abc "}, wantErr: ErrMalformed},
		{name: "extra part", values: []string{"Bearer abc def"}, wantErr: ErrMalformed},
		{name: "second token smuggled after a comma", values: []string{"Bearer abc, Bearer def"}, wantErr: ErrMalformed},
		{name: "auth-param instead of token68", values: []string{`Bearer token="abc"`}, wantErr: ErrMalformed},
		{name: "padding first", values: []string{"Bearer =abc"}, wantErr: ErrMalformed},
		{name: "padding in the middle", values: []string{"Bearer ab=c"}, wantErr: ErrMalformed},
		{name: "header injection with CRLF", values: []string{"Bearer abc\r\nX-Admin: 1"}, wantErr: ErrMalformed},
		{name: "NUL byte truncation", values: []string{"Bearer abc\x00def"}, wantErr: ErrMalformed},
		{name: "non-ASCII token", values: []string{"Bearer äbc"}, wantErr: ErrMalformed},
		{name: "quoted token", values: []string{`Bearer "abc"`}, wantErr: ErrMalformed},
		{name: "token at the cap", values: []string{"Bearer " + strings.Repeat("a", 16)}, max: 16, want: strings.Repeat("a", 16)},
		{name: "oversized token refused before parsing", values: []string{"Bearer " + strings.Repeat("a", 17)}, max: 16, wantErr: ErrTooLarge},
		{name: "oversized garbage refused before parsing", values: []string{strings.Repeat("\x00", 100)}, max: 16, wantErr: ErrTooLarge},
		{name: "oversized second header refused before counting", values: []string{"Bearer a", strings.Repeat("a", 100)}, max: 16, wantErr: ErrTooLarge},
		{name: "default cap admits 8192 bytes", values: []string{"Bearer " + strings.Repeat("a", DefaultMaxTokenBytes)}, want: strings.Repeat("a", DefaultMaxTokenBytes)},
		{name: "default cap refuses 8193 bytes", values: []string{"Bearer " + strings.Repeat("a", DefaultMaxTokenBytes+1)}, wantErr: ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHeader(tt.values, tt.max)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("ParseHeader(%q) error = %v, want %v", tt.values, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseHeader(%q) = %q, want %q", tt.values, got, tt.want)
			}
		})
	}
}

func TestParseHeaderErrorsNeverContainTheToken(t *testing.T) {
	const secret = "c2VjcmV0LXRva2Vu"
	for _, values := range [][]string{
		{"Bearer " + secret + " x"},
		{"Bearer " + secret, "Bearer " + secret},
		{"Basic " + secret},
		{"Bearer " + secret + strings.Repeat("a", DefaultMaxTokenBytes)},
	} {
		_, err := ParseHeader(values, 0)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("ParseHeader(...) error = %v, want an error without the token", err)
		}
	}
}

func TestCheckToken(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		max     int
		wantErr error
	}{
		{name: "valid", token: "abc.def-_~+/=="},
		{name: "empty", token: "", wantErr: ErrMalformed},
		{name: "space inside", token: "abc def", wantErr: ErrMalformed},
		{name: "at the cap", token: "abcd", max: 4},
		{name: "over the cap", token: "abcde", max: 4, wantErr: ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckToken(tt.token, tt.max)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("CheckToken(%q, %d) error = %v, want %v", tt.token, tt.max, err, tt.wantErr)
			}
		})
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer a.b.c", "Basic x", "Bearer  a", "Bearer a=b", "", "Bearer"} {
		f.Add(s, "")
	}
	f.Add("Bearer a", "Bearer b")
	f.Fuzz(func(t *testing.T, v1, v2 string) {
		values := []string{v1}
		if v2 != "" {
			values = append(values, v2)
		}
		const maxBytes = 64
		token, err := ParseHeader(values, maxBytes)
		if err != nil {
			if token != "" {
				t.Fatalf("ParseHeader(%q) = %q with error %v", values, token, err)
			}
			if k := Classify(err); k != Missing && k != InvalidRequest && k != InvalidToken {
				t.Fatalf("ParseHeader(%q) error %v classified %v", values, err, k)
			}
			return
		}
		if len(values) != 1 || !ValidToken(token) || len(token) > maxBytes {
			t.Fatalf("ParseHeader(%q) = %q, accepted a bad credential", values, token)
		}
		if !strings.EqualFold(v1[:len("Bearer ")], "Bearer ") || v1[len("Bearer "):] != token {
			t.Fatalf("ParseHeader(%q) = %q, not the credential's token", values, token)
		}
	})
}
