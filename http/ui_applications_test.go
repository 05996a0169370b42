package http_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

// uiPost sends a form as c and returns the answer.
func uiPost(t *testing.T, ts *dosttest.TestServer, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	return uiSend(t, ts, c, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
}

// uiUpload sends a multipart form as c and returns the answer.
func uiUpload(t *testing.T, ts *dosttest.TestServer, c *http.Client, path string, parts ...filePart) (*http.Response, string) {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	return uiSend(t, ts, c, path, ct, strings.NewReader(body), nil)
}

// uiSend POSTs body to path as c with the headers.
func uiSend(t *testing.T, ts *dosttest.TestServer, c *http.Client, path, ct string, body io.Reader, hdr http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// wantPage fails unless the answer has the status and every string of
// want.
func wantPage(t *testing.T, resp *http.Response, body string, status int, want ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("got status %d, want %d\n%s", resp.StatusCode, status, excerpt(body))
	}
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %q\n%s", s, excerpt(body))
		}
	}
}

// keyOf returns the idempotency key a rendered form carries.
func keyOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the form has no idempotency key\n%s", excerpt(body))
	}
	return m[1]
}

// newBaby stores a newborn, born this month: entitled to the birth
// allowance.
func newBaby(t *testing.T, ts *dosttest.TestServer, fin dost.FIN) *dost.Person {
	t.Helper()
	baby := &dost.Person{FIN: fin, FirstName: "Aysel", LastName: "Aliyeva", Patronymic: "Rashad",
		BirthDate: dost.MustDate("2026-11-02"), Sex: dost.SexFemale, Region: "Baku", District: "Nizami", Address: "Street 1"}
	if err := ts.Persons.CreatePerson(context.Background(), baby); err != nil {
		t.Fatal(err)
	}
	return baby
}

