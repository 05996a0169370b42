package http_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

// payrollIBAN is a valid IBAN of bank AIIB, which the test server's banks
// table knows.
const payrollIBAN = "AZ71AIIB00000000000000000077"

// seedPayroll gives the test server one active award to pay, a birth
// grant to a newborn (fin), approved by the case worker, whose payee has
// an account at AIIB. It returns the award.
func seedPayroll(t *testing.T, ts *dosttest.TestServer, fin dost.FIN) *dost.Award {
	t.Helper()
	ctx := context.Background()
	f := ts.Fixtures
	linkStaff(t, ts)
	baby := newBaby(t, ts, fin)
	a, _, err := ts.Casework.SubmitApplication(dost.NewContextWithUser(ctx, f.Users[dost.RoleOperator]), &dost.NewApplication{
		FIN: baby.FIN, ServiceCode: birthService, Channel: dost.ApplicationAtCentre, CentreID: f.Centre.ID, IdempotencyKey: "payroll-" + string(fin),
		Documents: []dost.NewDocument{{Code: "birth_certificate", Presented: true}, {Code: "id_card", Presented: true}}})
	if err != nil {
		t.Fatal(err)
	}
	cw := dost.NewContextWithUser(ctx, f.Users[dost.RoleCaseWorker])
	if _, err := ts.Casework.Act(cw, a.ID, dost.TransitionRequest{Action: dost.ActionReview}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Casework.Decide(cw, a.ID, dost.TransitionRequest{Action: dost.ActionApprove}); err != nil {
		t.Fatal(err)
	}
	awards, _, err := ts.Casework.FindAwards(ctx, dost.AwardFilter{PersonID: baby.ID})
	if err != nil || len(awards) != 1 {
		t.Fatalf("awards %v, %v", awards, err)
	}
	payee, err := ts.Persons.FindPersonByID(ctx, awards[0].PayeeID)
	if err != nil {
		t.Fatal(err)
	}
	iban := payrollIBAN
	if _, err := ts.Persons.UpdatePerson(ctx, payee.FIN, dost.PersonUpdate{IBAN: &iban}); err != nil {
		t.Fatal(err)
	}
	return awards[0]
}

// secondOfficer adds a second payroll officer and returns their token.
func secondOfficer(ts *dosttest.TestServer) string {
	return ts.AddUser(&dost.User{Username: "payroll-2", Name: "Second Payroll Officer", Roles: []dost.Role{dost.RolePayroll}})
}

func TestAPIPayroll(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		award := seedPayroll(t, ts, "4NB5RN6")
		second := http.Header{"Authorization": {"Bearer " + secondOfficer(ts)}}
		var cycle dost.Cycle
		var payment dost.Payment
		run(t, ts, []apiCase{
			{name: "PrepareErrPeriodMissing", role: dost.RolePayroll, method: "POST", path: "/api/v1/payroll/cycles",
				body: map[string]any{"programme": ""}, status: 400, code: dost.EINVALID, field: "period"},
			{name: "PrepareErrPeriodFuture", role: dost.RolePayroll, method: "POST", path: "/api/v1/payroll/cycles",
				body: map[string]any{"period": "2027-06"}, status: 400, code: dost.EINVALID, field: "period"},
			{name: "PrepareErrPeriodMalformed", role: dost.RolePayroll, method: "POST", path: "/api/v1/payroll/cycles",
				body: `{"period":"June"}`, status: 400, code: dost.EINVALID, field: "period"},
			{name: "PrepareErrProgramme", role: dost.RolePayroll, method: "POST", path: "/api/v1/payroll/cycles",
				body: map[string]any{"programme": "flying_lessons", "period": "2026-11"}, status: 400, field: "programme"},
			{name: "PrepareErrUnknownField", role: dost.RolePayroll, method: "POST", path: "/api/v1/payroll/cycles",
				body: map[string]any{"period": "2026-11", "amount": 1}, status: 400, field: "amount"},
			{name: "PrepareErrSupervisor", role: dost.RoleSupervisor, method: "POST", path: "/api/v1/payroll/cycles",
				body: map[string]any{"period": "2026-11"}, status: 403, code: dost.EFORBIDDEN},
			{name: "Prepare", role: dost.RolePayroll, method: "POST", path: "/api/v1/payroll/cycles",
				body: map[string]any{"period": "2026-11"}, status: 200, contains: []string{`"status":"prepared"`, `"count":1`},
				check: func(t *testing.T, r *result) {
					r.decode(t, &cycle)
					if r.Header.Get("Location") != fmt.Sprintf("/api/v1/payroll/cycles/%d", cycle.ID) {
						t.Errorf("Location %q", r.Header.Get("Location"))
					}
					if cycle.Total != award.Amount {
						t.Errorf("total %s, want the award's %s", cycle.Total, award.Amount)
					}
				}},
		})
		cyclePath := fmt.Sprintf("/api/v1/payroll/cycles/%d", cycle.ID)
		run(t, ts, []apiCase{
			{name: "List", role: dost.RoleAuditor, method: "GET", path: "/api/v1/payroll/cycles?period=2026-11&status=prepared", status: 200,
				contains: []string{`"total":1`, fmt.Sprintf(`"id":%d`, cycle.ID)}},
			{name: "ListNone", role: dost.RoleAdmin, method: "GET", path: "/api/v1/payroll/cycles?status=approved", status: 200, contains: []string{`"total":0`}},
			{name: "ListErrStatus", role: dost.RolePayroll, method: "GET", path: "/api/v1/payroll/cycles?status=paid&limit=0", status: 400, field: "limit"},
			{name: "ListErrCitizen", role: dost.RoleCitizen, method: "GET", path: "/api/v1/payroll/cycles", status: 403},
			{name: "ListErrOperator", role: dost.RoleOperator, method: "GET", path: "/api/v1/payroll/cycles", status: 403},
			{name: "ListErrNobody", method: "GET", path: "/api/v1/payroll/cycles", status: 401},
			{name: "Get", role: dost.RoleSupervisor, method: "GET", path: cyclePath, status: 200, contains: []string{`"period":"2026-11"`}},
			{name: "GetErrNotFound", role: dost.RolePayroll, method: "GET", path: "/api/v1/payroll/cycles/999999", status: 404},
			{name: "GetErrID", role: dost.RolePayroll, method: "GET", path: "/api/v1/payroll/cycles/abc", status: 400, field: "id"},
			{name: "Compare", role: dost.RolePayroll, method: "GET", path: cyclePath + "/compare", status: 200, contains: []string{`"added":1`}},
			{name: "Banks", role: dost.RoleAuditor, method: "GET", path: "/api/v1/payroll/banks", status: 200, contains: []string{`"code":"AIIB"`}},
			{name: "ExportErrNotApproved", role: dost.RolePayroll, method: "POST", path: cyclePath + "/export", status: 409, code: dost.ECONFLICT},
			{name: "FilesBeforeExport", role: dost.RoleAuditor, method: "GET", path: cyclePath + "/files", status: 200, contains: []string{`{"files":[]}`}},
			{name: "FilesErrNotFound", role: dost.RolePayroll, method: "GET", path: "/api/v1/payroll/cycles/999999/files", status: 404},
			{name: "FilesErrOperator", role: dost.RoleOperator, method: "GET", path: cyclePath + "/files", status: 403},
			{name: "ApproveErrFourEyes", role: dost.RolePayroll, method: "POST", path: cyclePath + "/approve", body: map[string]any{"run": cycle.Run},
				status: 403, code: dost.EFORBIDDEN},
			{name: "ApproveErrRun", role: dost.RolePayroll, method: "POST", path: cyclePath + "/approve", body: map[string]any{}, status: 400, field: "run"},
			{name: "ApproveErrStaleRun", role: dost.RolePayroll, method: "POST", path: cyclePath + "/approve", body: map[string]any{"run": cycle.Run + 1},
				status: 409, code: dost.ECONFLICT},
			{name: "ApproveErrAuditor", role: dost.RoleAuditor, method: "POST", path: cyclePath + "/approve", status: 403},
			{name: "RejectErrReason", role: dost.RolePayroll, method: "POST", path: cyclePath + "/reject", body: map[string]any{"reason": "  "},
				status: 400, field: "reason"},
			{name: "Payments", role: dost.RolePayroll, method: "GET", path: fmt.Sprintf("/api/v1/payroll/payments?cycle=%d&bank=aiib&status=pending", cycle.ID),
				status: 200, contains: []string{`"total":1`, `"iban":"` + payrollIBAN}, check: func(t *testing.T, r *result) {
					var p page[dost.Payment]
					r.decode(t, &p)
					payment = p.Items[0]
				}},
			{name: "PaymentsErrFilters", role: dost.RolePayroll, method: "GET", path: "/api/v1/payroll/payments?status=lost&cycle=x&bank=toolong",
				status: 400, code: dost.EINVALID},
			{name: "PaymentsUnknownFIN", role: dost.RolePayroll, method: "GET", path: "/api/v1/payroll/payments?fin=9ZZ9ZZ9", status: 200, contains: []string{`"total":0`}},
			{name: "PaymentsByFIN", role: dost.RoleSupervisor, method: "GET", path: "/api/v1/payroll/payments?fin=4NB5RN6", status: 200},
			{name: "PaymentsCitizenSeesOwnOnly", role: dost.RoleCitizen, method: "GET", path: "/api/v1/payroll/payments", status: 200, contains: []string{`"total":0`}},
			{name: "PaymentsErrOperator", role: dost.RoleOperator, method: "GET", path: "/api/v1/payroll/payments", status: 403},
		})
		paymentPath := fmt.Sprintf("/api/v1/payroll/payments/%d", payment.ID)
		run(t, ts, []apiCase{
			{name: "Payment", role: dost.RoleAuditor, method: "GET", path: paymentPath, status: 200, contains: []string{`"events":[`, `"status":"pending"`}},
			{name: "PaymentErrCitizenOther", role: dost.RoleCitizen, method: "GET", path: paymentPath, status: 404, code: dost.ENOTFOUND},
			{name: "CorrectErrNotOnList", role: dost.RolePayroll, method: "POST", path: paymentPath + "/correct", body: map[string]any{"reason": "IBAN fixed."}, status: 409},
			{name: "CorrectErrReason", role: dost.RolePayroll, method: "POST", path: paymentPath + "/correct", body: map[string]any{"same_account": true}, status: 400, field: "reason"},
			{name: "CorrectErrBody", role: dost.RolePayroll, method: "POST", path: paymentPath + "/correct", body: map[string]any{"reason": 5}, status: 400, field: "reason"},
			{name: "CorrectErrCitizen", role: dost.RoleCitizen, method: "POST", path: paymentPath + "/correct", body: map[string]any{"reason": "x"}, status: 403},
		})

		t.Run("ApproveBySecond", func(t *testing.T) {
			r := send(t, ts, http.DefaultClient, second, "POST", cyclePath+"/approve", map[string]any{"run": cycle.Run})
			if r.Status != 200 || !bytes.Contains(r.Body, []byte(`"status":"approved"`)) {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			r = send(t, ts, http.DefaultClient, second, "POST", cyclePath+"/reject", map[string]string{"reason": "Too late."})
			if r.Status != 409 || r.Problem.Code != dost.ECONFLICT {
				t.Errorf("reject an approved cycle: got %d %s", r.Status, r.Body)
			}
		})
		run(t, ts, []apiCase{
			{name: "PrepareErrFrozen", role: dost.RolePayroll, method: "POST", path: "/api/v1/payroll/cycles",
				body: map[string]any{"period": "2026-11"}, status: 409, code: dost.ECONFLICT},
			{name: "ExportErrUnknownBank", role: dost.RolePayroll, method: "POST", path: cyclePath + "/export?bank=ZZZZ", status: 400, field: "bank"},
			{name: "ExportErrBankWithout", role: dost.RolePayroll, method: "POST", path: cyclePath + "/export?bank=UBAZ", status: 404},
			{name: "ExportErrAuditor", role: dost.RoleAuditor, method: "POST", path: cyclePath + "/export", status: 403},
		})

		t.Run("ExportBank", func(t *testing.T) {
			r := call(t, ts, dost.RolePayroll, "POST", cyclePath+"/export?bank=AIIB", nil)
			want := fmt.Sprintf("DOST-%d-AIIB", cycle.ID)
			if r.Status != 200 || r.Header.Get("Content-Type") != "application/xml" || !bytes.Contains(r.Body, []byte("<MsgId>"+want+"</MsgId>")) ||
				!bytes.Contains(r.Body, []byte(payrollIBAN)) || !bytes.Contains(r.Body, []byte("pain.001.001.09")) {
				t.Fatalf("got %d %q: %.800s", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
			if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, want+".xml") {
				t.Errorf("Content-Disposition %q", cd)
			}
			// Exported: the payments are sent, and again gives the same file.
			again := call(t, ts, dost.RolePayroll, "POST", cyclePath+"/export?bank=AIIB", nil)
			if !bytes.Equal(again.Body, r.Body) {
				t.Errorf("a second export differs")
			}
			got := call(t, ts, dost.RoleAuditor, "GET", cyclePath, nil)
			if !bytes.Contains(got.Body, []byte(`"status":"exported"`)) {
				t.Errorf("after export: %s", got.Body)
			}
			p := call(t, ts, dost.RoleAuditor, "GET", paymentPath, nil)
			if !bytes.Contains(p.Body, []byte(`"status":"sent"`)) {
				t.Errorf("payment after export: %s", p.Body)
			}
			// The file is recorded with the digest of the bytes written.
			var files struct{ Files []dost.ExportFile }
			fr := call(t, ts, dost.RoleSupervisor, "GET", cyclePath+"/files", nil)
			fr.decode(t, &files)
			sum := sha256.Sum256(r.Body)
			if len(files.Files) != 1 || files.Files[0].MessageID != want || files.Files[0].Bank.Name == "" ||
				files.Files[0].SHA256 != hex.EncodeToString(sum[:]) || files.Files[0].Count != 1 || files.Files[0].ExportedAt == nil {
				t.Errorf("files after export: %s", fr.Body)
			}
		})
		t.Run("ExportZip", func(t *testing.T) {
			r := call(t, ts, dost.RolePayroll, "POST", cyclePath+"/export", nil)
			if r.Status != 200 || r.Header.Get("Content-Type") != "application/zip" {
				t.Fatalf("got %d %q", r.Status, r.Header.Get("Content-Type"))
			}
			zr, err := zip.NewReader(bytes.NewReader(r.Body), int64(len(r.Body)))
			if err != nil {
				t.Fatal(err)
			}
			if len(zr.File) != 1 || zr.File[0].Name != fmt.Sprintf("DOST-%d-AIIB.xml", cycle.ID) {
				t.Fatalf("zip holds %v", zr.File)
			}
			f, _ := zr.File[0].Open()
			b, _ := io.ReadAll(f)
			if !bytes.Contains(b, []byte(payrollIBAN)) {
				t.Errorf("the zipped file lacks the payment: %.500s", b)
			}
		})

		// ImportStatus: the refusals are the handler's; a report the
		// service reads is its own (payroll tests).
		run(t, ts, []apiCase{
			{name: "ImportErrKindMissing", role: dost.RolePayroll, method: "POST", path: cyclePath + "/imports", body: "<Document/>", status: 400, field: "kind"},
			{name: "ImportErrKind", role: dost.RolePayroll, method: "POST", path: cyclePath + "/imports?kind=mt940", body: "<Document/>", status: 400, field: "kind"},
			{name: "ImportErrAuditor", role: dost.RoleAuditor, method: "POST", path: cyclePath + "/imports?kind=pain.002", body: "<Document/>", status: 403},
			{name: "ImportErrCycle", role: dost.RolePayroll, method: "POST", path: "/api/v1/payroll/cycles/abc/imports?kind=pain.002", body: "<Document/>", status: 400, field: "id"},
			{name: "Imports", role: dost.RoleAuditor, method: "GET", path: cyclePath + "/imports", status: 200},
			{name: "ImportsErrNotFound", role: dost.RoleAuditor, method: "GET", path: "/api/v1/payroll/cycles/999999/imports", status: 404},
		})
		t.Run("ImportMultipartErrNoFile", func(t *testing.T) {
			body, ct := multipartBody(t, filePart{field: "kind", content: []byte("pain.002")})
			r := send(t, ts, http.DefaultClient, http.Header{"Authorization": {"Bearer " + ts.Token(dost.RolePayroll)}, "Content-Type": {ct}},
				"POST", cyclePath+"/imports", body)
			if r.Status != 400 || len(r.Problem.Errors) == 0 || r.Problem.Errors[0].Field != "file" {
				t.Errorf("got %d %s", r.Status, r.Body)
			}
		})
		t.Run("ImportMalformed", func(t *testing.T) {
			body, ct := multipartBody(t, filePart{field: "kind", content: []byte("camt.054")}, filePart{field: "file", fileName: "report.xml", content: []byte("<not-xml")})
			r := send(t, ts, http.DefaultClient, http.Header{"Authorization": {"Bearer " + ts.Token(dost.RolePayroll)}, "Content-Type": {ct}},
				"POST", cyclePath+"/imports", body)
			// Refused whatever the service's state: EINVALID once reading
			// reports is built, EINTERNAL before.
			if r.Status != 400 && r.Status != 500 {
				t.Errorf("got %d %s", r.Status, r.Body)
			}
			p := call(t, ts, dost.RoleAuditor, "GET", paymentPath, nil)
			if !bytes.Contains(p.Body, []byte(`"status":"sent"`)) {
				t.Errorf("payment changed by a refused import: %s", p.Body)
			}
		})
	})
}

// TestAPIPayrollWithoutService checks that a server without a payroll
// answers its routes 404.
func TestAPIPayrollWithoutService(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite", func(s *dosthttp.Server) { s.Payroll = nil })
	r := call(t, ts, dost.RolePayroll, "GET", "/api/v1/payroll/cycles", nil)
	if r.Status != 404 {
		t.Errorf("got %d %s", r.Status, r.Body)
	}
}
