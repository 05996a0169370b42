package http_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// auditHas reports whether the trail holds an event of kind whose detail
// contains detail.
func auditHas(t *testing.T, ts *dosttest.TestServer, kind, detail string) bool {
	t.Helper()
	events, _, err := ts.Audit.FindAuditEvents(context.Background(), dost.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.ObjectKind == kind && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

// TestVideoSetup makes a centre a video centre and certifies and revokes
// an interpreter through the administrators' API, on both databases.
func TestVideoSetup(t *testing.T) {
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ts := dosttest.NewServer(t, d, dosttest.WithAudit)
			ctx := context.Background()
			store := sqlstore.NewVideoStore(ts.DB)
			centre := ts.Fixtures.Centre
			kindPath := "/api/v1/centres/" + centre.Code + "/kind"

			t.Run("CentreKind", func(t *testing.T) {
				if r := call(t, ts, dost.RoleOperator, "PUT", kindPath, map[string]string{"kind": "video"}); r.Status != 403 {
					t.Errorf("operator: got %d, want 403", r.Status)
				}
				r := call(t, ts, dost.RoleAdmin, "PUT", kindPath, map[string]string{"kind": "studio"})
				if r.Status != 400 {
					t.Fatalf("unknown kind: got %d, want 400", r.Status)
				}
				hasFieldCode("kind", "centre.kind")(t, r)
				if r := call(t, ts, dost.RoleAdmin, "PUT", "/api/v1/centres/nowhere/kind", map[string]string{"kind": "video"}); r.Status != 404 {
					t.Errorf("unknown centre: got %d, want 404", r.Status)
				}
				if r := call(t, ts, dost.RoleAdmin, "PUT", kindPath, map[string]string{"kind": "video"}); r.Status != 200 {
					t.Fatalf("make it a video centre: got %d %s", r.Status, r.Body)
				}
				if kind, err := store.CentreKind(ctx, centre.ID); err != nil || kind != dost.CentreVideo {
					t.Fatalf("kind: got %q %v, want video", kind, err)
				}
				if !auditHas(t, ts, "centre", "kind=video centre="+centre.Code) {
					t.Error("the change of kind is not in the audit trail")
				}
				// The kiosk page of a video centre now exists.
				if r := call(t, ts, dost.RoleCitizen, "GET", "/centres/"+centre.Code+"/video", nil); r.Status != 200 {
					t.Errorf("kiosk page of the new video centre: got %d", r.Status)
				}
			})

			t.Run("Interpreters", func(t *testing.T) {
				op := ts.Fixtures.Users[dost.RoleOperator]
				citizen := ts.Fixtures.Users[dost.RoleCitizen]
				today := dost.Today(ts.DB.Clock())
				if r := call(t, ts, dost.RoleOperator, "POST", "/api/v1/video/interpreters", map[string]any{"user_id": op.ID, "language": "sign"}); r.Status != 403 {
					t.Errorf("certified by an operator: got %d, want 403", r.Status)
				}
				r := call(t, ts, dost.RoleAdmin, "POST", "/api/v1/video/interpreters", map[string]any{"user_id": citizen.ID, "language": "sign"})
				if r.Status != 400 {
					t.Fatalf("a citizen certified: got %d, want 400", r.Status)
				}
				hasFieldCode("user_id", "interpreter.not_staff")(t, r)
				r = call(t, ts, dost.RoleAdmin, "POST", "/api/v1/video/interpreters", map[string]any{"user_id": op.ID, "language": "klingon"})
				if r.Status != 400 {
					t.Fatalf("unknown language: got %d, want 400", r.Status)
				}
				r = call(t, ts, dost.RoleAdmin, "POST", "/api/v1/video/interpreters", map[string]any{"username": op.Username, "language": "sign"})
				if r.Status != 201 {
					t.Fatalf("certify: got %d %s", r.Status, r.Body)
				}
				var cert dost.InterpreterCertification
				r.decode(t, &cert)
				if cert.ID == 0 || cert.UserID != op.ID || cert.ValidFrom != today || cert.ValidUntil != today.AddDate(1, 0, 0) {
					t.Fatalf("got certification %+v", cert)
				}
				if langs, _ := store.InterpreterLanguages(ctx, op.ID, today); !slices.Equal(langs, []string{"sign"}) {
					t.Fatalf("languages after certifying: got %v, want [sign]", langs)
				}
				r = call(t, ts, dost.RoleAdmin, "GET", "/api/v1/video/interpreters?user_id="+strconv.FormatInt(op.ID, 10), nil)
				if r.Status != 200 || !strings.Contains(string(r.Body), `"total":1`) || !strings.Contains(string(r.Body), `"language":"sign"`) {
					t.Fatalf("list: got %d %s", r.Status, r.Body)
				}
				if !auditHas(t, ts, "video_interpreter", "certified user="+strconv.FormatInt(op.ID, 10)+" language=sign") {
					t.Error("the certification is not in the audit trail")
				}
				revoke := "/api/v1/video/interpreters/" + strconv.FormatInt(cert.ID, 10)
				if r := call(t, ts, dost.RoleAdmin, "DELETE", revoke, nil); r.Status != 200 {
					t.Fatalf("revoke: got %d %s", r.Status, r.Body)
				}
				if r := call(t, ts, dost.RoleAdmin, "DELETE", revoke, nil); r.Status != 404 {
					t.Errorf("revoke again: got %d, want 404", r.Status)
				}
				if langs, _ := store.InterpreterLanguages(ctx, op.ID, today); len(langs) != 0 {
					t.Errorf("languages after revoking: got %v, want none", langs)
				}
				if !auditHas(t, ts, "video_interpreter", "revoked user="+strconv.FormatInt(op.ID, 10)+" language=sign") {
					t.Error("the revocation is not in the audit trail")
				}
			})
		})
	}
}

