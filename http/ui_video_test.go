package http_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestVideoPages walks the pages of service by video over HTTP, in
// English: the portal's join page and the kiosk list the video centre's
// services (and a hall centre has no video kiosk); the visit page needs
// the ticket's token; the video desk calls the next video ticket and
// shows the call; the interpreters' list and the call page are staff
// pages. Every page loads video.js or video_join.js from our origin and
// carries its texts as JSON, not as script.
func TestVideoPages(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			f := newVideoFixture(t, dialect)
			ts := f.ts
			svc := f.hall.svc
			anon := ts.Client("")
			kiosk := "/centres/" + f.hall.centre.Code + "/video"

			t.Run("Join", func(t *testing.T) {
				p := getPage(t, ts, ts.Client(dost.RoleCitizen), "GET", "/my/video?lang=en", nil)
				p.want(t, 200, "Talk to an agent by video", `value="`+svc.Code+`" data-centre="`+f.hall.centre.Code+`"`,
					`id="video-msgs">{`, "/static/video_join.js", `href="/my/video" aria-current="page"`)
				if strings.Contains(p.Body, "<script>") {
					t.Error("the join page has an inline script")
				}
			})
			t.Run("JoinNotCitizen", func(t *testing.T) {
				getPage(t, ts, ts.Client(dost.RoleOperator), "GET", "/my/video", nil).want(t, 403)
			})
			t.Run("Kiosk", func(t *testing.T) {
				getPage(t, ts, anon, "GET", kiosk+"?lang=ru", nil).want(t, 200, "Smart DOST", `data-kiosk="1"`, `value="`+svc.Code+`"`)
			})
			t.Run("KioskOfHallCentre", func(t *testing.T) {
				getPage(t, ts, anon, "GET", "/centres/"+ts.Fixtures.OtherCentre.Code+"/video", nil).want(t, 404)
			})

			r := call(t, ts, nobody, "POST", "/api/v1/video/tickets", map[string]any{"centre": f.hall.centre.Code, "service": svc.Code, "language": "en"})
			if r.Status != http.StatusCreated {
				t.Fatalf("join the video queue: got %d: %s", r.Status, r.Body)
			}
			var tk issuedTicket
			r.decode(t, &tk)
			visit := "/video/tickets/" + strconv.FormatInt(tk.ID, 10)

			t.Run("Visit", func(t *testing.T) {
				p := getPage(t, ts, anon, "GET", visit+"?lang=en&token="+url.QueryEscape(tk.Token), nil)
				p.want(t, 200, tk.Number, "You are in the queue", `data-role="citizen"`, `data-token="`+tk.Token+`"`,
					`data-status="waiting"`, "/static/video.js", `role="log"`, `id="video-status" class="video-status" role="status"`)
				if strings.Contains(p.Body, `id="video-consent-ask"`) || strings.Contains(p.Body, "Hang up") {
					t.Error("the citizen's panel has the operator's buttons")
				}
			})
			t.Run("VisitWithoutToken", func(t *testing.T) {
				getPage(t, ts, anon, "GET", visit, nil).want(t, 404)
				getPage(t, ts, anon, "GET", visit+"?token=x"+tk.Token, nil).want(t, 404)
			})

			op := ts.Client(dost.RoleOperator)
			desk := strings.TrimSuffix(f.desk, "?lang=en")
			t.Run("DeskIdle", func(t *testing.T) {
				getPage(t, ts, op, "GET", f.desk, nil).want(t, 200, `id="video-desk-idle"`, "Waiting: 1", `action="`+strings.TrimSuffix(desk, "/video")+`/video/call-next"`)
			})
			t.Run("CallNext", func(t *testing.T) {
				p := getPage(t, ts, op, "POST", desk+"/call-next", url.Values{})
				p.want(t, http.StatusSeeOther)
				if p.Location != desk+"?alert=called" {
					t.Fatalf("call-next goes to %q, want %q", p.Location, desk+"?alert=called")
				}
				p = getPage(t, ts, op, "GET", p.Location+"&lang=en", nil)
				p.want(t, 200, tk.Number, `data-role="operator"`, `data-token=""`, `id="video-consent-ask"`, "Hang up and finish the visit",
					`data-service="`+svc.Code+`"`, `id="video-interpreter-form"`, `href="/persons"`,
					`id="video-record" class="secondary" aria-pressed="false" disabled`, `"video.record.start":"Record the call"`)
				// The ordinary console of the video desk links to it.
				getPage(t, ts, op, "GET", strings.TrimSuffix(desk, "/video")+"?lang=en", nil).want(t, 200,
					`href="`+desk+`" id="console-video-desk"`, "Open the video desk")
			})

			t.Run("CallNextEmpty", func(t *testing.T) {
				// The ticket in hand: call-next is refused as at a window.
				p := getPage(t, ts, op, "POST", desk+"/call-next", url.Values{})
				if p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "alert=") || strings.Contains(p.Location, "alert=called") {
					t.Errorf("call-next with a ticket in hand: %d %q", p.Status, p.Location)
				}
			})
			t.Run("DeskNotMine", func(t *testing.T) {
				other := "/hall/counters/" + strconv.FormatInt(f.hall.foreign.ID, 10) + "/video"
				getPage(t, ts, op, "GET", other, nil).want(t, 404)
			})
			t.Run("Interpretations", func(t *testing.T) {
				getPage(t, ts, ts.Client(dost.RoleSupervisor), "GET", "/video/interpretations?lang=az", nil).want(t, 200,
					`data-api="/api/v1/video/interpretations?status=waiting"`, "/static/video_join.js")
				getPage(t, ts, ts.Client(dost.RoleCitizen), "GET", "/video/interpretations", nil).want(t, 403)
			})
			t.Run("CallPage", func(t *testing.T) {
				getPage(t, ts, ts.Client(dost.RoleSupervisor), "GET", "/video/calls/"+strconv.FormatInt(tk.ID, 10)+"?lang=en", nil).want(t, 200,
					`data-role="interpreter"`, `data-done="/video/interpretations"`)
				getPage(t, ts, anon, "GET", "/video/calls/"+strconv.FormatInt(tk.ID, 10), nil).want(t, http.StatusSeeOther)
			})
		})
	}
}
