package http

import (
	"context"
	"net/http"

	"github.com/dost-az/dost"
)

// awardResumers resume suspended awards: payroll staff and case workers.
var awardResumers = []dost.Role{dost.RolePayroll, dost.RoleCaseWorker}

// suspensionRoutes returns the award suspensions' rows of the route table.
func (s *Server) suspensionRoutes() []Route {
	return []Route{
		{Pattern: "GET /api/v1/payroll/awards/{id}/suspensions", Access: ByRole, Roles: payrollReaders, Handler: s.handleAwardSuspensions},
		{Pattern: "POST /api/v1/payroll/awards/{id}/resume", Access: ByRole, Roles: awardResumers, Handler: s.handleAwardResume},
	}
}

// awardSuspensions is what the suspension routes need of Server.Payroll
// (payroll.Service implements it).
type awardSuspensions interface {
	ResumeAward(ctx context.Context, awardID int64, reason string) (*dost.Award, error)
	FindAwardSuspensions(ctx context.Context, awardID int64) ([]*dost.AwardSuspension, error)
}

// suspensions returns the payroll service's suspensions and the ID of the
// {id} path value, or writes the error and returns ok false.
func (s *Server) suspensions(w http.ResponseWriter, r *http.Request) (awardSuspensions, int64, bool) {
	svc, id, ok := s.payrollID(w, r, "id")
	if !ok {
		return nil, 0, false
	}
	sus, ok := svc.(awardSuspensions)
	if !ok {
		s.Error(w, r, errNoPayroll)
		return nil, 0, false
	}
	return sus, id, true
}

// resumeInput is the body of "POST /api/v1/payroll/awards/{id}/resume".
type resumeInput struct {
	Reason string `json:"reason"`
}

// handleAwardResume handles "POST /api/v1/payroll/awards/{id}/resume":
// resumes a suspended award with a reason (what cleared the suspension);
// its next payroll cycle pays the suspended months as arrears, within the
// programme's back-pay limit. 200 with the award; 400 without a reason;
// 409 for an award not suspended.
func (s *Server) handleAwardResume(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.suspensions(w, r)
	if !ok {
		return
	}
	var in resumeInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	a, err := svc.ResumeAward(r.Context(), id, in.Reason)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// handleAwardSuspensions handles "GET
// /api/v1/payroll/awards/{id}/suspensions": the periods an award was
// suspended, oldest first.
func (s *Server) handleAwardSuspensions(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.suspensions(w, r)
	if !ok {
		return
	}
	list, err := svc.FindAwardSuspensions(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}
