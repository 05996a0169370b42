package http

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// CompletionsPerPage is how many completions the training pages list.
const CompletionsPerPage = 50

// trainingPageRoutes returns the training pages' rows of the route table.
// Roles are the API's for the same work.
func (s *Server) trainingPageRoutes() []Route {
	return []Route{
		{Pattern: "GET /training", Access: ByRole, Roles: trainingReaders, Handler: s.handleTrainingMatrixPage},
		{Pattern: "GET /training/courses", Access: ByRole, Roles: trainingReaders, Handler: s.handleCoursesPage},
		{Pattern: "POST /training/courses", Access: ByRole, Roles: trainingManagers, Handler: s.handleCourseCreateForm},
		{Pattern: "GET /training/courses/{id}", Access: ByRole, Roles: trainingReaders, Handler: s.handleCoursePage},
		{Pattern: "POST /training/courses/{id}", Access: ByRole, Roles: trainingManagers, Handler: s.handleCourseUpdateForm},
		{Pattern: "GET /training/completions", Access: ByRole, Roles: trainingReaders, Handler: s.handleCompletionsPage},
		{Pattern: "POST /training/completions", Access: ByRole, Roles: trainingManagers, Handler: s.handleCompletionForm},
		{Pattern: "GET /training/shortage", Access: ByRole, Roles: trainingReaders, Handler: s.handleShortagePage},
	}
}

// mayManageTraining reports whether the user may change courses and
// record completions.
func mayManageTraining(r *http.Request) bool {
	return hasAnyRole(dost.UserFromContext(r.Context()), trainingManagers)
}

// trainingCentres returns the centres the user may look at (a supervisor
// scoped to centres: theirs) with the one of code selected, and the
// selected one (nil for none, or if code names none of them).
func (s *Server) trainingCentres(r *http.Request, code string) ([]centreOpt, *dost.Centre, error) {
	u := dost.UserFromContext(r.Context())
	list, _, err := s.CentreService.FindCentres(r.Context(), dost.CentreFilter{})
	if err != nil {
		return nil, nil, err
	}
	scoped := !u.HasRole(dost.RoleAdmin) && !u.HasRole(dost.RoleAuditor) && len(u.CentreIDs) > 0
	var out []centreOpt
	var sel *dost.Centre
	for _, c := range list {
		if scoped && !u.InCentre(c.ID) {
			continue
		}
		o := centreOpt{ID: c.ID, Code: c.Code, Name: c.Name, Selected: c.Code == code}
		if o.Selected {
			sel = c
		}
		out = append(out, o)
	}
	return out, sel, nil
}

// trainingFieldCodes are the field error codes the training pages explain
// ("training.error.<code>"); others show the general "form.error.invalid".
var trainingFieldCodes = []string{"required", "operator.unknown", "course.unknown", "course.inactive",
	"completion.future", "completion.score", "course.code", "course.code_taken", "course.title", "course.hours",
	"course.validity", "category.invalid", "text.invalid", "date.invalid", "number.invalid"}

// trainingFieldErrors maps the field errors of err to message keys by
// field; a title's languages ("title.az") count as the title.
func trainingFieldErrors(err error) map[string]string {
	out := map[string]string{}
	for _, f := range dost.ErrorFields(err) {
		field, _, _ := strings.Cut(f.Field, ".")
		if _, seen := out[field]; seen {
			continue
		}
		key := "form.error.invalid"
		if slices.Contains(trainingFieldCodes, f.Code) {
			key = "training.error." + f.Code
		}
		out[field] = key
	}
	return out
}

// trainingAlertKey returns the alert key of a form the service refused with err,
// or "" when err is not the user's to fix (the caller shows the error
// page).
func trainingAlertKey(err error) string {
	switch dost.ErrorCode(err) {
	case dost.EINVALID, dost.ECONFLICT:
		return "form.alert.invalid"
	}
	return ""
}

// matrixPage is the page of who is certified for what.
type matrixPage struct {
	Centres []centreOpt
	Centre  string // the filter's code; "" every centre
	// AllCentres offers "every centre": not to a supervisor scoped to
	// centres.
	AllCentres bool
	Matrix     *dost.CertificationMatrix
	MayManage  bool
}

