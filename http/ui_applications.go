package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/rules"
)

// ApplicationsPerPage is the number of rows on one page of the work
// queue.
const ApplicationsPerPage = 20

// PersonCasesShown is how many of a person's applications and awards the
// person page lists (the newest).
const PersonCasesShown = 20

// openStatuses are the statuses of an application awaiting its first
// decision: the work queue's.
var openStatuses = []dost.ApplicationStatus{dost.ApplicationSubmitted, dost.ApplicationInReview, dost.ApplicationInformationRequested}

// applicationPageRoutes returns the staff pages' rows of the route table:
// opening an application from the person page, the application page and
// its actions, the decision screen, the letter, the work queue and the
// deadline view. Roles are the API's for the same work.
func (s *Server) applicationPageRoutes() []Route {
	return []Route{
		{Pattern: "POST /persons/{fin}/applications", Access: ByRole, Roles: applicationOpeners, Handler: s.handleApplicationOpen},
		{Pattern: "GET /applications", Access: ByRole, Roles: caseHandlers, Handler: s.handleWorkQueue},
		{Pattern: "GET /applications/{id}", Access: Staff, Handler: s.handleApplicationPage},
		{Pattern: "POST /applications/{id}/actions", Access: ByRole, Roles: caseHandlers, Handler: s.handleApplicationActionForm},
		{Pattern: "POST /applications/{id}/assign", Access: ByRole, Roles: caseHandlers, Handler: s.handleApplicationAssignForm},
		{Pattern: "POST /applications/{id}/documents", Access: ByRole, Roles: applicationOpeners, Handler: s.handleApplicationDocumentForm},
		{Pattern: "GET /applications/{id}/decide", Access: ByRole, Roles: caseHandlers, Handler: s.handleDecisionScreen},
		{Pattern: "POST /applications/{id}/decide", Access: ByRole, Roles: caseHandlers, Handler: s.handleDecisionForm},
		{Pattern: "GET /applications/{id}/letter.pdf", Access: Staff, Handler: s.handleApplicationLetter},
		{Pattern: "GET /deadlines", Access: ByRole, Roles: overseers, Handler: s.handleDeadlineView},
	}
}

// hasAnyRole reports whether u has one of roles.
func hasAnyRole(u *dost.User, roles []dost.Role) bool {
	return Route{Access: ByRole, Roles: roles}.Allows(u)
}

// isLate reports whether an application is late: marked so by the
// deadline job, or still awaiting its decision after its deadline.
func isLate(a *dost.Application, today dost.Date) bool {
	return a.LateSince != nil || a.Status.Open() && a.Deadline.Before(today)
}

// clockTime formats t as Baku's date and time, "2006-01-02 15:04".
func clockTime(t time.Time) string { return t.In(dost.Baku).Format("2006-01-02 15:04") }

// newFormKey returns a fresh idempotency key for a form: 128 random bits.
func newFormKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// formErrorCodes are the field error codes of the services that the
// catalogue explains ("form.error.<code>"); others show the general
// "form.error.invalid".
var formErrorCodes = []string{
	"required", "document.missing", "document.unknown", "document.presented_with_file",
	"document.presented_not_at_centre", "file.empty", "file.too_large", "file.type_not_allowed",
	"file_name.invalid", "service.unknown", "service.inactive", "service.not_at_centre", "channel.not_offered",
	"centre.invalid", "note.invalid", "period.out_of_range", "person.unknown", "reason.invalid",
	"reason_code.invalid", "refusal_reason.unknown", "rules.no_right", "assignee.unknown",
	"assignee.not_caseworker", "assignee.other_centre", "appeal.too_late", "application_action.not_allowed",
	"application_action.unknown",
	"manual.kind", "manual.amount", "manual.start", "manual.end", "manual.has_rules", "manual.not_benefit", "manual.not_approval",
	"manual.overlap", "manual.one_off_exists",
}

// formErrorKey returns the message key explaining a field error code.
func formErrorKey(code string) string {
	if slices.Contains(formErrorCodes, code) {
		return "form.error." + code
	}
	return "form.error.invalid"
}

// formAlertKey returns the message key of the alert above a form that the
// service refused with err, or "" when err is not the user's to fix (the
// caller shows the error page).
func formAlertKey(err error) string {
	switch dost.ErrorCode(err) {
	case dost.EINVALID:
		return "form.alert.invalid"
	case dost.ECONFLICT:
		return "form.alert.conflict"
	case dost.EFORBIDDEN:
		return "form.alert.forbidden"
	}
	return ""
}

// fieldErrors maps the field errors of err to message keys by the form's
// own field names; field renames a service field to the form's ("" to
// keep it for the alert only).
func fieldErrors(err error, field func(string) string) map[string]string {
	out := map[string]string{}
	for _, f := range dost.ErrorFields(err) {
		name := field(f.Field)
		if _, seen := out[name]; name != "" && !seen {
			out[name] = formErrorKey(f.Code)
		}
	}
	return out
}

// serviceGroupOpt is one category's services in a select.
type serviceGroupOpt struct {
	Category dost.Category
	Number   int
	Services []serviceOpt
}

// serviceOpt is one service in a select.
type serviceOpt struct {
	Code     string
	Name     dost.Text
	Selected bool
}

// groupServices groups services by category in the catalogue's order,
// marking selected.
func groupServices(services []*dost.Service, selected string) []serviceGroupOpt {
	by := map[dost.Category][]serviceOpt{}
	for _, svc := range services {
		by[svc.Category] = append(by[svc.Category], serviceOpt{Code: svc.Code, Name: svc.Name, Selected: svc.Code == selected})
	}
	var out []serviceGroupOpt
	for i, c := range dost.Categories {
		if len(by[c]) > 0 {
			out = append(out, serviceGroupOpt{Category: c, Number: i + 1, Services: by[c]})
		}
	}
	return out
}