// TestVideoHallTickets checks that a ticket of a video centre made the
// hall's way (the kiosk's POST /api/v1/tickets, an appointment's check-in
// from the portal) gets a call, so that the video desk's call-next never
// strands the operator, and that a hall's ticket still has none.
func TestVideoHallTickets(t *testing.T) {
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ts := dosttest.NewServer(t, d, dosttest.WithAudit)
			f := newHallFixture(t, ts)
			op := ts.Fixtures.Users[dost.RoleOperator]
			f.certify(t, op)
			hallTicket := f.issue(t, dost.PriorityNone)
			if r := call(t, ts, dost.RoleAdmin, "PUT", "/api/v1/centres/"+f.centre.Code+"/kind", map[string]string{"kind": "video"}); r.Status != 200 {
				t.Fatalf("make it a video centre: got %d %s", r.Status, r.Body)
			}
			if r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "sign-in"), nil); r.Status != 200 {
				t.Fatalf("sign in: %d %s", r.Status, r.Body)
			}

			t.Run("Kiosk", func(t *testing.T) {
				// Issued while the centre was a hall, then called at a video desk:
				// its call is made when asked for.
				r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "call-next"), nil)
				if r.Status != 200 || !strings.Contains(string(r.Body), `"id":`+strconv.FormatInt(hallTicket.ID, 10)) {
					t.Fatalf("call-next: got %d %s", r.Status, r.Body)
				}
				callPath := "/api/v1/video/calls/" + strconv.FormatInt(hallTicket.ID, 10)
				if r := call(t, ts, dost.RoleOperator, "GET", callPath, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"role":"operator"`) {
					t.Fatalf("operator's call of a kiosk ticket: got %d %s", r.Status, r.Body)
				}
				if r := call(t, ts, nobody, "GET", callPath+"?t="+hallTicket.Token, nil); r.Status != 200 {
					t.Fatalf("citizen's call by the ticket's token: got %d %s", r.Status, r.Body)
				}
				if r := call(t, ts, dost.RoleOperator, "POST", callPath+"/hangup", nil); r.Status != 200 {
					t.Fatalf("hang up: got %d %s", r.Status, r.Body)
				}
			})

			t.Run("AppointmentCheckIn", func(t *testing.T) {
				today := dost.Today(f.clock)
				var slots struct{ Items []dost.Slot }
				r := call(t, ts, nobody, "GET", "/api/v1/centres/"+f.centre.Code+"/slots?free=true&service_code="+f.svc.Code+
					"&from="+today.String()+"&until="+today.AddDate(0, 0, 1).String(), nil)
				r.decode(t, &slots)
				slots.Items = slices.DeleteFunc(slots.Items, func(s dost.Slot) bool { return s.Start.Before(f.clock.Now().Add(time.Hour)) })
				if len(slots.Items) == 0 {
					t.Fatalf("no free slot an hour after %s: the fixture's clock (a Monday morning) leaves the day's slots free", f.clock.Now())
				}
				slot := slots.Items[0]
				r = call(t, ts, dost.RoleCitizen, "POST", "/api/v1/appointments", map[string]any{"centre_id": f.centre.ID, "service_code": f.svc.Code,
					"start": slot.Start.Format(time.RFC3339), "name": "Aysel Mammadova", "phone": "+994 50 123 45 67", "language": "az", "channel": "portal"})
				if r.Status != 201 {
					t.Fatalf("book: got %d %s", r.Status, r.Body)
				}
				var a dost.Appointment
				r.decode(t, &a)
				checkIn := "/api/v1/video/appointments/" + strconv.FormatInt(a.ID, 10) + "/check-in"
				r = call(t, ts, dost.RoleCitizen, "POST", checkIn, nil)
				if r.Status != 400 {
					t.Fatalf("a day early: got %d, want 400: %s", r.Status, r.Body)
				}
				hasFieldCode("code", "check_in.too_early")(t, r)
				f.clock.Set(slot.Start.Add(-20 * time.Minute))
				if r := call(t, ts, dost.RoleOperator, "POST", checkIn, nil); r.Status != 403 {
					t.Errorf("operator: got %d, want 403", r.Status)
				}
				r = call(t, ts, dost.RoleCitizen, "POST", checkIn, nil)
				if r.Status != 201 {
					t.Fatalf("check in: got %d %s", r.Status, r.Body)
				}
				var vt struct {
					ID            int64  `json:"id"`
					AppointmentID int64  `json:"appointment_id"`
					Call          string `json:"call"`
				}
				r.decode(t, &vt)
				if vt.AppointmentID != a.ID || !strings.Contains(vt.Call, "?t=") {
					t.Fatalf("got %s", r.Body)
				}
				// The citizen's own session admits them to the call.
				callPath := "/api/v1/video/calls/" + strconv.FormatInt(vt.ID, 10)
				if r := call(t, ts, dost.RoleCitizen, "GET", callPath, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"role":"citizen"`) {
					t.Fatalf("citizen's call: got %d %s", r.Status, r.Body)
				}
				if r := call(t, ts, dost.RoleCitizen, "POST", checkIn, nil); r.Status != 409 {
					t.Errorf("check in again: got %d, want 409", r.Status)
				}
				// call-next prefers the appointment; the operator sees the person's FIN.
				r = call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "call-next"), nil)
				if r.Status != 200 || !strings.Contains(string(r.Body), `"id":`+strconv.FormatInt(vt.ID, 10)) {
					t.Fatalf("call-next: got %d %s", r.Status, r.Body)
				}
				r = call(t, ts, dost.RoleOperator, "GET", callPath, nil)
				if r.Status != 200 || !strings.Contains(string(r.Body), `"person_fin":"`) {
					t.Errorf("operator's call of the appointment: got %d %s", r.Status, r.Body)
				}
			})

			t.Run("AppointmentPage", func(t *testing.T) {
				// The portal's appointments page offers "Join the video call" in the
				// check-in window; the form checks in and opens the visit page.
				today := dost.Today(f.clock)
				var slots struct{ Items []dost.Slot }
				call(t, ts, nobody, "GET", "/api/v1/centres/"+f.centre.Code+"/slots?free=true&service_code="+f.svc.Code+
					"&from="+today.String()+"&until="+today.AddDate(0, 0, 1).String(), nil).decode(t, &slots)
				slots.Items = slices.DeleteFunc(slots.Items, func(s dost.Slot) bool { return s.Start.Before(f.clock.Now().Add(time.Hour)) })
				if len(slots.Items) == 0 {
					t.Fatalf("no free slot an hour after %s: the fixture's clock (a Monday morning) leaves the day's slots free", f.clock.Now())
				}
				slot := slots.Items[0]
				r := call(t, ts, dost.RoleCitizen, "POST", "/api/v1/appointments", map[string]any{"centre_id": f.centre.ID, "service_code": f.svc.Code,
					"start": slot.Start.Format(time.RFC3339), "name": "Aysel Mammadova", "phone": "+994 50 123 45 67", "language": "en", "channel": "portal"})
				if r.Status != 201 {
					t.Fatalf("book: got %d %s", r.Status, r.Body)
				}
				var a dost.Appointment
				r.decode(t, &a)
				button := `id="appointment-` + strconv.FormatInt(a.ID, 10) + `-video"`
				citizen := ts.Client(dost.RoleCitizen)
				if p := getPage(t, ts, citizen, "GET", "/my/appointments?lang=en", nil); strings.Contains(p.Body, button) {
					t.Error("the video check-in is offered before the window")
				}
				f.clock.Set(slot.Start.Add(-20 * time.Minute))
				getPage(t, ts, citizen, "GET", "/my/appointments?lang=en", nil).want(t, 200, button, "Join the video call")
				p := getPage(t, ts, citizen, "POST", "/my/appointments/"+strconv.FormatInt(a.ID, 10)+"/video", url.Values{})
				p.want(t, http.StatusSeeOther)
				if !strings.HasPrefix(p.Location, "/video/tickets/") || !strings.Contains(p.Location, "?token=") {
					t.Fatalf("check-in goes to %q, want the visit page", p.Location)
				}
				getPage(t, ts, citizen, "GET", p.Location+"&lang=en", nil).want(t, 200, `data-role="citizen"`)
				getPage(t, ts, ts.Client(dost.RoleOperator), "POST", "/my/appointments/"+strconv.FormatInt(a.ID, 10)+"/video", url.Values{}).want(t, 403)
			})

			t.Run("HallTicketHasNoCall", func(t *testing.T) {
				if r := call(t, ts, dost.RoleAdmin, "PUT", "/api/v1/centres/"+f.centre.Code+"/kind", map[string]string{"kind": "hall"}); r.Status != 200 {
					t.Fatalf("make it a hall again: got %d %s", r.Status, r.Body)
				}
				it := f.issue(t, dost.PriorityNone)
				if r := call(t, ts, nobody, "GET", "/api/v1/video/calls/"+strconv.FormatInt(it.ID, 10)+"?t="+it.Token, nil); r.Status != 404 {
					t.Errorf("a hall ticket's call: got %d, want 404", r.Status)
				}
			})
		})
	}
}

