package http

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// Roles of the applications' rows in the route table (least privilege:
// DESIGN.md §1, the staff behind the journeys).
var (
	// applicationOpeners open applications and attach documents:
	// operators at the window, case workers and supervisors too.
	applicationOpeners = []dost.Role{dost.RoleOperator, dost.RoleCaseWorker, dost.RoleSupervisor}
	// caseHandlers review, assign, request information, assess and
	// decide.
	caseHandlers = []dost.Role{dost.RoleCaseWorker, dost.RoleSupervisor}
	// documentReaders may read an uploaded document's content: those who
	// handle the application and auditors; not administrators, whose work
	// is the catalogue, centres and staff.
	documentReaders = []dost.Role{dost.RoleOperator, dost.RoleCaseWorker, dost.RoleSupervisor, dost.RoleAuditor}
	// overseers read the deadline counts.
	overseers = []dost.Role{dost.RoleSupervisor, dost.RoleAdmin, dost.RoleAuditor}
)

// MaxIdempotencyKey is the longest Idempotency-Key header accepted.
const MaxIdempotencyKey = 200

// maxUploadBytes limits a whole multipart submission: six documents of
// the largest size and the envelope. Each file is limited to
// dost.MaxDocumentSize on its own.
const maxUploadBytes = 6*dost.MaxDocumentSize + 1<<20

// maxDocumentUploadBytes limits the body of one document upload: the file
// and a little for the envelope and the code.
const maxDocumentUploadBytes = dost.MaxDocumentSize + 64<<10

// documentPartPrefix starts the name of a file part of a multipart
// submission: "document:<code>".
const documentPartPrefix = "document:"

// applicationRoutes returns the applications' and decisions' rows of the
// route table.
func (s *Server) applicationRoutes() []Route {
	return []Route{
		{Pattern: "POST /api/v1/applications", Access: ByRole, Roles: applicationOpeners, Handler: s.handleApplicationCreate},
		{Pattern: "GET /api/v1/applications", Access: Staff, Handler: s.handleApplicationList},
		{Pattern: "GET /api/v1/applications/{id}", Access: Staff, Handler: s.handleApplicationGet},
		{Pattern: "POST /api/v1/applications/{id}/assign", Access: ByRole, Roles: caseHandlers, Handler: s.handleApplicationAssign},
		{Pattern: "POST /api/v1/applications/{id}/transitions", Access: ByRole, Roles: caseHandlers, Handler: s.handleApplicationTransition},
		{Pattern: "GET /api/v1/applications/{id}/assessment", Access: ByRole, Roles: caseHandlers, Handler: s.handleApplicationAssessment},
		{Pattern: "POST /api/v1/applications/{id}/documents", Access: ByRole, Roles: applicationOpeners, Handler: s.handleDocumentCreate},
		{Pattern: "GET /api/v1/applications/{id}/documents/{doc}", Access: ByRole, Roles: documentReaders, Handler: s.handleDocumentGet},
		{Pattern: "GET /api/v1/decisions/{id}", Access: Staff, Handler: s.handleDecisionGet},
		{Pattern: "GET /api/v1/deadlines", Access: ByRole, Roles: overseers, Handler: s.handleDeadlines},
	}
}

// centreScope returns the centres whose applications u may see, nil for
// all: staff scoped to centres see only theirs, except administrators
// and auditors, who oversee the whole network.
func centreScope(u *dost.User) []int64 {
	if u == nil || u.HasRole(dost.RoleAdmin) || u.HasRole(dost.RoleAuditor) || len(u.CentreIDs) == 0 {
		return nil
	}
	return u.CentreIDs
}

// inScope reports whether a centre lies in a scope of centreScope.
func inScope(scope []int64, centreID int64) bool {
	return scope == nil || slices.Contains(scope, centreID)
}

