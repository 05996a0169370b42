package http_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestOIDCDemoBrowser signs in through the demo provider (/demo-idp) in
// headless Chromium: the sign-in page's button, the provider's login page
// listing the registry's persons, back signed in as the chosen citizen.
// axe checks dost's sign-in page and the provider's login page.
func TestOIDCDemoBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := dosttest.NewBrowser(t)
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core (run scripts/vendor-assets.sh): %v", err)
	}
	ts := dosttest.NewServer(t, "sqlite", dosttest.WithOIDC(dosthttp.OIDCConfig{Demo: true}))
	head := ts.Fixtures.Head
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

	do(chromedp.Navigate(ts.URL+"/signin?lang=en"), chromedp.WaitVisible(chromedp.CSS("#signin-oidc-button")))
	label, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("#signin-oidc-button")))
	if err != nil {
		t.Fatal(err)
	}
	if label != "Sign in with the digital login (demo)" {
		t.Errorf("button: got %q", label)
	}
	check()

	do(chromedp.Click(chromedp.CSS("#signin-oidc-button")), chromedp.WaitVisible(chromedp.CSS("#idp-subjects")))
	page, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, head.FullName()) || !strings.Contains(page, head.FIN.Masked()) || strings.Contains(page, string(head.FIN)) {
		t.Errorf("login page: want the head's name and masked FIN only:\n%s", page)
	}
	check()

	// Clicked by script: the click navigates away at once, and
	// chromedp.Click would look for its node on the next page.
	if _, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[chromedp.Void](
		`document.querySelector('#idp-subjects button[value="person-`+strconv.FormatInt(head.ID, 10)+`"]').click()`)); err != nil {
		t.Fatal(err)
	}
	var path string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if path, err = chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`location.pathname`)); err == nil && path == "/my" {
			break
		}
	}
	if path != "/my" {
		t.Fatalf("after the login page: at %q, want /my", path)
	}
	tab.Errors() // the portal's page is another test's business
	do(chromedp.Navigate(ts.URL + "/api/v1/me"))
	// Read by script and retried: a node id taken from the portal's
	// page may already be gone (CI saw "No node with given id found").
	var me string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		me, err = chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`location.pathname === "/api/v1/me" && document.body ? document.body.innerText : ""`))
		if err == nil && me != "" {
			break
		}
	}
	if !strings.Contains(me, `"fin:`+string(head.FIN)+`"`) {
		t.Errorf("signed in as: got %s, want the head's citizen account", me)
	}
}
