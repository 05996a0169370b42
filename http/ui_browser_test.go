package http_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestUIBrowser loads every page in headless Chromium, signs in through
// the form, switches language, searches live (htmx) and runs axe-core on
// each page, failing on serious or critical violations and on any error
// the page reports (a script error, a CSP violation).
func TestUIBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := dosttest.NewBrowser(t)
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core (run scripts/vendor-assets.sh): %v", err)
	}
	ts := dosttest.NewServer(t, "sqlite")
	linkStaff(t, ts)
	seedRecords(t, ts)
	head := ts.Fixtures.Head

	// check runs axe on the tab's page and fails on page errors.
	check := func(t *testing.T, tab *dosttest.Tab) {
		t.Helper()
		tab.CheckAxe(t, string(axe))
		for _, e := range tab.Errors() {
			t.Errorf("page error: %s", e)
		}
	}
	heading := func(t *testing.T, tab *dosttest.Tab) string {
		t.Helper()
		h, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("main h1")))
		if err != nil {
			t.Fatalf("read h1: %v", err)
		}
		return h
	}
	do := func(t *testing.T, tab *dosttest.Tab, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab.Ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("AxeFindsViolations", func(t *testing.T) {
		// The check itself must be able to fail: an image without alt
		// text is a critical violation.
		tab := b.NewTab(t)
		do(t, tab, chromedp.Navigate(ts.URL+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if _, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[chromedp.Void](
			`document.querySelector("main").append(Object.assign(document.createElement("img"), {src: "/static/favicon.svg"}))`)); err != nil {
			t.Fatal(err)
		}
		vs, err := tab.Axe(string(axe))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, v := range vs {
			found = found || v.ID == "image-alt" && v.Impact == "critical"
		}
		if !found {
			t.Errorf("axe did not report the image without alt text; got %v", vs)
		}
	})

	t.Run("PublicPages", func(t *testing.T) {
		tab := b.NewTab(t)
		// Chromium asks for English (Accept-Language: en-US) …
		do(t, tab, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if got, want := heading(t, tab), "Social services in one place"; got != want {
			t.Errorf("got heading %q, want %q", got, want)
		}
		check(t, tab)
		// … until ?lang= chooses, which is remembered for the next pages.
		for _, p := range []struct{ path, h1 string }{
			{"/?lang=az", "Sosial xidmətlər bir pəncərədən"},
			{"/services", "Xidmətlər kataloqu"},
			{"/services?category=disability&q=a", "Xidmətlər kataloqu"},
			{"/services/" + ts.Fixtures.Service.Code, ts.Fixtures.Service.Name.AZ},
			{"/signin", "Əməkdaş girişi"},
			{"/no-such-page", "Səhifə tapılmadı"},
		} {
			t.Run(p.path, func(t *testing.T) {
				do(t, tab, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS("main h1")))
				if got := heading(t, tab); got != p.h1 {
					t.Errorf("got heading %q, want %q", got, p.h1)
				}
				if p.path == "/no-such-page" {
					tab.Errors() // the browser logs the 404 status
				}
				check(t, tab)
			})
		}
	})

	t.Run("SwitchLanguage", func(t *testing.T) {
		tab := b.NewTab(t)
		do(t, tab, chromedp.Navigate(ts.URL+"/services"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		for _, l := range []struct{ lang, h1 string }{
			{"ru", "Каталог услуг"},
			{"en", "Service catalogue"},
			{"az", "Xidmətlər kataloqu"},
		} {
			do(t, tab,
				chromedp.Click(chromedp.CSS(`nav.lang a[hreflang="`+l.lang+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`html[lang="`+l.lang+`"] main h1`)))
			if got := heading(t, tab); got != l.h1 {
				t.Errorf("%s: got heading %q, want %q", l.lang, got, l.h1)
			}
		}
		// The choice is remembered: the home page follows it.
		do(t, tab, chromedp.Click(chromedp.CSS(`nav.lang a[hreflang="en"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"]`)),
			chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if got, want := heading(t, tab), "Social services in one place"; got != want {
			t.Errorf("after switching: got home heading %q, want %q", got, want)
		}
		check(t, tab)
	})

	t.Run("StaffJourney", func(t *testing.T) {
		tab := b.NewTab(t)
		// A staff page sends the visitor to sign in, and back after.
		do(t, tab,
			chromedp.Navigate(ts.URL+"/persons?lang=en"),
			chromedp.WaitVisible(chromedp.CSS("#signin-username")))
		check(t, tab)

		do(t, tab,
			chromedp.SendKeys(chromedp.CSS("#signin-username"), "operator"),
			chromedp.SendKeys(chromedp.CSS("#signin-password"), "not-the-password"),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#signin-error")))
		msg, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("#signin-error")))
		if err != nil || !strings.Contains(msg, "The username or password is wrong.") {
			t.Errorf("got error message %q (%v)", msg, err)
		}
		tab.Errors() // the 401 of the failed sign-in is logged as a network error
		check(t, tab)

		do(t, tab,
			chromedp.SendKeys(chromedp.CSS("#signin-password"), dosttest.Password(dost.RoleOperator)),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#persons-fin")))
		if loc, _ := chromedp.Run(tab.Ctx, chromedp.Location()); !strings.HasSuffix(loc, "/persons?lang=en") {
			t.Errorf("after sign-in: at %s, want /persons?lang=en", loc)
		}
		check(t, tab)

		// Live search: typing is enough, htmx fetches the results.
		do(t, tab,
			chromedp.SendKeys(chromedp.CSS("#persons-fin"), string(head.FIN)[:3]),
			chromedp.WaitVisible(chromedp.CSS(`#person-results a[href="/persons/`+string(head.FIN)+`"]`)))
		check(t, tab)

		do(t, tab,
			chromedp.Click(chromedp.CSS(`#person-results a[href="/persons/`+string(head.FIN)+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("#person-household")))
		if got := heading(t, tab); got != head.FullName() {
			t.Errorf("got person heading %q, want %q", got, head.FullName())
		}
		check(t, tab)

		do(t, tab, chromedp.Navigate(ts.URL+"/staff"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		check(t, tab)

		do(t, tab,
			chromedp.Click(chromedp.CSS(`.account button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`.account a[href="/signin"]`)))
		if loc, _ := chromedp.Run(tab.Ctx, chromedp.Location()); loc != ts.URL+"/" {
			t.Errorf("after sign-out: at %s, want the home page", loc)
		}
	})

	t.Run("RulesPages", func(t *testing.T) {
		// The rules pages are public; the calculator needs a staff
		// member. The test server carries the Azerbaijani rules.
		tab := b.NewTab(t)
		for _, p := range []struct{ path, h1 string }{
			{"/rules/variables?lang=en", "Variables of the rules"},
			{"/rules/variables/old_age_pension", "Old-age labour pension"},
			{"/rules/parameters", "Parameters of the rules"},
			{"/rules/parameters/disability.allowance", ""},
		} {
			t.Run(p.path, func(t *testing.T) {
				do(t, tab, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS("main h1")))
				if got := heading(t, tab); p.h1 != "" && got != p.h1 || got == "" {
					t.Errorf("got heading %q, want %q", got, p.h1)
				}
				check(t, tab)
			})
		}
		// The nav leads there from any page.
		do(t, tab, chromedp.Navigate(ts.URL+"/services"), chromedp.WaitVisible(chromedp.CSS("main h1")),
			chromedp.Click(chromedp.CSS(`nav a[href="/rules/variables"]`)),
			chromedp.WaitVisible(chromedp.CSS(`nav a[href="/rules/variables"][aria-current="page"]`)))

		t.Run("Try", func(t *testing.T) {
			do(t, tab,
				chromedp.Navigate(ts.URL+"/rules/try?lang=en"),
				chromedp.WaitVisible(chromedp.CSS("#signin-username")),
				chromedp.SendKeys(chromedp.CSS("#signin-username"), "operator"),
				chromedp.SendKeys(chromedp.CSS("#signin-password"), dosttest.Password(dost.RoleOperator)),
				chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS("#try-p1-birth_date")))
			check(t, tab)
			// A pensioner and his wife with a disability of degree II.
			do(t, tab,
				chromedp.SetValue(chromedp.CSS("#try-period"), "2026-11"),
				chromedp.SetValue(chromedp.CSS("#try-p1-birth_date"), "1955-01-15"),
				chromedp.SetValue(chromedp.CSS("#try-p1-sex"), "male"),
				chromedp.SetValue(chromedp.CSS("#try-p1-insurance_years"), "30"),
				chromedp.SetValue(chromedp.CSS("#try-p2-role"), "spouse"),
				chromedp.SetValue(chromedp.CSS("#try-p2-birth_date"), "1970-03-01"),
				chromedp.SetValue(chromedp.CSS("#try-p2-sex"), "female"),
				chromedp.SetValue(chromedp.CSS("#try-p2-disability_degree"), "2"),
				chromedp.Click(chromedp.CSS(`form.rules-try button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS("#rules-try-results")))
			results, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("main section")))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(results, "Old-age labour pension") || !strings.Contains(results, "Results for 2026-11") {
				t.Errorf("the results lack the pension: %s", results)
			}
			check(t, tab)
		})
	})

	t.Run("ApplicationJourney", func(t *testing.T) {
		// An operator opens an application from the person page, a case
		// worker decides it, anyone verifies the letter by its code; axe
		// checks every page on the way.
		baby := newBaby(t, ts, "4NB5RN6")
		signIn := func(t *testing.T, tab *dosttest.Tab, role dost.Role, next, wait string) {
			t.Helper()
			do(t, tab,
				chromedp.Navigate(ts.URL+"/signin?lang=en&next="+url.QueryEscape(next)),
				chromedp.WaitVisible(chromedp.CSS("#signin-username")),
				chromedp.SendKeys(chromedp.CSS("#signin-username"), string(role)),
				chromedp.SendKeys(chromedp.CSS("#signin-password"), dosttest.Password(role)),
				chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(wait)))
		}
		scan := filepath.Join(t.TempDir(), "birth-certificate.png")
		if err := os.WriteFile(scan, pngBytes, 0o600); err != nil {
			t.Fatal(err)
		}

		operator := b.NewTab(t)
		signIn(t, operator, dost.RoleOperator, "/persons/"+string(baby.FIN)+"?lang=en", "#open-service")
		check(t, operator)
		// Choosing the service loads its documents into the form (htmx).
		do(t, operator,
			chromedp.SetValue(chromedp.CSS("#open-service"), birthService),
			chromedp.Evaluate[chromedp.Void](`document.querySelector("#open-service").dispatchEvent(new Event("change", {bubbles: true}))`),
			chromedp.WaitVisible(chromedp.CSS("#open-doc-id_card-presented")))
		check(t, operator)
		do(t, operator,
			chromedp.Click(chromedp.CSS("#open-doc-id_card-presented")),
			chromedp.SetUploadFiles(chromedp.CSS("#open-doc-birth_certificate-file"), []string{scan}),
			chromedp.SendKeys(chromedp.CSS("#open-note"), "Born on 2 November."),
			chromedp.Click(chromedp.CSS("#open-submit")),
			chromedp.WaitVisible(chromedp.CSS("#application-facts")))
		if got := heading(t, operator); !strings.HasPrefix(got, "Application A-") {
			t.Errorf("after opening: heading %q, want the application", got)
		}
		appURL, err := chromedp.Run(operator.Ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		check(t, operator)

		caseworker := b.NewTab(t)
		signIn(t, caseworker, dost.RoleCaseWorker, "/applications?lang=en", "#queue-service")
		check(t, caseworker)
		appPath := strings.TrimPrefix(appURL, ts.URL)
		do(t, caseworker,
			chromedp.Click(chromedp.CSS(`a[href="`+appPath+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("#application-facts")))
		check(t, caseworker)
		do(t, caseworker,
			chromedp.Submit(chromedp.CSS(`input[name="action"][value="review"]`)),
			chromedp.WaitVisible(chromedp.CSS("#application-decide")),
			chromedp.Click(chromedp.CSS("#application-decide")),
			chromedp.WaitVisible(chromedp.CSS("#approve-form")))
		check(t, caseworker)
		// A refusal without a reason comes back with the message by the
		// field (the browser's own check is taken away to reach the
		// server's).
		do(t, caseworker,
			chromedp.RemoveAttribute(chromedp.CSS("#refuse-code"), "required"),
			chromedp.Click(chromedp.CSS("#refuse-submit")),
			chromedp.WaitVisible(chromedp.CSS("#refuse-code-error")))
		caseworker.Errors() // the 400 is logged as a network error
		check(t, caseworker)
		do(t, caseworker,
			chromedp.Click(chromedp.CSS("#approve-submit")),
			chromedp.WaitVisible(chromedp.CSS("#decision-letter")))
		check(t, caseworker)
		verify, err := chromedp.Run(caseworker.Ctx, chromedp.Evaluate[string](`document.querySelector('#decision a[href^="/verify/"]').getAttribute("href")`))
		if err != nil || !strings.HasPrefix(verify, "/verify/") {
			t.Fatalf("verification link %q: %v", verify, err)
		}
		code := strings.TrimPrefix(verify, "/verify/")

		supervisor := b.NewTab(t)
		signIn(t, supervisor, dost.RoleSupervisor, "/deadlines?lang=en", "#deadlines-counts")
		check(t, supervisor)

		visitor := b.NewTab(t)
		do(t, visitor,
			chromedp.Navigate(ts.URL+"/verify?lang=en"),
			chromedp.WaitVisible(chromedp.CSS("#verify-code")))
		check(t, visitor)
		do(t, visitor,
			chromedp.SendKeys(chromedp.CSS("#verify-code"), strings.ToLower(strings.ReplaceAll(code, "-", " "))),
			chromedp.Submit(chromedp.CSS("#verify-code")),
			chromedp.WaitVisible(chromedp.CSS("#verify-result")))
		if got, err := chromedp.Run(visitor.Ctx, chromedp.Text(chromedp.CSS("#verify-result"))); err != nil || got != "The letter is genuine" {
			t.Errorf("verification: got %q (%v)", got, err)
		}
		if loc, _ := chromedp.Run(visitor.Ctx, chromedp.Location()); !strings.HasSuffix(loc, "/verify/"+code) {
			t.Errorf("verification at %s, want /verify/%s", loc, code)
		}
		check(t, visitor)
		do(t, visitor,
			chromedp.Navigate(ts.URL+"/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ"),
			chromedp.WaitVisible(chromedp.CSS("#verify-not-found")))
		visitor.Errors() // the browser logs the 404 status
		check(t, visitor)
	})

	t.Run("SearchWithoutJavaScript", func(t *testing.T) {
		// The form works as a plain GET too (what a browser without JS
		// does); the page is checked at a phone's width.
		tab := b.NewTab(t)
		do(t, tab,
			chromedp.Navigate(ts.URL+"/signin?lang=ru&next=%2Fpersons%3Fname%3DAliyev"),
			chromedp.WaitVisible(chromedp.CSS("#signin-username")),
			chromedp.SendKeys(chromedp.CSS("#signin-username"), "auditor"),
			chromedp.SendKeys(chromedp.CSS("#signin-password"), dosttest.Password(dost.RoleAuditor)),
			chromedp.Submit(chromedp.CSS("#signin-password")),
			chromedp.WaitVisible(chromedp.CSS(`#person-results a[href="/persons/`+string(head.FIN)+`"]`)),
			chromedp.EmulateViewport(375, 740),
		)
		if got, want := heading(t, tab), "Поиск лиц"; got != want {
			t.Errorf("got heading %q, want %q", got, want)
		}
		check(t, tab)
	})
}