// errApplicationNotFound is the answer for an application that does not
// exist or that the user may not see: the two are not told apart.
var errApplicationNotFound = dost.Errorf(dost.ENOTFOUND, "Application not found.")

// pathID parses the path value name as a positive id; EINVALID with the
// field name.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		msg := "An " + name + " is a positive whole number."
		if name != "id" {
			msg = "A " + name + " id is a positive whole number."
		}
		return 0, &dost.Error{Code: dost.EINVALID, Message: msg,
			Fields: []dost.FieldError{{Field: name, Code: "id.invalid", Message: msg}}}
	}
	return id, nil
}

// applicationOfPath returns the application named by the {id} path value
// if the user may see it; ENOTFOUND otherwise.
func (s *Server) applicationOfPath(r *http.Request) (*dost.Application, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.visibleApplication(r, id)
}

// visibleApplication returns application id if the user may see it;
// ENOTFOUND otherwise.
func (s *Server) visibleApplication(r *http.Request, id int64) (*dost.Application, error) {
	a, err := s.ApplicationService.FindApplicationByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !inScope(centreScope(dost.UserFromContext(r.Context())), a.CentreID) {
		return nil, errApplicationNotFound
	}
	return a, nil
}

// applicationView is an application as the API shows it alone: with its
// documents, transitions and the actions the caller may take now.
type applicationView struct {
	*dost.Application
	// AllowedActions are the actions the status allows, if the caller's
	// role may take actions at all (case workers and supervisors).
	AllowedActions []dost.ApplicationAction `json:"allowed_actions"`
}

// viewOf returns a's view for the user of r.
func viewOf(r *http.Request, a *dost.Application) *applicationView {
	v := &applicationView{Application: a, AllowedActions: []dost.ApplicationAction{}}
	if u := dost.UserFromContext(r.Context()); u != nil && (u.HasRole(dost.RoleCaseWorker) || u.HasRole(dost.RoleSupervisor)) {
		v.AllowedActions = append(v.AllowedActions, dost.AllowedActions(a.Status)...)
	}
	if a.Documents == nil {
		a.Documents = []*dost.ApplicationDocument{}
	}
	if a.Transitions == nil {
		a.Transitions = []*dost.Transition{}
	}
	return v
}

// applicationInput is the body of "POST /api/v1/applications" (or its
// "application" part when multipart).
type applicationInput struct {
	FIN         dost.FIN                `json:"fin"`
	ServiceCode string                  `json:"service_code"`
	CentreID    int64                   `json:"centre_id"`
	Channel     dost.ApplicationChannel `json:"channel"`
	Period      dost.Month              `json:"period"`
	Note        string                  `json:"note"`
	Documents   []documentInput         `json:"documents"`
}

// documentInput is a document named in JSON: an original presented at a
// window (files come as multipart parts).
type documentInput struct {
	Code      string `json:"code"`
	Presented bool   `json:"presented"`
}

