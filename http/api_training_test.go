package http_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// trainingCourse creates a course for the fixture service's category
// through the API and returns it.
func trainingCourse(t *testing.T, ts *dosttest.TestServer, code string, cat dost.Category, months int) *dost.Course {
	t.Helper()
	r := call(t, ts, dost.RoleAdmin, "POST", "/api/v1/courses", map[string]any{"code": code, "category": cat,
		"title": dost.Text{AZ: "Kurs " + code, EN: "Course " + code, RU: "Курс " + code}, "hours": 16, "validity_months": months})
	if r.Status != http.StatusCreated {
		t.Fatalf("create course: got %d: %s", r.Status, r.Body)
	}
	var c dost.Course
	r.decode(t, &c)
	return &c
}

// TestTrainingAPI walks the training API: courses, completions that are
// refused with nothing written, a passed completion that lets the
// operator call the service's tickets, the matrix and the shortage view.
func TestTrainingAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		op := ts.Fixtures.Users[dost.RoleOperator]
		cat := f.svc.Category
		course := trainingCourse(t, ts, "FO-T1", cat, 12)
		if course.ID == 0 || !course.Active || course.ValidityMonths != 12 {
			t.Fatalf("course %+v", course)
		}
		coursePath := "/api/v1/courses/" + strconv.FormatInt(course.ID, 10)
		today := dost.Today(f.clock)
		f.issue(t, dost.PriorityNone)

		// nothingWritten checks that no completion and no certification
		// is stored.
		nothingWritten := func(t *testing.T, _ *result) {
			t.Helper()
			if _, n, _ := ts.TrainingStore.FindCompletions(context.Background(), dost.CompletionFilter{}); n != 0 {
				t.Errorf("%d completions stored, want none", n)
			}
			if _, n, _ := ts.HallStore.FindCertifications(context.Background(), dost.CertificationFilter{}); n != 0 {
				t.Errorf("%d certifications stored, want none", n)
			}
		}
		completion := func(opID, courseID int64, day dost.Date, passed bool) map[string]any {
			return map[string]any{"operator_id": opID, "course_id": courseID, "completed_on": day.String(), "passed": passed}
		}
		run(t, ts, []apiCase{
			{name: "CourseDuplicate", role: dost.RoleAdmin, method: "POST", path: "/api/v1/courses", status: 409,
				body:  map[string]any{"code": "FO-T1", "category": cat, "title": dost.Text{AZ: "a", EN: "b", RU: "c"}, "hours": 1, "validity_months": 1},
				check: hasFieldCode("code", "course.code_taken")},
			{name: "CourseInvalid", role: dost.RoleAdmin, method: "POST", path: "/api/v1/courses", status: 400,
				body:  map[string]any{"code": "fo t1", "category": "astrology", "title": dost.Text{AZ: "a"}, "hours": 0, "validity_months": 121},
				check: hasFieldCode("category", "category.invalid"), contains: []string{`"course.code"`, `"course.title"`, `"course.hours"`, `"course.validity"`}},
			{name: "CourseBySupervisor", role: dost.RoleSupervisor, method: "POST", path: "/api/v1/courses", status: 403,
				body: map[string]any{"code": "FO-T2", "category": cat, "title": dost.Text{AZ: "a", EN: "b", RU: "c"}, "hours": 1, "validity_months": 1}},
			{name: "CourseList", role: dost.RoleOperator, method: "GET", path: "/api/v1/courses?active=true&category=" + string(cat), status: 200,
				contains: []string{`"FO-T1"`, `"total":1`}},
			{name: "CourseListBadCategory", role: dost.RoleAdmin, method: "GET", path: "/api/v1/courses?category=nope", status: 400, field: "category"},
			{name: "CourseGetUnknown", role: dost.RoleAdmin, method: "GET", path: "/api/v1/courses/999", status: 404},
			{name: "CourseUpdate", role: dost.RoleAdmin, method: "PATCH", path: coursePath, status: 200,
				body: map[string]any{"hours": 24}, contains: []string{`"hours":24`, `"validity_months":12`}},
			{name: "CourseUpdateInvalid", role: dost.RoleAdmin, method: "PATCH", path: coursePath, status: 400,
				body: map[string]any{"validity_months": 0}, check: hasFieldCode("validity_months", "course.validity")},

			{name: "CompletionNotOperator", role: dost.RoleAdmin, method: "POST", path: "/api/v1/completions", status: 400,
				body: completion(ts.Fixtures.Users[dost.RoleCaseWorker].ID, course.ID, today, true), field: "operator_id",
				check: func(t *testing.T, r *result) {
					hasFieldCode("operator_id", "operator.unknown")(t, r)
					nothingWritten(t, r)
				}},
			{name: "CompletionUnknownCourse", role: dost.RoleAdmin, method: "POST", path: "/api/v1/completions", status: 400,
				body: completion(op.ID, 999, today, true), check: hasFieldCode("course_id", "course.unknown")},
			{name: "CompletionFuture", role: dost.RoleAdmin, method: "POST", path: "/api/v1/completions", status: 400,
				body: completion(op.ID, course.ID, today.AddDate(0, 0, 1), true),
				check: func(t *testing.T, r *result) {
					hasFieldCode("completed_on", "completion.future")(t, r)
					nothingWritten(t, r)
				}},
			{name: "CompletionBadScore", role: dost.RoleAdmin, method: "POST", path: "/api/v1/completions", status: 400,
				body:  map[string]any{"operator_id": op.ID, "course_id": course.ID, "completed_on": today.String(), "passed": true, "score": 150},
				check: func(t *testing.T, r *result) { hasFieldCode("score", "completion.score")(t, r); nothingWritten(t, r) }},
			{name: "CompletionBadDate", role: dost.RoleAdmin, method: "POST", path: "/api/v1/completions", status: 400,
				body: `{"operator_id": 1, "course_id": 1, "completed_on": "yesterday", "passed": true}`},
			{name: "CompletionBySupervisor", role: dost.RoleSupervisor, method: "POST", path: "/api/v1/completions", status: 403,
				body: completion(op.ID, course.ID, today, true)},
		})
		if r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "sign-in"), nil); r.Status != 200 && r.Status != 201 {
			t.Fatalf("sign in: got %d: %s", r.Status, r.Body)
		}
		run(t, ts, []apiCase{
			{name: "CallStillNotCertified", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "call-next"), status: 403,
				check: hasFieldCode("operator_id", "certification.missing")},
			{name: "CompletionFailed", role: dost.RoleAdmin, method: "POST", path: "/api/v1/completions", status: 201,
				body: completion(op.ID, course.ID, today.AddDate(0, 0, -1), false), excludes: []string{`"certification"`}},
			{name: "CompletionPassed", role: dost.RoleAdmin, method: "POST", path: "/api/v1/completions", status: 201,
				body: completion(op.ID, course.ID, today, true),
				check: func(t *testing.T, r *result) {
					var v struct {
						Completion    dost.Completion
						Certification *dost.Certification
					}
					r.decode(t, &v)
					c := v.Certification
					if c == nil || c.OperatorID != op.ID || c.Category != cat || c.ValidFrom != today || c.ValidUntil != today.AddDate(1, 0, 0) ||
						c.Course != "FO-T1" || c.IssuedBy != ts.Fixtures.Users[dost.RoleAdmin].ID || v.Completion.CertificationID != c.ID {
						t.Fatalf("got %s", r.Body)
					}
				}},
			{name: "CallNextCertified", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "call-next"), status: 200},
			{name: "CompletionList", role: dost.RoleSupervisor, method: "GET", path: "/api/v1/completions?operator_id=" + strconv.FormatInt(op.ID, 10), status: 200,
				contains: []string{`"total":2`}},
			{name: "CompletionListOtherCentre", role: dost.RoleSupervisor, method: "GET", path: "/api/v1/completions?centre_id=" + strconv.FormatInt(ts.Fixtures.OtherCentre.ID, 10), status: 403},
			{name: "Matrix", role: dost.RoleAuditor, method: "GET", path: "/api/v1/certifications/matrix", status: 200,
				check: func(t *testing.T, r *result) {
					var m dost.CertificationMatrix
					r.decode(t, &m)
					for _, row := range m.Rows {
						if row.OperatorID != op.ID {
							continue
						}
						for _, cell := range row.Cells {
							if cell.Certified != (cell.Category == cat) {
								t.Errorf("cell %+v", cell)
							}
							if cell.Certified && (cell.ValidUntil != today.AddDate(1, 0, 0) || cell.ExpiringSoon) {
								t.Errorf("cell %+v, want until %s, not expiring soon", cell, today.AddDate(1, 0, 0))
							}
						}
						return
					}
					t.Fatalf("the operator is not in the matrix: %s", r.Body)
				}},
			{name: "MatrixByOperator", role: dost.RoleOperator, method: "GET", path: "/api/v1/certifications/matrix", status: 403},
			{name: "MatrixOtherCentre", role: dost.RoleSupervisor, method: "GET", path: "/api/v1/certifications/matrix?centre_id=" + strconv.FormatInt(ts.Fixtures.OtherCentre.ID, 10), status: 403},
			{name: "MatrixUnknownCentre", role: dost.RoleAdmin, method: "GET", path: "/api/v1/certifications/matrix?centre_id=999", status: 404},
			{name: "Shortage", role: dost.RoleSupervisor, method: "GET", path: "/api/v1/centres/" + f.centre.Code + "/shortage", status: 200,
				check: func(t *testing.T, r *result) {
					var sh dost.CentreShortage
					r.decode(t, &sh)
					for _, c := range sh.Categories {
						if c.Category != cat {
							if c.CertifiedNow != 0 || c.Status != dost.StaffingNone || !c.Offered {
								t.Errorf("category %+v, want none certified", c)
							}
							continue
						}
						// The ticket was called: none waits; one operator of
						// the two needed.
						if c.CertifiedNow != 1 || c.CertifiedIn30 != 1 || c.Needed != dost.MinCertifiedOperators || c.Status != dost.StaffingShort {
							t.Errorf("category %+v, want 1 certified of 2 needed: short", c)
						}
						return
					}
					t.Fatalf("category %s missing: %s", cat, r.Body)
				}},
			{name: "ShortageUnknownCentre", role: dost.RoleAdmin, method: "GET", path: "/api/v1/centres/nowhere/shortage", status: 404},
			{name: "ShortageByOperator", role: dost.RoleOperator, method: "GET", path: "/api/v1/centres/" + f.centre.Code + "/shortage", status: 403},
		})
	})
}
