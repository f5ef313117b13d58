package issuertest

import (
	"html/template"
	"maps"
	"net/http"
)

// DefaultScopeDescriptions returns what the consent page says about each
// scope of the default clients; [WithScopeDescriptions] adds or replaces
// descriptions. A scope without one is listed by its name alone.
func DefaultScopeDescriptions() map[string]string {
	return map[string]string{
		"openid":         "Sign you in and learn your user ID",
		"profile":        "See your name",
		"email":          "See your email address",
		"offline_access": "Keep access while you are away (a refresh token)",
		"orders:read":    "See your orders",
		"orders:write":   "Create and change your orders",
		"refunds:write":  "Ask for refunds on your orders",
	}
}

// pageCSS is the one stylesheet, inline: the Content-Security-Policy
// allows inline styles and nothing from elsewhere. Inputs are 16px so that
// phones do not zoom into them; buttons are at least 44px high.
const pageCSS = `*{box-sizing:border-box}
html{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#eef1f4}
body{margin:0;padding:2.5rem 1rem}
main{max-width:26rem;margin:0 auto;background:#fff;border:1px solid #d0d7de;border-radius:12px;padding:1.75rem 1.75rem 1.5rem;box-shadow:0 2px 8px rgba(31,35,40,.08)}
.brand{margin:0 0 .25rem;font-size:.8125rem;font-weight:600;color:#57606a;letter-spacing:.06em;text-transform:uppercase}
h1{margin:0 0 1rem;font-size:1.5rem;line-height:1.25}
h2{margin:1.75rem 0 .5rem;font-size:1rem}
p{margin:0 0 1rem}
label{display:block;margin:1rem 0 .375rem;font-weight:600}
input:not([type=hidden]){display:block;width:100%;height:2.75rem;padding:0 .75rem;font:inherit;color:inherit;background:#fff;border:1px solid #8c959f;border-radius:8px}
input:focus{outline:3px solid rgba(9,105,218,.35);outline-offset:0;border-color:#0969da}
input[aria-invalid=true]{border-color:#cf222e}
.actions{display:flex;gap:.75rem;margin-top:1.5rem}
button{flex:1;min-height:2.75rem;padding:.5rem 1rem;font:inherit;font-weight:600;border-radius:8px;cursor:pointer}
button:focus-visible{outline:3px solid rgba(9,105,218,.5);outline-offset:2px}
.primary{color:#fff;background:#0969da;border:1px solid #0969da}
.primary:hover{background:#0757b5}
.secondary{color:#1f2328;background:#f6f8fa;border:1px solid #8c959f}
.secondary:hover{background:#eaeef2}
.error{padding:.625rem .75rem;color:#82071e;background:#ffebe9;border:1px solid #ff8182;border-radius:8px}
.hint{color:#57606a;font-size:.875rem}
code{font:.875em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:.1em .35em;background:#f6f8fa;border-radius:4px;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse;font-size:.9375rem}
th,td{padding:.375rem .5rem;text-align:left;border-top:1px solid #d8dee4}
th:first-child,td:first-child{padding-left:0}
thead th{border-top:0;color:#57606a;font-weight:600}
ul.scopes{margin:0 0 1rem;padding:0;list-style:none;border:1px solid #d8dee4;border-radius:8px}
ul.scopes li{padding:.625rem .875rem;border-top:1px solid #d8dee4}
ul.scopes li:first-child{border-top:0}
.what{display:block;font-weight:600}
code.scope{padding:0;color:#57606a;background:none;font-size:.8125rem}
@media (max-width:32rem){body{padding:0;background:#fff}main{max-width:none;min-height:100vh;border:0;border-radius:0;box-shadow:none;padding:1.5rem 1.25rem}}`

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - issuertest</title>
<style>` + pageCSS + `</style>
</head><body><main>
<p class="brand">issuertest &middot; test issuer</p>
<h1>{{.Title}}</h1>{{end}}

{{define "error"}}{{template "head" .}}
<p class="error" id="error" role="alert">{{.Error}}: {{.Description}}</p>
<p>The application that sent you here is misconfigured; you were not redirected back to it.</p>
</main></body></html>{{end}}

{{define "login"}}{{template "head" .}}
<p><b>{{.ClientID}}</b> asks you to sign in.</p>
{{if .Error}}<p class="error" id="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="login">
<input type="hidden" name="request" value="{{.Request}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
{{template "credentials" .}}
</form>
{{template "test-users" .Users}}
</main></body></html>{{end}}

{{define "credentials"}}<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" value="{{.Username}}" required{{if not .Username}} autofocus{{end}}{{if .Error}} aria-invalid="true" aria-describedby="error"{{end}}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required{{if .Username}} autofocus{{end}}{{if .Error}} aria-invalid="true" aria-describedby="error"{{end}}>
<div class="actions"><button type="submit" class="primary">Sign in</button></div>{{end}}

{{define "test-users"}}<section aria-labelledby="test-users">
<h2 id="test-users">Test users</h2>
<p class="hint">This is a test issuer: these accounts exist only here.</p>
<table id="users"><thead><tr><th scope="col">Username</th><th scope="col">Password</th></tr></thead>
<tbody>{{range .}}<tr><td><code>{{.Subject}}</code></td><td><code>{{.Password}}</code></td></tr>{{end}}</tbody></table>
</section>{{end}}

{{define "consent"}}{{template "head" .}}
<p>Signed in as <b>{{.Username}}</b>.</p>
<p id="asks"><b>{{.ClientID}}</b> would like to:</p>
<ul class="scopes" id="scopes" aria-labelledby="asks">{{range .Scopes}}
<li data-scope="{{.Name}}">{{if .Description}}<span class="what">{{.Description}}</span>{{end}}<code class="scope">{{.Name}}</code></li>{{else}}
<li><span class="what">Nothing beyond signing you in</span></li>{{end}}
</ul>
<p class="hint">Access is for {{range $i, $a := .Audience}}{{if $i}}, {{end}}<code>{{$a}}</code>{{end}}.</p>
<form method="post" action="consent">
<input type="hidden" name="request" value="{{.Request}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<div class="actions">
<button type="submit" name="decision" value="approve" class="primary" autofocus>Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>
</main></body></html>{{end}}
`))

// page is the data of every HTML page.
type page struct {
	Title, Error, Description string
	ClientID, Request, CSRF   string
	Username                  string
	Users                     []User
	Scopes                    []scopeLine
	Audience                  []string
}

// scopeLine is one line of the consent page.
type scopeLine struct{ Name, Description string }

// scopeLines describes scopes for the consent page.
func (s *Server) scopeLines(scopes []string) []scopeLine {
	lines := make([]scopeLine, 0, len(scopes))
	for _, sc := range scopes {
		lines = append(lines, scopeLine{Name: sc, Description: s.cfg.scopeDescriptions[sc]})
	}
	return lines
}

// mergeDescriptions returns the defaults with more added or replacing them.
func mergeDescriptions(more map[string]string) map[string]string {
	d := DefaultScopeDescriptions()
	maps.Copy(d, more)
	return d
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p page) {
	renderPage(w, pages, status, name, p)
}

// renderPage writes the page name of set with the headers of every page:
// never cached, never framed, nothing loaded from elsewhere.
func renderPage(w http.ResponseWriter, set *template.Template, status int, name string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_ = set.ExecuteTemplate(w, name, data)
}