// handleApplicationCreate handles "POST /api/v1/applications": opens an
// application for a person and a service, with its documents.
//
// The body is JSON (applicationInput), or multipart/form-data with a part
// "application" holding that JSON and file parts "document:<code>", each
// at most dost.MaxDocumentSize (the service checks their content). The
// Idempotency-Key header is required: a repeat with the same key by the
// same user answers 200 with the first application, changing nothing (409
// "idempotency.mismatch" if the repeat asks for something else); a new
// application answers 201 with its Location. channel defaults to
// "centre" and staff may use only "centre" and "call_centre"; centre_id
// defaults to the user's centre when they have exactly one, and a user
// scoped to centres may open applications only for those (403, from the
// service).
func (s *Server) handleApplicationCreate(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if err := checkIdempotencyKey(key); err != nil {
		s.Error(w, r, err)
		return
	}
	in, files, err := readApplication(w, r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if in.Channel == "" {
		in.Channel = dost.ApplicationAtCentre
	}
	if in.Channel != dost.ApplicationAtCentre && in.Channel != dost.ApplicationByCallCentre {
		s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: "Staff open applications at a centre or by the call centre.",
			Fields: []dost.FieldError{{Field: "channel", Code: "application_channel.invalid", Message: "Channel must be centre or call_centre."}}})
		return
	}
	fin := in.FIN
	if f, err := dost.ParseFIN(string(fin)); err == nil {
		fin = f
	}
	na := &dost.NewApplication{FIN: fin, ServiceCode: strings.TrimSpace(in.ServiceCode), CentreID: in.CentreID,
		Channel: in.Channel, Period: in.Period, Note: in.Note, IdempotencyKey: key}
	for _, d := range in.Documents {
		na.Documents = append(na.Documents, dost.NewDocument{Code: d.Code, Presented: d.Presented})
	}
	na.Documents = append(na.Documents, files...)
	a, created, err := s.ApplicationService.SubmitApplication(r.Context(), na)
	if err != nil {
		s.Error(w, r, renameFileFields(err, len(in.Documents), files))
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", applicationPath(a.ID))
	}
	writeJSON(w, status, viewOf(r, a))
}

// renameFileFields names the field errors of uploaded files by their
// parts: the service numbers the documents ("documents[3].file"), JSON
// ones first, then the files, while the client sent the files as parts
// "document:<code>".
func renameFileFields(err error, first int, files []dost.NewDocument) error {
	var e *dost.Error
	if len(files) == 0 || !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := &dost.Error{Code: e.Code, Message: e.Message, Fields: slices.Clone(e.Fields)}
	for i := range out.Fields {
		f := &out.Fields[i]
		for j, d := range files {
			prefix := "documents[" + strconv.Itoa(first+j) + "]"
			if rest, ok := strings.CutPrefix(f.Field, prefix); ok && (rest == "" || rest[0] == '.') {
				f.Field = documentPartPrefix + d.Code + rest
			}
		}
	}
	return out
}

// applicationPath returns the API path of application id.
func applicationPath(id int64) string { return "/api/v1/applications/" + strconv.FormatInt(id, 10) }

// checkIdempotencyKey requires an Idempotency-Key header of at most
// MaxIdempotencyKey printable ASCII characters.
func checkIdempotencyKey(key string) error {
	fail := func(code, msg string) error {
		return &dost.Error{Code: dost.EINVALID, Message: msg,
			Fields: []dost.FieldError{{Field: "Idempotency-Key", Code: code, Message: msg}}}
	}
	if strings.TrimSpace(key) == "" {
		return fail("idempotency_key.required", "The Idempotency-Key header is required: a unique value per submission, repeated when the submission is retried.")
	}
	if len(key) > MaxIdempotencyKey {
		return fail("idempotency_key.too_long", "The Idempotency-Key header has at most "+strconv.Itoa(MaxIdempotencyKey)+" characters.")
	}
	for _, c := range key {
		if c < 0x20 || c > 0x7e {
			return fail("idempotency_key.invalid", "The Idempotency-Key header has only printable ASCII characters.")
		}
	}
	return nil
}

