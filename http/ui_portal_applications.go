package http

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// This file holds the citizen's applications on the portal: the list,
// one application with its history and deadline, and what the citizen
// does on it: upload a requested document, say the information is sent,
// appeal a decision, withdraw before the decision.

// portalApplication is an application as the portal lists it.
type portalApplication struct {
	*dost.Application
	Service dost.Text
	Late    bool
}

// applicationsView is the list of the citizen's applications.
type applicationsView struct {
	Applications []portalApplication
	CanApply     bool // some service may be applied for online
}

// handlePortalApplications handles "GET /my/applications": the citizen's
// applications, newest first, with status and deadline.
func (s *Server) handlePortalApplications(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	ctx := r.Context()
	list, _, err := s.ApplicationService.FindApplications(ctx, dost.ApplicationFilter{PersonID: c.Person.ID, Limit: 200})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	names, err := s.serviceIndex(ctx)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	today := dost.Today(s.Clock)
	v := applicationsView{}
	for _, a := range list {
		if a.PersonID != c.Person.ID {
			continue
		}
		v.Applications = append(v.Applications, portalApplication{Application: a, Service: serviceName(names, a.ServiceCode), Late: isLate(a, today)})
	}
	for _, svc := range names {
		v.CanApply = v.CanApply || onlineService(svc)
	}
	s.renderPortal(w, r, http.StatusOK, "portal_applications", "my.applications", c, v)
}

// serviceName returns the name of service code, or the code.
func serviceName(names map[string]*dost.Service, code string) dost.Text {
	if svc := names[code]; svc != nil {
		return svc.Name
	}
	return dost.Text{AZ: code, EN: code, RU: code}
}

// errPortalNotFound is the answer for an id in a portal URL that is not
// the citizen's: the same as for one that does not exist.
var errPortalNotFound = dost.Errorf(dost.ENOTFOUND, "Not found.")

// ownApplication returns application id if it is c's own; ENOTFOUND
// otherwise (another citizen's, or none).
func (s *Server) ownApplication(ctx context.Context, c *citizen, id int64) (*dost.Application, error) {
	a, err := s.ApplicationService.FindApplicationByID(ctx, id)
	if dost.ErrorCode(err) == dost.ENOTFOUND || err == nil && a.PersonID != c.Person.ID {
		return nil, errPortalNotFound
	}
	return a, err
}

// ownApplicationOfPath returns the application the path's {id} names if it is
// c's own; ENOTFOUND for a malformed id as for another citizen's.
func (s *Server) ownApplicationOfPath(r *http.Request, c *citizen) (*dost.Application, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, errPortalNotFound
	}
	return s.ownApplication(r.Context(), c, id)
}

// applicationPage is one application on the portal with its forms.
type applicationPage struct {
	App       *dost.Application
	Service   *dost.Service
	Late      bool
	Decision  *dost.Decision
	AppealBy  string // the last day to appeal, "" if it may not be appealed
	CanAppeal bool
	CanWithdraw,
	CanUpload,
	CanProvide bool
	Docs     []dost.Document // the passport's documents, for the upload
	Doc      string          // the chosen document code (re-render)
	Reason   string          // the appeal's or withdrawal's reason (re-render)
	Action   string          // the form re-rendered
	Alert    string          // message key
	Errors   map[string]string
	Uploaded bool   // ?uploaded=1
	Done     string // the message key of ?done=
}

// Day returns the day of t in Baku, as the page shows the day something
// happened: an application submitted at 01:00 Baku (21:00 UTC the day
// before) was submitted that Baku day.
func (applicationPage) Day(t time.Time) string { return dost.DateOf(t.In(dost.Baku)).String() }

// Moment returns t in Baku in RFC 3339, for a <time datetime>.
func (applicationPage) Moment(t time.Time) string { return t.In(dost.Baku).Format(time.RFC3339) }

// loadApplicationPage fills v for application a of c.
func (s *Server) loadApplicationPage(ctx context.Context, a *dost.Application, v *applicationPage) error {
	v.App = a
	svc, err := s.CatalogueService.FindServiceByCode(ctx, a.ServiceCode)
	if err != nil {
		return err
	}
	v.Service, v.Docs = svc, svc.Documents
	v.Late = isLate(a, dost.Today(s.Clock))
	if a.DecisionID != 0 {
		if v.Decision, err = s.AwardService.FindDecisionByID(ctx, a.DecisionID); err != nil {
			return err
		}
	}
	allowed := dost.AllowedActions(a.Status)
	v.CanWithdraw = slices.Contains(allowed, dost.ActionWithdraw)
	v.CanUpload = a.Status.Open()
	v.CanProvide = slices.Contains(allowed, dost.ActionProvideInformation)
	if slices.Contains(allowed, dost.ActionAppeal) && v.Decision != nil {
		last := dost.DateOf(v.Decision.DecidedAt.In(dost.Baku)).AddDate(0, 0, appealDays)
		if !dost.Today(s.Clock).After(last) {
			v.CanAppeal, v.AppealBy = true, last.String()
		}
	}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	return nil
}

