package http

import (
	"net/http"
	"strconv"

	"github.com/dost-az/dost"
)

// Roles of the training routes: administrators manage courses and record
// completions; supervisors (of their centres), administrators and
// auditors read the records, the matrix and the shortage view.
var (
	trainingManagers = []dost.Role{dost.RoleAdmin}
	trainingReaders  = []dost.Role{dost.RoleAdmin, dost.RoleSupervisor, dost.RoleAuditor}
)

// trainingRoutes returns the training API's rows of the route table.
func (s *Server) trainingRoutes() []Route {
	return []Route{
		{Pattern: "GET /api/v1/courses", Access: Staff, Handler: s.handleCourseList},
		{Pattern: "POST /api/v1/courses", Access: ByRole, Roles: trainingManagers, Handler: s.handleCourseCreate},
		{Pattern: "GET /api/v1/courses/{id}", Access: Staff, Handler: s.handleCourseGet},
		{Pattern: "PATCH /api/v1/courses/{id}", Access: ByRole, Roles: trainingManagers, Handler: s.handleCourseUpdate},
		{Pattern: "GET /api/v1/completions", Access: ByRole, Roles: trainingReaders, Handler: s.handleCompletionList},
		{Pattern: "POST /api/v1/completions", Access: ByRole, Roles: trainingManagers, Handler: s.handleCompletionCreate},
		{Pattern: "GET /api/v1/certifications/matrix", Access: ByRole, Roles: trainingReaders, Handler: s.handleCertificationMatrix},
		{Pattern: "GET /api/v1/centres/{code}/shortage", Access: ByRole, Roles: trainingReaders, Handler: s.handleShortage},
	}
}

// errNoTraining answers the training routes on a server without a
// TrainingService.
var errNoTraining = dost.Errorf(dost.ENOTFOUND, "Training is not available on this server.")

// training returns the TrainingService, or answers 404 and returns nil
// when the server has none.
func (s *Server) training(w http.ResponseWriter, r *http.Request) dost.TrainingService {
	if s.Training == nil {
		s.Error(w, r, errNoTraining)
		return nil
	}
	return s.Training
}

// queryCategory reads an optional category parameter.
func queryCategory(q map[string][]string, name string, v *dost.Validation) dost.Category {
	vals := q[name]
	if len(vals) == 0 || vals[0] == "" {
		return ""
	}
	c := dost.Category(vals[0])
	if !dost.ValidCategory(c) {
		v.Add(name, "category.invalid", "Unknown service category %q.", vals[0])
	}
	return c
}

// handleCourseList handles "GET /api/v1/courses": a page of courses by
// code, filtered by category and active (true or false).
func (s *Server) handleCourseList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v dost.Validation
	var f dost.CourseFilter
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 500); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	f.Category = queryCategory(q, "category", &v)
	if a := q.Get("active"); a != "" {
		b, err := strconv.ParseBool(a)
		if err != nil {
			v.Add("active", "bool.invalid", "active is true or false.")
		}
		f.Active = &b
	}
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	list, total, err := svc.FindCourses(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, total, f.Offset, f.Limit))
}

// courseInput is the body of "POST /api/v1/courses".
type courseInput struct {
	Code           string        `json:"code"`
	Category       dost.Category `json:"category"`
	Title          dost.Text     `json:"title"`
	Hours          int           `json:"hours"`
	ValidityMonths int           `json:"validity_months"`
	Active         *bool         `json:"active,omitempty"` // true when absent
}

// handleCourseCreate handles "POST /api/v1/courses": a new course. 201
// with the course; 400 with field errors; 409 (field code, code
// course.code_taken) for a code in use.
func (s *Server) handleCourseCreate(w http.ResponseWriter, r *http.Request) {
	var in courseInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	c := &dost.Course{Code: in.Code, Category: in.Category, Title: in.Title, Hours: in.Hours,
		ValidityMonths: in.ValidityMonths, Active: in.Active == nil || *in.Active}
	if err := svc.CreateCourse(r.Context(), c); err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/courses/"+strconv.FormatInt(c.ID, 10))
	writeJSON(w, http.StatusCreated, c)
}