// isMultipart reports whether r's body is multipart/form-data.
func isMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// readApplication reads a submission: JSON, or multipart with the JSON in
// the "application" part and "document:<code>" file parts.
func readApplication(w http.ResponseWriter, r *http.Request) (*applicationInput, []dost.NewDocument, error) {
	in := &applicationInput{}
	if !isMultipart(r) {
		return in, nil, decodeJSON(w, r, in)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, dost.Errorf(dost.EINVALID, "The multipart body could not be read.")
	}
	var files []dost.NewDocument
	var v dost.Validation
	seen := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, nil, bodyError(err, maxUploadBytes)
		}
		name := part.FormName()
		switch {
		case name == "application":
			body, err := io.ReadAll(io.LimitReader(part, MaxBodyBytes+1))
			if err != nil {
				return nil, nil, bodyError(err, maxUploadBytes)
			}
			if len(body) > MaxBodyBytes {
				return nil, nil, dost.Errorf(dost.EINVALID, "The application part is larger than %d bytes.", MaxBodyBytes)
			}
			if err := strictUnmarshal(body, in); err != nil {
				return nil, nil, jsonError(body, in, err)
			}
			seen = true
		case strings.HasPrefix(name, documentPartPrefix):
			code := strings.TrimPrefix(name, documentPartPrefix)
			content, tooLarge, err := readFile(part)
			switch {
			case err != nil:
				return nil, nil, bodyError(err, maxUploadBytes)
			case code == "":
				v.Add(name, "document.code_required", "A file part is named document:<code>, with a document code of the service passport.")
			case tooLarge:
				v.Add(name+".file", "file.too_large", "The file is larger than %d MiB.", dost.MaxDocumentSize>>20)
			default:
				files = append(files, dost.NewDocument{Code: code, FileName: part.FileName(), ContentType: part.Header.Get("Content-Type"), Content: content})
			}
		default:
			v.Add(name, "part.unknown", "Unknown part %q: expected application and document:<code>.", name)
		}
		part.Close()
	}
	if !seen {
		v.Add("application", "required", "The multipart body needs a part named application with the application's JSON.")
	}
	if err := v.Err("The submission is not valid."); err != nil {
		return nil, nil, err
	}
	return in, files, nil
}

// readFile reads one file part, at most dost.MaxDocumentSize bytes;
// tooLarge reports a longer file, whose content is not returned.
func readFile(part io.Reader) (content []byte, tooLarge bool, err error) {
	content, err = io.ReadAll(io.LimitReader(part, dost.MaxDocumentSize+1))
	if err != nil {
		return nil, false, err
	}
	if len(content) > dost.MaxDocumentSize {
		return nil, true, nil
	}
	return content, false, nil
}

// bodyError turns an error reading a request body into EINVALID.
func bodyError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return dost.Errorf(dost.EINVALID, "The request body is larger than %d MiB.", limit>>20)
	}
	return dost.Errorf(dost.EINVALID, "The request body could not be read as multipart/form-data.")
}

// handleApplicationList handles "GET /api/v1/applications": a page of
// applications, newest first, or oldest deadline first with queue=true
// (the case worker's work queue). Filters: fin (the person), service,
// status (repeatable: any of), centre (a centre's code), assignee (a
// user id, or "me"), late (true or false). Staff scoped to centres see
// only their centres' applications, except administrators and auditors;
// asking for another centre is 403.
func (s *Server) handleApplicationList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f dost.ApplicationFilter
	var v dost.Validation
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 200); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	u := dost.UserFromContext(r.Context())
	f.ServiceCode = strings.TrimSpace(q.Get("service"))
	for _, st := range q["status"] {
		if !slices.Contains(dost.ApplicationStatuses, dost.ApplicationStatus(st)) {
			v.Add("status", "application_status.invalid", "Unknown status %q.", st)
		}
		f.Statuses = append(f.Statuses, dost.ApplicationStatus(st))
	}
	if a := q.Get("assignee"); a == "me" && u != nil {
		f.AssigneeID = u.ID
	} else if a != "" {
		if f.AssigneeID, err = strconv.ParseInt(a, 10, 64); err != nil || f.AssigneeID < 1 {
			v.Add("assignee", "id.invalid", "Assignee is a user id or me.")
		}
	}
	if late, ok := boolParam(q, "late", &v); ok {
		f.Late = &late
	}
	f.Queue, _ = boolParam(q, "queue", &v)
	var fin dost.FIN
	if q.Has("fin") {
		if fin, err = dost.ParseFIN(q.Get("fin")); err != nil {
			v.Fields = append(v.Fields, dost.ErrorFields(err)...)
		}
	}
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	if !s.filterByFIN(w, r, fin, &f.PersonID, f.Offset, f.Limit) {
		return
	}
	scope := centreScope(u)
	if code := q.Get("centre"); code != "" {
		c, err := s.centreParam(r, "centre", code)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if !inScope(scope, c.ID) {
			s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "You may see only your centres' applications."))
			return
		}
		f.CentreIDs = []int64{c.ID}
	} else {
		f.CentreIDs = scope
	}
	apps, total, err := s.ApplicationService.FindApplications(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(apps, total, f.Offset, f.Limit))
}