// staffCentres returns the centres u works at, or every centre when u is
// not scoped to centres.
func (s *Server) staffCentres(ctx context.Context, u *dost.User) ([]*dost.Centre, error) {
	if u != nil && len(u.CentreIDs) > 0 {
		var out []*dost.Centre
		for _, id := range u.CentreIDs {
			c, err := s.CentreService.FindCentreByID(ctx, id)
			if dost.ErrorCode(err) == dost.ENOTFOUND {
				continue
			} else if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	}
	cs, _, err := s.CentreService.FindCentres(ctx, dost.CentreFilter{})
	return cs, err
}

// servicesAt returns the active services offered at any of the centres,
// in the catalogue's order; with channel, only those requested through
// it.
func (s *Server) servicesAt(ctx context.Context, centres []*dost.Centre, channel *dost.Channel) ([]*dost.Service, error) {
	offered := map[string]bool{}
	for _, c := range centres {
		for _, code := range c.Services {
			offered[code] = true
		}
	}
	all, _, err := s.CatalogueService.FindServices(ctx, dost.ServiceFilter{ActiveOnly: true, Channel: channel})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(svc *dost.Service) bool { return !offered[svc.Code] }), nil
}

// serviceIndex returns every service of the catalogue by its code.
func (s *Server) serviceIndex(ctx context.Context) (map[string]*dost.Service, error) {
	all, _, err := s.CatalogueService.FindServices(ctx, dost.ServiceFilter{})
	if err != nil {
		return nil, err
	}
	out := make(map[string]*dost.Service, len(all))
	for _, svc := range all {
		out[svc.Code] = svc
	}
	return out, nil
}

// userNames returns a function naming users by ID, looking each up once;
// 0 is dost itself ("") and an unknown user is named by nothing either.
func (s *Server) userNames(ctx context.Context) func(id int64) string {
	names := map[int64]string{0: ""}
	return func(id int64) string {
		if n, ok := names[id]; ok {
			return n
		}
		u, err := s.UserService.FindUserByID(ctx, id)
		if err == nil {
			names[id] = u.Name
		} else {
			names[id] = ""
		}
		return names[id]
	}
}

// ---- The person page: applications, awards and the form to open one.

// personCases is the person page's section on applications and awards,
// and the form to open an application (nil for roles that may not).
type personCases struct {
	Applications []applicationRow
	AppTotal     int
	Awards       []awardRow
	AwardTotal   int
	Open         *openForm
}

// applicationRow is an application in a list.
type applicationRow struct {
	App       *dost.Application
	Service   dost.Text
	Submitted dost.Date // in Baku
	Late      bool
	Assignee  string
}

// awardRow is an award in a list.
type awardRow struct {
	Award     *dost.Award
	Service   dost.Text
	Household bool // the household's award, not the person's own
}

// openInput is what the form to open an application holds: from the
// query of the person page (the step that shows a service's documents
// without JavaScript) or from the form sent.
type openInput struct {
	Service   string
	CentreID  int64
	Note      string
	Presented []string // codes of the originals seen
	Key       string   // the idempotency key; "" makes a new one
	Errors    map[string]string
	Alert     string
}

// openInputOf reads the form's values from values (a query or a posted
// form).
func openInputOf(values url.Values) openInput {
	in := openInput{Service: strings.TrimSpace(values.Get("service_code")), Note: values.Get("note"),
		Presented: values["presented"], Key: values.Get("idempotency_key"), Errors: map[string]string{}}
	in.CentreID, _ = strconv.ParseInt(values.Get("centre_id"), 10, 64)
	return in
}

// openForm is the form to open an application at a window.
type openForm struct {
	FIN      dost.FIN
	Centres  []centreOpt // shown as a choice when more than one
	CentreID int64
	Groups   []serviceGroupOpt
	Service  *dost.Service // chosen, with its documents below
	Docs     []docField
	Note     string
	Key      string
	Errors   map[string]string
	Alert    string
}

// centreOpt is a centre in a select.
type centreOpt struct {
	ID       int64
	Code     string
	Name     dost.Text
	Selected bool
}

// docField is one document of the chosen service on the form.
type docField struct {
	Code      string
	Name      dost.Text
	Required  bool
	Presented bool
	Error     string
}

// openFormFor builds the form to open an application for p as the
// request's user: the centres they work at, the services those centres
// offer in person grouped by category and, once a service is chosen, its
// documents. It returns nil when the user may not open applications.
func (s *Server) openFormFor(r *http.Request, p *dost.Person, in openInput) (*openForm, error) {
	ctx := r.Context()
	u := dost.UserFromContext(ctx)
	if !hasAnyRole(u, applicationOpeners) {
		return nil, nil
	}
	centres, err := s.staffCentres(ctx, u)
	if err != nil {
		return nil, err
	}
	f := &openForm{FIN: p.FIN, Note: in.Note, Key: in.Key, Errors: in.Errors, Alert: in.Alert}
	if f.Key == "" {
		f.Key = newFormKey()
	}
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	var centre *dost.Centre
	for _, c := range centres {
		if c.ID == in.CentreID || centre == nil {
			centre = c
		}
	}
	if centre != nil {
		f.CentreID = centre.ID
	}
	for _, c := range centres {
		f.Centres = append(f.Centres, centreOpt{ID: c.ID, Code: c.Code, Name: c.Name, Selected: c == centre})
	}
	inPerson := dost.ChannelInPerson
	var here []*dost.Centre
	if centre != nil {
		here = []*dost.Centre{centre}
	}
	services, err := s.servicesAt(ctx, here, &inPerson)
	if err != nil {
		return nil, err
	}
	f.Groups = groupServices(services, in.Service)
	if i := slices.IndexFunc(services, func(svc *dost.Service) bool { return svc.Code == in.Service }); i >= 0 {
		f.Service = services[i]
		for _, d := range f.Service.Documents {
			f.Docs = append(f.Docs, docField{Code: d.Code, Name: d.Name, Required: d.Required,
				Presented: slices.Contains(in.Presented, d.Code), Error: f.Errors["doc."+d.Code]})
		}
	}
	return f, nil
}

