package http_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestHallDashboardBrowser opens the supervisor dashboard in headless
// Chromium: the supervisor signs in, the charts are drawn from the KPI
// API (three uPlot canvases), the hall now says it is live, and the page
// passes axe-core with no script error, by day and then by week.
func TestHallDashboardBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := dosttest.NewBrowser(t)
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core (run scripts/vendor-assets.sh): %v", err)
	}
	ts := dosttest.NewServer(t, "sqlite")
	f := newHallFixture(t, ts)
	kpiDay(t, ts, f)
	tab := b.NewTab(t)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab.Ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	check := func() {
		t.Helper()
		tab.CheckAxe(t, string(axe))
		for _, e := range tab.Errors() {
			t.Errorf("page error: %s", e)
		}
	}
	do(chromedp.Navigate(ts.URL+"/dashboard?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#signin-username")),
		chromedp.SendKeys(chromedp.CSS("#signin-username"), "supervisor"),
		chromedp.SendKeys(chromedp.CSS("#signin-password"), dosttest.Password(dost.RoleSupervisor)),
		chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#dashboard-total")),
		chromedp.Poll[chromedp.Void](`document.getElementById("dashboard-charts").dataset.ready === "true"`),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#dashboard-charts canvas").length === 3`))
	live, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("#dashboard-live-status")))
	if err != nil || live != "(live)" {
		t.Errorf("live status: got %q (%v), want (live)", live, err)
	}
	waiting, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("#live-waiting")))
	if err != nil || waiting != "1" {
		t.Errorf("waiting now: got %q (%v), want 1", waiting, err)
	}
	legend, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("#chart-waits-title + div + .dash-legend")))
	if err != nil || !strings.Contains(legend, "90th percentile wait") {
		t.Errorf("waits legend: got %q (%v)", legend, err)
	}
	check()

	do(chromedp.SetValue(chromedp.CSS("#dashboard-by"), "week"),
		chromedp.Click(chromedp.CSS("#dashboard-submit")),
		chromedp.WaitReady(chromedp.CSS(`#dashboard-by option[value="week"][selected]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById("dashboard-charts")?.dataset.ready === "true"`))
	head, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("#dashboard-periods-title")))
	if err != nil || head != "By week" {
		t.Errorf("periods heading: got %q (%v), want By week", head, err)
	}
	check()
}