// courseID returns the training service and the course ID of the path,
// or writes the error and returns ok false.
func (s *Server) courseID(w http.ResponseWriter, r *http.Request) (svc dost.TrainingService, id int64, ok bool) {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return nil, 0, false
	}
	svc = s.training(w, r)
	return svc, id, svc != nil
}

// handleCourseGet handles "GET /api/v1/courses/{id}". 404 if unknown.
func (s *Server) handleCourseGet(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.courseID(w, r)
	if !ok {
		return
	}
	c, err := svc.FindCourseByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// handleCourseUpdate handles "PATCH /api/v1/courses/{id}": changes a
// course's title, hours, validity or active flag (code and category never
// change). 200 with the course; 400 with field errors; 404 if unknown.
func (s *Server) handleCourseUpdate(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.courseID(w, r)
	if !ok {
		return
	}
	var in dost.CourseUpdate
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := svc.UpdateCourse(r.Context(), id, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// handleCompletionList handles "GET /api/v1/completions": a page of
// completions, newest first, filtered by operator_id, course_id and
// centre_id (a supervisor sees their centres' only).
func (s *Server) handleCompletionList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v dost.Validation
	var f dost.CompletionFilter
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 500); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	f.OperatorID = queryID(q, "operator_id", &v)
	f.CourseID = queryID(q, "course_id", &v)
	f.CentreID = queryID(q, "centre_id", &v)
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	list, total, err := svc.FindCompletions(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, total, f.Offset, f.Limit))
}

// completionInput is the body of "POST /api/v1/completions".
type completionInput struct {
	OperatorID  int64     `json:"operator_id"`
	CourseID    int64     `json:"course_id"`
	CompletedOn dost.Date `json:"completed_on"`
	Passed      bool      `json:"passed"`
	Score       *int      `json:"score,omitempty"`
}

// completionView is the answer of "POST /api/v1/completions": the
// completion and the certification it issued or renewed (none for a
// failed completion).
type completionView struct {
	Completion    *dost.Completion    `json:"completion"`
	Certification *dost.Certification `json:"certification,omitempty"`
}

// handleCompletionCreate handles "POST /api/v1/completions": records that
// an operator completed a course, which, passed, certifies them for its
// category (or renews the certification). 201; 400 with field errors
// (operator.unknown, course.unknown, course.inactive, completion.future,
// completion.score), nothing written.
func (s *Server) handleCompletionCreate(w http.ResponseWriter, r *http.Request) {
	var in completionInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	c := &dost.Completion{OperatorID: in.OperatorID, CourseID: in.CourseID, CompletedOn: in.CompletedOn, Passed: in.Passed, Score: in.Score}
	cert, err := svc.RecordCompletion(r.Context(), c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, completionView{Completion: c, Certification: cert})
}

// handleCertificationMatrix handles "GET /api/v1/certifications/matrix":
// who is certified for what today, an operator per row and a category per
// cell, with the last day and whether it is within 30 days; of the
// operators of centre_id, or of every centre (a supervisor's own centre).
func (s *Server) handleCertificationMatrix(w http.ResponseWriter, r *http.Request) {
	var v dost.Validation
	centreID := queryID(r.URL.Query(), "centre_id", &v)
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	m, err := svc.CertificationMatrix(r.Context(), centreID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// handleShortage handles "GET /api/v1/centres/{code}/shortage": the
// centre's demand by service category (tickets a day over the last four
// weeks, waiting now) against its operators certified for it today and in
// 30 days, each category flagged ok, expiring, short or none. 404 for an
// unknown centre.
func (s *Server) handleShortage(w http.ResponseWriter, r *http.Request) {
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	sh, err := svc.Shortage(r.Context(), c.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sh)
}