// personCasesFor returns the person page's section on p's applications
// (those of the user's centres) and awards (p's own and those of p's
// household hh, 0 for none), with the form in.
func (s *Server) personCasesFor(r *http.Request, p *dost.Person, hh int64, in openInput) (*personCases, error) {
	ctx := r.Context()
	u := dost.UserFromContext(ctx)
	v := &personCases{}
	if s.ApplicationService == nil || s.AwardService == nil {
		return v, nil
	}
	names, err := s.serviceIndex(ctx)
	if err != nil {
		return nil, err
	}
	apps, total, err := s.ApplicationService.FindApplications(ctx, dost.ApplicationFilter{PersonID: p.ID,
		CentreIDs: centreScope(u), Limit: PersonCasesShown})
	if err != nil {
		return nil, err
	}
	today := dost.Today(s.Clock)
	v.AppTotal = total
	for _, a := range apps {
		row := applicationRow{App: a, Submitted: dost.DateOf(a.SubmittedAt.In(dost.Baku)), Late: isLate(a, today)}
		if svc := names[a.ServiceCode]; svc != nil {
			row.Service = svc.Name
		}
		v.Applications = append(v.Applications, row)
	}
	filters := []dost.AwardFilter{{PersonID: p.ID, Limit: PersonCasesShown}}
	if hh != 0 {
		filters = append(filters, dost.AwardFilter{HouseholdID: hh, Limit: PersonCasesShown})
	}
	seen := map[int64]bool{}
	for _, filter := range filters {
		awards, total, err := s.AwardService.FindAwards(ctx, filter)
		if err != nil {
			return nil, err
		}
		v.AwardTotal += total
		for _, w := range awards {
			if seen[w.ID] {
				v.AwardTotal-- // a household award paid to p
				continue
			}
			seen[w.ID] = true
			row := awardRow{Award: w, Household: w.PersonID == 0}
			if svc := names[w.ServiceCode]; svc != nil {
				row.Service = svc.Name
			}
			v.Awards = append(v.Awards, row)
		}
	}
	// Newest first, as each list is.
	slices.SortStableFunc(v.Awards, func(a, b awardRow) int { return int(b.Award.ID - a.Award.ID) })
	if v.Open, err = s.openFormFor(r, p, in); err != nil {
		return nil, err
	}
	return v, nil
}

// handleApplicationOpen handles "POST /persons/{fin}/applications": the
// form of the person page that opens an application at a window. The body
// is multipart/form-data: service_code, centre_id, note, idempotency_key
// (generated into the form when it was rendered, so that a double click
// or a resent form opens one application), "presented" (repeated: the
// codes of the originals seen) and a file input "file.<code>" per
// document. The service must be one the centre offers in person. Success
// redirects to the application's page (303); errors re-render the person
// page (400, 403) with each message next to its field in the user's
// language; files must then be chosen again.
func (s *Server) handleApplicationOpen(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.personOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
	perr := r.ParseMultipartForm(4 << 20)
	in := openInputOf(r.PostForm)
	if perr != nil && !errors.Is(perr, http.ErrNotMultipart) {
		in.Alert = "open.error.upload"
		s.renderOpenErrors(w, r, p, http.StatusBadRequest, in)
		return
	}
	if err := checkIdempotencyKey(in.Key); err != nil {
		// A form from elsewhere, or altered: a fresh key, and the
		// operator sends it again.
		in.Key, in.Alert = "", "open.error.key"
		s.renderOpenErrors(w, r, p, http.StatusBadRequest, in)
		return
	}
	form, err := s.openFormFor(r, p, in)
	if err != nil {
		s.Error(w, r, err)
		return
	} else if form == nil {
		s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "You may not open applications."))
		return
	}
	switch {
	case in.Service == "":
		in.Errors["service"] = "form.error.required"
	case form.Service == nil:
		in.Errors["service"] = "form.error.service.not_at_centre"
	}
	if form.CentreID == 0 {
		in.Errors["centre"] = "form.error.required"
	}
	if len(in.Errors) > 0 {
		s.renderOpenErrors(w, r, p, http.StatusBadRequest, in)
		return
	}

	na := &dost.NewApplication{FIN: p.FIN, ServiceCode: form.Service.Code, CentreID: form.CentreID,
		Channel: dost.ApplicationAtCentre, Note: in.Note, IdempotencyKey: in.Key}
	var codes []string // codes[i] is the code of na.Documents[i]
	for _, d := range form.Service.Documents {
		if slices.Contains(in.Presented, d.Code) {
			na.Documents = append(na.Documents, dost.NewDocument{Code: d.Code, Presented: true})
			codes = append(codes, d.Code)
		}
		if r.MultipartForm == nil {
			continue
		}
		for _, fh := range r.MultipartForm.File["file."+d.Code] {
			if fh.Size > dost.MaxDocumentSize {
				in.Errors["doc."+d.Code] = "form.error.file.too_large"
				continue
			}
			content, err := readUpload(fh)
			if err != nil {
				s.Error(w, r, err)
				return
			}
			na.Documents = append(na.Documents, dost.NewDocument{Code: d.Code, FileName: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Content: content})
			codes = append(codes, d.Code)
		}
	}
	if len(in.Errors) > 0 {
		s.renderOpenErrors(w, r, p, http.StatusBadRequest, in)
		return
	}
	a, _, err := s.ApplicationService.SubmitApplication(ctx, na)
	if err != nil {
		in.Alert = formAlertKey(err)
		if in.Alert == "" {
			s.Error(w, r, err)
			return
		}
		in.Errors = fieldErrors(err, func(field string) string {
			switch field {
			case "service_code":
				return "service"
			case "centre_id":
				return "centre"
			case "note":
				return "note"
			}
			if code, ok := strings.CutPrefix(field, "documents."); ok {
				return "doc." + code
			}
			if rest, ok := strings.CutPrefix(field, "documents["); ok {
				if n, err := strconv.Atoi(rest[:max(strings.IndexByte(rest, ']'), 0)]); err == nil && n < len(codes) {
					return "doc." + codes[n]
				}
			}
			return ""
		})
		s.renderOpenErrors(w, r, p, ErrorStatus(err), in)
		return
	}
	http.Redirect(w, r, "/applications/"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
}

// readUpload reads an uploaded file of at most dost.MaxDocumentSize bytes.
func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, dost.MaxDocumentSize+1))
}

// renderOpenErrors re-renders the person page with the form in and its
// errors.
func (s *Server) renderOpenErrors(w http.ResponseWriter, r *http.Request, p *dost.Person, status int, in openInput) {
	v, err := s.personData(r.Context(), p)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if in.Alert == "" {
		in.Alert = "form.alert.invalid"
	}
	if v.Cases, err = s.personCasesFor(r, p, householdID(v), in); err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, status, "person", "persons", v)
}

// householdID returns the ID of the person page's household, 0 for none.
func householdID(v *personView) int64 {
	if v.Household == nil {
		return 0
	}
	return v.Household.ID
}

