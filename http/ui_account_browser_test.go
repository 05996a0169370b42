package http_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestAccountBrowser signs in through the form in headless Chromium, goes
// to the sessions page by the header's link, ends the other session and
// changes the password, running axe-core on each page (no serious or
// critical violations) in each language, and fails on page errors (a CSP
// violation).
func TestAccountBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := dosttest.NewBrowser(t)
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core (run scripts/vendor-assets.sh): %v", err)
	}
	ts := dosttest.NewServer(t, "sqlite")
	pw := dosttest.Password(dost.RoleCaseWorker)
	other := browser(t, ts, "caseworker", pw, "Other browser")
	tab := b.NewTab(t)
	do := func(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab.Ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T) {
		t.Helper()
		tab.CheckAxe(t, string(axe))
		for _, e := range tab.Errors() {
			t.Errorf("page error: %s", e)
		}
	}
	text := func(t *testing.T, css string) string {
		t.Helper()
		s, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS(css)))
		if err != nil {
			t.Fatalf("read %s: %v", css, err)
		}
		return s
	}

	do(t, chromedp.Navigate(ts.URL+"/signin?lang=en"), chromedp.WaitVisible(chromedp.CSS("#signin-username")),
		chromedp.SendKeys(chromedp.CSS("#signin-username"), "caseworker"),
		chromedp.SendKeys(chromedp.CSS("#signin-password"), pw),
		chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#nav-account")),
		chromedp.Click(chromedp.CSS("#nav-account")),
		chromedp.WaitVisible(chromedp.CSS("#sessions")))
	if got := text(t, "#sessions"); !strings.Contains(got, "This browser") || !strings.Contains(got, "Other browser") {
		t.Errorf("sessions table: got %q, want this and the other browser", got)
	}
	check(t)
	for _, lang := range []string{"az", "ru"} {
		do(t, chromedp.Navigate(ts.URL+"/account/sessions?lang="+lang), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #sessions`)))
		check(t)
	}

	do(t, chromedp.Navigate(ts.URL+"/account/sessions?lang=en"), chromedp.WaitVisible(chromedp.CSS("#revoke-others")),
		chromedp.Click(chromedp.CSS("#revoke-others")), chromedp.WaitVisible(chromedp.CSS("#account-notice")))
	if got := text(t, "#sessions"); strings.Contains(got, "Other browser") {
		t.Errorf("after ending the others: table %q still lists the other browser", got)
	}
	if live(t, ts, other) {
		t.Error("the other browser is still signed in")
	}
	check(t)

	do(t, chromedp.Click(chromedp.CSS("#change-password")), chromedp.WaitVisible(chromedp.CSS("#password-form")))
	check(t)
	do(t, chromedp.SendKeys(chromedp.CSS("#current-password"), pw),
		chromedp.SendKeys(chromedp.CSS("#new-password"), "a new long password"),
		chromedp.SendKeys(chromedp.CSS("#new-password-again"), "a different one!!"),
		chromedp.Click(chromedp.CSS("#password-submit")),
		chromedp.WaitVisible(chromedp.CSS("#new-password-again-error")))
	tab.Errors() // the 400 of the refused form is logged as a network error
	check(t)
	do(t, chromedp.SendKeys(chromedp.CSS("#current-password"), pw),
		chromedp.SendKeys(chromedp.CSS("#new-password"), "a new long password"),
		chromedp.SendKeys(chromedp.CSS("#new-password-again"), "a new long password"),
		chromedp.Click(chromedp.CSS("#password-submit")),
		chromedp.WaitVisible(chromedp.CSS("#account-notice")))
	if got := text(t, "#account-notice"); !strings.Contains(got, "password has been changed") {
		t.Errorf("notice: got %q", got)
	}
	check(t)
}
