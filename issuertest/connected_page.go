package issuertest

import (
	"html/template"
	"net/http"
	"time"
)

// accountPage is the data of the connected-apps pages.
type accountPage struct {
	Title, Error, Username string
	Users                  []User
	Subject, CSRF          string
	Apps                   []appLine
	Notice                 *revocation
}

// appLine is one connected app as the page shows it.
type appLine struct {
	ClientID                         string
	Scopes                           []scopeLine
	Audience                         []string
	Since, AccessUntil, RefreshUntil time.Time
}

// revocation is the notice shown after the user revoked an app.
type revocation struct {
	ClientID    string
	AccessUntil time.Time // zero: it held no unexpired access token
}

func (s *Server) appLines(apps []appGrants) []appLine {
	lines := make([]appLine, 0, len(apps))
	for _, a := range apps {
		lines = append(lines, appLine{
			ClientID: a.clientID, Scopes: s.scopeLines(a.scopes), Audience: a.audience,
			Since: a.since, AccessUntil: a.accessUntil, RefreshUntil: a.refreshUntil,
		})
	}
	return lines
}

func (s *Server) renderAccount(w http.ResponseWriter, status int, name string, p accountPage) {
	renderPage(w, accountPages, status, name, p)
}

// clock shows a time of the page, in UTC to the second.
func clock(t time.Time) template.HTML {
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `">` + t.UTC().Format("15:04:05") + ` UTC</time>`)
}

// accountPages are the pages of the connected-apps page, on the layout and
// stylesheet of the login pages.
var accountPages = template.Must(template.Must(pages.Clone()).Funcs(template.FuncMap{"clock": clock}).Parse(`
{{define "account-css"}}<style>
main{max-width:34rem}
ul.apps{margin:0 0 1.5rem;padding:0;list-style:none}
ul.apps>li{margin:0 0 1rem;padding:1rem 1rem .25rem;border:1px solid #d0d7de;border-radius:10px}
ul.apps h2{margin:0 0 .5rem;font-size:1.0625rem}
ul.apps .actions{margin-top:.5rem;margin-bottom:.75rem}
ul.apps ul.scopes{margin-bottom:.75rem}
ul.apps ul.scopes li{display:flex;flex-wrap:wrap;align-items:baseline;gap:0 .5rem;padding:.375rem .75rem}
ul.apps .what{display:inline;font-weight:500}
.danger{color:#a40e26;border-color:#cf222e}
.danger:hover{background:#ffebe9}
.notice{margin:0 0 1.25rem;padding:.75rem .875rem;color:#0f3d1f;background:#dafbe1;border:1px solid #4ac26b;border-radius:8px}
.notice p{margin:0 0 .5rem}.notice p:last-child{margin:0}
</style>{{end}}

{{define "account-signin"}}{{template "head" .}}{{template "account-css"}}
<p>Sign in to see which applications can use your account, and to take their access away.</p>
{{if .Error}}<p class="error" id="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/connected-apps/sign-in">
{{template "credentials" .}}
</form>
{{template "test-users" .Users}}
</main></body></html>{{end}}

{{define "connected-apps"}}{{template "head" .}}{{template "account-css"}}
<p>Signed in as <b>{{.Subject}}</b>.</p>
{{with .Notice}}<div class="notice" id="revoked" role="status" tabindex="-1">
<p><b>{{.ClientID}}</b> can no longer use your account.</p>
<p>Its refresh token is refused, and an API that asks this issuer about each token (introspection) refuses its access tokens from now on.
{{if .AccessUntil.IsZero}}It holds no unexpired access token.{{else}}An API that verifies the token's signature itself, without asking, accepts its last access token until it expires at {{clock .AccessUntil}}.{{end}}</p>
<p>Your password is unchanged, and no other app lost access.</p>
</div>{{end}}
{{if .Apps}}<p id="apps-intro">These apps can use your account:</p>
<ul class="apps" id="apps" aria-labelledby="apps-intro">{{range .Apps}}
<li data-client="{{.ClientID}}">
<h2>{{.ClientID}}</h2>
<ul class="scopes" aria-label="What {{.ClientID}} may do">{{range .Scopes}}
<li data-scope="{{.Name}}">{{if .Description}}<span class="what">{{.Description}}</span>{{end}}<code class="scope">{{.Name}}</code></li>{{end}}
</ul>
<p class="hint">For {{range $i, $a := .Audience}}{{if $i}}, {{end}}<code>{{$a}}</code>{{end}}. Connected since {{clock .Since}}{{if not .AccessUntil.IsZero}}; its access token is valid until {{clock .AccessUntil}}{{end}}{{if not .RefreshUntil.IsZero}}; it can get new ones until {{clock .RefreshUntil}}{{end}}.</p>
<form method="post" action="/connected-apps/revoke">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<div class="actions"><button type="submit" name="client_id" value="{{.ClientID}}" class="secondary danger" aria-label="Revoke access of {{.ClientID}}">Revoke access</button></div>
</form>
</li>{{end}}
</ul>{{else}}
<p id="no-apps">No app can use your account.</p>{{end}}
<form method="post" action="/connected-apps/sign-out">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<div class="actions"><button type="submit" class="secondary">Sign out</button></div>
</form>
</main></body></html>{{end}}
`))
