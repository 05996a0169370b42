package http_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

func TestUIPayroll(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	seedPayroll(t, ts, "4NB5RN6")
	officer := ts.Client(dost.RolePayroll)

	t.Run("Nav", func(t *testing.T) {
		uiCase{role: dost.RolePayroll, path: "/staff?lang=en", status: 200, want: []string{`href="/payroll"`}}.run(t, ts)
		uiCase{role: dost.RoleAuditor, path: "/staff?lang=en", status: 200, want: []string{`href="/payroll"`}}.run(t, ts)
		uiCase{role: dost.RoleOperator, path: "/staff?lang=en", status: 200, notWant: []string{`href="/payroll"`}}.run(t, ts)
	})

	resp, body := uiPost(t, ts, officer, "/payroll/cycles?lang=en", url.Values{"period": {"2027-09"}})
	wantPage(t, resp, body, 400, "Some fields need attention", `id="prepare-period-error">A cycle is prepared at most for next month.`)
	resp, _ = uiPost(t, ts, officer, "/payroll/cycles", url.Values{"period": {"2026-11"}, "programme": {""}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/payroll/cycles/") {
		t.Fatalf("prepare: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cyclePage := resp.Header.Get("Location")

	t.Run("Pages", func(t *testing.T) {
		for _, tc := range []uiCase{
			{name: "Cycles", role: dost.RoleAuditor, path: "/payroll?lang=en", status: 200,
				want: []string{"Payroll cycles", `href="` + cyclePage + `"`, "prepared", "All programmes"}, notWant: []string{`id="prepare-submit"`}},
			{name: "CyclesOfficer", role: dost.RolePayroll, path: "/payroll?lang=ru", status: 200, want: []string{"Платёжные циклы", `id="prepare-submit"`}},
			{name: "CycleOwn", role: dost.RolePayroll, path: cyclePage + "?lang=en", status: 200,
				want:    []string{"Payroll cycle 2026-11", `id="four-eyes"`, "AIIB", `id="reject-form"`, "There is no cycle of the previous month", "recorded at the first export"},
				notWant: []string{`id="approve-form"`, `id="export-AIIB"`}},
			{name: "CycleAuditor", role: dost.RoleAuditor, path: cyclePage + "?lang=az", status: 200,
				want: []string{"Ödəniş dövrü 2026-11"}, notWant: []string{`id="reject-form"`}},
			{name: "Payments", role: dost.RoleSupervisor, path: "/payroll/payments?lang=en&fin=4NB5RN6", status: 200,
				want: []string{"DOST-", "pending", "History"}},
			{name: "PaymentsErrFIN", role: dost.RoleSupervisor, path: "/payroll/payments?lang=en&fin=12", status: 400,
				want: []string{`id="payments-fin-error"`}},
			{name: "Corrections", role: dost.RolePayroll, path: "/payroll/corrections?lang=en", status: 200, want: []string{"Nothing to correct."}},
			{name: "ErrOperator", role: dost.RoleOperator, path: "/payroll", status: 403},
			{name: "ErrCitizen", role: dost.RoleCitizen, path: "/payroll/payments", status: 403},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, ts) })
		}
	})

	t.Run("FourEyes", func(t *testing.T) {
		resp, body := uiPost(t, ts, officer, cyclePage+"/approve?lang=en", url.Values{"run": {"1"}})
		wantPage(t, resp, body, 403, `id="cycle-alert"`, "You prepared this cycle, so you may not approve it")
		// Approval names the preparation reviewed: a stale one is refused
		// with the cycle's fresh totals on the page.
		resp, body = uiPost(t, ts, officer, cyclePage+"/approve?lang=en", url.Values{"run": {"2"}})
		wantPage(t, resp, body, 409, `id="cycle-alert"`, "prepared again or corrected after the preparation you reviewed",
			`id="cycle-count"`, `id="cycle-beyond-back-pay"`)
		resp, body = uiPost(t, ts, officer, cyclePage+"/reject?lang=en", url.Values{"reason": {""}})
		wantPage(t, resp, body, 400, `id="reject-reason-error">This is required.`)
	})
}

