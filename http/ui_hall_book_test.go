package http_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// bookForm returns the booking form's values for slot start, with name,
// phone and fin.
func bookForm(f *hallFixture, start time.Time, name, phone, fin string) url.Values {
	return url.Values{"service": {f.svc.Code}, "day": {start.In(dost.Baku).Format("2006-01-02")},
		"start": {start.UTC().Format(time.RFC3339)}, "name": {name}, "phone": {phone}, "fin": {fin}}
}

// bookedCount returns how many bookings of the fixture centre are booked,
// as an operator lists them.
func bookedCount(t *testing.T, f *hallFixture) int {
	t.Helper()
	r := call(t, f.ts, dost.RoleOperator, "GET", fmt.Sprintf("/api/v1/appointments?centre_id=%d&status=booked", f.centre.ID), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list appointments: %d %s", r.Status, r.Body)
	}
	var list struct{ Total int }
	r.decode(t, &list)
	return list.Total
}

// TestHallBookPage books on the public page: the form lists the centre's
// services, 14 days and a day's free slots; bad fields, a day out of
// range, a slot just taken and a booking limit re-render the form saying
// why and write nothing; a booking redirects to its confirmation with the
// code, and the code cancels it.
func TestHallBookPage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		anon := ts.Client("")
		book := "/centres/" + f.centre.Code + "/book"
		slots := f.freeSlots(t)
		if len(slots) < 3 {
			t.Fatalf("got %d free slots today, want 3", len(slots))
		}
		today := dost.Today(f.clock)
		first, second, third := slots[0], slots[1], slots[2]
		slotValue := first.Start.UTC().Format(time.RFC3339)

		t.Run("Form", func(t *testing.T) {
			p := getPage(t, ts, anon, "GET", book+"?lang=en", nil)
			p.want(t, 200, "Book an appointment", `value="`+f.svc.Code+`"`, `value="`+today.String()+`"`,
				`value="`+today.AddDate(0, 0, 13).String()+`"`, `action="`+book+`"`, `href="/appointments/cancel"`)
			if strings.Contains(p.Body, today.AddDate(0, 0, 14).String()) || strings.Contains(p.Body, `id="book-form"`) {
				t.Errorf("the form offers a 15th day or the slots before a choice")
			}
			p = getPage(t, ts, anon, "GET", book+"?lang=en&service="+f.svc.Code+"&day="+today.String(), nil)
			p.want(t, 200, `id="book-form"`, `value="`+slotValue+`"`, ">"+first.Start.In(dost.Baku).Format("15:04")+"<")
			getPage(t, ts, anon, "GET", book+"?lang=ru&service="+f.svc.Code, nil).want(t, 200, "Записаться на это время", `value="`+slotValue+`"`)
			getPage(t, ts, anon, "GET", book+"?lang=az", nil).want(t, 200, "Qəbula yazılmaq")
		})
		t.Run("BadChoices", func(t *testing.T) {
			getPage(t, ts, anon, "GET", "/centres/nowhere/book", nil).want(t, 404)
			for _, day := range []string{today.AddDate(0, 0, 14).String(), today.AddDate(0, 0, -1).String(), "soon"} {
				p := getPage(t, ts, anon, "GET", book+"?lang=en&service="+f.svc.Code+"&day="+day, nil)
				p.want(t, 400, `id="book-day-error"`, "Choose a day from today to 13 days ahead.")
				if strings.Contains(p.Body, `id="book-form"`) {
					t.Errorf("day %s: slots listed", day)
				}
			}
			getPage(t, ts, anon, "GET", book+"?lang=en&service=05-99-99-99&day="+today.String(), nil).
				want(t, 400, `id="book-service-error"`, "Choose a service this centre offers.")
		})
		t.Run("BadFields", func(t *testing.T) {
			cases := []struct {
				name    string
				form    url.Values
				status  int
				holds   []string
				missing string
			}{
				{"NoName", bookForm(f, first.Start, "", "+994 50 123 45 67", ""), 400, []string{`id="book-name-error"`, "This is required."}, ""},
				{"BadPhone", bookForm(f, first.Start, "Aysel", "call me", ""), 400, []string{`id="book-phone-error"`, "Give a phone number of 7 to 15 digits"}, ""},
				{"ShortPhone", bookForm(f, first.Start, "Aysel", "12 34", ""), 400, []string{`id="book-phone-error"`}, ""},
				{"NoPhone", bookForm(f, first.Start, "Aysel", "", ""), 400, []string{`id="book-phone-error"`, "This is required."}, ""},
				{"BadFIN", bookForm(f, first.Start, "Aysel", "+994 50 123 45 67", "12345"), 400, []string{`id="book-fin-error"`, "A FIN is 7 digits"}, ""},
				{"NoTime", bookForm(f, first.Start, "Aysel", "+994 50 123 45 67", ""), 400, []string{`id="book-start-error"`, "Choose a time."}, "start"},
				{"NotASlot", bookForm(f, first.Start.Add(7*time.Minute), "Aysel", "+994 50 123 45 67", ""), 400, []string{`id="book-start-error"`, "not a bookable time"}, ""},
				{"OtherDay", func() url.Values {
					v := bookForm(f, first.Start, "Aysel", "+994 50 123 45 67", "")
					v.Set("day", today.AddDate(0, 0, 1).String())
					return v
				}(), 400, []string{`id="book-start-error"`}, ""},
				{"DayOutOfRange", func() url.Values {
					v := bookForm(f, first.Start.AddDate(0, 0, 20), "Aysel", "+994 50 123 45 67", "")
					return v
				}(), 400, []string{`id="book-day-error"`}, ""},
				{"ServiceNotOffered", func() url.Values {
					v := bookForm(f, first.Start, "Aysel", "+994 50 123 45 67", "")
					v.Set("service", "05-99-99-99")
					return v
				}(), 400, []string{`id="book-service-error"`}, ""},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					if tc.missing != "" {
						tc.form.Del(tc.missing)
					}
					p := getPage(t, ts, anon, "POST", book+"?lang=en", tc.form)
					p.want(t, tc.status, append([]string{`role="alert"`}, tc.holds...)...)
					if tc.form.Get("name") != "" && !strings.Contains(p.Body, `value="`+tc.form.Get("name")+`"`) && strings.Contains(p.Body, `id="book-form"`) {
						t.Errorf("the re-rendered form lost the name")
					}
				})
			}
			if n := bookedCount(t, f); n != 0 {
				t.Errorf("refused forms stored %d bookings", n)
			}
		})

		var confirmation string
		t.Run("Book", func(t *testing.T) {
			p := getPage(t, ts, anon, "POST", book+"?lang=en", bookForm(f, first.Start, "Aysel Məmmədova", "+994 50 123 45 67", "5abcdef"))
			p.want(t, http.StatusSeeOther)
			if !strings.HasPrefix(p.Location, book+"/") || !strings.Contains(p.Location, "?token=") {
				t.Fatalf("redirected to %q", p.Location)
			}
			confirmation = p.Location
			p = getPage(t, ts, anon, "GET", confirmation+"&lang=en", nil)
			at := first.Start.In(dost.Baku)
			p.want(t, 200, "Your booking", `id="booked-code"`, at.Format("02.01.2006")+", "+at.Format("15:04"), html.EscapeString(f.centre.Name.EN),
				f.svc.Name.EN, "between "+at.Add(-30*time.Minute).Format("15:04")+" and "+at.Add(10*time.Minute).Format("15:04"))
			if p.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", p.Header.Get("Cache-Control"))
			}
			var list struct{ Items []dost.Appointment }
			call(t, ts, dost.RoleOperator, "GET", fmt.Sprintf("/api/v1/appointments?centre_id=%d&status=booked", f.centre.ID), nil).decode(t, &list)
			if len(list.Items) != 1 {
				t.Fatalf("got %d bookings, want 1", len(list.Items))
			}
			a := list.Items[0]
			if a.FIN != "5ABCDEF" || a.Channel != dost.ApplicationOnline || a.Language != "en" || a.Phone != "+994 50 123 45 67" || !a.Start.Equal(first.Start) {
				t.Errorf("stored %+v", a)
			}
			p.want(t, 200, `>`+a.Code+`<`, `href="/appointments/cancel?code=`+a.Code+`"`)
			// Another token, another centre's path: not found.
			id := strings.TrimPrefix(confirmation[:strings.Index(confirmation, "?")], book+"/")
			getPage(t, ts, anon, "GET", book+"/"+id+"?token=wrong", nil).want(t, 404)
			getPage(t, ts, anon, "GET", book+"/"+id, nil).want(t, 404)
			getPage(t, ts, anon, "GET", "/centres/"+ts.Fixtures.OtherCentre.Code+"/book/"+id+confirmation[strings.Index(confirmation, "?"):], nil).want(t, 404)
			// The code cancels the booking; the confirmation then says so.
			getPage(t, ts, anon, "POST", "/appointments/cancel", url.Values{"code": {a.Code}, "phone": {"050 123 45 67"}}).want(t, http.StatusSeeOther)
			getPage(t, ts, anon, "GET", confirmation+"&lang=en", nil).want(t, 200, "This booking was cancelled.")
		})
		t.Run("Limit", func(t *testing.T) {
			getPage(t, ts, anon, "POST", book+"?lang=en", bookForm(f, second.Start, "Aysel", "+994 50 123 45 67", "5ABCDEF")).want(t, http.StatusSeeOther)
			before := bookedCount(t, f)
			getPage(t, ts, anon, "POST", book+"?lang=en", bookForm(f, third.Start, "Aysel", "+994 50 123 45 67", "5ABCDEF")).
				want(t, http.StatusConflict, `id="book-alert"`, "You already hold a booking for this service.", `id="book-start-error"`)
			if n := bookedCount(t, f); n != before {
				t.Errorf("a booking over the limit was stored: %d, want %d", n, before)
			}
		})
		t.Run("SlotTaken", func(t *testing.T) {
			// Fill third's places but one, then book the last place from
			// several visitors at once: exactly one gets it, the others
			// are told it was just taken and the slot is offered no more.
			for i := third.Booked; i < third.Capacity-1; i++ {
				if r := f.book(t, nobody, third.Start, "", fmt.Sprintf("+99450000000%d", i)); r.Status != http.StatusCreated {
					t.Fatalf("fill: %d %s", r.Status, r.Body)
				}
			}
			before := bookedCount(t, f)
			const n = 6
			pages := make([]hallPage, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					pages[i] = getPage(t, ts, ts.Client(""), "POST", book+"?lang=en", bookForm(f, third.Start, "Visitor "+strconv.Itoa(i), "+994 55 000 00 0"+strconv.Itoa(i), ""))
				})
			}
			wg.Wait()
			won := 0
			value := `value="` + third.Start.UTC().Format(time.RFC3339) + `"`
			for _, p := range pages {
				switch p.Status {
				case http.StatusSeeOther:
					won++
				case http.StatusConflict:
					p.want(t, http.StatusConflict, "this time was just taken by someone else", `id="book-start-error"`)
					if strings.Contains(p.Body, value) {
						t.Errorf("the full slot is still offered")
					}
				default:
					t.Errorf("got status %d:\n%.1500s", p.Status, p.Body)
				}
			}
			if won != 1 {
				t.Errorf("%d visitors got the last place, want 1", won)
			}
			getPage(t, ts, anon, "POST", book+"?lang=az", bookForm(f, third.Start, "Late visitor", "+994 55 000 00 99", "")).
				want(t, http.StatusConflict, `id="book-start-error"`, `value="Late visitor"`)
			if got := bookedCount(t, f); got != before+1 {
				t.Errorf("got %d bookings, want %d", got, before+1)
			}
		})
		t.Run("Staff", func(t *testing.T) {
			op := ts.Client(dost.RoleOperator)
			getPage(t, ts, op, "GET", book+"?lang=en", nil).want(t, 200, "You are booking for a visitor")
			later := f.freeSlots(t)
			p := getPage(t, ts, op, "POST", book+"?lang=en", bookForm(f, later[len(later)-1].Start, "Walk-in visitor", "+994 50 765 43 21", ""))
			p.want(t, http.StatusSeeOther)
			var list struct{ Items []dost.Appointment }
			call(t, ts, dost.RoleOperator, "GET", fmt.Sprintf("/api/v1/appointments?centre_id=%d&status=booked&limit=100", f.centre.ID), nil).decode(t, &list)
			found := false
			for _, a := range list.Items {
				if a.Name == "Walk-in visitor" {
					found = true
					if a.Channel != dost.ApplicationAtCentre || a.BookedBy != ts.Fixtures.Users[dost.RoleOperator].ID {
						t.Errorf("staff booking stored as %+v", a)
					}
				}
			}
			if !found {
				t.Errorf("the staff booking is not listed")
			}
			getPage(t, ts, op, "GET", p.Location+"&lang=en", nil).want(t, 200, "Your booking")
		})
	})
}

