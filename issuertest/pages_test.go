package issuertest_test

import (
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/issuertest"
)

// TestLoginPagesMarkup checks, without a browser, what the pages must
// carry for phones, keyboards and screen readers: lang, a viewport, a
// label for every field, the test users with their passwords, and each
// requested scope with its description (a custom one included). The
// browser tests in e2e check how the pages look and work.
func TestLoginPagesMarkup(t *testing.T) {
	s, _ := newServer(t, issuertest.WithInteractiveLogin(),
		issuertest.WithScopeDescriptions(map[string]string{"orders:read": "Read the orders of your shop", "profile": ""}))
	conf := publicConfig(s, "openid", "profile", "orders:read")
	c := browser(t, s)
	fields, login := startLogin(t, c, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	fields.Set("username", issuertest.Alice)
	fields.Set("password", issuertest.AlicePassword)
	consent := postPage(t, c, s, "/login", fields)
	common := []string{`<html lang="en">`, `<meta name="viewport" content="width=device-width, initial-scale=1">`, `<style>`}
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"login", login.body, append(common,
			`<label for="username">`, `id="username"`, `<label for="password">`, `id="password"`,
			`<code>alice</code></td><td><code>alice-password</code>`, `<code>bob</code></td><td><code>bob-password</code>`,
			`class="primary">Sign in</button>`)},
		{"consent", consent.body, append(common,
			`<span class="what">Sign you in and learn your user ID</span><code class="scope">openid</code>`,
			`<span class="what">Read the orders of your shop</span><code class="scope">orders:read</code>`,
			`<li data-scope="profile"><code class="scope">profile</code></li>`,
			`value="approve" class="primary"`, `value="deny" class="secondary"`, `<code>https://api.example.test</code>`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.want {
				if !strings.Contains(tt.body, w) {
					t.Errorf("page lacks %q:\n%s", w, tt.body)
				}
			}
			if regexp.MustCompile(`<(link|script|img)\b`).MatchString(tt.body) {
				t.Errorf("page loads an external asset or script")
			}
		})
	}
}

// TestWrongPasswordMarksFields: after a failed sign-in the fields point at
// the error, which is announced (role alert), and the name is kept.
func TestWrongPasswordMarksFields(t *testing.T) {
	s, _ := newServer(t, issuertest.WithInteractiveLogin())
	c := browser(t, s)
	fields, _ := startLogin(t, c, publicConfig(s).AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	fields.Set("username", issuertest.Bob)
	fields.Set("password", "guess")
	page := postPage(t, c, s, "/login", fields)
	for _, w := range []string{`role="alert">Wrong username or password.`, `aria-invalid="true" aria-describedby="error"`, `value="bob"`} {
		if !strings.Contains(page.body, w) {
			t.Errorf("wrong-password page lacks %q", w)
		}
	}
}
