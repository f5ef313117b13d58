package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// spaConfig is the app's /config.json: the origins of the story.
type spaConfig struct {
	Issuer    string `json:"issuer"`
	API       string `json:"api"`
	Analytics string `json:"analytics"`
}

// startSPA runs examples/spa on free loopback ports, analytics reading
// only when asked, and returns the one URL it prints and its origins.
func startSPA(t *testing.T) (string, spaConfig) {
	t.Helper()
	chromiumPath(t) // skip before building anything
	app := start(t, "spa", "spa: open", "-app-addr", "127.0.0.1:0", "-api-addr", "127.0.0.1:0",
		"-analytics-addr", "127.0.0.1:0", "-issuer-addr", "127.0.0.1:0", "-sync-every", "0")
	resp, err := client.Get(app + "config.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cfg spaConfig
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil || cfg.API == "" {
		t.Fatalf("GET /config.json: %v %+v", err, cfg)
	}
	return app, cfg
}

// tab is one browser tab of the story.
type tab struct {
	t    *testing.T
	ctx  context.Context
	name string
}

// watch saves a screenshot of the tab if the test fails, while the tab is
// still open (cleanups run last in, first out).
func watch(t *testing.T, ctx context.Context, name string) *tab {
	tb := &tab{t: t, ctx: ctx, name: name}
	t.Cleanup(func() {
		if t.Failed() {
			tb.saveFailure()
		}
	})
	return tb
}

func (tb *tab) saveFailure() {
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Logf("no screenshot of the %s tab: %v", tb.name, err)
		return
	}
	dir := filepath.Join(os.TempDir(), "tokengate-e2e")
	path := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(tb.t.Name()+"-"+tb.name)+".png")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	tb.t.Logf("screenshot of the %s tab at the failure: %s (%v)", tb.name, path, err)
}

// do runs steps in the tab; on an error it saves a screenshot and stops.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.saveFailure()
		tb.t.Fatalf("%s tab: %s: %v", tb.name, what, err)
	}
}

// text is the text a person sees in the element sel.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return get(tb.t, tb.ctx, chromedp.Text(chromedp.CSS(sel)))
}

// waitFor waits, on every change of the page, until a JavaScript
// expression is truthy, and returns its value.
func (tb *tab) waitFor(what, expr string) string {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Poll[string](`(() => { const v = (`+expr+`); return v ? String(v) : false })()`, chromedp.WithPollingMutation()))
	if err != nil {
		tb.saveFailure()
		tb.t.Fatalf("%s tab: waiting for %s: %v", tb.name, what, err)
	}
	return v
}

// step does what a person does and waits for the story to show a new
// step with id, whose text it returns.
func (tb *tab) step(id string, actions ...chromedp.Action[chromedp.Void]) string {
	tb.t.Helper()
	n := eval[int](tb.t, tb.ctx, `document.querySelectorAll("#log > li").length`)
	tb.do("step "+id, actions...)
	return tb.waitFor("the story's step "+id, fmt.Sprintf(`document.querySelectorAll("#log > li").length > %d && document.querySelector("#log > li").dataset.step === %q && document.querySelector("#log > li").innerText`, n, id))
}

// shots collects the story's screenshots; -update writes them to docs/.
type shots struct {
	t      *testing.T
	prefix string // of the file names in docs/
	n      int
}