// ---- The application page.

// appPage is the data of the application page.
type appPage struct {
	App       *dost.Application
	Person    *dost.Person
	Service   *dost.Service
	Centre    *dost.Centre // nil for none
	Assignee  string
	Submitted string // date and time in Baku
	Late      bool
	Documents []docRow
	History   []historyRow
	Decision  *decisionPanel
	// Actions are the forms of the actions the user may take now; the
	// decision screen takes the deciding ones.
	Actions   []actionForm
	MayDecide bool
	Assign    *assignForm // nil when the user may not assign
	AddDoc    *addDocForm // nil when no document may be added
	Alert     string      // message key of what went wrong with a form
}

// docRow is a document of the application.
type docRow struct {
	Doc  *dost.ApplicationDocument
	Name dost.Text
	When string // date and time in Baku
	URL  string // the file's address, "" for an original seen or when the user may not read it
}

// historyRow is one transition of the application.
type historyRow struct {
	At         string
	Actor      string // "" for dost itself
	Action     dost.ApplicationAction
	From, To   dost.ApplicationStatus
	ReasonText dost.Text // the passport's refusal reason, if one
	Reason     string
}

// actionForm is the form of one action.
type actionForm struct {
	Action   dost.ApplicationAction
	Reason   bool // the form asks for a reason
	Required bool // … and it must be given
	Value    string
	Error    string
}

// actionReasons says which actions of the application page ask for a
// reason (true: required; casework requires one of staff to request
// information, withdraw, appeal and close). The others are a button alone.
var actionReasons = map[dost.ApplicationAction]bool{
	dost.ActionRequestInformation: true,
	dost.ActionProvideInformation: false,
	dost.ActionWithdraw:           true,
	dost.ActionAppeal:             true,
	dost.ActionClose:              true,
}

// deciding are the actions of the decision screen.
var deciding = []dost.ApplicationAction{dost.ActionApprove, dost.ActionRefuse, dost.ActionOverturn, dost.ActionUphold}

// assignForm is the form giving the application to a case worker.
type assignForm struct {
	Mine    bool // assigned to the user already
	Options []assigneeOpt
	Error   string
}

// assigneeOpt is a case worker in the select.
type assigneeOpt struct {
	ID       int64
	Name     string
	Selected bool
}

// addDocForm is the form adding a document to an open application.
type addDocForm struct {
	Options []docField
	Code    string
	Errors  map[string]string
}

// decisionPanel shows a decision: outcome, reason or amounts, who and
// when, the letter and the explanation it was computed with.
type decisionPanel struct {
	D          *dost.Decision
	ReasonText dost.Text
	Amounts    []amountRow
	DecidedBy  string
	DecidedAt  string
	LetterURL  string // "" when the server has no LetterService
	VerifyURL  string
	Trace      []*traceView
	// Manual holds the figures of a manual award (ui_manual_award.go).
	Manual *casework.ManualAward
}

// amountRow is one computed amount.
type amountRow struct {
	Label      string
	PersonFIN  dost.FIN // the beneficiary, or "" for a household
	PersonName string
	Eligible   bool
	Amount     dost.Money
}

// applicationOfPage returns the application of the {id} path value that
// the user may see, with its person and service.
func (s *Server) applicationOfPage(r *http.Request) (*dost.Application, *dost.Person, *dost.Service, error) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := s.PersonService.FindPersonByID(r.Context(), a.PersonID)
	if err != nil {
		return nil, nil, nil, err
	}
	svc, err := s.CatalogueService.FindServiceByCode(r.Context(), a.ServiceCode)
	if err != nil {
		return nil, nil, nil, err
	}
	return a, p, svc, nil
}

// handleApplicationPage handles "GET /applications/{id}": the
// application's facts, documents (download links for the roles that may
// read them), history, decision and the actions the user may take. 404
// also for an application of a centre outside the user's.
func (s *Server) handleApplicationPage(w http.ResponseWriter, r *http.Request) {
	s.renderApplication(w, r, http.StatusOK, nil)
}