// boolParam reads an optional boolean query parameter; ok is false when it
// is absent or not a boolean (then recorded in v).
func boolParam(q url.Values, name string, v *dost.Validation) (b, ok bool) {
	s := q.Get(name)
	if s == "" {
		return false, false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		v.Add(name, "bool.invalid", "%s is true or false.", name)
		return false, false
	}
	return b, true
}

// centreParam returns the centre a query parameter names by its code;
// EINVALID naming the parameter if there is none.
func (s *Server) centreParam(r *http.Request, name, code string) (*dost.Centre, error) {
	c, err := s.CentreService.FindCentreByCode(r.Context(), code)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return nil, &dost.Error{Code: dost.EINVALID, Message: "No centre has this code.",
			Fields: []dost.FieldError{{Field: name, Code: "centre.unknown", Message: "No centre has this code."}}}
	}
	return c, err
}

// handleApplicationGet handles "GET /api/v1/applications/{id}": one
// application with its documents, transitions and the actions the caller
// may take. 404 also for an application of a centre outside the caller's.
func (s *Server) handleApplicationGet(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(r, a))
}

// assignInput is the body of "POST /api/v1/applications/{id}/assign".
type assignInput struct {
	AssigneeID *int64 `json:"assignee_id"`
}

// handleApplicationAssign handles "POST /api/v1/applications/{id}/assign":
// gives the application to a case worker (assignee_id 0: to nobody) and
// returns it.
func (s *Server) handleApplicationAssign(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in assignInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if in.AssigneeID == nil || *in.AssigneeID < 0 {
		s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: "Say whom to assign the application to.",
			Fields: []dost.FieldError{{Field: "assignee_id", Code: "required", Message: "assignee_id is a user id, or 0 for nobody."}}})
		return
	}
	if _, err := s.ApplicationService.Assign(r.Context(), a.ID, *in.AssigneeID); err != nil {
		s.Error(w, r, err)
		return
	}
	full, err := s.ApplicationService.FindApplicationByID(r.Context(), a.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(r, full))
}

// transitionResult is the answer of "POST
// /api/v1/applications/{id}/transitions": the application after the
// action and, for a decision (approve, refuse, overturn, uphold), the
// decision.
type transitionResult struct {
	Application *applicationView `json:"application"`
	Decision    *dost.Decision   `json:"decision,omitempty"`
}

// decisionActions are the actions that decide (ApplicationService.Decide).
var decisionActions = []dost.ApplicationAction{dost.ActionApprove, dost.ActionRefuse, dost.ActionOverturn}

// handleApplicationTransition handles "POST
// /api/v1/applications/{id}/transitions": applies an action (a
// dost.TransitionRequest: action, reason_code, reason). approve, refuse
// and overturn decide, running the rules and storing the decision (and
// the award); the others only move the status. 409 when the status does
// not allow the action; 403 for a decision on one's own or a household
// member's application.
func (s *Server) handleApplicationTransition(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in dost.TransitionRequest
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if in.Action == "" {
		s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: "Say which action to take.",
			Fields: []dost.FieldError{{Field: "action", Code: "required", Message: "action is required."}}})
		return
	}
	var res transitionResult
	if slices.Contains(decisionActions, in.Action) {
		if res.Decision, err = s.ApplicationService.Decide(r.Context(), a.ID, in); err != nil {
			s.Error(w, r, err)
			return
		}
		res.Decision.Trace = nil // served by GET /api/v1/decisions/{id}
	} else if _, err = s.ApplicationService.Act(r.Context(), a.ID, in); err != nil {
		s.Error(w, r, err)
		return
	}
	full, err := s.ApplicationService.FindApplicationByID(r.Context(), a.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if in.Action == dost.ActionUphold && full.DecisionID != 0 {
		// Upholding an appeal decides it too (outcome upheld).
		if res.Decision, err = s.AwardService.FindDecisionByID(r.Context(), full.DecisionID); err != nil {
			s.Error(w, r, err)
			return
		}
		res.Decision.Trace = nil
	}
	res.Application = viewOf(r, full)
	writeJSON(w, http.StatusOK, res)
}