// handlePortalApplication handles "GET /my/applications/{id}": one of the
// citizen's applications with its status, deadline, documents and
// history, and the forms of what the citizen may do now. Another
// person's application is 404.
func (s *Server) handlePortalApplication(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	a, err := s.ownApplicationOfPath(r, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v := applicationPage{}
	if d := r.URL.Query().Get("done"); slices.Contains(portalDone, d) {
		v.Done = "portal.application.done." + d
	}
	if err := s.loadApplicationPage(r.Context(), a, &v); err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderPortal(w, r, http.StatusOK, "portal_application", "my.applications", c, v)
}

// portalDone are the answers an application page says after a form
// (?done=): "portal.application.done.<one>".
var portalDone = []string{"submit", "upload", "appeal", "withdraw", "provide_information"}

// portalActions are the actions a citizen takes on the portal.
var portalActions = []dost.ApplicationAction{dost.ActionAppeal, dost.ActionWithdraw, dost.ActionProvideInformation}

// handlePortalApplicationAct handles "POST /my/applications/{id}/actions":
// action=appeal (with a reason, within 30 days of the decision),
// withdraw (before the decision, reason optional) or
// provide_information (the documents asked for are uploaded). A refusal
// re-renders the page with the message; success redirects to it.
func (s *Server) handlePortalApplicationAct(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	ctx := r.Context()
	a, err := s.ownApplicationOfPath(r, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	action := dost.ApplicationAction(strings.TrimSpace(r.PostFormValue("action")))
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	v := applicationPage{Action: string(action), Reason: reason, Errors: map[string]string{}}
	var actErr error
	switch {
	case !slices.Contains(portalActions, action):
		v.Errors["action"] = "form.error.application_action.unknown"
	case action == dost.ActionAppeal && reason == "":
		v.Errors["reason"] = "form.error.required"
	case len(reason) > 2000 || !dost.ValidText(reason, true):
		v.Errors["reason"] = "form.error.reason.invalid"
	}
	if len(v.Errors) == 0 && action == dost.ActionWithdraw && a.Status == dost.ApplicationWithdrawn {
		// A double click: withdrawn already.
		http.Redirect(w, r, portalApplicationPath(a.ID)+"?done="+string(action), http.StatusSeeOther)
		return
	}
	if len(v.Errors) == 0 {
		_, actErr = s.ApplicationService.Act(ctx, a.ID, dost.TransitionRequest{Action: action, Reason: reason})
		err = actErr
		if err == nil {
			http.Redirect(w, r, portalApplicationPath(a.ID)+"?done="+string(action), http.StatusSeeOther)
			return
		}
		if v.Alert = formAlertKey(err); v.Alert == "" {
			s.Error(w, r, err)
			return
		}
		v.Errors = fieldErrors(err, func(f string) string { return f })
		if a, err = s.ownApplication(ctx, c, a.ID); err != nil { // the status now
			s.Error(w, r, err)
			return
		}
	} else {
		v.Alert = "form.alert.invalid"
	}
	if err := s.loadApplicationPage(ctx, a, &v); err != nil {
		s.Error(w, r, err)
		return
	}
	status := http.StatusBadRequest
	if dost.ErrorCode(actErr) == dost.ECONFLICT {
		status = http.StatusConflict
	}
	s.renderPortal(w, r, status, "portal_application", "my.applications", c, v)
}

// handlePortalDocumentUpload handles "POST /my/applications/{id}/documents":
// the citizen uploads a document (a code of the passport and a file: PDF,
// JPEG or PNG up to 10 MiB) to their application awaiting its decision.
func (s *Server) handlePortalDocumentUpload(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	ctx := r.Context()
	a, err := s.ownApplicationOfPath(r, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxDocumentUploadBytes)
	perr := r.ParseMultipartForm(4 << 20)
	d := dost.NewDocument{Code: strings.TrimSpace(r.PostFormValue("code"))}
	v := applicationPage{Action: "upload", Doc: d.Code, Errors: map[string]string{}}
	switch {
	case perr != nil && !errors.Is(perr, http.ErrNotMultipart):
		v.Errors["file"] = "form.error.file.too_large"
	case d.Code == "":
		v.Errors["code"] = "form.error.required"
	case r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0:
		v.Errors["file"] = "form.error.required"
	default:
		fh := r.MultipartForm.File["file"][0]
		if fh.Size > dost.MaxDocumentSize {
			v.Errors["file"] = "form.error.file.too_large"
			break
		}
		if d.Content, err = readUpload(fh); err != nil {
			s.Error(w, r, err)
			return
		}
		d.FileName, d.ContentType = fh.Filename, fh.Header.Get("Content-Type")
	}
	v.Alert = "form.alert.invalid"
	if len(v.Errors) == 0 {
		if _, err = s.ApplicationService.AddDocument(ctx, a.ID, d); err == nil {
			http.Redirect(w, r, portalApplicationPath(a.ID)+"?done=upload#documents", http.StatusSeeOther)
			return
		}
		if v.Alert = formAlertKey(err); v.Alert == "" {
			s.Error(w, r, err)
			return
		}
		v.Errors = fieldErrors(err, func(f string) string {
			if f == "code" {
				return "code"
			}
			return "file"
		})
	}
	if err := s.loadApplicationPage(ctx, a, &v); err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderPortal(w, r, http.StatusBadRequest, "portal_application", "my.applications", c, v)
}