func TestUIApplications(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	linkStaff(t, ts)
	ctx := context.Background()
	f := ts.Fixtures
	baby := newBaby(t, ts, "4NB5RN6")
	operator, caseworker := ts.Client(dost.RoleOperator), ts.Client(dost.RoleCaseWorker)
	personPath := "/persons/" + string(baby.FIN)
	openPath := personPath + "/applications?lang=en"
	birth, err := ts.Catalogue.FindServiceByCode(ctx, birthService)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("PersonPage", func(t *testing.T) {
		for _, tc := range []uiCase{
			{name: "Operator", role: dost.RoleOperator, path: personPath + "?lang=en", status: 200,
				want: []string{"Applications and awards", "No applications.", "No awards.", `href="#open-application"`,
					`action="/persons/` + string(baby.FIN) + `/applications"`, `enctype="multipart/form-data"`, `name="idempotency_key"`,
					`<option value="` + birthService + `">`, "5. Labour pensions and social benefits", "DOST centre No3",
					"Choose a service to see the documents it needs.", `formmethod="get"`},
				notWant: []string{`name="presented"`}},
			{name: "ServiceChosen", role: dost.RoleOperator, path: personPath + "?lang=ru&service_code=" + birthService + "&presented=id_card&note=Mama", status: 200,
				want: []string{`<option value="` + birthService + `" selected>`, birth.Documents[0].Name.RU, "обязательно", "при необходимости",
					`name="presented" value="birth_certificate"`, `name="file.birth_certificate"`,
					`value="id_card" id="open-doc-id_card-presented" checked`, ">Mama</textarea>"}},
			{name: "DocumentsFragment", role: dost.RoleOperator, path: personPath + "?lang=en&service_code=" + birthService,
				header: map[string]string{"HX-Request": "true", "HX-Target": "open-documents"}, status: 200,
				want: []string{`name="file.id_card"`, "Original seen"}, notWant: []string{"<html", "<form", "Insurance periods"}},
			{name: "NoFormForAuditors", role: dost.RoleAuditor, path: personPath + "?lang=en", status: 200,
				want: []string{"Applications and awards"}, notWant: []string{`name="idempotency_key"`, `href="#open-application"`}},
			{name: "ServiceOfNoCentre", role: dost.RoleOperator, path: personPath + "?lang=en&service_code=99-99-99-99", status: 200,
				want: []string{"Choose a service to see the documents it needs."}},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, ts) })
		}
	})

	// key is a fresh form's idempotency key.
	key := func(t *testing.T) string {
		t.Helper()
		return keyOf(t, get(t, operator, ts.URL+personPath+"?lang=en"))
	}
	count := func(t *testing.T) int {
		t.Helper()
		_, n, err := ts.Casework.FindApplications(ctx, dost.ApplicationFilter{PersonID: baby.ID})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("OpenErrors", func(t *testing.T) {
		field := func(name, value string) filePart { return filePart{field: name, content: []byte(value)} }
		k := key(t)
		for _, tc := range []struct {
			name   string
			path   string
			parts  []filePart
			status int
			want   []string
		}{
			{"ErrNoService", openPath, []filePart{field("idempotency_key", k)}, 400,
				[]string{`id="open-service-error">This is required.`, `role="alert"`, `aria-invalid="true"`}},
			{"ErrDocumentMissing", openPath, []filePart{field("idempotency_key", k), field("service_code", birthService), field("presented", "birth_certificate")}, 400,
				[]string{`id="open-doc-id_card-error">This document is required`, `value="birth_certificate" id="open-doc-birth_certificate-presented" checked`, `value="` + k + `"`}},
			{"ErrDocumentMissingInRussian", personPath + "/applications?lang=ru", []filePart{field("idempotency_key", k), field("service_code", birthService)}, 400,
				[]string{"Этот документ обязателен", `<html lang="ru">`}},
			{"ErrFileNotAPicture", openPath, []filePart{field("idempotency_key", k), field("service_code", birthService), field("presented", "id_card"),
				{field: "file.birth_certificate", fileName: "certificate.png", content: []byte("plain text, not a picture\n")}}, 400,
				[]string{`id="open-doc-birth_certificate-error">Only PDF, JPEG and PNG files are accepted`}},
			{"ErrNoKey", openPath, []filePart{field("service_code", birthService), field("presented", "id_card"), field("presented", "birth_certificate")}, 400,
				[]string{"The form has expired."}},
			{"ErrServiceUnknown", openPath, []filePart{field("idempotency_key", k), field("service_code", "99-99-99-99")}, 400,
				[]string{"This centre does not offer this service in person."}},
			{"ErrNoteTooLong", openPath, []filePart{field("idempotency_key", k), field("service_code", birthService), field("presented", "id_card"),
				field("presented", "birth_certificate"), field("note", strings.Repeat("x", 4001))}, 400,
				[]string{`id="open-note-error">The note is too long`}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := uiUpload(t, ts, operator, tc.path, tc.parts...)
				wantPage(t, resp, body, tc.status, tc.want...)
			})
		}
		if n := count(t); n != 0 {
			t.Errorf("bad forms stored %d applications", n)
		}
		t.Run("ErrNotForAdmins", func(t *testing.T) {
			resp, _ := uiUpload(t, ts, ts.Client(dost.RoleAdmin), openPath, field("idempotency_key", k), field("service_code", birthService))
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("got %d, want 403", resp.StatusCode)
			}
		})
	})

	var id int64
	appPath := func(suffix string) string { return "/applications/" + strconv.FormatInt(id, 10) + suffix }
	t.Run("Open", func(t *testing.T) {
		k := key(t)
		parts := []filePart{
			{field: "idempotency_key", content: []byte(k)},
			{field: "centre_id", content: []byte(strconv.FormatInt(f.Centre.ID, 10))},
			{field: "service_code", content: []byte(birthService)},
			{field: "presented", content: []byte("id_card")},
			{field: "note", content: []byte("Born in the Nizami maternity hospital.")},
			{field: "file.birth_certificate", fileName: "certificate.png", content: pngBytes},
		}
		resp, body := uiUpload(t, ts, operator, openPath, parts...)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/applications/") {
			t.Fatalf("got %d to %q, want 303 to the application\n%s", resp.StatusCode, resp.Header.Get("Location"), excerpt(body))
		}
		loc := resp.Header.Get("Location")
		if id, err = strconv.ParseInt(strings.TrimPrefix(loc, "/applications/"), 10, 64); err != nil {
			t.Fatal(err)
		}
		// A double click, or the form sent again: the same application.
		resp, _ = uiUpload(t, ts, operator, openPath, parts...)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != loc {
			t.Errorf("again: got %d to %q, want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), loc)
		}
		if n := count(t); n != 1 {
			t.Errorf("applications: got %d, want 1", n)
		}
	})
	if id == 0 {
		t.Fatal("no application opened")
	}
	a, err := ts.Casework.FindApplicationByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var fileID int64
	for _, d := range a.Documents {
		if !d.Presented {
			fileID = d.ID
		}
	}
	filePath := fmt.Sprintf("/api/v1/applications/%d/documents/%d", id, fileID)

	t.Run("ApplicationPage", func(t *testing.T) {
		for _, tc := range []uiCase{
			{name: "Operator", role: dost.RoleOperator, path: appPath("?lang=en"), status: 200,
				want: []string{"Application " + a.Number, "submitted", baby.FullName(), birth.Name.EN, "DOST centre No3",
					"at a centre&#39;s window", "2026-11", "Born in the Nizami maternity hospital.", "original seen at the window",
					`href="` + filePath + `"`, "certificate.png", "History", "Submitted", "Demo Operator", `action="` + appPath("/documents") + `"`,
					"Nobody"},
				notWant: []string{`name="action"`, "Open the decision screen", `name="assignee"`}},
			{name: "AdminSeesNoFileLink", role: dost.RoleAdmin, path: appPath("?lang=en"), status: 200,
				want: []string{"certificate.png"}, notWant: []string{`href="` + filePath + `"`, `action="` + appPath("/documents") + `"`}},
			{name: "CaseWorker", role: dost.RoleCaseWorker, path: appPath("?lang=az"), status: 200,
				want: []string{`name="action" value="review"`, `name="action" value="withdraw"`, "Baxılmağa götür", "Özümə təyin et",
					`<option value="` + strconv.FormatInt(f.Users[dost.RoleCaseWorker].ID, 10) + `">Demo Case Worker`},
				notWant: []string{`value="approve"`, "Qərar ekranını açın"}},
			{name: "ErrNotFound", role: dost.RoleCaseWorker, path: "/applications/999999?lang=en", status: 404, want: []string{"Page not found"}},
			{name: "ErrBadID", role: dost.RoleCaseWorker, path: "/applications/abc?lang=en", status: 400},
			{name: "ErrCitizen", role: dost.RoleCitizen, path: appPath(""), status: 403},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, ts) })
		}
	})

	t.Run("Actions", func(t *testing.T) {
		resp, body := uiPost(t, ts, caseworker, appPath("/actions?lang=en"), url.Values{"action": {"request_information"}})
		wantPage(t, resp, body, 409, "The application was changed meanwhile")

		resp, _ = uiPost(t, ts, caseworker, appPath("/assign"), url.Values{"assignee": {"me"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != appPath("") {
			t.Fatalf("assign: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = uiPost(t, ts, caseworker, appPath("/assign?lang=en"), url.Values{"assignee": {strconv.FormatInt(f.Users[dost.RoleOperator].ID, 10)}})
		wantPage(t, resp, body, 400, `id="assign-error">This person is not an active case worker.`)

		resp, _ = uiPost(t, ts, caseworker, appPath("/actions"), url.Values{"action": {"review"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("review: got %d", resp.StatusCode)
		}
		resp, body = uiPost(t, ts, caseworker, appPath("/actions?lang=en"), url.Values{"action": {"request_information"}, "reason": {"  "}})
		wantPage(t, resp, body, 400, `id="action-request_information-error">This is required.`, "Some fields need attention")
		resp, body = uiPost(t, ts, caseworker, appPath("/actions?lang=en"), url.Values{"action": {"approve"}})
		wantPage(t, resp, body, 400, "Some fields need attention")
		resp, _ = uiPost(t, ts, ts.Client(dost.RoleOperator), appPath("/actions"), url.Values{"action": {"withdraw"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("operator: got %d, want 403", resp.StatusCode)
		}

		uiCase{role: dost.RoleCaseWorker, path: appPath("?lang=en"), status: 200,
			want: []string{"in review", "Open the decision screen", "Take up for review", "submitted → in review", "Demo Case Worker",
				`name="action" value="request_information"`},
			notWant: []string{"Assign to me"}}.run(t, ts)
	})

	t.Run("AddDocument", func(t *testing.T) {
		resp, body := uiUpload(t, ts, operator, appPath("/documents?lang=en"), filePart{field: "code", content: []byte("bank_details")})
		wantPage(t, resp, body, 400, `id="add-doc-file-error">Attach a file or tick that the original was seen.`)
		resp, body = uiUpload(t, ts, operator, appPath("/documents?lang=en"), filePart{field: "code", content: []byte("bank_details")},
			filePart{field: "file", fileName: "bank.txt", content: []byte("not a pdf")})
		wantPage(t, resp, body, 400, `id="add-doc-file-error">Only PDF`)
		resp, _ = uiUpload(t, ts, operator, appPath("/documents"), filePart{field: "code", content: []byte("bank_details")},
			filePart{field: "presented", content: []byte("1")})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add: got %d", resp.StatusCode)
		}
	})

	t.Run("Queue", func(t *testing.T) {
		for _, tc := range []uiCase{
			{name: "CaseWorker", role: dost.RoleCaseWorker, path: "/applications?lang=en", status: 200,
				want: []string{"Work queue", a.Number, string(baby.FIN), "Showing 1–1 of 1", `aria-current="page">Work queue`}},
			{name: "Mine", role: dost.RoleCaseWorker, path: "/applications?lang=en&mine=1&service=" + birthService, status: 200,
				want: []string{a.Number, `value="` + birthService + `" selected`}},
			{name: "OtherService", role: dost.RoleCaseWorker, path: "/applications?lang=en&service=05-01-01-00", status: 200,
				want: []string{"No application awaits a decision."}, notWant: []string{a.Number}},
			{name: "SupervisorMine", role: dost.RoleSupervisor, path: "/applications?lang=en&mine=1", status: 200,
				want: []string{"No application awaits a decision."}},
			{name: "ErrOperator", role: dost.RoleOperator, path: "/applications", status: 403},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, ts) })
		}
	})

	t.Run("Nav", func(t *testing.T) {
		uiCase{role: dost.RoleCaseWorker, path: "/staff?lang=en", status: 200,
			want: []string{`href="/applications"`, `href="/verify"`}, notWant: []string{`href="/deadlines"`}}.run(t, ts)
		uiCase{role: dost.RoleSupervisor, path: "/staff?lang=en", status: 200,
			want: []string{`href="/applications"`, `href="/deadlines"`}}.run(t, ts)
		uiCase{role: dost.RoleOperator, path: "/staff?lang=en", status: 200,
			notWant: []string{`href="/applications"`, `href="/deadlines"`}}.run(t, ts)
		uiCase{path: "/?lang=en", status: 200, want: []string{`href="/verify"`}}.run(t, ts)
	})

	t.Run("DecisionScreen", func(t *testing.T) {
		uiCase{role: dost.RoleCaseWorker, path: appPath("/decide?lang=en"), status: 200,
			want: []string{"Decision on application " + a.Number, "What the rules say", "The rules find a right.", "Birth allowance",
				`<details open id="trace-`, `name="reason_code"`, `value="not_eligible"`, birth.RefusalReasons[0].Text.EN,
				`value="approve"`, `value="refuse"`},
			notWant: []string{"Decision letter (PDF)"}}.run(t, ts)
		uiCase{role: dost.RoleOperator, path: appPath("/decide"), status: 403}.run(t, ts)

		resp, body := uiPost(t, ts, caseworker, appPath("/decide?lang=en"), url.Values{"action": {"refuse"}, "reason": {"No."}})
		wantPage(t, resp, body, 400, `id="refuse-code-error">This is required.`, ">No.</textarea>")
		resp, body = uiPost(t, ts, caseworker, appPath("/decide?lang=ru"), url.Values{"action": {"refuse"}, "reason_code": {"too_tall"}})
		wantPage(t, resp, body, 400, `id="refuse-code-error">Выберите причину из списка.`)
		resp, body = uiPost(t, ts, caseworker, appPath("/decide?lang=en"), url.Values{"action": {"fly"}})
		wantPage(t, resp, body, 400, "Some fields need attention")

		// Nobody decides a member of their household's application.
		own := ts.AddUser(&dost.User{Username: "caseworker-head", Name: "Rashad Aliyev", Roles: []dost.Role{dost.RoleCaseWorker},
			CentreIDs: []int64{f.Centre.ID}, PersonID: &f.Head.ID})
		spouseApp, _, err := ts.Casework.SubmitApplication(dost.NewContextWithUser(ctx, f.Users[dost.RoleOperator]), &dost.NewApplication{
			FIN: f.Spouse.FIN, ServiceCode: birthService, Channel: dost.ApplicationAtCentre, IdempotencyKey: "spouse",
			Documents: []dost.NewDocument{{Code: "birth_certificate", Presented: true}, {Code: "id_card", Presented: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Casework.Act(dost.NewContextWithUser(ctx, f.Users[dost.RoleCaseWorker]), spouseApp.ID, dost.TransitionRequest{Action: dost.ActionReview}); err != nil {
			t.Fatal(err)
		}
		resp, body = uiSend(t, ts, http.DefaultClient, fmt.Sprintf("/applications/%d/decide?lang=en", spouseApp.ID), "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"action": {"refuse"}, "reason_code": {"not_eligible"}}.Encode()), bearer(own))
		wantPage(t, resp, body, 403, "You may not do this here")

		resp, _ = uiPost(t, ts, caseworker, appPath("/decide"), url.Values{"action": {"approve"}, "reason": {"Birth registered."}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != appPath("/decide") {
			t.Fatalf("approve: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if a, err = ts.Casework.FindApplicationByID(ctx, id); err != nil || a.Status != dost.ApplicationApproved {
			t.Fatalf("after approval: %+v, %v", a, err)
		}
		d, err := ts.Casework.FindDecisionByID(ctx, a.DecisionID)
		if err != nil {
			t.Fatal(err)
		}
		uiCase{role: dost.RoleCaseWorker, path: appPath("/decide?lang=en"), status: 200,
			want: []string{"Approved", "Demo Case Worker", d.LetterCode, `href="` + appPath("/letter.pdf") + `"`, `href="/verify/` + d.LetterCode + `"`,
				"Birth registered.", "The explanation the decision was computed with"},
			notWant: []string{`value="refuse"`}}.run(t, ts)
		uiCase{role: dost.RoleOperator, path: personPath + "?lang=en", status: 200,
			want: []string{a.Number, "approved", "once", "active"}}.run(t, ts)
	})

	t.Run("Letter", func(t *testing.T) {
		for _, role := range []dost.Role{dost.RoleOperator, dost.RoleAdmin} {
			resp, err := ts.Client(role).Get(ts.URL + appPath("/letter.pdf"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Errorf("%s: got %d %q, %d bytes", role, resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, a.Number) {
				t.Errorf("Content-Disposition %q", cd)
			}
		}
		b := newBaby(t, ts, "5NB6RN7")
		other, _, err := ts.Casework.SubmitApplication(dost.NewContextWithUser(ctx, f.Users[dost.RoleOperator]), &dost.NewApplication{
			FIN: b.FIN, ServiceCode: birthService, Channel: dost.ApplicationAtCentre, IdempotencyKey: "no-decision",
			Documents: []dost.NewDocument{{Code: "birth_certificate", Presented: true}, {Code: "id_card", Presented: true}}})
		if err != nil {
			t.Fatal(err)
		}
		uiCase{role: dost.RoleOperator, path: fmt.Sprintf("/applications/%d/letter.pdf?lang=en", other.ID), status: 404}.run(t, ts)
		uiCase{role: dost.RoleCaseWorker, path: fmt.Sprintf("/applications/%d/decide?lang=en", other.ID), status: 200,
			want: []string{"Take the application up for review first"}, notWant: []string{`value="approve"`}}.run(t, ts)
	})

	d, err := ts.Casework.FindDecisionByID(ctx, a.DecisionID)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Verify", func(t *testing.T) {
		awards, _, err := ts.Casework.FindAwards(ctx, dost.AwardFilter{PersonID: baby.ID})
		if err != nil || len(awards) != 1 {
			t.Fatalf("awards %v, %v", awards, err)
		}
		typed := strings.ToLower(strings.ReplaceAll(d.LetterCode, "-", " "))
		for _, tc := range []uiCase{
			{name: "Form", path: "/verify?lang=en", status: 200, want: []string{"Verify a decision letter", `name="code"`}},
			{name: "ErrMalformed", path: "/verify?lang=en&code=12345", status: 400,
				want: []string{`id="verify-code-error">This is not a verification code`, `value="12345"`}},
			{name: "Typed", path: "/verify?code=" + url.QueryEscape(typed), status: 303},
			{name: "Genuine", path: "/verify/" + d.LetterCode + "?lang=en", status: 200,
				want: []string{"The letter is genuine", "A. A. R.", baby.FIN.Masked(), birth.Name.EN, "Approved", "DOST centre No3",
					"AZN " + awards[0].Amount.String(), "once (2026-11)", `href="/verify/` + d.LetterCode + `/letter.pdf"`, "2026-11-16"},
				notWant: []string{string(baby.FIN), "Aliyeva", "Aysel", "Birth registered."}},
			{name: "GenuineInAzerbaijani", path: "/verify/" + d.LetterCode + "?lang=az", status: 200,
				want: []string{"Məktub həqiqidir", birth.Name.AZ, "Təmin edilib"}},
			{name: "SignedInCitizen", role: dost.RoleCitizen, path: "/verify/" + d.LetterCode + "?lang=en", status: 200,
				want: []string{"The letter is genuine"}},
			{name: "ErrUnknown", path: "/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ?lang=en", status: 404,
				want: []string{"No decision letter has this code.", `role="alert"`}},
			{name: "ErrMalformedPath", path: "/verify/not-a-code?lang=en", status: 404, want: []string{"No decision letter has this code."}},
			{name: "ErrUnknownPDF", path: "/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ/letter.pdf?lang=en", status: 404, want: []string{"Page not found"}},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, ts) })
		}
		c := newBrowserlikeClient(t)
		resp, err := c.Get(ts.URL + "/verify?code=" + url.QueryEscape(typed))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); got != "/verify/"+d.LetterCode {
			t.Errorf("form: Location %q, want /verify/%s", got, d.LetterCode)
		}
		resp, err = c.Get(ts.URL + "/verify/" + strings.ToLower(d.LetterCode))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/verify/"+d.LetterCode {
			t.Errorf("lower case: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, err = c.Get(ts.URL + "/verify/" + d.LetterCode + "/letter.pdf")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.HasPrefix(b, []byte("%PDF-")) || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("public PDF: got %d, %d bytes, Cache-Control %q", resp.StatusCode, len(b), resp.Header.Get("Cache-Control"))
		}
	})

	t.Run("Deadlines", func(t *testing.T) {
		// The deadline job marks the spouse's application late.
		clock := dosttest.ClockOf(t, ts.DB)
		clock.Advance(30 * 24 * time.Hour)
		n, err := ts.Casework.MarkLate(ctx)
		clock.Advance(-30 * 24 * time.Hour)
		if err != nil || n == 0 {
			t.Fatalf("MarkLate: %d, %v", n, err)
		}
		for _, tc := range []uiCase{
			{name: "Supervisor", role: dost.RoleSupervisor, path: "/deadlines?lang=en", status: 200,
				want: []string{"Deadlines", birth.Name.EN, "Applications submitted from 2026-10-18 to 2026-11-16", "Late applications still awaiting a decision",
					"Showing 2 of 2, oldest deadline first.", "Total"},
				notWant: []string{`name="centre"`}},
			{name: "Range", role: dost.RoleSupervisor, path: "/deadlines?lang=en&from=2026-01-01&to=2026-01-31", status: 200,
				want: []string{"No applications were submitted in this period."}},
			{name: "AuditorChoosesCentre", role: dost.RoleAuditor, path: "/deadlines?lang=en&centre=" + f.OtherCentre.Code, status: 200,
				want: []string{`name="centre"`, `value="` + f.OtherCentre.Code + `" selected`, "No open application is late."}},
			{name: "ErrDate", role: dost.RoleSupervisor, path: "/deadlines?lang=ru&from=2026-13-01", status: 400,
				want: []string{`id="deadlines-from-error">Введите дату в формате ГГГГ-ММ-ДД.`}},
			{name: "ErrRange", role: dost.RoleSupervisor, path: "/deadlines?lang=en&from=2026-11-10&to=2026-11-01", status: 400,
				want: []string{"The end is before the start."}},
			{name: "ErrUnknownCentre", role: dost.RoleAuditor, path: "/deadlines?lang=en&centre=atlantis", status: 400,
				want: []string{"There is no centre with this code."}},
			{name: "ErrOtherCentre", role: dost.RoleSupervisor, path: "/deadlines?lang=en&centre=" + f.OtherCentre.Code, status: 403},
			{name: "ErrCaseWorker", role: dost.RoleCaseWorker, path: "/deadlines", status: 403},
			{name: "QueueMarksLate", role: dost.RoleCaseWorker, path: "/applications?lang=en&late=1", status: 200,
				want: []string{`<tr class="late">`, "late"}},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, ts) })
		}
		t.Run("TodayInBaku", func(t *testing.T) {
			// 20:30 UTC on the 15th is half past midnight on the 16th
			// in Baku, whatever the zone of the clock or the server.
			clock.Set(time.Date(2026, time.November, 15, 20, 30, 0, 0, time.UTC))
			defer clock.Set(dosttest.DefaultNow)
			uiCase{role: dost.RoleSupervisor, path: "/deadlines?lang=en", status: 200,
				want: []string{"Applications submitted from 2026-10-18 to 2026-11-16"}}.run(t, ts)
		})
	})

	t.Run("Appeal", func(t *testing.T) {
		// The applicant appeals; overturning the approval refuses and the
		// first letter is no longer in force.
		resp, _ := uiPost(t, ts, caseworker, appPath("/actions"), url.Values{"action": {"appeal"}, "reason": {"The amount is wrong."}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("appeal: got %d", resp.StatusCode)
		}
		uiCase{role: dost.RoleCaseWorker, path: appPath("/decide?lang=en"), status: 200,
			want: []string{"Uphold the decision", "Overturn the decision", "Overturning the approval refuses", `id="overturn-code"`}}.run(t, ts)
		resp, body := uiPost(t, ts, caseworker, appPath("/decide?lang=en"), url.Values{"action": {"uphold"}})
		wantPage(t, resp, body, 400, `id="uphold-reason-error">This is required.`)
		resp, _ = uiPost(t, ts, caseworker, appPath("/decide"), url.Values{"action": {"overturn"}, "reason_code": {"already_receiving"}, "reason": {"Paid by another agency."}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("overturn: got %d", resp.StatusCode)
		}
		uiCase{path: "/verify/" + d.LetterCode + "?lang=en", status: 200,
			want: []string{"The letter is genuine", "no longer in force"}}.run(t, ts)
		uiCase{role: dost.RoleCaseWorker, path: appPath("/decide?lang=en"), status: 200,
			want: []string{"Refused", "Paid by another agency.", `href="` + appPath("/letter.pdf") + `"`}}.run(t, ts)
		uiCase{role: dost.RoleOperator, path: personPath + "?lang=en", status: 200, want: []string{"ended"}}.run(t, ts)
	})
}

// TestUIVerifyRateLimited: the public verification page shares the public
// rate limit, so codes cannot be tried in bulk.
func TestUIVerifyRateLimited(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite", func(s *dosthttp.Server) { s.PublicLimit = dosthttp.RateLimit{Rate: 0.001, Burst: 3} })
	c := newBrowserlikeClient(t)
	var last int
	for range 5 {
		resp, err := c.Get(ts.URL + "/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ?lang=en")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		last = resp.StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("the fifth try: got %d, want 429", last)
	}
}

// TestUILetterWithoutAmounts: an approval of a service that pays nothing
// (a certificate) has a printed letter too, linked from the decision
// panel and the verification page.
func TestUILetterWithoutAmounts(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	linkStaff(t, ts)
	ctx := context.Background()
	f := ts.Fixtures
	all, _, err := ts.Catalogue.FindServices(ctx, dost.ServiceFilter{ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var svc *dost.Service
	for _, s := range all {
		if s.Category == dost.CategoryCertificates && s.Offers(dost.ChannelInPerson) && slices.Contains(f.Centre.Services, s.Code) {
			svc = s
			break
		}
	}
	if svc == nil {
		t.Fatalf("no certificate service is offered in person at %s", f.Centre.Code)
	}
	n := &dost.NewApplication{FIN: f.Child.FIN, ServiceCode: svc.Code, Channel: dost.ApplicationAtCentre, CentreID: f.Centre.ID,
		IdempotencyKey: "certificate"}
	for _, d := range svc.Documents {
		if d.Required {
			n.Documents = append(n.Documents, dost.NewDocument{Code: d.Code, Presented: true})
		}
	}
	a, _, err := ts.Casework.SubmitApplication(dost.NewContextWithUser(ctx, f.Users[dost.RoleOperator]), n)
	if err != nil {
		t.Fatal(err)
	}
	cw := dost.NewContextWithUser(ctx, f.Users[dost.RoleCaseWorker])
	if _, err := ts.Casework.Act(cw, a.ID, dost.TransitionRequest{Action: dost.ActionReview}); err != nil {
		t.Fatal(err)
	}
	d, err := ts.Casework.Decide(cw, a.ID, dost.TransitionRequest{Action: dost.ActionApprove})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Amounts) != 0 {
		t.Fatalf("the approval of %s has amounts %+v; the test proves nothing", svc.Code, d.Amounts)
	}
	appPath := fmt.Sprintf("/applications/%d", a.ID)
	uiCase{role: dost.RoleCaseWorker, path: appPath + "/decide?lang=en", status: 200,
		want: []string{"Approved", `id="decision-letter"`, `href="` + appPath + `/letter.pdf"`}}.run(t, ts)
	uiCase{path: "/verify/" + d.LetterCode + "?lang=en", status: 200,
		want: []string{"The letter is genuine", `id="verify-pdf"`, `href="/verify/` + d.LetterCode + `/letter.pdf"`}}.run(t, ts)
	for _, get := range []struct {
		c    *http.Client
		path string
	}{
		{ts.Client(dost.RoleOperator), appPath + "/letter.pdf"},
		{newBrowserlikeClient(t), "/verify/" + d.LetterCode + "/letter.pdf"},
	} {
		resp, err := get.c.Get(ts.URL + get.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("%s: got %d %q, %d bytes; want a PDF", get.path, resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
		}
	}
}