// handleTrainingMatrixPage handles "GET /training": the matrix of
// operators × categories with each certification's last day, those
// ending within 30 days marked, of one centre (centre, a code) or all.
func (s *Server) handleTrainingMatrixPage(w http.ResponseWriter, r *http.Request) {
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	v := &matrixPage{Centre: r.URL.Query().Get("centre"), MayManage: mayManageTraining(r)}
	var sel *dost.Centre
	var err error
	if v.Centres, sel, err = s.trainingCentres(r, v.Centre); err != nil {
		s.Error(w, r, err)
		return
	}
	if sel == nil && v.Centre != "" {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "There is no centre %s.", v.Centre))
		return
	}
	// A supervisor scoped to centres sees one of theirs, never all.
	u := dost.UserFromContext(r.Context())
	v.AllCentres = u.HasRole(dost.RoleAdmin) || u.HasRole(dost.RoleAuditor) || len(u.CentreIDs) == 0
	if sel == nil && !v.AllCentres && len(v.Centres) > 0 {
		v.Centres[0].Selected = true
		sel = &dost.Centre{ID: v.Centres[0].ID}
	}
	var id int64
	if sel != nil {
		id = sel.ID
	}
	if v.Matrix, err = svc.CertificationMatrix(r.Context(), id); err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "training_matrix", "training", v)
}

// courseForm is the form of a new or changed course.
type courseForm struct {
	Code, Category, TitleAZ, TitleEN, TitleRU, Hours, Validity string
	Active                                                     bool
	Errors                                                     map[string]string
	Alert                                                      string
}

// coursesPage is the list of courses with the form of a new one (nil for
// readers).
type coursesPage struct {
	Courses    []*dost.Course
	Categories []dost.Category
	Form       *courseForm
	Done       string // the alert after a change: "created"
}

// handleCoursesPage handles "GET /training/courses".
func (s *Server) handleCoursesPage(w http.ResponseWriter, r *http.Request) {
	var form *courseForm
	if mayManageTraining(r) {
		form = &courseForm{Active: true, Hours: "16", Validity: "24"}
	}
	s.renderCourses(w, r, http.StatusOK, form)
}

// renderCourses writes the courses page with form.
func (s *Server) renderCourses(w http.ResponseWriter, r *http.Request, status int, form *courseForm) {
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	list, _, err := svc.FindCourses(r.Context(), dost.CourseFilter{})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v := &coursesPage{Courses: list, Categories: dost.Categories, Form: form}
	if d := r.URL.Query().Get("done"); d == "created" || d == "saved" || d == "recorded" {
		v.Done = d
	}
	s.render(w, r, status, "training_courses", "training", v)
}

// parseCourseForm reads the course form of r.
func parseCourseForm(r *http.Request) *courseForm {
	f := &courseForm{}
	get := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f.Code, f.Category = strings.ToUpper(get("code")), get("category")
	f.TitleAZ, f.TitleEN, f.TitleRU = get("title_az"), get("title_en"), get("title_ru")
	f.Hours, f.Validity, f.Active = get("hours"), get("validity_months"), r.PostFormValue("active") != ""
	return f
}

// numbers reads the form's hours and validity; v collects their errors.
func (f *courseForm) numbers(v *dost.Validation) (hours, validity int) {
	var err error
	if hours, err = strconv.Atoi(f.Hours); err != nil {
		v.Add("hours", "number.invalid", "Hours are a whole number.")
	}
	if validity, err = strconv.Atoi(f.Validity); err != nil {
		v.Add("validity_months", "number.invalid", "Validity is a whole number of months.")
	}
	return hours, validity
}

// course returns the new course the form describes, validated: EINVALID
// with every field in error, those of the numbers first.
func (f *courseForm) course() (*dost.Course, error) {
	var v dost.Validation
	hours, validity := f.numbers(&v)
	c := &dost.Course{Code: f.Code, Category: dost.Category(f.Category), Hours: hours, ValidityMonths: validity,
		Active: f.Active, Title: dost.Text{AZ: f.TitleAZ, EN: f.TitleEN, RU: f.TitleRU}}
	v.Fields = append(v.Fields, dost.ErrorFields(c.Validate())...)
	return c, v.Err("The course has errors.")
}

// handleCourseCreateForm handles "POST /training/courses": a new course,
// then back to the list; errors re-render it with the messages by the
// fields, nothing stored.
func (s *Server) handleCourseCreateForm(w http.ResponseWriter, r *http.Request) {
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	form := parseCourseForm(r)
	c, err := form.course()
	if err == nil {
		if err = svc.CreateCourse(r.Context(), c); err == nil {
			http.Redirect(w, r, "/training/courses?done=created", http.StatusSeeOther)
			return
		}
	}
	if form.Alert = trainingAlertKey(err); form.Alert == "" {
		s.Error(w, r, err)
		return
	}
	form.Errors = trainingFieldErrors(err)
	s.renderCourses(w, r, ErrorStatus(err), form)
}