// renderApplication renders the application page with status; change,
// if not nil, adds a form's values and errors.
func (s *Server) renderApplication(w http.ResponseWriter, r *http.Request, status int, change func(*appPage)) {
	a, p, svc, err := s.applicationOfPage(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := s.requestLang(w, r)
	v, err := s.applicationData(r, lang, a, p, svc)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if change != nil {
		change(v)
	}
	s.renderLang(w, r, lang, status, "application", "layout", s.pageFor(r, lang, "applications", v))
}

// applicationData builds the application page in lang.
func (s *Server) applicationData(r *http.Request, lang string, a *dost.Application, p *dost.Person, svc *dost.Service) (*appPage, error) {
	ctx := r.Context()
	u := dost.UserFromContext(ctx)
	name := s.userNames(ctx)
	v := &appPage{App: a, Person: p, Service: svc, Assignee: name(a.AssigneeID), Submitted: clockTime(a.SubmittedAt),
		Late: isLate(a, dost.Today(s.Clock))}
	if a.CentreID != 0 {
		c, err := s.CentreService.FindCentreByID(ctx, a.CentreID)
		if err != nil && dost.ErrorCode(err) != dost.ENOTFOUND {
			return nil, err
		}
		v.Centre = c
	}
	docName := func(code string) dost.Text {
		if i := slices.IndexFunc(svc.Documents, func(d dost.Document) bool { return d.Code == code }); i >= 0 {
			return svc.Documents[i].Name
		}
		return dost.Text{AZ: code, EN: code, RU: code}
	}
	mayRead := hasAnyRole(u, documentReaders)
	for _, d := range a.Documents {
		row := docRow{Doc: d, Name: docName(d.Code), When: clockTime(d.UploadedAt)}
		if !d.Presented && mayRead {
			row.URL = applicationPath(a.ID) + "/documents/" + strconv.FormatInt(d.ID, 10)
		}
		v.Documents = append(v.Documents, row)
	}
	for _, t := range a.Transitions {
		row := historyRow{At: clockTime(t.At), Actor: t.ActorName, Action: t.Action, From: t.From, To: t.To, Reason: t.Reason}
		if row.Actor == "" && t.ActorID != 0 {
			row.Actor = name(t.ActorID)
		}
		if i := slices.IndexFunc(svc.RefusalReasons, func(x dost.RefusalReason) bool { return x.Code == t.ReasonCode }); t.ReasonCode != "" && i >= 0 {
			row.ReasonText = svc.RefusalReasons[i].Text
		}
		v.History = append(v.History, row)
	}
	if a.DecisionID != 0 {
		var err error
		if v.Decision, err = s.decisionPanelOf(ctx, lang, a, svc); err != nil {
			return nil, err
		}
	}
	handler := hasAnyRole(u, caseHandlers)
	if handler {
		for _, action := range dost.AllowedActions(a.Status) {
			if slices.Contains(deciding, action) {
				v.MayDecide = true
				continue
			}
			required, reason := actionReasons[action]
			v.Actions = append(v.Actions, actionForm{Action: action, Reason: reason, Required: required})
		}
		assign, err := s.assignFormFor(ctx, u, a)
		if err != nil {
			return nil, err
		}
		v.Assign = assign
	}
	if a.Status.Open() && hasAnyRole(u, applicationOpeners) {
		v.AddDoc = &addDocForm{Errors: map[string]string{}}
		for _, d := range svc.Documents {
			v.AddDoc.Options = append(v.AddDoc.Options, docField{Code: d.Code, Name: d.Name, Required: d.Required})
		}
	}
	return v, nil
}

// assignFormFor returns the assignment form: the active case workers and
// supervisors of the application's centre (of the network when it has
// none).
func (s *Server) assignFormFor(ctx context.Context, u *dost.User, a *dost.Application) (*assignForm, error) {
	f := &assignForm{Mine: a.AssigneeID != 0 && a.AssigneeID == u.ID}
	seen := map[int64]bool{}
	for _, role := range caseHandlers {
		filter := dost.UserFilter{Role: &role, Limit: 500}
		if a.CentreID != 0 {
			filter.CentreID = &a.CentreID
		}
		users, _, err := s.UserService.FindUsers(ctx, filter)
		if err != nil {
			return nil, err
		}
		for _, x := range users {
			if x.Disabled || seen[x.ID] || !x.HasRole(role) {
				continue
			}
			seen[x.ID] = true
			f.Options = append(f.Options, assigneeOpt{ID: x.ID, Name: x.Name, Selected: x.ID == a.AssigneeID})
		}
	}
	return f, nil
}

// decisionPanelOf returns the panel of a's latest decision in lang.
func (s *Server) decisionPanelOf(ctx context.Context, lang string, a *dost.Application, svc *dost.Service) (*decisionPanel, error) {
	d, err := s.AwardService.FindDecisionByID(ctx, a.DecisionID)
	if err != nil {
		return nil, err
	}
	v := &decisionPanel{D: d, DecidedAt: clockTime(d.DecidedAt), VerifyURL: "/verify/" + d.LetterCode}
	if i := slices.IndexFunc(svc.RefusalReasons, func(x dost.RefusalReason) bool { return x.Code == d.ReasonCode }); d.ReasonCode != "" && i >= 0 {
		v.ReasonText = svc.RefusalReasons[i].Text
	}
	if v.Amounts, err = s.amountRows(ctx, lang, d.Amounts); err != nil {
		return nil, err
	}
	v.Trace = s.traceViews(lang, d.Trace)
	v.Manual = manualPanel(d)
	if s.Letters != nil {
		l, err := s.Letters.Letter(ctx, d.ID, lang)
		if err != nil {
			return nil, err
		}
		v.DecidedBy = l.DecidedBy
		v.LetterURL = "/applications/" + strconv.FormatInt(a.ID, 10) + "/letter.pdf"
	}
	return v, nil
}

// amountRows labels computed amounts in lang: the rule variable's label
// and the beneficiary's name.
func (s *Server) amountRows(ctx context.Context, lang string, amounts []dost.DecisionAmount) ([]amountRow, error) {
	var out []amountRow
	for _, x := range amounts {
		row := amountRow{Label: x.Programme, Eligible: x.Eligible, Amount: x.Amount}
		if x.Variable == casework.ManualVariable && strings.HasPrefix(x.Programme, casework.ManualProgrammePrefix) {
			row.Label = s.ui.msgs.text(lang, "decision.manual")
		}
		if s.RuleSet != nil {
			if v, ok := s.RuleSet.Variable(x.Variable); ok {
				row.Label = ruleLabel(v.Label, lang, x.Variable)
			}
		}
		if x.PersonID != 0 {
			p, err := s.PersonService.FindPersonByID(ctx, x.PersonID)
			if err != nil && dost.ErrorCode(err) != dost.ENOTFOUND {
				return nil, err
			} else if err == nil {
				row.PersonFIN, row.PersonName = p.FIN, p.FullName()
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// traceViews turns a stored trace (JSON of rules.Trace) into the
// explanation's views in lang, as /rules/try shows them; nil without a
// rule set or a trace.
func (s *Server) traceViews(lang string, raw json.RawMessage) []*traceView {
	if s.RuleSet == nil || len(raw) == 0 {
		return nil
	}
	var tr rules.Trace
	if err := json.Unmarshal(raw, &tr); err != nil {
		s.logger().Warn("decode a stored trace", "err", err)
		return nil
	}
	var out []*traceView
	for _, n := range tr.Roots {
		out = append(out, s.traceView(s.RuleSet, lang, n))
	}
	return out
}

// handleApplicationActionForm handles "POST /applications/{id}/actions": an
// action of the application page (review, request_information with a
// reason, provide_information, withdraw, appeal, close; form fields action
// and reason). Success redirects back to the page (303); an error
// re-renders it (400, 409) with the message next to the reason or above
// the forms. The deciding actions belong to the decision screen.
func (s *Server) handleApplicationActionForm(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	req := dost.TransitionRequest{Action: dost.ApplicationAction(r.PostFormValue("action")), Reason: r.PostFormValue("reason")}
	if slices.Contains(deciding, req.Action) {
		err = dost.Errorf(dost.EINVALID, "Decide on the decision screen.")
	} else {
		_, err = s.ApplicationService.Act(r.Context(), a.ID, req)
	}
	if err == nil {
		http.Redirect(w, r, "/applications/"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
		return
	}
	alert := formAlertKey(err)
	if alert == "" {
		s.Error(w, r, err)
		return
	}
	errs := fieldErrors(err, func(f string) string { return f })
	s.renderApplication(w, r, ErrorStatus(err), func(v *appPage) {
		v.Alert = alert
		for i := range v.Actions {
			if f := &v.Actions[i]; f.Action == req.Action {
				f.Value, f.Error = req.Reason, errs["reason"]
			}
		}
	})
}

// handleApplicationAssignForm handles "POST /applications/{id}/assign":
// gives the application to a case worker. The form field assignee is
// "me", a user's id, or 0 for nobody. Success redirects back to the
// application page; an error re-renders it with the message by the form.
func (s *Server) handleApplicationAssignForm(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	u := dost.UserFromContext(r.Context())
	raw := r.PostFormValue("assignee")
	var id int64
	switch raw {
	case "me":
		id = u.ID
	case "", "0":
	default:
		if id, err = strconv.ParseInt(raw, 10, 64); err != nil || id < 0 {
			err = &dost.Error{Code: dost.EINVALID, Message: "Choose a case worker.",
				Fields: []dost.FieldError{{Field: "assignee_id", Code: "assignee.unknown", Message: "Choose a case worker."}}}
		}
	}
	if err == nil {
		_, err = s.ApplicationService.Assign(r.Context(), a.ID, id)
	}
	if err == nil {
		http.Redirect(w, r, "/applications/"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
		return
	}
	alert := formAlertKey(err)
	if alert == "" {
		s.Error(w, r, err)
		return
	}
	errs := fieldErrors(err, func(f string) string { return f })
	s.renderApplication(w, r, ErrorStatus(err), func(v *appPage) {
		v.Alert = alert
		if v.Assign != nil {
			v.Assign.Error = errs["assignee_id"]
		}
	})
}

// handleApplicationDocumentForm handles "POST
// /applications/{id}/documents": adds a document to an open application
// from the application page (multipart: code, presented for an original
// seen, or a file). Success redirects back; an error re-renders the page
// with the message by the form.
func (s *Server) handleApplicationDocumentForm(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxDocumentUploadBytes)
	perr := r.ParseMultipartForm(4 << 20)
	d := dost.NewDocument{Code: strings.TrimSpace(r.PostFormValue("code")), Presented: r.PostFormValue("presented") != ""}
	errs := map[string]string{}
	switch {
	case perr != nil && !errors.Is(perr, http.ErrNotMultipart):
		errs["file"] = "form.error.file.too_large"
	case d.Code == "":
		errs["code"] = "form.error.required"
	case !d.Presented && (r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0):
		errs["file"] = "form.error.document.file_or_presented"
	case !d.Presented:
		fh := r.MultipartForm.File["file"][0]
		if fh.Size > dost.MaxDocumentSize {
			errs["file"] = "form.error.file.too_large"
			break
		}
		if d.Content, err = readUpload(fh); err != nil {
			s.Error(w, r, err)
			return
		}
		d.FileName, d.ContentType = fh.Filename, fh.Header.Get("Content-Type")
	}
	alert := "form.alert.invalid"
	if len(errs) == 0 {
		if _, err = s.ApplicationService.AddDocument(r.Context(), a.ID, d); err == nil {
			http.Redirect(w, r, "/applications/"+strconv.FormatInt(a.ID, 10)+"#documents", http.StatusSeeOther)
			return
		}
		if alert = formAlertKey(err); alert == "" {
			s.Error(w, r, err)
			return
		}
		errs = fieldErrors(err, func(f string) string {
			switch f {
			case "code", "file", "file_name":
				return strings.TrimSuffix(f, "_name")
			case "presented":
				return "file"
			}
			return ""
		})
	}
	status := http.StatusBadRequest
	if err != nil {
		status = ErrorStatus(err)
	}
	s.renderApplication(w, r, status, func(v *appPage) {
		v.Alert = alert
		if v.AddDoc != nil {
			v.AddDoc.Code, v.AddDoc.Errors = d.Code, errs
		}
	})
}

// handleApplicationLetter handles "GET /applications/{id}/letter.pdf": the
// letter of the application's latest decision, in the applicant's
// language. 404 before a decision.
func (s *Server) handleApplicationLetter(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if a.DecisionID == 0 {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "The application has no decision yet."))
		return
	}
	s.writeLetterPDF(w, r, a.DecisionID, "decision-"+a.Number+".pdf")
}

// ---- The decision screen.

// decidePage is the data of the decision screen.
type decidePage struct {
	App     *dost.Application
	Person  *dost.Person
	Service *dost.Service
	Late    bool
	// Assessment is the rules' answer now, while a decision is to be
	// made; AssessError the message key when the rules cannot answer.
	Assessment  *dost.Assessment
	Amounts     []amountRow
	Trace       []*traceView
	AssessError string
	// Decide: approve or refuse (in review); Appeal: uphold or overturn
	// (appealed).
	Decide, Appeal bool
	// NoRules: a benefit service dost has no rules for, approved with a
	// manual award (ui_manual_award.go); OverturnManual: the appeal is of
	// a refusal of such a service, so the overturn form takes one too.
	NoRules        bool
	OverturnManual bool
	Reasons        []reasonOpt
	Form           decideInput
	Decision       *decisionPanel
	Alert          string
}

// reasonOpt is a refusal reason of the passport in the select.
type reasonOpt struct {
	Code     string
	Text     dost.Text
	Selected bool
}

// decideInput is the decision form as sent, with its errors.
type decideInput struct {
	Action     dost.ApplicationAction
	ReasonCode string
	Reason     string
	Manual     manualInput
	Errors     map[string]string
}

// handleDecisionScreen handles "GET /applications/{id}/decide": for an
// application in review, the rules' assessment for its period (amounts,
// right, and the explanation as /rules/try shows it) and the forms to
// approve or to refuse with a reason of the passport; for an appealed one
// the forms to uphold or overturn; once decided, the decision with its
// letter.
func (s *Server) handleDecisionScreen(w http.ResponseWriter, r *http.Request) {
	s.renderDecision(w, r, http.StatusOK, decideInput{}, "")
}

// renderDecision renders the decision screen with the form in and alert
// (a message key, "" for none) above it.
func (s *Server) renderDecision(w http.ResponseWriter, r *http.Request, status int, in decideInput, alert string) {
	ctx := r.Context()
	a, p, svc, err := s.applicationOfPage(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := s.requestLang(w, r)
	if in.Errors == nil {
		in.Errors = map[string]string{}
	}
	v := &decidePage{App: a, Person: p, Service: svc, Late: isLate(a, dost.Today(s.Clock)), Form: in, Alert: alert,
		Decide: a.Status == dost.ApplicationInReview, Appeal: a.Status == dost.ApplicationAppealed, NoRules: s.noRules(svc)}
	if v.Decide || v.Appeal {
		as, err := s.ApplicationService.Assess(ctx, a.ID)
		switch {
		case err == nil:
			v.Assessment, v.Trace = as, s.traceViews(lang, as.Trace)
			if v.Amounts, err = s.amountRows(ctx, lang, as.Amounts); err != nil {
				s.Error(w, r, err)
				return
			}
		case dost.ErrorCode(err) == dost.EINTERNAL:
			s.Error(w, r, err)
			return
		default:
			v.AssessError = "decide.assess_failed"
		}
		for _, x := range svc.RefusalReasons {
			v.Reasons = append(v.Reasons, reasonOpt{Code: x.Code, Text: x.Text, Selected: x.Code == in.ReasonCode})
		}
	}
	if a.DecisionID != 0 {
		if v.Decision, err = s.decisionPanelOf(ctx, lang, a, svc); err != nil {
			s.Error(w, r, err)
			return
		}
		v.OverturnManual = v.Appeal && v.NoRules && v.Decision.D.Outcome == dost.DecisionRefused
	}
	s.renderLang(w, r, lang, status, "application_decide", "layout", s.pageFor(r, lang, "applications", v))
}

// handleDecisionForm handles "POST /applications/{id}/decide": the
// decision screen's forms. action approve or refuse (reason_code, one of
// the passport's refusal reasons, required to refuse; reason, free text),
// overturn or uphold (reason required). For a benefit service dost has no
// rules for, approve, and overturn of a refusal, may carry a manual award
// (manual_kind monthly or one_off, manual_amount in manat, manual_start,
// manual_end optional; the reason then required: ui_manual_award.go);
// nothing is stored when a figure is bad. Success redirects to the decision
// screen, which then shows the decision and its letter (303); an error
// re-renders it (400, 403 for one's own or a household member's
// application, 409 when the status changed meanwhile) with the messages
// next to the fields.
func (s *Server) handleDecisionForm(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in := decideInput{Action: dost.ApplicationAction(r.PostFormValue("action")),
		ReasonCode: strings.TrimSpace(r.PostFormValue("reason_code")), Reason: r.PostFormValue("reason"),
		Manual: manualInputOf(r.PostFormValue)}
	req := dost.TransitionRequest{Action: in.Action, ReasonCode: in.ReasonCode, Reason: in.Reason}
	md := s.manualOf()
	switch {
	case (in.Action == dost.ActionApprove || in.Action == dost.ActionOverturn) && in.Manual.Kind != "" && md != nil:
		// A manual award (ui_manual_award.go): the fields that do not
		// parse are told at once, with the reason when it is missing.
		m, errs := in.Manual.award()
		if strings.TrimSpace(in.Reason) == "" {
			errs["reason"] = "form.error.required"
		}
		if len(errs) > 0 {
			in.Errors = errs
			s.renderDecision(w, r, http.StatusBadRequest, in, "form.alert.invalid")
			return
		}
		_, err = md.DecideManual(r.Context(), a.ID, req, m)
	case in.Action == dost.ActionApprove, in.Action == dost.ActionRefuse, in.Action == dost.ActionOverturn:
		_, err = s.ApplicationService.Decide(r.Context(), a.ID, req)
	case in.Action == dost.ActionUphold:
		_, err = s.ApplicationService.Act(r.Context(), a.ID, req)
	default:
		err = &dost.Error{Code: dost.EINVALID, Message: "Choose a decision.",
			Fields: []dost.FieldError{{Field: "action", Code: "application_action.unknown", Message: "Choose a decision."}}}
	}
	if err == nil {
		http.Redirect(w, r, "/applications/"+strconv.FormatInt(a.ID, 10)+"/decide", http.StatusSeeOther)
		return
	}
	alert := formAlertKey(err)
	if alert == "" {
		s.Error(w, r, err)
		return
	}
	if dost.ErrorCode(err) == dost.ECONFLICT && len(dost.ErrorFields(err)) > 0 {
		// A conflict with a field (a manual award the applicant has
		// already) is told next to it, not as a change meanwhile.
		alert = "form.alert.invalid"
	}
	in.Errors = fieldErrors(err, func(f string) string { return f })
	s.renderDecision(w, r, ErrorStatus(err), in, alert)
}

// ---- The work queue.

// queuePage is the data of the case worker's work queue.
type queuePage struct {
	Service  string
	Mine     bool
	LateOnly bool
	// All is the toggle "all services"; otherwise the queue shows the
	// user's services (Scope, see myServices), Count of them.
	All      bool
	Scope    string
	Count    int
	Groups   []serviceGroupOpt
	Rows     []applicationRow
	Total    int
	From, To int
	PrevURL  string
	NextURL  string
}

// handleWorkQueue handles "GET /applications": the work queue of the
// user's centres (all for staff of no centre): applications awaiting
// their decision, oldest deadline first, late ones marked, filtered by
// ?service=, ?mine=1 (assigned to the user) and ?late=1, ApplicationsPerPage
// at a time (?page=). Without ?service= or ?mine=1 it shows the user's
// services (myServices: those of their certifications' categories, else
// those offered at their centres); ?all=1 shows all services.
func (s *Server) handleWorkQueue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := dost.UserFromContext(ctx)
	q := r.URL.Query()
	v := queuePage{Service: strings.TrimSpace(q.Get("service")), Mine: q.Get("mine") != "", LateOnly: q.Get("late") != "", All: q.Get("all") != ""}
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	f := dost.ApplicationFilter{CentreIDs: centreScope(u), Statuses: openStatuses, ServiceCode: v.Service, Queue: true,
		Offset: (page - 1) * ApplicationsPerPage, Limit: ApplicationsPerPage}
	if v.Mine {
		f.AssigneeID = u.ID
	}
	if v.LateOnly {
		late := true
		f.Late = &late
	}
	centres, err := s.staffCentres(ctx, u)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	services, err := s.servicesAt(ctx, centres, nil)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var codes []string // the user's services; nil: any
	if !v.All {
		if services, v.Scope, err = s.myServices(ctx, u, services); err != nil {
			s.Error(w, r, err)
			return
		}
		v.Count = len(services)
		switch {
		case v.Mine: // what is assigned to the user is theirs, whatever the service
			v.Scope = queueScopeMine
		case v.Service == "":
			codes = serviceCodes(services)
		}
	}
	v.Groups = groupServices(services, v.Service)
	apps, total, err := s.queueOf(ctx, f, codes)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if v.Rows, err = s.applicationRows(ctx, apps); err != nil {
		s.Error(w, r, err)
		return
	}
	v.Total, v.From, v.To = total, f.Offset+1, f.Offset+len(apps)
	pageURL := func(n int) string {
		pq := url.Values{}
		for _, k := range []string{"service", "mine", "late", "all"} {
			if x := q.Get(k); x != "" {
				pq.Set(k, x)
			}
		}
		if n > 1 {
			pq.Set("page", strconv.Itoa(n))
		}
		return "/applications?" + pq.Encode()
	}
	if page > 1 {
		v.PrevURL = pageURL(page - 1)
	}
	if f.Offset+len(apps) < total {
		v.NextURL = pageURL(page + 1)
	}
	s.render(w, r, http.StatusOK, "applications", "applications", v)
}

// applicationRows returns the list rows of apps: service names, late
// marks and assignees.
func (s *Server) applicationRows(ctx context.Context, apps []*dost.Application) ([]applicationRow, error) {
	services, err := s.serviceIndex(ctx)
	if err != nil {
		return nil, err
	}
	name := s.userNames(ctx)
	today := dost.Today(s.Clock)
	var out []applicationRow
	for _, a := range apps {
		row := applicationRow{App: a, Submitted: dost.DateOf(a.SubmittedAt.In(dost.Baku)), Late: isLate(a, today), Assignee: name(a.AssigneeID)}
		if svc := services[a.ServiceCode]; svc != nil {
			row.Service = svc.Name
		}
		out = append(out, row)
	}
	return out, nil
}

// ---- The supervisor's deadline view.

// LateShown is how many late open applications the deadline view lists.
const LateShown = 50

// deadlinesPage is the data of the deadline view.
type deadlinesPage struct {
	From, To string
	Centre   string // a centre's code, "" for all in scope
	Centres  []centreOpt
	Errors   map[string]string
	Rows     []deadlineRow
	Total    dost.DeadlineCounts
	Late     []applicationRow
	LateAll  int
	// HolidaysMissing are this year and next if the calendar has no
	// moving holidays for them (dost.YearsWithoutMovingHolidays).
	HolidaysMissing []int
}

// MissingYears returns HolidaysMissing as the page says them: "2026, 2027".
func (v deadlinesPage) MissingYears() string {
	out := make([]string, len(v.HolidaysMissing))
	for i, y := range v.HolidaysMissing {
		out[i] = strconv.Itoa(y)
	}
	return strings.Join(out, ", ")
}

// deadlineRow is one service's counts.
type deadlineRow struct {
	dost.DeadlineCounts
	Name dost.Text
}

// handleDeadlineView handles "GET /deadlines": per service, the
// applications submitted from ?from= to ?to= (default: the 30 days up to
// today) decided on time and late, and still open on time and late, for
// the user's centres or one of them (?centre=, a code; another centre is
// 403); then the open applications the deadline job has marked late, of
// any date, oldest deadline first.
func (s *Server) handleDeadlineView(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := dost.UserFromContext(ctx)
	q := r.URL.Query()
	to := dost.Today(s.Clock)
	from := to.AddDate(0, 0, -29)
	v := deadlinesPage{From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Centre: strings.TrimSpace(q.Get("centre")), Errors: map[string]string{}}
	for _, p := range []struct {
		name string
		raw  *string
		d    *dost.Date
	}{{"from", &v.From, &from}, {"to", &v.To, &to}} {
		if *p.raw == "" {
			*p.raw = p.d.String()
			continue
		}
		d, err := dost.ParseDate(*p.raw)
		if err != nil {
			v.Errors[p.name] = "deadlines.error.date"
			continue
		}
		*p.d = d
	}
	if len(v.Errors) == 0 && to.Before(from) {
		v.Errors["to"] = "deadlines.error.range"
	}
	scope := centreScope(u)
	centres := scope
	if v.Centre != "" {
		c, err := s.centreParam(r, "centre", v.Centre)
		switch {
		case dost.ErrorCode(err) == dost.EINVALID:
			v.Errors["centre"] = "deadlines.error.centre"
		case err != nil:
			s.Error(w, r, err)
			return
		case !inScope(scope, c.ID):
			s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "You may see only your centres' deadlines."))
			return
		default:
			centres = []int64{c.ID}
		}
	}
	mine, err := s.staffCentres(ctx, u)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if len(mine) > 1 {
		for _, c := range mine {
			v.Centres = append(v.Centres, centreOpt{ID: c.ID, Code: c.Code, Name: c.Name, Selected: c.Code == v.Centre})
		}
	}
	if s.HolidayService != nil {
		y := dost.Today(s.Clock).Year()
		if v.HolidaysMissing, err = dost.YearsWithoutMovingHolidays(ctx, s.HolidayService, y, y+1); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if len(v.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "deadlines", "deadlines", v)
		return
	}
	if s.Deadlines == nil {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "Deadline counts are not available on this server."))
		return
	}
	counts, err := s.Deadlines.DeadlineCounts(ctx, centres, from, to)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	services, err := s.serviceIndex(ctx)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, c := range counts {
		row := deadlineRow{DeadlineCounts: c}
		if svc := services[c.ServiceCode]; svc != nil {
			row.Name = svc.Name
		}
		v.Rows = append(v.Rows, row)
		v.Total.OnTime += c.OnTime
		v.Total.Late += c.Late
		v.Total.OpenOnTime += c.OpenOnTime
		v.Total.OpenLate += c.OpenLate
	}
	late := true
	apps, total, err := s.ApplicationService.FindApplications(ctx, dost.ApplicationFilter{CentreIDs: centres,
		Statuses: openStatuses, Late: &late, Queue: true, Limit: LateShown})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v.LateAll = total
	if v.Late, err = s.applicationRows(ctx, apps); err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "deadlines", "deadlines", v)
}
