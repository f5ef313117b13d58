package e2e_test

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/oauth2"
)

var update = flag.Bool("update", false, "rewrite the screenshots in docs/")

// chromiumPath finds Debian's chromium. Without it the browser tests skip,
// unless CI is set: there .ci/run installs it, and a missing browser must
// fail rather than pass silently.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	for _, p := range []string{"/usr/bin/chromium", "chromium"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is missing although CI is set: .ci/run should have installed it (apt-get install -y chromium)")
	}
	t.Skip("chromium is missing: install Debian's chromium package (apt-get install chromium) to run the browser tests")
	return ""
}

// viewport is a window size; mobile emulates a phone, where a page
// without a viewport meta tag is laid out 980 pixels wide.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var (
	desktop = viewport{name: "desktop", width: 1280, height: 800}
	phone   = viewport{name: "phone", width: 390, height: 844, mobile: true}
)

// newTab starts a headless Chromium with a fresh profile for the test and
// returns a tab of size v. The flags keep it off the network: this one is
// closed, and Chromium's own background connections would be refused.
func newTab(t *testing.T, v viewport) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(int(v.width), int(v.height)),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second) // a hang fails, it does not stall
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	emulate := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if v.mobile {
		emulate = []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(v.width, v.height, emulate...)); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// do runs browser steps and fails the test on an error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one browser action and returns its value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[T](expr))
}

// loginFlow is one authorization request of the public client whose
// redirect lands on a loopback page of the test.
type loginFlow struct {
	conf     *oauth2.Config
	verifier string
	authURL  string
}

