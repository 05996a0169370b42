package http

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// This file holds what a citizen does to their own applications through
// the API: apply online and act (provide information, appeal, withdraw),
// through the same application service calls as the portal's forms
// (ui_portal_apply.go, ui_portal_applications.go). The person is the
// signed-in citizen's, never from the URL or the body; another person's
// application answers 404.

// meApplicationRoutes returns the citizen's write rows of /api/v1/me.
func (s *Server) meApplicationRoutes() []Route {
	me := func(pattern string, h http.HandlerFunc) Route {
		return Route{Pattern: pattern, Access: ByRole, Roles: portalRoles, Handler: h}
	}
	return []Route{
		me("POST /api/v1/me/applications", s.handleMeApplicationCreate),
		me("POST /api/v1/me/applications/{id}/transitions", s.handleMeApplicationTransition),
	}
}

// meApplicationPath returns the citizen API's path of application id.
func meApplicationPath(id int64) string {
	return "/api/v1/me/applications/" + strconv.FormatInt(id, 10)
}

// meApplicationViewOf returns a with the actions the citizen may take.
func meApplicationViewOf(a *dost.Application) meApplication {
	v := meApplication{Application: a, AllowedActions: []dost.ApplicationAction{}}
	for _, act := range dost.AllowedActions(a.Status) {
		if slices.Contains(portalActions, act) {
			v.AllowedActions = append(v.AllowedActions, act)
		}
	}
	if a.Documents == nil {
		a.Documents = []*dost.ApplicationDocument{}
	}
	if a.Transitions == nil {
		a.Transitions = []*dost.Transition{}
	}
	return v
}

// handleMeApplicationCreate handles "POST /api/v1/me/applications": the
// citizen applies online for a service whose passport allows it, for
// themselves (the person of the session or token).
//
// The body is JSON {service_code, period, note}, or multipart/form-data
// with a part "application" holding that JSON and a file part
// "document:<code>" per document, as the portal's form takes them (a
// citizen uploads files; originals are presented at a window only). The
// staff fields fin, centre_id, channel and documents are refused (400,
// field errors), as is a service that cannot be requested online
// ("service_code", "channel.not_offered"). The Idempotency-Key header is
// required, as on the staff API: a repeat with the same key answers 200
// with the first application and changes nothing; a new application
// answers 201 with its Location.
func (s *Server) handleMeApplicationCreate(w http.ResponseWriter, r *http.Request) {
	c := s.meCitizen(w, r)
	if c == nil {
		return
	}
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
	var v dost.Validation
	if in.FIN != "" {
		v.Add("fin", "field.unknown", "A citizen applies for themselves: leave fin out.")
	}
	if in.CentreID != 0 {
		v.Add("centre_id", "field.unknown", "An online application has no centre: leave centre_id out.")
	}
	if in.Channel != "" && in.Channel != dost.ApplicationOnline {
		v.Add("channel", "field.unknown", "A citizen applies online: leave channel out.")
	}
	if len(in.Documents) > 0 {
		v.Add("documents", "field.unknown", "Upload documents as file parts document:<code>; originals are presented at a centre.")
	}
	if err := v.Err("The application has errors."); err != nil {
		s.Error(w, r, err)
		return
	}
	na := &dost.NewApplication{FIN: c.Person.FIN, ServiceCode: strings.TrimSpace(in.ServiceCode), Channel: dost.ApplicationOnline,
		Period: in.Period, Note: strings.TrimSpace(in.Note), IdempotencyKey: "api:" + key, Documents: files}
	// "api:": the portal's form keys are "portal:…" for the same submitter;
	// a key of one channel never answers with the other's application.
	a, created, err := s.ApplicationService.SubmitApplication(r.Context(), na)
	if err != nil {
		s.Error(w, r, meSubmitError(renameFileFields(err, 0, files)))
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", meApplicationPath(a.ID))
	}
	writeJSON(w, status, meApplicationViewOf(a))
}

// meSubmitError names a service not requested online by the field the
// citizen sent, service_code: the channel is not theirs to choose.
func meSubmitError(err error) error {
	var e *dost.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := &dost.Error{Code: e.Code, Message: e.Message, Fields: slices.Clone(e.Fields)}
	for i := range out.Fields {
		if out.Fields[i].Field == "channel" {
			out.Fields[i].Field = "service_code"
		}
	}
	return out
}

// meTransitionInput is the body of "POST
// /api/v1/me/applications/{id}/transitions".
type meTransitionInput struct {
	Action dost.ApplicationAction `json:"action"`
	Reason string                 `json:"reason"`
}

// handleMeApplicationTransition handles "POST
// /api/v1/me/applications/{id}/transitions": the citizen provides the
// information asked for (after uploading it), appeals a decision (a
// reason required, within casework.AppealDays days) or withdraws their
// application before its decision (reason optional), as on the portal's
// application page, and gets the application back. Another person's
// application is 404; an action a citizen may not take is 400 ("action");
// one the status does not allow is 409, nothing changed.
func (s *Server) handleMeApplicationTransition(w http.ResponseWriter, r *http.Request) {
	c := s.meCitizen(w, r)
	if c == nil {
		return
	}
	a, err := s.ownApplicationOfPath(r, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in meTransitionInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if !slices.Contains(portalActions, in.Action) {
		msg := "action is provide_information, appeal or withdraw."
		code := "application_action.not_allowed"
		if in.Action == "" {
			code = "required"
		}
		s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: "A citizen provides information, appeals or withdraws.",
			Fields: []dost.FieldError{{Field: "action", Code: code, Message: msg}}})
		return
	}
	if _, err := s.ApplicationService.Act(r.Context(), a.ID, dost.TransitionRequest{Action: in.Action, Reason: in.Reason}); err != nil {
		s.Error(w, r, err)
		return
	}
	full, err := s.ownApplication(r.Context(), c, a.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, meApplicationViewOf(full))
}
