package http_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// hallPage is a page as a test sees it.
type hallPage struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

// getPage requests a page with client c (form is posted when not nil).
func getPage(t *testing.T, ts *dosttest.TestServer, c *http.Client, method, path string, form url.Values) hallPage {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return hallPage{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(b), Header: resp.Header}
}

// want fails unless p has status and holds every string.
func (p hallPage) want(t *testing.T, status int, holds ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("got status %d (Location %q), want %d:\n%.2000s", p.Status, p.Location, status, p.Body)
	}
	for _, s := range holds {
		if !strings.Contains(p.Body, s) {
			t.Errorf("page lacks %q:\n%.3000s", s, p.Body)
		}
	}
}

// TestHallPages walks the kiosk, the visitor's ticket page, the operator's
// console, the board and the rating page over HTTP, in English.
func TestHallPages(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		f.certify(t, ts.Fixtures.Users[dost.RoleOperator])
		kiosk := "/centres/" + f.centre.Code + "/kiosk"
		anon := ts.Client("")
		var number, ticketURL, token string
		var id int64

		t.Run("Kiosk", func(t *testing.T) {
			p := getPage(t, ts, anon, "GET", kiosk+"?lang=en", nil)
			p.want(t, 200, "Take a ticket", "I have an appointment", `href="`+kiosk+`?lang=ru"`, "category="+string(f.svc.Category))
			if strings.Contains(p.Header.Get("Set-Cookie"), dosthttpLangCookie) {
				t.Errorf("the kiosk remembers the language: %s", p.Header.Get("Set-Cookie"))
			}
			getPage(t, ts, anon, "GET", kiosk+"?lang=en&category="+string(f.svc.Category), nil).want(t, 200, f.svc.Name.EN, "service="+f.svc.Code)
			getPage(t, ts, anon, "GET", kiosk+"?lang=ru&service="+f.svc.Code, nil).want(t, 200, "Лицо с инвалидностью", `name="service_code" value="`+f.svc.Code+`"`)
			p = getPage(t, ts, anon, "POST", kiosk+"/tickets", url.Values{"service_code": {f.svc.Code}, "priority": {"disability"}, "lang": {"en"}})
			p.want(t, http.StatusSeeOther)
			loc, err := url.Parse(p.Location)
			if err != nil || !strings.HasPrefix(loc.Path, kiosk+"/tickets/") {
				t.Fatalf("redirected to %q", p.Location)
			}
			id, _ = strconv.ParseInt(strings.TrimPrefix(loc.Path, kiosk+"/tickets/"), 10, 64)
			token = loc.Query().Get("token")
			p = getPage(t, ts, anon, "GET", p.Location, nil)
			p.want(t, 200, "Your ticket", `src="data:image/png;base64,`, "Scan to follow your turn")
			i := strings.Index(p.Body, `id="kiosk-ticket-number">`)
			number = p.Body[i+len(`id="kiosk-ticket-number">`):]
			number = number[:strings.Index(number, "<")]
			if !strings.HasPrefix(number, f.svc.QueueGroup+"-") {
				t.Fatalf("ticket number %q", number)
			}
			ticketURL = "/tickets/" + strconv.FormatInt(id, 10) + "?token=" + url.QueryEscape(token)
		})
		t.Run("KioskRefusals", func(t *testing.T) {
			getPage(t, ts, anon, "POST", kiosk+"/tickets", url.Values{"service_code": {"05-04-99-99"}, "lang": {"en"}}).
				want(t, 400, "does not offer that service")
			getPage(t, ts, anon, "POST", kiosk+"/check-in", url.Values{"code": {"NOSUCHCO"}, "lang": {"en"}}).
				want(t, 404, "There is no appointment with this code.", `value="NOSUCHCO"`)
			getPage(t, ts, anon, "POST", kiosk+"/check-in", url.Values{"code": {""}, "lang": {"az"}}).
				want(t, 400, "qeydiyyat kodunu yazın")
			getPage(t, ts, anon, "GET", "/centres/nowhere/kiosk", nil).want(t, 404)
			getPage(t, ts, anon, "GET", kiosk+"/tickets/"+strconv.FormatInt(id, 10)+"?token=wrong", nil).want(t, 404)
		})
		t.Run("TicketPage", func(t *testing.T) {
			getPage(t, ts, anon, "GET", ticketURL+"&lang=en", nil).want(t, 200, number, "Waiting", `http-equiv="refresh"`)
			getPage(t, ts, anon, "GET", "/tickets/"+strconv.FormatInt(id, 10), nil).want(t, 404)
		})

		op := ts.Client(dost.RoleOperator)
		console := "/hall/counters/" + strconv.FormatInt(f.counter.ID, 10)
		t.Run("Console", func(t *testing.T) {
			getPage(t, ts, op, "GET", "/hall?lang=en", nil).want(t, 200, "Counters", `action="`+console+`/sign-in"`)
			p := getPage(t, ts, op, "POST", console+"/call-next", url.Values{})
			p.want(t, http.StatusSeeOther)
			getPage(t, ts, op, "GET", p.Location, nil).want(t, 200, "Sign in at this counter first.")
			getPage(t, ts, op, "POST", console+"/sign-in", url.Values{}).want(t, http.StatusSeeOther)
			p = getPage(t, ts, op, "POST", console+"/call-next", url.Values{})
			if !strings.HasSuffix(p.Location, "alert=called") {
				t.Fatalf("call-next: redirected to %q", p.Location)
			}
			p = getPage(t, ts, op, "GET", p.Location, nil)
			p.want(t, 200, `id="console-ticket-number">`+number, "Why this ticket:", "It has waited longest.", "Recalled 0 of 3 times")
			getPage(t, ts, op, "POST", console+"/tickets/"+strconv.FormatInt(id, 10), url.Values{"action": {"recall"}}).want(t, http.StatusSeeOther)
			getPage(t, ts, op, "GET", console+"?alert=recall_too_soon", nil).want(t, 200, "Wait a little before calling again.")
			getPage(t, ts, op, "POST", console+"/tickets/"+strconv.FormatInt(id, 10), url.Values{"action": {"start"}}).want(t, http.StatusSeeOther)
			getPage(t, ts, op, "GET", console, nil).want(t, 200, `id="console-finish"`, `name="services_done" value="`+f.svc.Code+`" checked`)
			p = getPage(t, ts, op, "POST", console+"/tickets/"+strconv.FormatInt(id, 10), url.Values{"action": {"finish"}, "services_done": {f.svc.Code}})
			if !strings.HasSuffix(p.Location, "alert=done") {
				t.Fatalf("finish: redirected to %q", p.Location)
			}
			p = getPage(t, ts, op, "POST", console+"/tickets/"+strconv.FormatInt(id, 10), url.Values{"action": {"finish"}, "services_done": {f.svc.Code}})
			if !strings.HasSuffix(p.Location, "alert=not_allowed") {
				t.Fatalf("finishing twice: redirected to %q", p.Location)
			}
			getPage(t, ts, op, "POST", console+"/call", url.Values{"number": {"Z-999"}}).want(t, http.StatusSeeOther)
			getPage(t, ts, op, "GET", "/hall/counters/"+strconv.FormatInt(f.foreign.ID, 10), nil).want(t, 404)
			getPage(t, ts, ts.Client(dost.RoleCaseWorker), "GET", console, nil).want(t, 403)
		})
		t.Run("Board", func(t *testing.T) {
			getPage(t, ts, anon, "GET", "/centres/"+f.centre.Code+"/board?lang=en", nil).
				want(t, 200, `data-events="/api/v1/centres/`+f.centre.Code+`/board/events"`, ">"+number+"<", `data-say-ru="Талон %s, окно %s"`, "hall_board.js")
		})
		t.Run("Feedback", func(t *testing.T) {
			p := getPage(t, ts, anon, "GET", ticketURL+"&lang=en", nil)
			p.want(t, 200, "Finished", "Rate your visit")
			fb := "/feedback/" + strconv.FormatInt(id, 10)
			getPage(t, ts, anon, "GET", fb+"?token="+url.QueryEscape(token)+"&lang=en", nil).want(t, 200, "How were you served with ticket "+number)
			getPage(t, ts, anon, "GET", fb+"?token=wrong", nil).want(t, 404)
			form := url.Values{"token": {token}, "channel": {"sms"}, "rating": {"9"}}
			getPage(t, ts, anon, "POST", fb, form).want(t, 400, "Choose a rating from 1 to 5.")
			form.Set("rating", "4")
			form.Set("comment", "Polite and quick.")
			p = getPage(t, ts, anon, "POST", fb, form)
			p.want(t, http.StatusSeeOther)
			getPage(t, ts, anon, "GET", p.Location, nil).want(t, 200, "your rating was recorded")
			getPage(t, ts, anon, "POST", fb, form).want(t, 409, "This visit has been rated already.")
			form.Set("token", "wrong")
			getPage(t, ts, anon, "POST", fb, form).want(t, 404)
			if _, n, err := ts.Hall.FindFeedback(t.Context(), dost.FeedbackFilter{CentreID: f.centre.ID}); err != nil || n != 1 {
				t.Errorf("ratings stored: got %d (%v), want 1", n, err)
			}
		})
	})
}