func (s *shots) take(tb *tab, name, top string) {
	s.t.Helper()
	s.n++
	tb.do("frame "+top, chromedp.Evaluate[chromedp.Void](`(() => {
		const story = document.getElementById("story"), e = document.querySelector(`+"`"+top+"`"+`);
		if (story) story.scrollTop = 0;
		if (story && story !== e && story.contains(e)) return story.scrollBy(0, e.getBoundingClientRect().top - story.getBoundingClientRect().top - 8);
		window.scrollTo(0, Math.max(0, e.getBoundingClientRect().top + scrollY - 16));
	})()`))
	tb.do("bring the tab to the front", func(ctx context.Context, tgt *chromedp.Target) (chromedp.Void, error) {
		c := chromedp.FromContext(ctx)
		return cdp.Call(ctx, c.Browser, target.ActivateTarget, target.ActivateTargetParams{TargetID: tgt.TargetID})
	})
	png := get(s.t, tb.ctx, chromedp.CaptureScreenshot())
	if !strings.HasPrefix(string(png), "\x89PNG") {
		s.t.Fatalf("screenshot %s is not a PNG", name)
	}
	if *update {
		path := filepath.Join("..", "docs", fmt.Sprintf("%s-%02d-%s.png", s.prefix, s.n, name))
		if err := os.WriteFile(path, png, 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
}

// openedTab clicks a link that opens a new tab and returns that tab, of
// size v.
func (tb *tab) openedTab(name, link string, v viewport) *tab {
	tb.t.Helper()
	ch := chromedp.WaitNewTarget(tb.ctx, func(i *target.Info) bool { return i.Type == "page" })
	tb.do("open "+name, chromedp.Click(chromedp.CSS(link)))
	id, ok := <-ch
	if !ok {
		tb.t.Fatalf("clicking %s opened no tab", link)
	}
	ctx, cancel := chromedp.NewContext(tb.ctx, chromedp.WithTargetID(id))
	tb.t.Cleanup(cancel)
	opened := watch(tb.t, ctx, name)
	opened.do("size the tab", emulate(v))
	return opened
}

// callbacks records the URLs the tab is sent to with a code, as the
// browser's history would have them, to replay one.
func callbacks(t *testing.T, tb *tab, app string) func() []string {
	var mu sync.Mutex
	var seen []string
	if err := chromedp.Listen(tb.ctx, func(ev any) {
		if e, ok := ev.(*page.EventFrameNavigated); ok && strings.HasPrefix(e.Frame.URL, app) && strings.Contains(e.Frame.URL, "code=") {
			mu.Lock()
			seen = append(seen, e.Frame.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// emulate sizes a tab as newTab does.
func emulate(v viewport) chromedp.Action[chromedp.Void] {
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if v.mobile {
		opts = []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile}
	}
	return chromedp.EmulateViewport(v.width, v.height, opts...)
}

// issuerSignIn signs in on an issuer page by its form's names.
func issuerSignIn(form, user, pass string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SendKeys(username, user), chromedp.SendKeys(password, pass),
		chromedp.Click(chromedp.CSS(`form[action="`+form+`"] button[type="submit"]`)),
	)
}

// want fails the test unless got contains every one of wants.
func want(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// corsFrom asks the browser, from the page of tb (another origin than the
// app's), to call the API: the browser must refuse to hand the answer over.
func corsFrom(t *testing.T, tb *tab, api string) string {
	t.Helper()
	return get(t, tb.ctx, chromedp.Evaluate[string](`fetch(`+"`"+api+`/profile`+"`"+`, {headers: {Authorization: "Bearer x"}}).then(r => "read: " + r.status, e => "refused: " + e.name)`, chromedp.EvalAwaitPromise))
}

// checkCORSRefused: the API itself refuses a preflight and a request from
// another origin, naming no origin (the browser then refuses too).
func checkCORSRefused(t *testing.T, api string) {
	t.Helper()
	for _, method := range []string{http.MethodOptions, http.MethodGet} {
		req, _ := http.NewRequestWithContext(t.Context(), method, api+"/profile", nil)
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Access-Control-Request-Method", "GET")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s /profile from another origin = %d, Access-Control-Allow-Origin %q; want 403 and none",
				method, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}

// TestBrowserSPAStory does the whole story as a person would, in one
// browser: open the app, sign in as alice and consent, see the profile;
// connect analytics and see it read the profile, but not change it; revoke
// analytics at the issuer's connected-apps page; see analytics refused on
// the introspection route and its refresh refused, while the app works
// on; send the ID token to the API (401); bring back a forged state and a
// replayed code (both refused before the issuer is asked).
func TestBrowserSPAStory(t *testing.T) {
	appURL, cfg := startSPA(t)
	app := watch(t, newTab(t, desktop), "app")
	shot := &shots{t: t, prefix: "spa"}
	seen := callbacks(t, app, appURL)

	app.do("open the app", chromedp.Navigate(appURL), chromedp.WaitVisible(chromedp.CSS(`#app[data-ready="true"]`)))
	want(t, "the app before sign-in", app.text("#log"), "nobody is signed in")
	shot.take(app, "app", "body")

	app.do("sign in", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(username))
	if loc := get(t, app.ctx, chromedp.Location()); !strings.HasPrefix(loc, cfg.Issuer+"/authorize?") || !strings.Contains(loc, "code_challenge_method=S256") {
		t.Errorf("sign-in went to %s, want the issuer's authorization endpoint with PKCE", loc)
	}
	shot.take(app, "issuer-sign-in", "body")
	app.do("type the password at the issuer", issuerSignIn("login", "alice", "alice-password"), chromedp.WaitVisible(scopes))
	want(t, "the app's consent page", app.text("#scopes"), "profile:read", "See your profile", "profile:write", "Change your profile")
	shot.take(app, "consent", "body")
	app.do("allow", chromedp.Click(chromedp.CSS(`button[value="approve"]`)), chromedp.WaitVisible(chromedp.ID("signed-in")))
	if name := app.waitFor("the profile", `document.getElementById("profile-name").textContent`); name != "Alice Example" {
		t.Errorf("profile name %q, want Alice Example", name)
	}
	want(t, "the story after sign-in", app.text("#log"), "the state matches", "Code and code_verifier exchanged", "at+jwt", "alice@example.test", "Alice Example's profile")
	if h := get(t, app.ctx, chromedp.NavigationEntries()); strings.Contains(fmt.Sprint(h.Entries[len(h.Entries)-1].URL), "code=") {
		t.Errorf("the code stayed in the history: %s", h.Entries[len(h.Entries)-1].URL)
	}
	shot.take(app, "profile", "body")
	shot.take(app, "tokens", `#log li[data-step="exchange"]`)

	analytics := app.openedTab("analytics", "#connect-analytics", desktop)
	analytics.do("sign in for analytics", chromedp.WaitVisible(username), issuerSignIn("login", "alice", "alice-password"), chromedp.WaitVisible(scopes))
	if asked := eval[[]string](t, analytics.ctx, `[...document.querySelectorAll("#scopes li")].map(li => li.dataset.scope)`); len(asked) != 1 || asked[0] != "profile:read" {
		t.Errorf("analytics' consent page asks for %q, want profile:read only", asked)
	}
	want(t, "analytics' consent page", analytics.text("#asks"), "analytics")
	shot.take(analytics, "analytics-consent", "body")
	analytics.do("allow analytics", chromedp.Click(chromedp.CSS(`button[value="approve"]`)), chromedp.WaitVisible(chromedp.ID("connected")))
	app.waitFor("analytics connected", `document.getElementById("analytics").dataset.state === "connected"`)
	read := app.text("#analytics-steps")
	want(t, "analytics' first read", read, "GET /profile/introspected", "read alice's profile", "PUT /profile", `scope="profile:write"`)
	want(t, "analytics' summary", app.text("#analytics-summary"), `scope "profile:read" only`, "never saw your password")
	if got := eval[string](t, app.ctx, `document.querySelector('#analytics-steps li[data-route="PUT /profile"]').dataset.status`); got != "403" {
		t.Errorf("analytics' PUT /profile = %s, want 403", got)
	}
	shot.take(app, "analytics-reads", "#analytics")
	want(t, "the API's log of reads", app.step("profile", chromedp.Click(chromedp.ID("load-profile"))), "Alice Example's profile")
	want(t, "who read the profile", app.text("#reads"), "analytics introspection", "analytics local JWT", "profile-app local JWT")

	issuer := app.openedTab("connected apps", "#manage-apps", desktop)
	issuer.do("sign in at the issuer", chromedp.WaitVisible(username), issuerSignIn("/connected-apps/sign-in", "alice", "alice-password"), chromedp.WaitVisible(chromedp.ID("apps")))
	want(t, "the connected apps", issuer.text(`#apps li[data-client="analytics"]`), "See your profile", "profile:read")
	want(t, "the connected apps", issuer.text(`#apps li[data-client="profile-app"]`), "profile:write")
	shot.take(issuer, "connected-apps", "body")
	issuer.do("revoke analytics", chromedp.Click(chromedp.CSS(`button[value="analytics"]`)), chromedp.WaitVisible(chromedp.ID("revoked")))
	want(t, "the revocation notice", issuer.text("#revoked"), "analytics can no longer use your account", "introspection", "until it expires at", "password is unchanged")
	if n := eval[int](t, issuer.ctx, `document.querySelectorAll('#apps li[data-client="analytics"]').length`); n != 0 {
		t.Error("analytics is still listed after the revocation")
	}
	shot.take(issuer, "revoked", "body")
	if got := corsFrom(t, issuer, cfg.API); got != "refused: TypeError" {
		t.Errorf("the API called from the issuer's origin: %s, want the browser to refuse (CORS)", got)
	}
	checkCORSRefused(t, cfg.API)

	app.do("ask analytics to read", chromedp.Click(chromedp.ID("sync-analytics")))
	// The state turns "revoked" as soon as the refresh fails, a moment
	// before the run that found it is listed: wait for both.
	app.waitFor("analytics refused", `document.getElementById("analytics").dataset.state === "revoked" &&
		document.querySelector('#analytics-steps li[data-route="POST /token (refresh_token)"]') !== null`)
	steps := eval[map[string]string](t, app.ctx, `Object.fromEntries([...document.querySelectorAll("#analytics-steps li")].map(li => [li.dataset.route, li.dataset.status]))`)
	if steps["GET /profile/introspected"] != "401" || steps["GET /profile"] != "200" || steps["POST /token (refresh_token)"] != "400" {
		t.Errorf("analytics after the revocation: %v; want introspection 401, local JWT 200 until exp, refresh 400", steps)
	}
	want(t, "analytics after the revocation", app.text("#analytics-steps"), "invalid_grant", `error="invalid_token"`)
	want(t, "analytics' summary", app.text("#analytics-summary"), "You revoked Analytics", "when it expires at")
	shot.take(app, "analytics-refused", "#analytics")
	want(t, "the app after the revocation", app.step("profile", chromedp.Click(chromedp.ID("load-profile"))), "OK", "Alice Example's profile")
	want(t, "the app's refresh after the revocation", app.step("refresh", chromedp.Click(chromedp.ID("refresh"))), "OK", "refresh token rotated")

	idStep := app.step("id-token", chromedp.Click(chromedp.ID("send-id-token")))
	want(t, "the ID token at the API", idStep, "Refused", "401", `error="invalid_token"`, "not an access token")
	shot.take(app, "id-token-refused", "body")

	want(t, "signing out", app.step("sign-out", chromedp.Click(chromedp.ID("sign-out"))), "refresh token is revoked", "200")
	app.do("start a sign-in, then follow a forged redirect",
		chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(username),
		chromedp.Navigate(appURL+"?code=attackers-code&state=forged-state"), chromedp.WaitVisible(chromedp.ID("alert")))
	want(t, "the forged state", app.text("#alert"), "the state is not the one this tab sent")
	want(t, "the forged state", app.text(`#log > li[data-step="redirect"]`), "forged-state", "not exchanged")
	shot.take(app, "forged-state", "body")

	calls := seen()
	if len(calls) == 0 || strings.Contains(calls[0], "attackers-code") {
		t.Fatalf("the browser's redirects with a code: %q, want the sign-in's first", calls)
	}
	app.do("replay the code from the history", chromedp.Navigate(calls[0]), chromedp.WaitVisible(chromedp.ID("alert")))
	want(t, "the replayed code", app.text("#alert"), "no sign-in is in progress")
}