// handleApplicationAssessment handles "GET
// /api/v1/applications/{id}/assessment": the rules' answer for the
// application's period, with its explanation, before anyone decides.
func (s *Server) handleApplicationAssessment(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	as, err := s.ApplicationService.Assess(r.Context(), a.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if as.Amounts == nil {
		as.Amounts = []dost.DecisionAmount{}
	}
	writeJSON(w, http.StatusOK, as)
}

// handleDocumentCreate handles "POST /api/v1/applications/{id}/documents":
// attaches a document to an open application. The body is multipart with
// a form field "code" and one file part "file" (at most
// dost.MaxDocumentSize; its content must be a PDF, JPEG or PNG, and the
// part's Content-Type and the file name's extension, if they claim a
// type, must agree with the content: 400 file.type_mismatch otherwise),
// or JSON {code, presented} for an original seen at the window. 201 with
// the document; 409 if the application is no longer open.
func (s *Server) handleDocumentCreate(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var d dost.NewDocument
	if isMultipart(r) {
		if d, err = readDocument(w, r); err != nil {
			s.Error(w, r, err)
			return
		}
	} else {
		var in documentInput
		if err := decodeJSON(w, r, &in); err != nil {
			s.Error(w, r, err)
			return
		}
		if !in.Presented {
			s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: "Upload the file as multipart/form-data, or say the original was presented.",
				Fields: []dost.FieldError{{Field: "presented", Code: "document.file_required", Message: "Without a file, presented must be true."}}})
			return
		}
		d = dost.NewDocument{Code: in.Code, Presented: true}
	}
	doc, err := s.ApplicationService.AddDocument(r.Context(), a.ID, d)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", applicationPath(a.ID)+"/documents/"+strconv.FormatInt(doc.ID, 10))
	writeJSON(w, http.StatusCreated, doc)
}

// readDocument reads a multipart document upload: a "code" field and a
// "file" part.
func readDocument(w http.ResponseWriter, r *http.Request) (dost.NewDocument, error) {
	var d dost.NewDocument
	r.Body = http.MaxBytesReader(w, r.Body, maxDocumentUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return d, dost.Errorf(dost.EINVALID, "The multipart body could not be read.")
	}
	var v dost.Validation
	hasFile := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			return d, bodyError(err, maxDocumentUploadBytes)
		}
		switch name := part.FormName(); name {
		case "code":
			b, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				return d, bodyError(err, maxDocumentUploadBytes)
			}
			d.Code = strings.TrimSpace(string(b))
		case "file":
			content, tooLarge, err := readFile(part)
			if err != nil {
				return d, bodyError(err, maxDocumentUploadBytes)
			}
			if tooLarge {
				v.Add("file", "file.too_large", "The file is larger than %d MiB.", dost.MaxDocumentSize>>20)
			}
			d.FileName, d.ContentType, d.Content, hasFile = part.FileName(), part.Header.Get("Content-Type"), content, true
		default:
			v.Add(name, "part.unknown", "Unknown part %q: expected code and file.", name)
		}
		part.Close()
	}
	if d.Code == "" {
		v.Add("code", "required", "The document's code is required.")
	}
	if !hasFile {
		v.Add("file", "required", "The file part is required.")
	}
	return d, v.Err("The document is not valid.")
}

