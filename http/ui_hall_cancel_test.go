package http_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dost-az/dost/internal/dosttest"
)

// TestHallCancelBrowser opens the page that cancels a booking by code in
// headless Chromium, empty and after a refused cancellation (its field
// errors shown): each passes axe-core and reports no error.
func TestHallCancelBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := dosttest.NewBrowser(t)
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core (run scripts/vendor-assets.sh): %v", err)
	}
	ts := dosttest.NewServer(t, "sqlite")
	tab := b.NewTab(t)
	// check runs axe and fails on page errors but the refused form's own
	// status (400), which Chromium logs as a failed load.
	check := func() {
		t.Helper()
		tab.CheckAxe(t, string(axe))
		for _, e := range tab.Errors() {
			if !strings.Contains(e, "status of 400") {
				t.Errorf("page error: %s", e)
			}
		}
	}
	if err := chromedp.Do(tab.Ctx, chromedp.Navigate(ts.URL+"/appointments/cancel?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#cancel-form"))); err != nil {
		t.Fatal(err)
	}
	check()
	// A code without the phone or FIN: the form says what is missing.
	if err := chromedp.Do(tab.Ctx, chromedp.SendKeys(chromedp.CSS("#cancel-code"), "ABCD2345"),
		chromedp.Click(chromedp.CSS("#cancel-submit")), chromedp.WaitVisible(chromedp.CSS("#cancel-phone-error"))); err != nil {
		t.Fatal(err)
	}
	check()
}
