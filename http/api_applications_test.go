package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// birthService is the catalogue service of the birth allowance: it
// requires a birth certificate and an ID card, and refuses with
// not_eligible among others.
const birthService = "05-02-01-00"

// pngBytes is the start of a PNG file: enough for content sniffing.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"), bytes.Repeat([]byte{0}, 64)...)

// applicationView is an application as the API answers it.
type applicationView struct {
	dost.Application
	AllowedActions []dost.ApplicationAction `json:"allowed_actions"`
}

// page is a decoded list answer.
type page[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

// bearer returns headers authenticating with token, plus the pairs of
// extra.
func bearer(token string, extra ...string) http.Header {
	h := http.Header{"Authorization": {"Bearer " + token}}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

// filePart is one part of a multipart body: a form field when name is
// empty of a file name, a file otherwise, sent with contentType (default:
// application/pdf for a name ending in .pdf, else image/png).
type filePart struct {
	field, fileName string
	content         []byte
	contentType     string
}

// multipartBody returns a multipart/form-data body of the parts and its
// content type.
func multipartBody(t testing.TB, parts ...filePart) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		var err error
		if p.fileName == "" {
			err = mw.WriteField(p.field, string(p.content))
		} else {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.field, p.fileName))
			ct := p.contentType
			switch {
			case ct != "":
			case strings.HasSuffix(p.fileName, ".pdf"):
				ct = "application/pdf"
			default:
				ct = "image/png"
			}
			h.Set("Content-Type", ct) // claimed, checked against the content
			var w interface{ Write([]byte) (int, error) }
			if w, err = mw.CreatePart(h); err == nil {
				_, err = w.Write(p.content)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), mw.FormDataContentType()
}

// birthApplication is the JSON of a birth allowance application for fin
// with the documents presented.
func birthApplication(fin dost.FIN, presented ...string) map[string]any {
	var docs []map[string]any
	for _, code := range presented {
		docs = append(docs, map[string]any{"code": code, "presented": true})
	}
	return map[string]any{"fin": fin, "service_code": birthService, "documents": docs}
}

// wantProblem fails unless r is a problem with the status, code and a
// field error whose field starts with field.
func wantProblem(t testing.TB, r *result, status int, code, field string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got status %d, want %d: %s", r.Status, status, r.Body)
	}
	if r.Problem.Code != code {
		t.Errorf("problem code: got %q, want %q", r.Problem.Code, code)
	}
	if field == "" {
		return
	}
	for _, f := range r.Problem.Errors {
		if strings.HasPrefix(f.Field, field) {
			return
		}
	}
	t.Errorf("no field error for %q: %s", field, r.Body)
}

func TestApplicationAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		linkStaff(t, ts)
		ctx := context.Background()
		f := ts.Fixtures
		baby := &dost.Person{FIN: "4NB5RN6", FirstName: "Aysel", LastName: "Aliyeva", Patronymic: "Rashad",
			BirthDate: dost.MustDate("2026-11-02"), Sex: dost.SexFemale, Region: "Baku", District: "Nizami", Address: "Street 1"}
		if err := ts.Persons.CreatePerson(ctx, baby); err != nil {
			t.Fatal(err)
		}
		operator, caseworker := ts.Token(dost.RoleOperator), ts.Token(dost.RoleCaseWorker)
		submit := func(t *testing.T, token, key string, body any) *result {
			t.Helper()
			h := bearer(token)
			if key != "" {
				h.Set("Idempotency-Key", key)
			}
			return send(t, ts, http.DefaultClient, h, "POST", "/api/v1/applications", body)
		}
		upload := func(t *testing.T, token, key, path string, parts ...filePart) *result {
			t.Helper()
			body, ct := multipartBody(t, parts...)
			h := bearer(token, "Content-Type", ct)
			if key != "" {
				h.Set("Idempotency-Key", key)
			}
			return send(t, ts, http.DefaultClient, h, "POST", path, body)
		}
		as := func(t *testing.T, token, method, path string, body any) *result {
			t.Helper()
			return send(t, ts, http.DefaultClient, bearer(token), method, path, body)
		}
		count := func(t *testing.T, fin dost.FIN) int {
			t.Helper()
			r := call(t, ts, dost.RoleAuditor, "GET", "/api/v1/applications?fin="+string(fin), nil)
			var p page[dost.Application]
			r.decode(t, &p)
			return p.Total
		}
		app := func(t *testing.T, role dost.Role, id int64) *applicationView {
			t.Helper()
			r := call(t, ts, role, "GET", "/api/v1/applications/"+strconv.FormatInt(id, 10), nil)
			if r.Status != http.StatusOK {
				t.Fatalf("get application %d: %d %s", id, r.Status, r.Body)
			}
			var a applicationView
			r.decode(t, &a)
			return &a
		}
		transition := func(t *testing.T, token string, id int64, body any) *result {
			t.Helper()
			return as(t, token, "POST", "/api/v1/applications/"+strconv.FormatInt(id, 10)+"/transitions", body)
		}

		t.Run("ErrIdempotencyKeyMissing", func(t *testing.T) {
			r := submit(t, operator, "", birthApplication(baby.FIN, "birth_certificate", "id_card"))
			wantProblem(t, r, 400, dost.EINVALID, "Idempotency-Key")
		})
		t.Run("ErrIdempotencyKeyTooLong", func(t *testing.T) {
			r := submit(t, operator, strings.Repeat("k", 201), birthApplication(baby.FIN, "birth_certificate", "id_card"))
			wantProblem(t, r, 400, dost.EINVALID, "Idempotency-Key")
		})
		t.Run("ErrDocumentMissing", func(t *testing.T) {
			r := submit(t, operator, "missing-doc", birthApplication(baby.FIN, "birth_certificate"))
			wantProblem(t, r, 400, dost.EINVALID, "documents.id_card")
			if n := count(t, baby.FIN); n != 0 {
				t.Errorf("applications stored: got %d, want 0", n)
			}
		})
		for _, tc := range []struct {
			name, field string
			change      func(map[string]any)
		}{
			{"ErrUnknownService", "service_code", func(m map[string]any) { m["service_code"] = "99-99-99-99" }},
			{"ErrUnknownPerson", "fin", func(m map[string]any) { m["fin"] = "9ZZ9ZZ9" }},
			{"ErrBadFIN", "fin", func(m map[string]any) { m["fin"] = "abc" }},
			{"ErrPortalChannel", "channel", func(m map[string]any) { m["channel"] = "portal" }},
			{"ErrOnlineChannel", "channel", func(m map[string]any) { m["channel"] = "online" }},
			// The proactive channel needs no documents: it is dost's own
			// and the offer path's, never staff's.
			{"ErrProactiveChannel", "channel", func(m map[string]any) { m["channel"] = "proactive"; delete(m, "documents") }},
			{"ErrBadPeriod", "period", func(m map[string]any) { m["period"] = "2026-13" }},
			{"ErrUnknownField", "colour", func(m map[string]any) { m["colour"] = "blue" }},
			{"ErrUnknownDocument", "documents[2].code", func(m map[string]any) {
				m["documents"] = append(m["documents"].([]map[string]any), map[string]any{"code": "passport_photo", "presented": true})
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := birthApplication(baby.FIN, "birth_certificate", "id_card")
				tc.change(body)
				wantProblem(t, submit(t, operator, "bad-"+tc.name, body), 400, dost.EINVALID, tc.field)
			})
		}
		if n := count(t, baby.FIN); n != 0 {
			t.Fatalf("bad submissions stored %d applications", n)
		}

		var first applicationView
		t.Run("Idempotent", func(t *testing.T) {
			body := birthApplication(baby.FIN, "birth_certificate", "id_card")
			r := submit(t, operator, "window-7/visit-1", body)
			if r.Status != http.StatusCreated {
				t.Fatalf("first: got %d, want 201: %s", r.Status, r.Body)
			}
			r.decode(t, &first)
			if got, want := r.Header.Get("Location"), "/api/v1/applications/"+strconv.FormatInt(first.ID, 10); got != want {
				t.Errorf("Location: got %q, want %q", got, want)
			}
			if first.Status != dost.ApplicationSubmitted || first.CentreID != f.Centre.ID || first.Channel != dost.ApplicationAtCentre {
				t.Errorf("got status %s, centre %d, channel %s; want submitted, %d, centre", first.Status, first.CentreID, first.Channel, f.Centre.ID)
			}
			if len(first.Documents) != 2 || len(first.Transitions) != 1 || first.Number == "" {
				t.Errorf("got %d documents, %d transitions, number %q; want 2, 1, a number", len(first.Documents), len(first.Transitions), first.Number)
			}
			r = submit(t, operator, "window-7/visit-1", body)
			if r.Status != http.StatusOK {
				t.Fatalf("repeat: got %d, want 200: %s", r.Status, r.Body)
			}
			var again applicationView
			r.decode(t, &again)
			if again.ID != first.ID {
				t.Errorf("repeat: got application %d, want %d", again.ID, first.ID)
			}
			if n := count(t, baby.FIN); n != 1 {
				t.Errorf("applications: got %d, want 1", n)
			}
		})

		t.Run("ErrIdempotencyKeyReused", func(t *testing.T) {
			// The key of the first application, for another submission.
			body := birthApplication(baby.FIN, "birth_certificate", "id_card")
			body["note"] = "another visit"
			r := submit(t, operator, "window-7/visit-1", body)
			wantProblem(t, r, 409, dost.ECONFLICT, "idempotency_key")
			if len(r.Problem.Errors) > 0 && r.Problem.Errors[0].Code != "idempotency.mismatch" {
				t.Errorf("field code: got %q, want idempotency.mismatch", r.Problem.Errors[0].Code)
			}
			if n := count(t, baby.FIN); n != 1 {
				t.Errorf("applications: got %d, want 1", n)
			}
		})

		var second applicationView
		t.Run("MultipartPNG", func(t *testing.T) {
			js, _ := json.Marshal(birthApplication(baby.FIN, "id_card"))
			r := upload(t, operator, "upload-1", "/api/v1/applications",
				filePart{field: "application", content: js},
				filePart{field: "document:birth_certificate", fileName: "şəhadətnamə.png", content: pngBytes})
			if r.Status != http.StatusCreated {
				t.Fatalf("got %d, want 201: %s", r.Status, r.Body)
			}
			r.decode(t, &second)
			i := slices.IndexFunc(second.Documents, func(d *dost.ApplicationDocument) bool { return d.Code == "birth_certificate" })
			if i < 0 {
				t.Fatalf("no birth certificate: %s", r.Body)
			}
			doc := second.Documents[i]
			if doc.ContentType != "image/png" || doc.Size != int64(len(pngBytes)) || doc.Presented {
				t.Errorf("document: got %s, %d bytes, presented %v; want image/png, %d bytes, not presented", doc.ContentType, doc.Size, doc.Presented, len(pngBytes))
			}
			path := fmt.Sprintf("/api/v1/applications/%d/documents/%d", second.ID, doc.ID)
			r = call(t, ts, dost.RoleCaseWorker, "GET", path, nil)
			if r.Status != http.StatusOK || !bytes.Equal(r.Body, pngBytes) {
				t.Fatalf("GET %s: got %d and %d bytes, want 200 and the PNG", path, r.Status, len(r.Body))
			}
			for h, want := range map[string]string{"Content-Type": "image/png", "X-Content-Type-Options": "nosniff"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s: got %q, want %q", h, got, want)
				}
			}
			if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename") {
				t.Errorf("Content-Disposition: got %q, want an attachment with its file name", cd)
			}
			presented := second.Documents[1-i]
			r = call(t, ts, dost.RoleCaseWorker, "GET", fmt.Sprintf("/api/v1/applications/%d/documents/%d", second.ID, presented.ID), nil)
			wantProblem(t, r, 404, dost.ENOTFOUND, "")
			r = call(t, ts, dost.RoleAdmin, "GET", path, nil)
			wantProblem(t, r, 403, dost.EFORBIDDEN, "")
		})
		t.Run("ErrMultipartTextAsPNG", func(t *testing.T) {
			js, _ := json.Marshal(birthApplication(baby.FIN, "id_card"))
			r := upload(t, operator, "upload-2", "/api/v1/applications",
				filePart{field: "application", content: js},
				filePart{field: "document:birth_certificate", fileName: "certificate.png", content: []byte("I am plain text, not a picture.\n")})
			wantProblem(t, r, 400, dost.EINVALID, "document:birth_certificate")
			if len(r.Problem.Errors) > 0 && r.Problem.Errors[0].Code != "file.type_not_allowed" {
				t.Errorf("field code: got %q, want file.type_not_allowed", r.Problem.Errors[0].Code)
			}
			if n := count(t, baby.FIN); n != 2 {
				t.Errorf("applications: got %d, want 2", n)
			}
		})
		t.Run("ErrMultipartPNGAsPDF", func(t *testing.T) {
			// Both are accepted types, but the file is not what it claims.
			js, _ := json.Marshal(birthApplication(baby.FIN, "id_card"))
			r := upload(t, operator, "upload-mismatch", "/api/v1/applications",
				filePart{field: "application", content: js},
				filePart{field: "document:birth_certificate", fileName: "certificate", contentType: "application/pdf", content: pngBytes})
			wantProblem(t, r, 400, dost.EINVALID, "document:birth_certificate")
			if len(r.Problem.Errors) > 0 && (r.Problem.Errors[0].Code != "file.type_mismatch" ||
				!strings.Contains(r.Problem.Errors[0].Message, "sent as a PDF, but its content is a PNG image")) {
				t.Errorf("field error: got %+v, want file.type_mismatch saying what it claims and is", r.Problem.Errors[0])
			}
			if n := count(t, baby.FIN); n != 2 {
				t.Errorf("applications: got %d, want 2", n)
			}
		})
		t.Run("ErrMultipartWithoutApplication", func(t *testing.T) {
			r := upload(t, operator, "upload-3", "/api/v1/applications",
				filePart{field: "document:birth_certificate", fileName: "b.png", content: pngBytes})
			wantProblem(t, r, 400, dost.EINVALID, "application")
		})
		t.Run("AddDocument", func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/applications/%d/documents", second.ID)
			r := upload(t, operator, "", path, filePart{field: "code", content: []byte("bank_details")},
				filePart{field: "file", fileName: "bank.png", content: []byte("%!PS-Adobe not a png")})
			wantProblem(t, r, 400, dost.EINVALID, "file")
			r = upload(t, operator, "", path, filePart{field: "code", content: []byte("bank_details")},
				filePart{field: "file", fileName: "bank.pdf", content: pngBytes})
			wantProblem(t, r, 400, dost.EINVALID, "file")
			if len(r.Problem.Errors) > 0 && r.Problem.Errors[0].Code != "file.type_mismatch" {
				t.Errorf("a PNG named .pdf: field code %q, want file.type_mismatch", r.Problem.Errors[0].Code)
			}
			r = upload(t, operator, "", path, filePart{field: "code", content: []byte("bank_details")},
				filePart{field: "file", fileName: "bank.pdf", content: []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")})
			if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), `"content_type":"application/pdf"`) {
				t.Fatalf("upload a PDF: got %d: %s", r.Status, r.Body)
			}
			big := append(slices.Clone(pngBytes), make([]byte, dost.MaxDocumentSize)...)
			r = upload(t, operator, "", path, filePart{field: "code", content: []byte("bank_details")},
				filePart{field: "file", fileName: "big.png", content: big})
			wantProblem(t, r, 400, dost.EINVALID, "file")
			if len(r.Problem.Errors) > 0 && r.Problem.Errors[0].Code != "file.too_large" {
				t.Errorf("field code: got %q, want file.too_large", r.Problem.Errors[0].Code)
			}
			r = as(t, operator, "POST", path, map[string]any{"code": "bank_details"})
			wantProblem(t, r, 400, dost.EINVALID, "presented")
			if got := len(app(t, dost.RoleOperator, second.ID).Documents); got != 3 {
				t.Errorf("documents: got %d, want 3", got)
			}
		})

		t.Run("AllowedActions", func(t *testing.T) {
			if got := app(t, dost.RoleOperator, first.ID).AllowedActions; len(got) != 0 {
				t.Errorf("operator: got %v, want none", got)
			}
			if got := app(t, dost.RoleCaseWorker, first.ID).AllowedActions; !slices.Contains(got, dost.ActionReview) || slices.Contains(got, dost.ActionApprove) {
				t.Errorf("case worker: got %v, want review and not approve", got)
			}
		})
		t.Run("Assign", func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/applications/%d/assign", first.ID)
			r := as(t, caseworker, "POST", path, map[string]any{"assignee_id": f.Users[dost.RoleOperator].ID})
			wantProblem(t, r, 400, dost.EINVALID, "assignee_id")
			r = as(t, caseworker, "POST", path, map[string]any{})
			wantProblem(t, r, 400, dost.EINVALID, "assignee_id")
			r = as(t, caseworker, "POST", path, map[string]any{"assignee_id": f.Users[dost.RoleCaseWorker].ID})
			if r.Status != http.StatusOK {
				t.Fatalf("assign: got %d: %s", r.Status, r.Body)
			}
			r = call(t, ts, dost.RoleCaseWorker, "GET", "/api/v1/applications?assignee=me&queue=true", nil)
			var p page[dost.Application]
			r.decode(t, &p)
			if p.Total != 1 || p.Items[0].ID != first.ID {
				t.Errorf("my queue: got %s, want application %d only", r.Body, first.ID)
			}
		})
		t.Run("Life", func(t *testing.T) {
			r := transition(t, caseworker, first.ID, map[string]any{"action": "review"})
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"in_review"`) {
				t.Fatalf("review: got %d: %s", r.Status, r.Body)
			}
			r = call(t, ts, dost.RoleCaseWorker, "GET", fmt.Sprintf("/api/v1/applications/%d/assessment", first.ID), nil)
			var as dost.Assessment
			r.decode(t, &as)
			if r.Status != http.StatusOK || !as.Eligible || len(as.Amounts) == 0 || len(as.Trace) < 10 {
				t.Fatalf("assessment: got %d: %.300s", r.Status, r.Body)
			}
			r = transition(t, caseworker, first.ID, map[string]any{"action": "approve", "reason": "Birth registered."})
			var res struct {
				Application applicationView `json:"application"`
				Decision    *dost.Decision  `json:"decision"`
			}
			r.decode(t, &res)
			if r.Status != http.StatusOK || res.Decision == nil || res.Decision.Outcome != dost.DecisionApproved || res.Application.Status != dost.ApplicationApproved {
				t.Fatalf("approve: got %d: %s", r.Status, r.Body)
			}
			r = call(t, ts, dost.RoleOperator, "GET", "/api/v1/persons/"+string(baby.FIN)+"/awards", nil)
			var awards page[dost.Award]
			r.decode(t, &awards)
			if awards.Total != 1 || awards.Items[0].Programme != "birth_allowance" || awards.Items[0].Amount <= 0 || awards.Items[0].DecisionID != res.Decision.ID {
				t.Fatalf("awards: got %s, want one birth allowance of decision %d", r.Body, res.Decision.ID)
			}
			for _, path := range []string{"/api/v1/awards?fin=" + string(baby.FIN), "/api/v1/awards?fin=" + string(baby.FIN) + "&programme=birth_allowance&status=active"} {
				r = call(t, ts, dost.RoleAuditor, "GET", path, nil)
				r.decode(t, &awards)
				if awards.Total != 1 {
					t.Errorf("GET %s: got %s, want one award", path, r.Body)
				}
			}
			r = call(t, ts, dost.RoleAuditor, "GET", "/api/v1/awards?fin="+string(baby.FIN)+"&status=ended", nil)
			if r.decode(t, &awards); awards.Total != 0 {
				t.Errorf("ended awards: got %s, want none", r.Body)
			}
			r = call(t, ts, dost.RoleAuditor, "GET", "/api/v1/decisions/"+strconv.FormatInt(res.Decision.ID, 10), nil)
			var d dost.Decision
			r.decode(t, &d)
			if r.Status != http.StatusOK || d.RuleSetVersion == "" || len(d.Trace) < 10 || d.LetterCode == "" {
				t.Errorf("decision: got %d: %.300s", r.Status, r.Body)
			}
			// The notifications log masks recipients and letter codes:
			// the full code opens the letter.
			link := "https://dost.example.az/verify/" + d.LetterCode
			err := sqlstore.NewOutbox(ts.DB).CreateNotifications(ctx, []*dost.Notification{
				{MessageID: "log-sms", PersonID: baby.ID, Channel: dost.NotifySMS, To: "+994501234567",
					Language: "en", Topic: "decision.made", Body: "Check the decision letter: " + link},
				{MessageID: "log-email", PersonID: baby.ID, Channel: dost.NotifyEmail, To: "leyla.aliyeva@example.az",
					Language: "en", Topic: "decision.made", Subject: "Decision", Body: "Check the decision letter: " + link + "."},
			})
			if err != nil {
				t.Fatal(err)
			}
			wantProblem(t, call(t, ts, dost.RoleSupervisor, "GET", "/api/v1/notifications", nil), 403, dost.EFORBIDDEN, "")
			r = call(t, ts, dost.RoleAuditor, "GET", "/api/v1/notifications?fin="+string(baby.FIN)+"&status=pending&status=sent", nil)
			var ns struct {
				Items []*dost.Notification `json:"items"`
			}
			if r.decode(t, &ns); r.Status != http.StatusOK || len(ns.Items) < 2 {
				t.Fatalf("notifications: got %d: %s, want at least 2", r.Status, r.Body)
			}
			body := string(r.Body)
			for _, leak := range []string{d.LetterCode, "+994501234567", "leyla.aliyeva"} {
				if strings.Contains(body, leak) {
					t.Errorf("notifications: got %s, want no %s", body, leak)
				}
			}
			for _, want := range []string{"/verify/" + d.LetterCode[:4] + "-****-****-****", "+994*******67", "l***@example.az"} {
				if !strings.Contains(body, want) {
					t.Errorf("notifications: got %s, want %s", body, want)
				}
			}
		})
		t.Run("ErrIllegalTransition", func(t *testing.T) {
			r := transition(t, caseworker, first.ID, map[string]any{"action": "approve"})
			wantProblem(t, r, 409, dost.ECONFLICT, "")
			r = transition(t, caseworker, first.ID, map[string]any{"action": "withdraw"})
			wantProblem(t, r, 409, dost.ECONFLICT, "")
			r = transition(t, caseworker, first.ID, map[string]any{"action": "fly"})
			wantProblem(t, r, 400, dost.EINVALID, "action")
			r = transition(t, caseworker, first.ID, map[string]any{})
			wantProblem(t, r, 400, dost.EINVALID, "action")
		})
		t.Run("ErrRefusalWithoutReason", func(t *testing.T) {
			if r := transition(t, caseworker, second.ID, map[string]any{"action": "review"}); r.Status != http.StatusOK {
				t.Fatalf("review: got %d: %s", r.Status, r.Body)
			}
			r := transition(t, caseworker, second.ID, map[string]any{"action": "refuse"})
			wantProblem(t, r, 400, dost.EINVALID, "reason_code")
			r = transition(t, caseworker, second.ID, map[string]any{"action": "refuse", "reason_code": "too_tall"})
			wantProblem(t, r, 400, dost.EINVALID, "reason_code")
			if got := app(t, dost.RoleCaseWorker, second.ID).Status; got != dost.ApplicationInReview {
				t.Errorf("status: got %s, want in_review", got)
			}
			r = transition(t, caseworker, second.ID, map[string]any{"action": "refuse", "reason_code": "already_receiving", "reason": "Paid already."})
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"outcome":"refused"`) {
				t.Fatalf("refuse: got %d: %s", r.Status, r.Body)
			}
		})
		t.Run("ErrDecideOwn", func(t *testing.T) {
			own := ts.AddUser(&dost.User{Username: "caseworker-head", Name: "Rashad Aliyev", Roles: []dost.Role{dost.RoleCaseWorker},
				CentreIDs: []int64{f.Centre.ID}, PersonID: &f.Head.ID})
			var a applicationView
			for _, p := range []*dost.Person{f.Head, f.Spouse} {
				r := submit(t, operator, "own-"+string(p.FIN), birthApplication(p.FIN, "birth_certificate", "id_card"))
				if r.Status != http.StatusCreated {
					t.Fatalf("submit: got %d: %s", r.Status, r.Body)
				}
				r.decode(t, &a)
				if r := transition(t, own, a.ID, map[string]any{"action": "review"}); r.Status != http.StatusOK {
					t.Fatalf("review: got %d: %s", r.Status, r.Body)
				}
				r = transition(t, own, a.ID, map[string]any{"action": "refuse", "reason_code": "not_eligible"})
				wantProblem(t, r, 403, dost.EFORBIDDEN, "")
				if got := app(t, dost.RoleCaseWorker, a.ID).Status; got != dost.ApplicationInReview {
					t.Errorf("status: got %s, want in_review", got)
				}
			}
		})
		t.Run("ErrUpholdOwn", func(t *testing.T) {
			// Upholding an appeal decides it: not by the applicant, nor
			// a member of their household.
			own := ts.AddUser(&dost.User{Username: "caseworker-spouse", Name: "Leyla Aliyeva", Roles: []dost.Role{dost.RoleCaseWorker},
				CentreIDs: []int64{f.Centre.ID}, PersonID: &f.Spouse.ID})
			var a applicationView
			r := submit(t, operator, "uphold-own", birthApplication(f.Head.FIN, "birth_certificate", "id_card"))
			if r.Status != http.StatusCreated {
				t.Fatalf("submit: got %d: %s", r.Status, r.Body)
			}
			r.decode(t, &a)
			for _, step := range []map[string]any{{"action": "review"}, {"action": "refuse", "reason_code": "not_eligible"},
				{"action": "appeal", "reason": "The applicant disagrees."}} {
				if r := transition(t, caseworker, a.ID, step); r.Status != http.StatusOK {
					t.Fatalf("%s: got %d: %s", step["action"], r.Status, r.Body)
				}
			}
			uphold := map[string]any{"action": "uphold", "reason": "The refusal was right."}
			wantProblem(t, transition(t, own, a.ID, uphold), 403, dost.EFORBIDDEN, "")
			if got := app(t, dost.RoleCaseWorker, a.ID).Status; got != dost.ApplicationAppealed {
				t.Errorf("status: got %s, want appealed", got)
			}
			r = transition(t, caseworker, a.ID, uphold)
			if r.Status != http.StatusOK {
				t.Fatalf("uphold: got %d: %s", r.Status, r.Body)
			}
			// The upheld appeal is a decision, with its letter.
			var res struct {
				Application applicationView `json:"application"`
				Decision    *dost.Decision  `json:"decision"`
			}
			r.decode(t, &res)
			if d := res.Decision; d == nil || d.Outcome != dost.DecisionUpheld || d.Reason != "The refusal was right." ||
				d.LetterCode == "" || d.AppealOf == 0 || d.ID != res.Application.DecisionID {
				t.Fatalf("uphold: decision %+v, want outcome upheld with a letter code: %s", d, r.Body)
			}
			code := res.Decision.LetterCode
			page := send(t, ts, http.DefaultClient, nil, "GET", "/verify/"+code+"?lang=en", nil)
			if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "Appeal dismissed") {
				t.Errorf("verify the upheld letter: got %d: %s", page.Status, page.Body)
			}
			pdf := send(t, ts, http.DefaultClient, nil, "GET", "/verify/"+code+"/letter.pdf", nil)
			if pdf.Status != http.StatusOK || !bytes.HasPrefix(pdf.Body, []byte("%PDF-")) {
				t.Errorf("the upheld letter's PDF: got %d", pdf.Status)
			}
			// The refusal's letter is still in force: the appeal failed.
			const replacedText = "no longer in force"
			refusal, err := ts.Cases.FindDecisionByID(ctx, res.Decision.AppealOf)
			if err != nil {
				t.Fatal(err)
			}
			page = send(t, ts, http.DefaultClient, nil, "GET", "/verify/"+refusal.LetterCode+"?lang=en", nil)
			if page.Status != http.StatusOK || strings.Contains(string(page.Body), replacedText) {
				t.Errorf("verify the refusal after the upheld appeal: got %d, want it in force: %s", page.Status, page.Body)
			}
		})
		t.Run("Scoping", func(t *testing.T) {
			ganja := ts.AddUser(&dost.User{Username: "operator-ganja", Name: "Ganja Operator", Roles: []dost.Role{dost.RoleOperator},
				CentreIDs: []int64{f.OtherCentre.ID}})
			r := submit(t, ganja, "g-1", birthApplication(f.Child.FIN, "birth_certificate", "id_card"))
			var g applicationView
			if r.decode(t, &g); r.Status != http.StatusCreated || g.CentreID != f.OtherCentre.ID {
				t.Fatalf("submit at ganja: got %d: %s", r.Status, r.Body)
			}
			body := birthApplication(f.Child.FIN, "birth_certificate", "id_card")
			body["centre_id"] = f.Centre.ID
			wantProblem(t, submit(t, ganja, "g-2", body), 403, dost.EFORBIDDEN, "")

			centres := func(t *testing.T, token, query string) map[int64]int {
				t.Helper()
				r := as(t, token, "GET", "/api/v1/applications"+query, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("list: got %d: %s", r.Status, r.Body)
				}
				var p page[dost.Application]
				r.decode(t, &p)
				n := map[int64]int{}
				for _, a := range p.Items {
					n[a.CentreID]++
				}
				return n
			}
			if n := centres(t, ganja, ""); len(n) != 1 || n[f.OtherCentre.ID] != 1 {
				t.Errorf("ganja operator sees %v, want only ganja's one", n)
			}
			if n := centres(t, operator, ""); n[f.OtherCentre.ID] != 0 || n[f.Centre.ID] == 0 {
				t.Errorf("baku operator sees %v, want only baku-3's", n)
			}
			if n := centres(t, ts.Token(dost.RoleAuditor), ""); n[f.OtherCentre.ID] != 1 || n[f.Centre.ID] == 0 {
				t.Errorf("auditor sees %v, want both centres", n)
			}
			if n := centres(t, ts.Token(dost.RoleAdmin), "?centre="+f.OtherCentre.Code); len(n) != 1 || n[f.OtherCentre.ID] != 1 {
				t.Errorf("admin at ganja sees %v, want ganja's one", n)
			}
			wantProblem(t, as(t, operator, "GET", "/api/v1/applications?centre="+f.OtherCentre.Code, nil), 403, dost.EFORBIDDEN, "")
			wantProblem(t, as(t, operator, "GET", "/api/v1/applications?centre=atlantis", nil), 400, dost.EINVALID, "centre")
			wantProblem(t, as(t, operator, "GET", "/api/v1/applications/"+strconv.FormatInt(g.ID, 10), nil), 404, dost.ENOTFOUND, "")
			wantProblem(t, as(t, caseworker, "POST", fmt.Sprintf("/api/v1/applications/%d/transitions", g.ID), map[string]any{"action": "review"}), 404, dost.ENOTFOUND, "")
			if r := as(t, ganja, "GET", "/api/v1/applications/"+strconv.FormatInt(g.ID, 10), nil); r.Status != http.StatusOK {
				t.Errorf("ganja operator: got %d, want 200", r.Status)
			}
		})
		t.Run("ErrListParameters", func(t *testing.T) {
			for _, tc := range []struct{ query, field string }{
				{"status=bogus", "status"}, {"late=maybe", "late"}, {"queue=2", "queue"},
				{"assignee=you", "assignee"}, {"fin=abc", "fin"}, {"limit=0", "limit"},
			} {
				wantProblem(t, as(t, operator, "GET", "/api/v1/applications?"+tc.query, nil), 400, dost.EINVALID, tc.field)
			}
			// A search for an unknown person finds nothing; it is no 404.
			for _, path := range []string{"/api/v1/applications", "/api/v1/awards", "/api/v1/notifications"} {
				r := call(t, ts, dost.RoleAuditor, "GET", path+"?fin=9ZZ9ZZ9&limit=7", nil)
				if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `{"items":[],"total":0,"offset":0,"limit":7}`) {
					t.Errorf("GET %s, unknown person: got %d: %s", path, r.Status, r.Body)
				}
			}
			r := as(t, operator, "GET", "/api/v1/applications?fin=9ZZ9ZZ9", nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"total":0`) {
				t.Errorf("unknown person: got %d: %s", r.Status, r.Body)
			}
			r = as(t, operator, "GET", "/api/v1/applications?status=submitted&status=in_review&late=false&service="+birthService, nil)
			if r.Status != http.StatusOK {
				t.Errorf("filters: got %d: %s", r.Status, r.Body)
			}
			wantProblem(t, call(t, ts, dost.RoleAuditor, "GET", "/api/v1/awards?status=paid", nil), 400, dost.EINVALID, "status")
			wantProblem(t, call(t, ts, dost.RoleAuditor, "GET", "/api/v1/awards?household=x", nil), 400, dost.EINVALID, "household")
			wantProblem(t, call(t, ts, dost.RoleAuditor, "GET", "/api/v1/notifications?status=lost", nil), 400, dost.EINVALID, "status")
			wantProblem(t, call(t, ts, dost.RoleAuditor, "GET", "/api/v1/households/999999/awards", nil), 404, dost.ENOTFOUND, "")
			if r := call(t, ts, dost.RoleAuditor, "GET", fmt.Sprintf("/api/v1/households/%d/awards", f.Household.ID), nil); r.Status != http.StatusOK {
				t.Errorf("household awards: got %d: %s", r.Status, r.Body)
			}
			wantProblem(t, call(t, ts, dost.RoleAuditor, "GET", "/api/v1/decisions/999999", nil), 404, dost.ENOTFOUND, "")
			wantProblem(t, call(t, ts, dost.RoleCaseWorker, "GET", "/api/v1/applications/1/documents/x", nil), 400, dost.EINVALID, "doc")
		})
		t.Run("Deadlines", func(t *testing.T) {
			// counted returns the birth allowance applications role counts.
			counted := func(t *testing.T, role dost.Role) int {
				t.Helper()
				r := call(t, ts, role, "GET", "/api/v1/deadlines", nil)
				var rep struct {
					Services []dost.DeadlineCounts `json:"services"`
				}
				r.decode(t, &rep)
				i := slices.IndexFunc(rep.Services, func(c dost.DeadlineCounts) bool { return c.ServiceCode == birthService })
				if r.Status != http.StatusOK || i < 0 {
					t.Fatalf("deadlines as %s: got %d: %s", role, r.Status, r.Body)
				}
				c := rep.Services[i]
				return c.OnTime + c.Late + c.OpenOnTime + c.OpenLate
			}
			// baku-3: first, second, the two own and the upheld one;
			// ganja: one more.
			if got, want := counted(t, dost.RoleSupervisor), 5; got != want {
				t.Errorf("supervisor of baku-3: got %d applications, want %d", got, want)
			}
			if got, want := counted(t, dost.RoleAuditor), 6; got != want {
				t.Errorf("auditor: got %d applications, want %d", got, want)
			}
			wantProblem(t, call(t, ts, dost.RoleSupervisor, "GET", "/api/v1/deadlines?centre="+f.OtherCentre.Code, nil), 403, dost.EFORBIDDEN, "")
			wantProblem(t, call(t, ts, dost.RoleSupervisor, "GET", "/api/v1/deadlines?from=2026-13-01", nil), 400, dost.EINVALID, "from")
			wantProblem(t, call(t, ts, dost.RoleSupervisor, "GET", "/api/v1/deadlines?from=2026-11-10&to=2026-11-01", nil), 400, dost.EINVALID, "to")
			if r := call(t, ts, dost.RoleAuditor, "GET", "/api/v1/deadlines?from=2026-11-01&to=2026-11-30&centre="+f.OtherCentre.Code, nil); r.Status != http.StatusOK {
				t.Errorf("auditor at ganja: got %d: %s", r.Status, r.Body)
			}
		})
		t.Run("Holidays", func(t *testing.T) {
			admin := ts.Token(dost.RoleAdmin)
			name := map[string]any{"name": map[string]string{"az": "Test günü", "en": "Test day", "ru": "День теста"}}
			if r := as(t, admin, "PUT", "/api/v1/holidays/2026-12-30", name); r.Status != http.StatusOK {
				t.Fatalf("put: got %d: %s", r.Status, r.Body)
			}
			r := call(t, ts, dost.RoleOperator, "GET", "/api/v1/holidays?year=2026", nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"date":"2026-12-30"`) {
				t.Errorf("list: got %d: %s", r.Status, r.Body)
			}
			wantProblem(t, as(t, admin, "PUT", "/api/v1/holidays/2026-12-30", map[string]any{"name": map[string]string{"az": "Test"}}), 400, dost.EINVALID, "name")
			wantProblem(t, as(t, admin, "PUT", "/api/v1/holidays/30.12.2026", name), 400, dost.EINVALID, "date")
			wantProblem(t, call(t, ts, dost.RoleOperator, "GET", "/api/v1/holidays?year=next", nil), 400, dost.EINVALID, "year")
			if r := as(t, admin, "DELETE", "/api/v1/holidays/2026-12-30", nil); r.Status != http.StatusNoContent {
				t.Errorf("delete: got %d: %s", r.Status, r.Body)
			}
			wantProblem(t, as(t, admin, "DELETE", "/api/v1/holidays/2026-12-30", nil), 404, dost.ENOTFOUND, "")
		})
	})
}