// handleDocumentGet handles "GET /api/v1/applications/{id}/documents/{doc}":
// an uploaded document's content as an attachment, with the content type
// sniffed from its bytes (never as the uploader claimed). 404 for a
// document presented at a window, which has no file.
func (s *Server) handleDocumentGet(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	docID, err := pathID(r, "doc")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	doc, content, err := s.ApplicationService.OpenDocument(r.Context(), a.ID, docID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if doc.Presented || content == nil {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "This document was presented at a window; there is no file."))
		return
	}
	ct, _, _ := strings.Cut(http.DetectContentType(content), ";")
	if !slices.Contains(dost.DocumentContentTypes, ct) {
		ct = "application/octet-stream"
	}
	name := doc.FileName
	if name == "" {
		name = "document-" + strconv.FormatInt(doc.ID, 10)
	}
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if disposition == "" {
		disposition = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", disposition)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(content)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(content)
}

// handleDecisionGet handles "GET /api/v1/decisions/{id}": a decision with
// the rule-set version, amounts and the trace it was computed with. 404
// also for a decision on an application the caller may not see.
func (s *Server) handleDecisionGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d, err := s.AwardService.FindDecisionByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if centreScope(dost.UserFromContext(r.Context())) != nil {
		if _, err := s.visibleApplication(r, d.ApplicationID); err != nil {
			if dost.ErrorCode(err) == dost.ENOTFOUND {
				err = dost.Errorf(dost.ENOTFOUND, "Decision not found.")
			}
			s.Error(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, d)
}

// DeadlineCounter counts, per service, the applications submitted in
// [from, to] of the given centres (all if empty) that were decided on time
// or late, and those still open on time or late as of today: the
// supervisor's deadline view. casework.Service implements it.
type DeadlineCounter interface {
	DeadlineCounts(ctx context.Context, centreIDs []int64, from, to dost.Date) ([]dost.DeadlineCounts, error)
}

// handleDeadlines handles "GET /api/v1/deadlines": per service, the
// applications submitted from from to to (default: the 30 days up to
// today) decided on time and late, and still open on time and late.
// centre (a code) narrows them to one centre; a supervisor scoped to
// centres sees only theirs (another centre is 403).
func (s *Server) handleDeadlines(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v dost.Validation
	to := dost.Today(s.Clock)
	from := to.AddDate(0, 0, -29)
	for _, p := range []struct {
		name string
		d    *dost.Date
	}{{"from", &from}, {"to", &to}} {
		if str := q.Get(p.name); str != "" {
			d, err := dost.ParseDate(str)
			if err != nil {
				v.Add(p.name, "date.invalid", "%s", dost.ErrorMessage(err))
			}
			*p.d = d
		}
	}
	if len(v.Fields) == 0 && to.Before(from) {
		v.Add("to", "date_range.invalid", "to is on or after from.")
	}
	if err := v.Err("The parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	scope := centreScope(dost.UserFromContext(r.Context()))
	centres := scope
	if code := q.Get("centre"); code != "" {
		c, err := s.centreParam(r, "centre", code)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if !inScope(scope, c.ID) {
			s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "You may see only your centres' deadlines."))
			return
		}
		centres = []int64{c.ID}
	}
	if s.Deadlines == nil {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "Deadline counts are not available on this server."))
		return
	}
	counts, err := s.Deadlines.DeadlineCounts(r.Context(), centres, from, to)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if counts == nil {
		counts = []dost.DeadlineCounts{}
	}
	writeJSON(w, http.StatusOK, deadlineReport{From: from, To: to, Services: counts})
}

// deadlineReport is the answer of "GET /api/v1/deadlines".
type deadlineReport struct {
	From     dost.Date             `json:"from"`
	To       dost.Date             `json:"to"`
	Services []dost.DeadlineCounts `json:"services"`
}