// TestHallBookBrowser books a slot end to end in headless Chromium: the
// form, a refused submission (its field error shown), then the booking
// and its confirmation; each state passes axe-core and reports no error.
func TestHallBookBrowser(t *testing.T) {
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
	slots := f.freeSlots(t)
	if len(slots) == 0 {
		t.Fatal("no free slot today")
	}
	tab := b.NewTab(t)
	check := func() {
		t.Helper()
		tab.CheckAxe(t, string(axe))
		for _, e := range tab.Errors() {
			if !strings.Contains(e, "status of 400") {
				t.Errorf("page error: %s", e)
			}
		}
	}
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab.Ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	do(chromedp.Navigate(ts.URL+"/centres/"+f.centre.Code+"/book?lang=en"), chromedp.WaitVisible(chromedp.CSS("#book-choose")))
	check()
	do(chromedp.SetValue(chromedp.CSS("#book-service"), f.svc.Code), chromedp.SetValue(chromedp.CSS("#book-day"), dost.Today(f.clock).String()),
		chromedp.Click(chromedp.CSS("#book-show")), chromedp.WaitVisible(chromedp.CSS("#book-form")))
	check()
	// A phone that is no phone: the form says so next to the field.
	do(chromedp.SetValue(chromedp.CSS("#book-start"), slots[0].Start.UTC().Format(time.RFC3339)),
		chromedp.SendKeys(chromedp.CSS("#book-name"), "Aysel Məmmədova"), chromedp.SendKeys(chromedp.CSS("#book-phone"), "12"),
		chromedp.Click(chromedp.CSS("#book-submit")), chromedp.WaitVisible(chromedp.CSS("#book-phone-error")))
	check()
	do(chromedp.SetValue(chromedp.CSS("#book-phone"), "+994 50 123 45 67"), chromedp.Click(chromedp.CSS("#book-submit")),
		chromedp.WaitVisible(chromedp.CSS("#booked-code")))
	check()
	code, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("#booked-code")))
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.TrimSpace(code)) != 8 {
		t.Errorf("booking code %q", code)
	}
	// The cancel link carries the code.
	do(chromedp.Click(chromedp.CSS("#booked-cancel")), chromedp.WaitVisible(chromedp.CSS("#cancel-form")))
	got, err := chromedp.Run(tab.Ctx, chromedp.Value(chromedp.CSS("#cancel-code")))
	if err != nil {
		t.Fatal(err)
	}
	if got != strings.TrimSpace(code) {
		t.Errorf("cancel page's code %q, want %q", got, code)
	}
}
