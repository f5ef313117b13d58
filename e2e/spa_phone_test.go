package e2e_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// focusedID names the focused element by its id.
const focusedID = `document.activeElement.id`

// checkFits: the page is laid out at the phone's width, nothing scrolls
// sideways, and every visible control is at least 44 pixels high.
func checkFits(t *testing.T, tb *tab, what string) {
	t.Helper()
	layout, scroll := eval[float64](t, tb.ctx, `document.documentElement.clientWidth`), eval[float64](t, tb.ctx, `document.documentElement.scrollWidth`)
	if layout != float64(phone.width) || scroll > layout {
		t.Errorf("%s laid out %v wide, scrolling to %v; want %d and no sideways scroll", what, layout, scroll, phone.width)
	}
	small := eval[[]string](t, tb.ctx, `[...document.querySelectorAll("button, a.button, summary, input:not([type=hidden])")]
		.filter(e => e.getClientRects().length && e.getBoundingClientRect().height < 44).map(e => e.id || e.textContent.trim())`)
	if len(small) > 0 {
		t.Errorf("%s has controls under 44 pixels high: %q", what, small)
	}
}

// tabTo presses Tab until the element id has focus, at most n times, and
// returns the ids it passed.
func tabTo(t *testing.T, tb *tab, id string, n int) []string {
	t.Helper()
	var passed []string
	for range n {
		tb.do("press Tab", chromedp.KeyEvent(kb.Tab))
		got := eval[string](t, tb.ctx, focusedID)
		passed = append(passed, got)
		if got == id {
			return passed
		}
	}
	t.Fatalf("%d Tabs did not reach #%s; focus went through %q", n, id, passed)
	return nil
}

// TestBrowserSPAPhoneKeyboard uses the app on a phone with the keyboard
// alone: Tab leads to Sign in, the issuer's pages take the password and
// the consent with Tab and Enter, focus comes back to who is signed in,
// every control is reached with Tab in reading order, and the profile is
// changed with the keyboard. Nothing scrolls sideways; controls are 44
// pixels high.
func TestBrowserSPAPhoneKeyboard(t *testing.T) {
	appURL, _ := startSPA(t)
	app := watch(t, newTab(t, phone), "app")
	shot := &shots{t: t, prefix: "spa-phone"}
	app.do("open the app", chromedp.Navigate(appURL), chromedp.WaitVisible(chromedp.CSS(`#app[data-ready="true"]`)))
	checkFits(t, app, "the app")
	shot.take(app, "app", "body")

	if passed := tabTo(t, app, "sign-in", 3); passed[0] != "" || len(passed) != 2 {
		t.Errorf("Tab went through %q to Sign in, want the skip link first", passed)
	}
	app.do("sign in with the keyboard",
		chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(username),
		chromedp.KeyEvent("alice"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("alice-password"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(scopes), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("signed-in")))
	app.waitFor("the profile", `document.getElementById("profile-name").textContent === "Alice Example"`)
	if got := eval[string](t, app.ctx, focusedID); got != "who" {
		t.Errorf("back from the issuer, focus is on %q, want who is signed in", got)
	}
	checkFits(t, app, "the signed-in app")
	shot.take(app, "profile", "body")

	passed := tabTo(t, app, "manage-apps", 12)
	order := []string{"change-profile", "load-profile", "refresh", "send-id-token", "sign-out", "connect-analytics", "manage-apps"}
	if i := slices.Index(passed, order[0]); i < 0 || !slices.Equal(passed[i:], order) {
		t.Errorf("Tab went through %q, want %q in this order", passed, order)
	}
	tabTo(t, app, "story", 2) // the log scrolls on its own on a desktop: it must take focus

	app.do("back to the profile form", chromedp.Focus(chromedp.ID("who")))
	tabTo(t, app, "change-profile", 2)
	app.do("open the form and type a bio", chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("Typed on a phone"))
	if got := eval[string](t, app.ctx, focusedID); got != "bio" {
		t.Fatalf("typing went to %q, want the bio", got)
	}
	saved := app.step("save", chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter))
	if !strings.Contains(saved, "Profile saved") || app.text("#profile-bio") != "Typed on a phone" {
		t.Errorf("saving with the keyboard: %q, bio %q", saved, app.text("#profile-bio"))
	}

	issuer := app.openedTab("connected apps", "#manage-apps", phone)
	issuer.do("sign in at the issuer", chromedp.WaitVisible(username), chromedp.KeyEvent("alice"), chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("alice-password"), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("apps")))
	checkFits(t, issuer, "the connected-apps page")
	shot.take(issuer, "connected-apps", "body")
}