// TestUIPayrollBrowser walks a cycle in headless Chromium: one officer
// prepares it, a second approves it and downloads the bank file; axe
// checks every page on the way.
func TestUIPayrollBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := dosttest.NewBrowser(t)
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core (run scripts/vendor-assets.sh): %v", err)
	}
	ts := dosttest.NewServer(t, "sqlite")
	seedPayroll(t, ts, "4NB5RN6")
	const secondPassword = "second-payroll-pw"
	if err := ts.Users.CreateUser(context.Background(), &dost.User{Username: "payroll-2", Name: "Second Payroll Officer",
		Roles: []dost.Role{dost.RolePayroll}}, secondPassword); err != nil {
		t.Fatal(err)
	}
	do := func(t *testing.T, tab *dosttest.Tab, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab.Ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T, tab *dosttest.Tab) {
		t.Helper()
		tab.CheckAxe(t, string(axe))
		for _, e := range tab.Errors() {
			t.Errorf("page error: %s", e)
		}
	}
	signIn := func(t *testing.T, tab *dosttest.Tab, username, password, next, wait string) {
		t.Helper()
		do(t, tab,
			chromedp.Navigate(ts.URL+"/signin?lang=en&next="+url.QueryEscape(next)),
			chromedp.WaitVisible(chromedp.CSS("#signin-username")),
			chromedp.SendKeys(chromedp.CSS("#signin-username"), username),
			chromedp.SendKeys(chromedp.CSS("#signin-password"), password),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(wait)))
	}

	first := b.NewTab(t)
	signIn(t, first, "payroll", dosttest.Password(dost.RolePayroll), "/payroll?lang=en", "#prepare-period")
	check(t, first)
	do(t, first,
		chromedp.SetValue(chromedp.CSS("#prepare-period"), "2026-11"),
		chromedp.Click(chromedp.CSS("#prepare-submit")),
		chromedp.WaitVisible(chromedp.CSS("#cycle-facts")),
		chromedp.WaitVisible(chromedp.CSS("#four-eyes")))
	check(t, first)
	loc, err := chromedp.Run(first.Ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	cyclePath := strings.TrimPrefix(loc, ts.URL)

	second := b.NewTab(t)
	signIn(t, second, "payroll-2", secondPassword, cyclePath+"?lang=en", "#approve-form")
	check(t, second)
	do(t, second,
		chromedp.Click(chromedp.CSS("#approve-submit")),
		chromedp.WaitVisible(chromedp.CSS("#export-AIIB")))
	if got, err := chromedp.Run(second.Ctx, chromedp.Text(chromedp.CSS("#cycle-approved-by"))); err != nil || got != "Second Payroll Officer" {
		t.Errorf("approved by %q (%v)", got, err)
	}
	check(t, second)
	// The download is the browser's; the cycle shows it sent.
	do(t, second, chromedp.Click(chromedp.CSS("#export-AIIB")))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := ts.Payroll.FindCycleByID(context.Background(), cycleID(t, cyclePath))
		if err != nil {
			t.Fatal(err)
		}
		if c.Status == dost.CycleExported {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cycle is %s after the export, want exported", c.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	do(t, second,
		chromedp.Navigate(ts.URL+cyclePath+"?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#import-form")))
	if got, err := chromedp.Run(second.Ctx, chromedp.Text(chromedp.CSS("#cycle-status"))); err != nil || got != "sent to the banks" {
		t.Errorf("status %q (%v)", got, err)
	}
	if got, err := chromedp.Run(second.Ctx, chromedp.Text(chromedp.CSS("#file-AIIB"))); err != nil ||
		!strings.Contains(got, "DOST-") || !strings.Contains(got, "written 20") || !strings.Contains(got, "SHA-256 ") {
		t.Errorf("the bank's file %q (%v)", got, err)
	}
	check(t, second)
	do(t, second,
		chromedp.Navigate(ts.URL+"/payroll/payments?lang=en&fin=4NB5RN6"),
		chromedp.WaitVisible(chromedp.CSS("#payments-results")))
	check(t, second)
	do(t, second,
		chromedp.Navigate(ts.URL+"/payroll/corrections?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("main h1")))
	check(t, second)
}

// cycleID returns the id in a cycle page's path.
func cycleID(t *testing.T, path string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(path, "/payroll/cycles/%d", &id); err != nil {
		t.Fatalf("cycle path %q: %v", path, err)
	}
	return id
}