// dosthttpLangCookie is the UI's language cookie.
const dosthttpLangCookie = "dost_lang="

// TestHallBrowser runs the hall in headless Chromium: a visitor takes a
// ticket at the kiosk, an operator signs in at a counter in the console
// and calls next, and the display board, open all along, shows the number
// from its event stream. Each page passes axe-core and reports no error.
func TestHallBrowser(t *testing.T) {
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
	f.certify(t, ts.Fixtures.Users[dost.RoleOperator])
	check := func(t *testing.T, tab *dosttest.Tab) {
		t.Helper()
		tab.CheckAxe(t, string(axe))
		for _, e := range tab.Errors() {
			t.Errorf("page error: %s", e)
		}
	}
	do := func(t *testing.T, tab *dosttest.Tab, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab.Ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}

	board := b.NewTab(t)
	do(t, board, chromedp.Navigate(ts.URL+"/centres/"+f.centre.Code+"/board?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#board-calls")),
		chromedp.Poll[chromedp.Void](`document.getElementById("board-status").textContent === "Live"`))
	check(t, board)

	kiosk := b.NewTab(t)
	do(t, kiosk, chromedp.Navigate(ts.URL+"/centres/"+f.centre.Code+"/kiosk?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#kiosk-categories")))
	check(t, kiosk)
	do(t, kiosk,
		chromedp.Click(chromedp.CSS(`#kiosk-categories a[href$="category=`+string(f.svc.Category)+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#kiosk-services")),
		chromedp.Click(chromedp.CSS(`#kiosk-services a[href$="service=`+f.svc.Code+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#kiosk-priority-none")))
	check(t, kiosk)
	do(t, kiosk, chromedp.Click(chromedp.CSS("#kiosk-priority-none")), chromedp.WaitVisible(chromedp.CSS("#kiosk-ticket-number")))
	number, err := chromedp.Run(kiosk.Ctx, chromedp.Text(chromedp.CSS("#kiosk-ticket-number")))
	if err != nil || !strings.HasPrefix(number, f.svc.QueueGroup+"-") {
		t.Fatalf("kiosk ticket number %q (%v)", number, err)
	}
	check(t, kiosk)

	console := b.NewTab(t)
	do(t, console,
		chromedp.Navigate(ts.URL+"/hall?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#signin-username")),
		chromedp.SendKeys(chromedp.CSS("#signin-username"), "operator"),
		chromedp.SendKeys(chromedp.CSS("#signin-password"), dosttest.Password(dost.RoleOperator)),
		chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#console-counters")))
	check(t, console)
	do(t, console,
		chromedp.Click(chromedp.CSS("#console-sign-in-"+strconv.FormatInt(f.counter.ID, 10))),
		chromedp.WaitVisible(chromedp.CSS("#console-call-next")),
		chromedp.Click(chromedp.CSS("#console-call-next")),
		chromedp.WaitVisible(chromedp.CSS("#console-reason")))
	called, err := chromedp.Run(console.Ctx, chromedp.Text(chromedp.CSS("#console-ticket-number")))
	if err != nil || called != number {
		t.Fatalf("console called %q (%v), want %q", called, err, number)
	}
	check(t, console)

	// The board shows the call from its event stream, without a reload.
	do(t, board, chromedp.Poll[chromedp.Void](`document.querySelector("#board-calls tr.fresh .board-number")?.textContent === `+strconv.Quote(number)))
	counter, err := chromedp.Run(board.Ctx, chromedp.Text(chromedp.CSS("#board-calls tr.fresh .board-counter")))
	if err != nil || counter != strconv.Itoa(f.counter.Number) {
		t.Errorf("board shows counter %q (%v), want %d", counter, err, f.counter.Number)
	}
	check(t, board)
}
