package http_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestCertificatesBrowser drives /my/certificates and the public
// verification page in headless Chromium: the citizen signs in through the
// form, the page lists the kinds and the certificates issued, a button
// issues one, and the verification page shows a certificate, an unknown
// code and a malformed one, in az, en and ru; axe-core finds no serious or
// critical violation on any of them.
func TestCertificatesBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core (run scripts/vendor-assets.sh): %v", err)
	}
	b := dosttest.NewBrowser(t)
	ts := dosttest.NewServer(t, "sqlite")
	f := ts.Fixtures
	asCitizen := dost.NewContextWithUser(context.Background(), f.Users[dost.RoleCitizen])
	c, err := ts.Server.Certificates.IssueCertificate(asCitizen, dost.CertificateRequest{PersonID: f.Child.ID, Kind: dost.CertificateRegistration})
	if err != nil {
		t.Fatal(err)
	}

	do := func(t *testing.T, tab *dosttest.Tab, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab.Ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(t *testing.T, tab *dosttest.Tab, css string) string {
		t.Helper()
		s, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS(css)))
		if err != nil {
			t.Fatalf("read %s: %v", css, err)
		}
		return s
	}
	check := func(t *testing.T, tab *dosttest.Tab, allowed ...string) {
		t.Helper()
		tab.CheckAxe(t, string(axe))
	errors:
		for _, e := range tab.Errors() {
			for _, a := range allowed {
				if strings.Contains(e, a) {
					continue errors
				}
			}
			t.Errorf("page error: %s", e)
		}
	}

	t.Run("MyCertificates", func(t *testing.T) {
		tab := b.NewTab(t)
		do(t, tab,
			chromedp.Navigate(ts.URL+"/my/certificates?lang=en"),
			chromedp.WaitVisible(chromedp.CSS("#signin-username")),
			chromedp.SendKeys(chromedp.CSS("#signin-username"), f.Users[dost.RoleCitizen].Username),
			chromedp.SendKeys(chromedp.CSS("#signin-password"), dosttest.Password(dost.RoleCitizen)),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#certificate-kinds")))
		for _, l := range []struct{ lang, h1 string }{{"az", "Arayışlar"}, {"en", "Certificates"}, {"ru", "Справки"}} {
			do(t, tab, chromedp.Navigate(ts.URL+"/my/certificates?lang="+l.lang), chromedp.WaitVisible(chromedp.CSS("#issued")))
			if got := text(t, tab, "main h1"); got != l.h1 {
				t.Errorf("%s: heading %q, want %q", l.lang, got, l.h1)
			}
			if got := text(t, tab, "#issued"); !strings.Contains(got, c.Code) {
				t.Errorf("%s: the list lacks %s: %q", l.lang, c.Code, got)
			}
			check(t, tab)
		}

		// The button issues a certificate (the browser then downloads it).
		do(t, tab, chromedp.Navigate(ts.URL+"/my/certificates?lang=en"), chromedp.WaitVisible(chromedp.CSS("#issue-benefits")),
			chromedp.Click(chromedp.CSS("#issue-benefits")))
		deadline := time.Now().Add(10 * time.Second)
		for {
			cs, _, err := ts.Server.Certificates.FindCertificates(asCitizen, dost.CertificateFilter{Kind: dost.CertificateBenefits})
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) == 1 {
				if cs[0].Language != "en" {
					t.Errorf("issued in %s, want en (the page's language preselected)", cs[0].Language)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the button issued no certificate")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("Verify", func(t *testing.T) {
		tab := b.NewTab(t)
		for _, l := range []struct{ lang, h2 string }{
			{"az", "Bu arayış həqiqidir və etibarlıdır"}, {"en", "This certificate is genuine and valid"}, {"ru", "Справка подлинная и действительна"},
		} {
			do(t, tab, chromedp.Navigate(ts.URL+"/verify/certificates?lang="+l.lang+"&code="+c.Code), chromedp.WaitVisible(chromedp.CSS("#verify-result")))
			if got := text(t, tab, "#verify-result"); got != l.h2 {
				t.Errorf("%s: %q, want %q", l.lang, got, l.h2)
			}
			check(t, tab)
		}
		// By keyboard: type a code into the form and send it with Enter.
		do(t, tab, chromedp.Navigate(ts.URL+"/verify/certificates?lang=en"), chromedp.WaitVisible(chromedp.CSS("#certificate-code")),
			chromedp.SendKeys(chromedp.CSS("#certificate-code"), "0000 0000 0000 0000\r"),
			chromedp.WaitVisible(chromedp.CSS("#verify-not-found")))
		check(t, tab, "404")
		do(t, tab, chromedp.Navigate(ts.URL+"/verify/certificates?lang=ru&code=nonsense"), chromedp.WaitVisible(chromedp.CSS("#certificate-code-error")))
		check(t, tab, "400")
	})
}
