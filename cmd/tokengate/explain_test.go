package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/issuertest"
)

// explainRun runs the command in process and returns its exit code and
// standard output.
func explainRun(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code, err := run(t.Context(), append([]string{"explain"}, args...), strings.NewReader(stdin), &out, &errOut)
	if err != nil && code != exitUsage {
		t.Fatalf("run() error = %v", err)
	}
	return code, out.String()
}

// row returns the table row of check, collapsed to single spaces.
func row(t *testing.T, out, check string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, ". "+check+" ") {
			return strings.Join(strings.Fields(l), " ")
		}
	}
	t.Fatalf("no row %q in:\n%s", check, out)
	return ""
}

func TestExplain(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	req := issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"}}
	tests := []struct {
		name     string
		token    string
		extra    []string
		code     int
		failed   string // the check that fails; "" for none
		status   string
		contains []string
	}{
		{name: "good token", token: iss.AccessToken(req), code: exitAccepted, status: "200 OK",
			contains: []string{"verdict: accepted", `"sub": "alice"`, `iss "` + iss.URL + `", want "` + iss.URL + `"`}},
		{name: "expired", token: iss.ExpiredToken(req), code: exitRefused, failed: "exp", status: "401 Unauthorized",
			contains: []string{`error="invalid_token"`, "has passed"}},
		{name: "wrong audience", token: iss.WrongAudienceToken(req), code: exitRefused, failed: "aud", status: "401 Unauthorized",
			contains: []string{`want "` + iss.Audience() + `"`}},
		{name: "ID token offered as an access token", token: iss.IDTokenAsAccessToken(req), code: exitRefused, failed: "access token, not ID/refresh/logout", status: "401 Unauthorized",
			contains: []string{"the token is not an access token"}},
		{name: "unknown kid", token: iss.UnknownKIDToken(req), code: exitRefused, failed: "key for kid", status: "401 Unauthorized"},
		{name: "missing scope", token: iss.AccessToken(req), extra: []string{"-scope", "orders:write"}, code: exitRefused, status: "403 Forbidden",
			contains: []string{`error="insufficient_scope"`, `scope="orders:write"`}},
		{name: "Bearer prefix pasted along", token: "Bearer " + iss.AccessToken(req), code: exitAccepted, status: "200 OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-issuer", iss.URL, "-audience", iss.Audience()}, tt.extra...)
			code, out := explainRun(t, tt.token+"\n", args...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d\n%s", code, tt.code, out)
			}
			if tt.failed != "" && !strings.Contains(row(t, out, tt.failed), " FAIL ") {
				t.Errorf("row %q = %q, want FAIL", tt.failed, row(t, out, tt.failed))
			}
			if n := strings.Count(out, " FAIL "); (tt.failed == "") != (n == 0) || n > 1 {
				t.Errorf("%d failed checks, want %v:\n%s", n, map[bool]int{true: 0, false: 1}[tt.failed == ""], out)
			}
			if !regexp.MustCompile(`status: +` + regexp.QuoteMeta(tt.status)).MatchString(out) {
				t.Errorf("output lacks the answer %q:\n%s", tt.status, out)
			}
			flat := strings.Join(strings.Fields(out), " ")
			for _, want := range tt.contains {
				if !strings.Contains(flat, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			tok := strings.TrimPrefix(tt.token, "Bearer ")
			sig := tok[strings.LastIndexByte(tok, '.')+1:]
			if strings.Contains(out, tok) || strings.Contains(out, sig) {
				t.Errorf("output carries the token or its signature:\n%s", out)
			}
		})
	}
}

func TestExplainOrderMarksLaterChecksNotChecked(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	_, out := explainRun(t, iss.WrongAudienceToken(issuertest.TokenRequest{}), "-issuer", iss.URL, "-audience", iss.Audience())
	for check, want := range map[string]string{"signature": "ok", "iss": "ok", "aud": "FAIL", "exp": "not checked", "no cnf (bearer)": "not checked"} {
		if r := row(t, out, check); !strings.Contains(r, " "+want+" ") {
			t.Errorf("row %q = %q, want %s", check, r, want)
		}
	}
}

func TestExplainTokenFile(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(iss.AccessToken(issuertest.TokenRequest{})), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := explainRun(t, "", "-issuer", iss.URL, "-audience", iss.Audience(), "-token-file", file); code != exitAccepted {
		t.Errorf("exit code = %d, want %d:\n%s", code, exitAccepted, out)
	}
}

func TestExplainIssuerDown(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	tok := iss.AccessToken(issuertest.TokenRequest{})
	iss.SetFault(issuertest.EndpointJWKS, issuertest.StatusFault(502))
	code, out := explainRun(t, tok, "-issuer", iss.URL, "-audience", iss.Audience())
	if code != exitRefused || !strings.Contains(out, "503 Service Unavailable") || !strings.Contains(out, "Retry-After") || !strings.Contains(row(t, out, "key for kid"), "FAIL") {
		t.Errorf("exit %d, output:\n%s\nwant the key check failed and a 503 with Retry-After", code, out)
	}
}

func TestExplainUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"-issuer", "https://id.example.test"}} {
		if code, _ := explainRun(t, "x", args...); code != exitUsage {
			t.Errorf("explain %q: exit code = %d, want %d", args, code, exitUsage)
		}
	}
}