// coursePage is one course with its form (nil for readers) and
// completions.
type coursePage struct {
	Course      *dost.Course
	Form        *courseForm
	Completions []completionRow
	Done        bool
}

// handleCoursePage handles "GET /training/courses/{id}".
func (s *Server) handleCoursePage(w http.ResponseWriter, r *http.Request) {
	s.renderCourse(w, r, http.StatusOK, nil)
}

// renderCourse writes a course's page, with form if not nil (else the
// course's values for a manager).
func (s *Server) renderCourse(w http.ResponseWriter, r *http.Request, status int, form *courseForm) {
	svc, id, ok := s.courseID(w, r)
	if !ok {
		return
	}
	c, err := svc.FindCourseByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if form == nil && mayManageTraining(r) {
		form = &courseForm{Code: c.Code, Category: string(c.Category), TitleAZ: c.Title.AZ, TitleEN: c.Title.EN,
			TitleRU: c.Title.RU, Hours: strconv.Itoa(c.Hours), Validity: strconv.Itoa(c.ValidityMonths), Active: c.Active}
	}
	v := &coursePage{Course: c, Form: form, Done: r.URL.Query().Get("done") == "saved"}
	if v.Completions, err = s.completionRows(r, dost.CompletionFilter{CourseID: c.ID, Limit: CompletionsPerPage}); err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, status, "training_course", "training", v)
}

// handleCourseUpdateForm handles "POST /training/courses/{id}": changes
// the course's title, hours, validity and active flag, then back to its
// page; errors re-render it, nothing changed.
func (s *Server) handleCourseUpdateForm(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.courseID(w, r)
	if !ok {
		return
	}
	form := parseCourseForm(r)
	var v dost.Validation
	hours, validity := form.numbers(&v)
	err := v.Err("The course has errors.")
	if err == nil {
		title := dost.Text{AZ: form.TitleAZ, EN: form.TitleEN, RU: form.TitleRU}
		upd := dost.CourseUpdate{Title: &title, Hours: &hours, ValidityMonths: &validity, Active: &form.Active}
		if _, err = svc.UpdateCourse(r.Context(), id, upd); err == nil {
			http.Redirect(w, r, "/training/courses/"+strconv.FormatInt(id, 10)+"?done=saved", http.StatusSeeOther)
			return
		}
	}
	if form.Alert = trainingAlertKey(err); form.Alert == "" {
		s.Error(w, r, err)
		return
	}
	form.Errors = trainingFieldErrors(err)
	s.renderCourse(w, r, ErrorStatus(err), form)
}

// completionRow is a completion in a list, with its operator's and
// course's names.
type completionRow struct {
	Completion *dost.Completion
	Operator   string
	Course     string
}

