package http_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestAPIAwardResume: staff resume a suspended award with a reason and
// read its suspensions; an active award is 409, no reason 400.
func TestAPIAwardResume(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		award := seedPayroll(t, ts, "4NB5RS7")
		resume := fmt.Sprintf("/api/v1/payroll/awards/%d/resume", award.ID)
		suspensions := fmt.Sprintf("/api/v1/payroll/awards/%d/suspensions", award.ID)
		run(t, ts, []apiCase{
			{name: "ErrActive", role: dost.RolePayroll, method: "POST", path: resume,
				body: map[string]any{"reason": "Cleared."}, status: 409, code: dost.ECONFLICT},
			{name: "ErrRole", role: dost.RoleOperator, method: "POST", path: resume,
				body: map[string]any{"reason": "Cleared."}, status: 403},
			{name: "Suspend", role: dost.RolePayroll, method: "GET", path: suspensions, status: 200, contains: []string{"[]"},
				check: func(t *testing.T, r *result) {
					if _, err := ts.DB.WriterDB().ExecContext(context.Background(),
						`UPDATE awards SET status = 'suspended', status_reason = 'not_withdrawn' WHERE id = $1`, award.ID); err != nil {
						t.Fatal(err)
					}
				}},
			{name: "ErrNoReason", role: dost.RoleCaseWorker, method: "POST", path: resume,
				body: map[string]any{"reason": ""}, status: 400, code: dost.EINVALID, field: "reason"},
			{name: "OK", role: dost.RoleCaseWorker, method: "POST", path: resume,
				body: map[string]any{"reason": "The payee withdrew at the branch."}, status: 200, contains: []string{`"status":"active"`}},
			{name: "Suspensions", role: dost.RoleAuditor, method: "GET", path: suspensions, status: 200,
				contains: []string{`"reason":"not_withdrawn"`, `"resume_reason":"The payee withdrew at the branch."`}},
		})
	})
}
