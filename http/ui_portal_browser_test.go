package http_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestPortalBrowser signs two citizens in through the sign-in form in
// headless Chromium at a phone's size (390×844) and visits every portal
// page: axe-core finds no serious or critical violation, the page reports
// no error, and by the keyboard alone (Tab from the top of the page) the
// focus reaches the portal's navigation and the submit button of every
// form on the page. A form is then used by keyboard alone.
func TestPortalBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := dosttest.NewBrowser(t)
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core (run scripts/vendor-assets.sh): %v", err)
	}
	f := newPortalFixture(t, "sqlite")
	ts, fx := f.ts, f.ts.Fixtures
	mine, theirs, offer := f.seed(t)
	ctx := context.Background()

	// An upcoming booking of mine, so that the list has a cancel form.
	var slot *dost.Slot
	today := dost.Today(ts.DB.Clock())
	for d := 0; d < 14 && slot == nil; d++ {
		day := today.AddDate(0, 0, d)
		from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, dost.Baku)
		slots, err := ts.Hall.FindSlots(ctx, dost.SlotFilter{CentreID: fx.Centre.ID, ServiceCode: fx.Service.Code,
			From: from, Until: from.AddDate(0, 0, 1), FreeOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range slots {
			if s.Start.After(ts.DB.Clock().Now().Add(time.Hour)) {
				slot = s
				break
			}
		}
	}
	if slot == nil {
		t.Fatal("no free slot in 14 days")
	}
	if _, err := ts.Hall.BookAppointment(dost.NewContextWithUser(ctx, fx.Users[dost.RoleCitizen]), &dost.NewAppointment{
		CentreID: fx.Centre.ID, ServiceCode: fx.Service.Code, Start: slot.Start, FIN: fx.Child.FIN, Name: fx.Child.FullName(),
		Phone: "+994501234567", Language: "en", Channel: dost.ApplicationOnline}); err != nil {
		t.Fatal(err)
	}
	var online *dost.Service
	all, _, err := ts.Catalogue.FindServices(ctx, dost.ServiceFilter{ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Offers(dost.ChannelOnline) && len(s.Documents) > 0 {
			online = s
			break
		}
	}
	if online == nil {
		t.Fatal("no online service with documents")
	}

	do := func(t *testing.T, tab *dosttest.Tab, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab.Ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(t *testing.T, username, password string) *dosttest.Tab {
		t.Helper()
		tab := b.NewTab(t)
		do(t, tab,
			chromedp.EmulateViewport(390, 844),
			chromedp.Navigate(ts.URL+"/signin?lang=en&next=%2Fmy"),
			chromedp.WaitVisible(chromedp.CSS("#signin-username")),
			chromedp.SendKeys(chromedp.CSS("#signin-username"), username),
			chromedp.SendKeys(chromedp.CSS("#signin-password"), password),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("nav.portal-nav")))
		return tab
	}
	// keyboard tabs through the page from its top and fails unless the
	// focus reaches the portal navigation's first link and every form's
	// submit button in main.
	keyboard := func(t *testing.T, tab *dosttest.Tab) {
		t.Helper()
		const key = `(el => el ? (el.id || el.getAttribute("href") || el.tagName) : "")`
		targets, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[[]string](
			`[document.querySelector(".portal-nav a"), ...document.querySelectorAll("main form [type=submit]")].map(`+key+`)`))
		if err != nil {
			t.Fatal(err)
		}
		n, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[int](
			`document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, [tabindex]").length`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`)); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for i := 0; i < n+5; i++ {
			do(t, tab, chromedp.KeyEvent("\t"))
			k, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](key+`(document.activeElement)`))
			if err != nil {
				t.Fatal(err)
			}
			seen[k] = true
		}
		for _, want := range targets {
			if !seen[want] {
				t.Errorf("Tab never reaches %q (reached %d elements)", want, len(seen))
			}
		}
		if len(targets) == 0 || targets[0] != "/my" {
			t.Errorf("the portal navigation is missing: targets %v", targets)
		}
	}
	visit := func(t *testing.T, tab *dosttest.Tab, path, wait string) {
		t.Helper()
		do(t, tab, chromedp.Navigate(ts.URL+path), chromedp.WaitVisible(chromedp.CSS(wait)))
		width, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 390 {
			t.Errorf("%s: the page is %d px wide at a 390 px viewport (scrolls sideways)", path, width)
		}
		tab.CheckAxe(t, string(axe))
		keyboard(t, tab)
		for _, e := range tab.Errors() {
			t.Errorf("page error: %s", e)
		}
	}

	me := signIn(t, fx.Users[dost.RoleCitizen].Username, dosttest.Password(dost.RoleCitizen))
	other := signIn(t, f.otherUser.Username, otherPassword)
	day := slot.Start.In(dost.Baku).Format("2006-01-02")
	for _, p := range []struct {
		name      string
		tab       *dosttest.Tab
		path      string
		wait      string
		wantInNav string
	}{
		{"Overview", me, "/my?lang=en", "#todo-list", "/my"},
		{"OverviewAZ", me, "/my?lang=az", "#todo-list", "/my"},
		{"OverviewRU", other, "/my?lang=ru", "#todo-list", "/my"},
		{"Benefits", other, "/my/benefits?lang=en", "#awards", "/my/benefits"},
		{"BenefitsNone", me, "/my/benefits", "#awards-empty", "/my/benefits"},
		{"Payments", me, "/my/payments", "#payments-empty", "/my/payments"},
		{"Applications", me, "/my/applications", "#applications", "/my/applications"},
		{"Application", me, "/my/applications/" + strconv.FormatInt(mine.ID, 10), "#upload-form", "/my/applications"},
		{"ApplicationAppeal", other, "/my/applications/" + strconv.FormatInt(theirs.ID, 10) + "?lang=en", "#appeal-form", "/my/applications"},
		{"Apply", me, "/my/applications/new", "#apply-choose", "/my/applications"},
		{"ApplyForm", me, "/my/applications/new?service=" + online.Code, "#apply-form", "/my/applications"},
		{"Offers", other, "/my/offers", "#offer-" + strconv.FormatInt(offer.ID, 10) + "-accept", "/my/offers"},
		{"Appointments", me, "/my/appointments", "#upcoming", "/my/appointments"},
		{"Book", me, "/my/appointments/new?centre=" + fx.Centre.Code + "&service=" + fx.Service.Code + "&day=" + day, "#book-form", "/my/appointments"},
		{"Profile", me, "/my/profile", "#profile-form", "/my/profile"},
	} {
		t.Run(p.name, func(t *testing.T) {
			visit(t, p.tab, p.path, p.wait)
			cur, err := chromedp.Run(p.tab.Ctx, chromedp.Evaluate[string](`(document.querySelector('.portal-nav a[aria-current="page"]') || {}).getAttribute?.("href") || ""`))
			if err != nil {
				t.Fatal(err)
			}
			if cur != p.wantInNav {
				t.Errorf("the navigation marks %q as current, want %q", cur, p.wantInNav)
			}
		})
	}

	t.Run("ProfileByKeyboard", func(t *testing.T) {
		// Type a bad phone and send the form with Enter: the error is
		// said next to the field, and the page is still accessible.
		do(t, me,
			chromedp.Navigate(ts.URL+"/my/profile?lang=en"),
			chromedp.WaitVisible(chromedp.CSS("#profile-phone")),
			chromedp.Focus(chromedp.CSS("#profile-phone")),
			chromedp.Evaluate[chromedp.Void](`document.querySelector("#profile-phone").value = ""`),
			chromedp.KeyEvent("12"),
			chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS("#profile-phone-error")))
		me.Errors() // the browser logs the 400 status
		me.CheckAxe(t, string(axe))
		msg, err := chromedp.Run(me.Ctx, chromedp.Text(chromedp.CSS("#profile-phone-error")))
		if err != nil || !strings.Contains(msg, "7 to 15 digits") {
			t.Errorf("got error %q (%v)", msg, err)
		}
	})

	t.Run("ConfirmOfferByKeyboard", func(t *testing.T) {
		accept := "#offer-" + strconv.FormatInt(offer.ID, 10) + "-accept"
		do(t, other,
			chromedp.Navigate(ts.URL+"/my/offers?lang=en"),
			chromedp.WaitVisible(chromedp.CSS(accept)),
			chromedp.Focus(chromedp.CSS(accept)),
			chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS("#offers-done")))
		other.CheckAxe(t, string(axe))
		os, err := ts.Proactive.FindOffers(f.staff(dost.RoleOperator), fx.Head.ID)
		if o := offerIn(os, offer.ID); err != nil || o == nil || o.Status != dost.OfferAccepted {
			t.Errorf("offer after Enter on confirm: %v %v", os, err)
		}
	})
}