// completionRows returns the completions of f with names.
func (s *Server) completionRows(r *http.Request, f dost.CompletionFilter) ([]completionRow, error) {
	svc := s.Training
	list, _, err := svc.FindCompletions(r.Context(), f)
	if err != nil {
		return nil, err
	}
	courses, _, err := svc.FindCourses(r.Context(), dost.CourseFilter{})
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	if len(list) > 0 {
		m, err := svc.CertificationMatrix(r.Context(), 0)
		if err != nil {
			return nil, err
		}
		for _, row := range m.Rows {
			names[row.OperatorID] = row.Name
		}
	}
	var out []completionRow
	for _, c := range list {
		row := completionRow{Completion: c, Operator: names[c.OperatorID]}
		if row.Operator == "" {
			row.Operator = "#" + strconv.FormatInt(c.OperatorID, 10)
		}
		for _, k := range courses {
			if k.ID == c.CourseID {
				row.Course = k.Code
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// completionForm is the form to record a completion.
type completionForm struct {
	OperatorID, CourseID, CompletedOn, Score string
	Passed                                   bool
	Operators                                []*dost.MatrixRow
	Courses                                  []*dost.Course
	Today                                    dost.Date
	Errors                                   map[string]string
	Alert                                    string
}

// completionsPage lists recent completions under the form to record one
// (nil for readers).
type completionsPage struct {
	Form   *completionForm
	Rows   []completionRow
	Done   bool
	Until  string // the last day of the certification just issued or renewed
	Failed bool   // the completion just recorded was not passed
}

// handleCompletionsPage handles "GET /training/completions".
func (s *Server) handleCompletionsPage(w http.ResponseWriter, r *http.Request) {
	var form *completionForm
	if mayManageTraining(r) {
		form = &completionForm{Passed: true, CompletedOn: dost.Today(s.Clock).String()}
	}
	s.renderCompletions(w, r, http.StatusOK, form)
}

// renderCompletions writes the completions page with form.
func (s *Server) renderCompletions(w http.ResponseWriter, r *http.Request, status int, form *completionForm) {
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	q := r.URL.Query()
	v := &completionsPage{Form: form, Done: q.Get("done") == "recorded", Failed: q.Get("passed") == "false"}
	if d, err := dost.ParseDate(q.Get("until")); err == nil {
		v.Until = d.String()
	}
	var err error
	if form != nil {
		form.Today = dost.Today(s.Clock)
		m, err := svc.CertificationMatrix(r.Context(), 0)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		form.Operators = m.Rows
		active := true
		if form.Courses, _, err = svc.FindCourses(r.Context(), dost.CourseFilter{Active: &active}); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if v.Rows, err = s.completionRows(r, dost.CompletionFilter{Limit: CompletionsPerPage}); err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, status, "training_completions", "training", v)
}

// handleCompletionForm handles "POST /training/completions": records a
// completion, which, passed, certifies the operator (or renews their
// certification), then back to the list saying until when; errors
// re-render the form with the messages by the fields, nothing stored.
func (s *Server) handleCompletionForm(w http.ResponseWriter, r *http.Request) {
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	get := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	form := &completionForm{OperatorID: get("operator_id"), CourseID: get("course_id"), CompletedOn: get("completed_on"),
		Score: get("score"), Passed: r.PostFormValue("passed") != ""}
	c, err := form.completion()
	if err == nil {
		var cert *dost.Certification
		if cert, err = svc.RecordCompletion(r.Context(), c); err == nil {
			q := url.Values{"done": {"recorded"}}
			if cert != nil {
				q.Set("until", cert.ValidUntil.String())
			} else {
				q.Set("passed", "false")
			}
			http.Redirect(w, r, "/training/completions?"+q.Encode(), http.StatusSeeOther)
			return
		}
	}
	if form.Alert = trainingAlertKey(err); form.Alert == "" {
		s.Error(w, r, err)
		return
	}
	form.Errors = trainingFieldErrors(err)
	s.renderCompletions(w, r, ErrorStatus(err), form)
}

// completion returns the completion the form describes: EINVALID with
// the fields that are not an operator, a course, a day or a whole-number
// score (the service checks the rest).
func (f *completionForm) completion() (*dost.Completion, error) {
	var v dost.Validation
	c := &dost.Completion{Passed: f.Passed}
	var err error
	if c.OperatorID, err = strconv.ParseInt(f.OperatorID, 10, 64); err != nil {
		v.Add("operator_id", "required", "Choose an operator.")
	}
	if c.CourseID, err = strconv.ParseInt(f.CourseID, 10, 64); err != nil {
		v.Add("course_id", "required", "Choose a course.")
	}
	if c.CompletedOn, err = dost.ParseDate(f.CompletedOn); err != nil {
		v.Add("completed_on", "date.invalid", "A day is YYYY-MM-DD.")
	}
	if f.Score != "" {
		n, err := strconv.Atoi(f.Score)
		if err != nil {
			v.Add("score", "completion.score", "A score is from 0 to 100.")
		}
		c.Score = &n
	}
	return c, v.Err("The completion has errors.")
}

// shortagePage is a centre's shortage of certified operators.
type shortagePage struct {
	Centres  []centreOpt
	Centre   *dost.Centre
	Shortage *dost.CentreShortage
	Short    int // categories short of operators now or in 30 days
}

// handleShortagePage handles "GET /training/shortage": a centre's demand
// by category against its certified operators (centre, a code; the
// user's first centre, else the first, by default).
func (s *Server) handleShortagePage(w http.ResponseWriter, r *http.Request) {
	svc := s.training(w, r)
	if svc == nil {
		return
	}
	code := r.URL.Query().Get("centre")
	v := &shortagePage{}
	var err error
	if v.Centres, v.Centre, err = s.trainingCentres(r, code); err != nil {
		s.Error(w, r, err)
		return
	}
	if v.Centre == nil && code != "" {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "There is no centre %s.", code))
		return
	}
	if v.Centre == nil && len(v.Centres) > 0 {
		v.Centres[0].Selected = true
		if v.Centre, err = s.CentreService.FindCentreByID(r.Context(), v.Centres[0].ID); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if v.Centre != nil {
		if v.Shortage, err = svc.Shortage(r.Context(), v.Centre.ID); err != nil {
			s.Error(w, r, err)
			return
		}
		for _, c := range v.Shortage.Categories {
			if c.Status != dost.StaffingOK {
				v.Short++
			}
		}
	}
	s.render(w, r, http.StatusOK, "training_shortage", "training", v)
}
