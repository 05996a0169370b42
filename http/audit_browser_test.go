package http_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestAuditBrowser drives the audit pages in headless Chromium, by
// keyboard where a person would type: a staff member of another centre
// gives the reason the person page asks for, the auditor filters the
// trail, and the citizen sees who viewed their record, in az, en and ru;
// axe-core finds no serious or critical violation on any of them.
func TestAuditBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core (run scripts/vendor-assets.sh): %v", err)
	}
	b := dosttest.NewBrowser(t)
	ts := dosttest.NewServer(t, "sqlite", dosttest.WithAudit)
	f := ts.Fixtures
	child := f.Child
	ganja := &dost.User{Username: "ganja-op", Name: "Elvin Ganja", Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{f.OtherCentre.ID}}
	const ganjaPassword = "ganja-operator-2026"
	if err := ts.Users.CreateUser(context.Background(), ganja, ganjaPassword); err != nil {
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
	check := func(t *testing.T, tab *dosttest.Tab) {
		t.Helper()
		tab.CheckAxe(t, string(axe))
		for _, e := range tab.Errors() {
			if !strings.Contains(e, "403") { // the reason form answers 403
				t.Errorf("page error: %s", e)
			}
		}
	}
	signIn := func(t *testing.T, tab *dosttest.Tab, next, username, password, wait string) {
		t.Helper()
		do(t, tab,
			chromedp.Navigate(ts.URL+next),
			chromedp.WaitVisible(chromedp.CSS("#signin-username")),
			chromedp.SendKeys(chromedp.CSS("#signin-username"), username),
			chromedp.SendKeys(chromedp.CSS("#signin-password"), password),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(wait)))
	}

	t.Run("ReasonForm", func(t *testing.T) {
		tab := b.NewTab(t)
		signIn(t, tab, "/persons/"+string(child.FIN)+"?lang=en", "ganja-op", ganjaPassword, "#audit-reason")
		if got := text(t, tab, "main h1"); got != "Why do you open this record?" {
			t.Errorf("got heading %q", got)
		}
		if body := text(t, tab, "main"); strings.Contains(body, child.LastName) {
			t.Errorf("the form shows the record: %q", body)
		}
		check(t, tab)
		// By keyboard: type the reason, Tab to the button, Enter.
		do(t, tab,
			chromedp.Focus(chromedp.CSS("#audit-reason")),
			chromedp.KeyEvent("Citizen at the Ganja centre"),
			chromedp.KeyEvent("\t"))
		focused, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`document.activeElement.id`))
		if err != nil || focused != "audit-reason-submit" {
			t.Fatalf("after Tab the focus is on %q (%v), want the submit button", focused, err)
		}
		do(t, tab, chromedp.KeyEvent("\r"), chromedp.WaitNotPresent(chromedp.CSS("#audit-reason")), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if body := text(t, tab, "main"); !strings.Contains(body, child.LastName) {
			t.Errorf("after the reason the record is not shown: %q", body)
		}
		check(t, tab)
		e := lastEvent(t, ts)
		if e.Action != dost.AuditRead || e.Reason != "Citizen at the Ganja centre" || e.PersonID != child.ID {
			t.Errorf("recorded %+v", e)
		}
	})

	t.Run("AuditorPage", func(t *testing.T) {
		tab := b.NewTab(t)
		signIn(t, tab, "/audit?lang=en", "auditor", dosttest.Password(dost.RoleAuditor), "#audit-fin")
		check(t, tab)
		do(t, tab,
			chromedp.SendKeys(chromedp.CSS("#audit-fin"), string(child.FIN)),
			chromedp.SetValue(chromedp.CSS("#audit-action"), "read"),
			chromedp.Click(chromedp.CSS("#audit-submit")),
			// The filtered page (the first one lists every event).
			chromedp.WaitVisible(chromedp.CSS(`#audit-fin[value="`+string(child.FIN)+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("#audit-table")))
		if body := text(t, tab, "#audit-table"); !strings.Contains(body, "Elvin Ganja") || !strings.Contains(body, "Citizen at the Ganja centre") {
			t.Errorf("the table lacks the read: %q", body)
		}
		if got := text(t, tab, "main h2"); got != "1 event" {
			t.Errorf("got count %q, want 1 event", got)
		}
		check(t, tab)
		for _, l := range []struct{ lang, h1 string }{{"az", "Audit jurnalı"}, {"ru", "Журнал аудита"}} {
			do(t, tab, chromedp.Click(chromedp.CSS(`nav.lang a[hreflang="`+l.lang+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`html[lang="`+l.lang+`"] #audit-table`)))
			if got := text(t, tab, "main h1"); got != l.h1 {
				t.Errorf("%s: got heading %q, want %q", l.lang, got, l.h1)
			}
			check(t, tab)
		}
		// A bad filter says so in the page's language.
		do(t, tab, chromedp.Navigate(ts.URL+"/audit?lang=en&fin=12"), chromedp.WaitVisible(chromedp.CSS("#audit-fin-error")))
		if got := text(t, tab, "#audit-fin-error"); !strings.Contains(got, "7 digits") {
			t.Errorf("got error %q", got)
		}
		tab.Errors() // the 400 is logged as a network error
		check(t, tab)
	})

	t.Run("CitizenViewers", func(t *testing.T) {
		tab := b.NewTab(t)
		signIn(t, tab, "/my/viewers?lang=en", "fin:"+string(child.FIN), dosttest.Password(dost.RoleCitizen), "#viewers-table")
		if got := text(t, tab, "main h1"); got != "Who viewed my data" {
			t.Fatalf("got heading %q (%s)", got, text(t, tab, "main"))
		}
		body := text(t, tab, "#viewers-table")
		for _, want := range []string{"Elvin Ganja", "operator", "Citizen at the Ganja centre", f.OtherCentre.Name.EN} {
			if !strings.Contains(body, want) {
				t.Errorf("the table lacks %q: %q", want, body)
			}
		}
		check(t, tab)
		for _, l := range []struct{ lang, h1 string }{{"az", "Məlumatlarıma kim baxıb"}, {"ru", "Кто просматривал мои данные"}} {
			do(t, tab, chromedp.Click(chromedp.CSS(`nav.lang a[hreflang="`+l.lang+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`html[lang="`+l.lang+`"] #viewers-table`)))
			if got := text(t, tab, "main h1"); got != l.h1 {
				t.Errorf("%s: got heading %q, want %q", l.lang, got, l.h1)
			}
			check(t, tab)
		}
		// The table region is reachable by keyboard (it scrolls on a phone).
		n, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[int](`document.querySelectorAll('.table-wrap[tabindex="0"]').length`))
		if err != nil || n != 1 {
			t.Errorf("focusable table regions: got %d (%v), want 1", n, err)
		}
	})
}