// newLoginFlow serves the client's callback and builds the authorization
// URL, for openid, email and orders:read.
func newLoginFlow(t *testing.T, issuer string) *loginFlow {
	t.Helper()
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>back at the client</title><p id="back">back at the client</p>`))
	}))
	t.Cleanup(cb.Close)
	f := &loginFlow{
		conf: &oauth2.Config{
			ClientID: "web-app", RedirectURL: cb.URL + "/callback", Scopes: []string{"openid", "email", "orders:read"},
			Endpoint: oauth2.Endpoint{AuthURL: issuer + "/authorize", TokenURL: issuer + "/token", AuthStyle: oauth2.AuthStyleInParams},
		},
		verifier: oauth2.GenerateVerifier(),
	}
	f.authURL = f.conf.AuthCodeURL("st-browser", oauth2.S256ChallengeOption(f.verifier))
	return f
}

// callback waits for the client's page and returns the query it was
// reached with.
func (f *loginFlow) callback(t *testing.T, ctx context.Context) url.Values {
	t.Helper()
	do(t, ctx, "waiting for the redirect to the client", chromedp.WaitVisible(chromedp.ID("back")))
	loc := get(t, ctx, chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(loc, f.conf.RedirectURL) {
		t.Fatalf("browser ended at %q, want the client's %s", loc, f.conf.RedirectURL)
	}
	return u.Query()
}

// startInteractiveIssuer runs examples/issuer with its default, the HTML
// login and consent pages.
func startInteractiveIssuer(t *testing.T) string {
	chromiumPath(t) // skip before building anything
	return start(t, "issuer", "issuer:", "-addr", "127.0.0.1:0")
}

// activeID names the focused element: a field by its name, a button by
// its value.
const activeID = `(e => e.tagName === "BUTTON" ? e.value : e.name || "")(document.activeElement)`

// Selectors of the pages, by the form's names, which the pages have always
// had, so that the tests fail on what they check and not on a selector.
var (
	username     = chromedp.CSS(`input[name="username"]`)
	password     = chromedp.CSS(`input[name="password"]`)
	scopes       = chromedp.ID("scopes")
	signInButton = chromedp.CSS(`form[action="login"] button[type="submit"]`)
	deny         = chromedp.CSS(`button[value="deny"]`)
)

// signInWith fills the sign-in form with the mouse and waits for the
// consent page.
func signInWith(user, pass string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SendKeys(username, user), chromedp.SendKeys(password, pass),
		chromedp.Click(signInButton), chromedp.WaitVisible(scopes),
	)
}

// TestBrowserSignInAndConsent signs in with the keyboard alone, the way a
// screen-reader or keyboard user does: the username has focus, Tab leads to
// the password, Enter signs in; the consent page lists each scope with its
// description and puts focus on Allow, and Enter allows. The code then
// redeems.
func TestBrowserSignInAndConsent(t *testing.T) {
	issuer := startInteractiveIssuer(t)
	flow := newLoginFlow(t, issuer)
	ctx := newTab(t, desktop)
	do(t, ctx, "open the sign-in page", chromedp.Navigate(flow.authURL), chromedp.WaitVisible(username))
	if focus, lang := eval[string](t, ctx, activeID), eval[string](t, ctx, `document.documentElement.lang`); focus != "username" || lang != "en" {
		t.Errorf("sign-in page: focus on %q, lang %q; want username and en", focus, lang)
	}
	do(t, ctx, "type the username", chromedp.KeyEvent("alice"), chromedp.KeyEvent(kb.Tab))
	if focus := eval[string](t, ctx, activeID); focus != "password" {
		t.Errorf("Tab from the username went to %q, want password", focus)
	}
	do(t, ctx, "type the password", chromedp.KeyEvent("alice-password"), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(scopes))
	listed := get(t, ctx, chromedp.Text(scopes))
	for _, want := range []string{"openid", "Sign you in and learn your user ID", "email", "See your email address", "orders:read", "See your orders"} {
		if !strings.Contains(listed, want) {
			t.Errorf("consent page scopes %q lack %q", listed, want)
		}
	}
	if focus := eval[string](t, ctx, activeID); focus != "approve" {
		t.Errorf("consent page focus on %q, want the Allow button", focus)
	}
	do(t, ctx, "press Enter on Allow", chromedp.KeyEvent(kb.Enter))
	q := flow.callback(t, ctx)
	if q.Get("state") != "st-browser" || q.Get("code") == "" {
		t.Fatalf("redirect query %v, want a code and the state", q)
	}
	tok, err := flow.conf.Exchange(context.WithValue(t.Context(), oauth2.HTTPClient, client), q.Get("code"), oauth2.VerifierOption(flow.verifier))
	if err != nil || tok.Extra("id_token") == nil {
		t.Errorf("Exchange of the browser's code: %v, %v", tok, err)
	}
}

// TestBrowserDeny: Deny sends the user back with access_denied (RFC 6749
// §4.1.2.1).
func TestBrowserDeny(t *testing.T) {
	issuer := startInteractiveIssuer(t)
	flow := newLoginFlow(t, issuer)
	ctx := newTab(t, desktop)
	do(t, ctx, "sign in and deny", chromedp.Navigate(flow.authURL), signInWith("bob", "bob-password"), chromedp.Click(deny))
	if q := flow.callback(t, ctx); q.Get("error") != "access_denied" || q.Get("state") != "st-browser" || q.Get("code") != "" {
		t.Errorf("deny redirected with %v, want error=access_denied and the state", q)
	}
}

// TestBrowserWrongPassword: a wrong password shows an announced error,
// keeps the username, puts focus back on the password, and the right one
// then signs in.
func TestBrowserWrongPassword(t *testing.T) {
	issuer := startInteractiveIssuer(t)
	flow := newLoginFlow(t, issuer)
	ctx := newTab(t, desktop)
	errBox := chromedp.ID("error")
	do(t, ctx, "sign in with a wrong password",
		chromedp.Navigate(flow.authURL),
		chromedp.SendKeys(username, "alice"), chromedp.SendKeys(password, "not-the-password"),
		chromedp.Click(signInButton), chromedp.WaitVisible(errBox),
	)
	errText, role := get(t, ctx, chromedp.Text(errBox)), get(t, ctx, chromedp.AttributeValue(errBox, "role")).Value
	name, focus := get(t, ctx, chromedp.Value(username)), eval[string](t, ctx, activeID)
	if errText != "Wrong username or password." || role != "alert" || name != "alice" || focus != "password" {
		t.Errorf("after a wrong password: error %q (role %q), username %q, focus %q", errText, role, name, focus)
	}
	do(t, ctx, "then the right one", chromedp.SendKeys(password, "alice-password"), chromedp.Click(signInButton), chromedp.WaitVisible(scopes))
}

// box is an element's rectangle in CSS pixels.
type box struct{ Left, Right, Top, Height, Width float64 }

func rect(t *testing.T, ctx context.Context, sel string) box {
	t.Helper()
	return eval[box](t, ctx, `(() => { const r = document.querySelector(`+"`"+sel+"`"+`).getBoundingClientRect();
		return {Left: r.left, Right: r.right, Top: r.top, Height: r.height, Width: r.width}; })()`)
}

// TestBrowserPhoneViewport: on a phone the pages are laid out at the
// device width (a viewport meta tag), the fields span the screen, nothing
// scrolls sideways, and the buttons are at least 44 pixels high, Allow and
// Deny side by side.
func TestBrowserPhoneViewport(t *testing.T) {
	issuer := startInteractiveIssuer(t)
	flow := newLoginFlow(t, issuer)
	ctx := newTab(t, phone)
	do(t, ctx, "open the sign-in page on a phone", chromedp.Navigate(flow.authURL), chromedp.WaitVisible(username))
	layout, scroll := eval[float64](t, ctx, `document.documentElement.clientWidth`), eval[float64](t, ctx, `document.documentElement.scrollWidth`)
	if layout != float64(phone.width) || scroll > layout {
		t.Errorf("sign-in page laid out %v wide, scrolling to %v; want %d and no sideways scroll", layout, scroll, phone.width)
	}
	field, button := rect(t, ctx, string(username)), rect(t, ctx, string(signInButton))
	if field.Width < 0.8*layout || button.Height < 44 || button.Width < 0.8*layout {
		t.Errorf("on a phone the field is %v wide, the button %vx%v; want 80%% of %v and 44 high", field.Width, button.Width, button.Height, layout)
	}
	do(t, ctx, "sign in", signInWith("alice", "alice-password"))
	scroll = eval[float64](t, ctx, `document.documentElement.scrollWidth`)
	allow, no := rect(t, ctx, `button[value="approve"]`), rect(t, ctx, `button[value="deny"]`)
	if scroll > layout || allow.Top != no.Top || allow.Height < 44 || no.Height < 44 || no.Right > layout {
		t.Errorf("consent on a phone: scroll width %v, Allow %+v, Deny %+v; want side by side, 44 high, on screen", scroll, allow, no)
	}
}

// TestScreenshots takes the sign-in and consent pages at desktop and phone
// sizes; with -update it writes them to docs/, where the issuer's README
// shows them.
func TestScreenshots(t *testing.T) {
	issuer := startInteractiveIssuer(t)
	for _, v := range []viewport{desktop, phone} {
		t.Run(v.name, func(t *testing.T) {
			flow := newLoginFlow(t, issuer)
			ctx := newTab(t, v)
			do(t, ctx, "open the sign-in page", chromedp.Navigate(flow.authURL), chromedp.WaitVisible(username))
			shots := map[string][]byte{"signin": get(t, ctx, chromedp.CaptureScreenshot())}
			do(t, ctx, "sign in", signInWith("alice", "alice-password"))
			shots["consent"] = get(t, ctx, chromedp.CaptureScreenshot())
			for name, png := range shots {
				if !strings.HasPrefix(string(png), "\x89PNG") {
					t.Fatalf("%s screenshot is not a PNG", name)
				}
				if !*update {
					continue
				}
				path := filepath.Join("..", "docs", "issuer-"+name+"-"+v.name+".png")
				if err := os.WriteFile(path, png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