// webmHeader opens a WebM file (EBML magic and header), enough for the
// server's content check.
var webmHeader = []byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01, 'w', 'e', 'b', 'm'}

// TestVideoRecording uploads a call's recording: refused without the
// citizen's consent, kept with it, refused again once withdrawn.
func TestVideoRecording(t *testing.T) {
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) {
			f := newCallFixture(t, d)
			ts := f.ts
			citizenTok := ts.Token(dost.RoleCitizen)
			service := f.centre.Services[0]
			r := f.as(t, citizenTok, "POST", "/api/v1/video/tickets", map[string]string{"centre": demo.CentreVideo, "service": service})
			if r.Status != 201 {
				t.Fatalf("join: %d %s", r.Status, r.Body)
			}
			var joined struct {
				ID int64 `json:"id"`
			}
			r.decode(t, &joined)
			desk := strconv.FormatInt(f.centre.Counters[0].ID, 10)
			if r := f.as(t, f.operatorTok, "POST", "/api/v1/counters/"+desk+"/call-next", nil); r.Status != 200 {
				t.Fatalf("call-next: %d %s", r.Status, r.Body)
			}
			callPath := "/api/v1/video/calls/" + strconv.FormatInt(joined.ID, 10)
			recording := append(append([]byte{}, webmHeader...), bytes.Repeat([]byte{0x42}, 4096)...)
			upload := func(tok string, body []byte) *result {
				t.Helper()
				req, _ := http.NewRequest("POST", ts.URL+callPath+"/recording", bytes.NewReader(body))
				req.Header.Set("Content-Type", "video/webm")
				if tok != "" {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return &result{Status: resp.StatusCode, Header: resp.Header, Body: b}
			}

			r = upload(f.operatorTok, recording)
			if r.Status != 409 || !strings.Contains(string(r.Body), "video.consent_required") {
				t.Fatalf("without consent: got %d %s, want 409 video.consent_required", r.Status, r.Body)
			}
			if r := f.as(t, citizenTok, "POST", callPath+"/consent", map[string]bool{"granted": true}); r.Status != 200 {
				t.Fatalf("consent: %d %s", r.Status, r.Body)
			}
			if r := upload(citizenTok, recording); r.Status != 403 {
				t.Errorf("citizen's upload: got %d, want 403", r.Status)
			}
			if r := upload(f.operatorTok, []byte("%PDF-1.4 not a recording")); r.Status != 400 || !strings.Contains(string(r.Body), "file.type") {
				t.Errorf("not WebM: got %d %s, want 400 file.type", r.Status, r.Body)
			}
			r = upload(f.operatorTok, recording)
			if r.Status != 201 {
				t.Fatalf("with consent: got %d %s", r.Status, r.Body)
			}
			var rec dost.VideoRecording
			r.decode(t, &rec)
			store := sqlstore.NewVideoStore(ts.DB)
			call, err := store.FindCallByTicket(context.Background(), joined.ID)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := store.FindRecordings(context.Background(), call.ID)
			if err != nil || len(recs) != 1 || recs[0].Size != int64(len(recording)) {
				t.Fatalf("recordings: got %v %v", recs, err)
			}
			rc, err := ts.Files.Open(context.Background(), recs[0].StorageKey)
			if err != nil {
				t.Fatalf("stored file: %v", err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(got, recording) {
				t.Errorf("stored %d bytes, want the %d uploaded", len(got), len(recording))
			}
			// The orphan-files sweep keeps it.
			refs, err := sqlstore.NewCaseStore(ts.DB).ReferencedStorageKeys(context.Background(), []string{recs[0].StorageKey})
			if err != nil || !refs[recs[0].StorageKey] {
				t.Errorf("the sweep would delete the recording: %v %v", refs, err)
			}
			if !auditHas(t, ts, "video_call", "recording="+strconv.FormatInt(rec.ID, 10)+" ticket=") {
				t.Error("the recording is not in the audit trail")
			}
			// Consent withdrawn: no more recordings.
			if r := f.as(t, citizenTok, "POST", callPath+"/consent", map[string]bool{"granted": false}); r.Status != 200 {
				t.Fatalf("withdraw: %d %s", r.Status, r.Body)
			}
			if r := upload(f.operatorTok, recording); r.Status != 409 {
				t.Errorf("after withdrawing: got %d, want 409", r.Status)
			}
		})
	}
}
