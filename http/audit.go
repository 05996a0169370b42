package http

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dost-az/dost"
)

// This file records the audit trail in the HTTP layer (authorize calls
// beginAudit for every route but the static files when Server.AuditService
// is set):
//
//   - every change that succeeded (POST, PUT, PATCH, DELETE answered below
//     400) by a signed-in user, with the route, its path values, the actor,
//     IP and request id, and the person concerned when the route names one;
//     signing in and out are recorded as sign_in and sign_out;
//   - every staff read of one person's record (a GET of a route that names
//     a person: {fin}, or an application, whose person it resolves, and
//     the changes that answer with the record, personReads) as read with
//     the person's id;
//   - every refusal (403) of a signed-in user as denied, and every 404 of
//     a citizen's own-record route by id (ownRecordRoute: /my/…/{id},
//     /api/v1/me/…/{id}), where another's id is answered as unknown, as
//     denied with the note "not found".
//
// Staff scoped to centres who read a person who is not of their centres
// (dost.PersonOfCentres) must give a reason: the X-Dost-Reason header or
// the reason query parameter; a reason given for the person within
// reasonWindow covers the record's other pages. Without one the API
// answers 403 problem+json with code audit.reason_required and a page
// shows a form asking for it.
//
// The hall's hot routes (kiosk, board, ticket pages) are public and read
// nothing of a person, so they are not recorded. Neither is the
// operators' queue work (queueWork: counter sign-in and out, calls,
// ticket actions): it changes no one's record, and the queue's own log
// (queue_events: who, what, when, at which counter) keeps every step of
// it; an append per call would add an audit transaction to the hall's
// busiest write.

// ReasonHeader carries the reason for reading a person outside one's
// centres.
const ReasonHeader = "X-Dost-Reason"

// codeReasonRequired is the problem code of a read refused for want of a
// reason.
const codeReasonRequired = "audit.reason_required"

// reasonWindow is how long a reason given for a person covers further
// reads of their record by the same staff member.
const reasonWindow = 30 * time.Minute

// auditWriter is the response writer of an audited request: it keeps the
// status, and end records the event.
type auditWriter struct {
	http.ResponseWriter
	s      *Server
	r      *http.Request
	rt     Route
	u      *dost.User
	status int

	change   bool  // POST, PUT, PATCH or DELETE
	read     bool  // a staff read of a person's record
	personID int64 // the person the route names, 0 if none or unknown
	reason   string

	byFIN, byApplication bool // how the route names a person (personRef)
	found                bool // findPerson ran
	// shown are the other persons whose records the answer shows (a
	// search's results, a household's members: readsOf), each recorded as
	// a staff read.
	shown []int64
}

// readsOf notes that the answer being written through w shows the records
// of the persons ids (a search's results, a household's members): when
// the request is a staff member's and succeeds, each is recorded as a read
// of that person, as a page of one person is, so that the citizen sees it
// on "who viewed my data". Without an audit trail it does nothing.
func readsOf(w http.ResponseWriter, ids ...int64) {
	if aw, ok := w.(*auditWriter); ok {
		aw.shown = append(aw.shown, ids...)
	}
}

// findPerson sets personID to the person the route names (0 if none)
// and says whether they are of the centres (see AuditService.PersonScope).
// A malformed FIN or id is no person: the handler answers it.
func (w *auditWriter) findPerson(centres []int64) (of bool, err error) {
	w.found = true
	ctx := context.WithoutCancel(w.r.Context())
	switch {
	case w.byFIN:
		fin, ferr := pathFIN(w.r)
		if ferr != nil {
			return true, nil
		}
		w.personID, of, err = w.s.AuditService.PersonScope(ctx, fin, centres)
	case w.byApplication:
		id, perr := strconv.ParseInt(w.r.PathValue("id"), 10, 64)
		if perr != nil {
			return true, nil
		}
		w.personID, of, err = w.s.AuditService.ApplicationScope(ctx, id, centres)
	default:
		return true, nil
	}
	return of, err
}

// WriteHeader implements http.ResponseWriter.
func (w *auditWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *auditWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher.
func (w *auditWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *auditWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// isChange reports whether method changes something.
func isChange(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// signOutPatterns and the sign-in routes (signInRoute) are recorded as
// sign_out and sign_in.
var signOutPatterns = map[string]bool{"POST /signout": true, "DELETE /api/v1/session": true}

// signInRoute reports whether a route may open a session for nobody: the
// password forms and the OpenID Connect callbacks.
func signInRoute(pattern string) bool {
	return pattern == "POST /signin" || pattern == "POST /api/v1/session" || strings.Contains(pattern, "oidc")
}

// personReads are the routes that change something and answer with the
// person's record too, so they are reads of it as well: issuing a
// certificate at the window hands out the person's registry data or
// awards. They need the reason a GET needs, and record a read event for
// the person besides the change (the citizen's "who viewed my data"
// lists it).
var personReads = map[string]bool{
	"POST /api/v1/persons/{fin}/certificates": true,
}

// personRef tells how a route names a person: by {fin}, or by the {id}
// of an application.
func personRef(pattern string) (fin, application bool) {
	if strings.Contains(pattern, "{fin}") {
		return true, false
	}
	return false, strings.Contains(pattern, "/applications/{id}")
}

// beginAudit starts the audit of a request to rt by u (nil: nobody). It
// returns the writer to serve the request with, whose end records the
// event (nil when nothing is to be recorded), and false when it has
// answered the request itself: a read that needs a reason and has none.
func (s *Server) beginAudit(w http.ResponseWriter, r *http.Request, rt Route, u *dost.User) (*auditWriter, bool) {
	if u == nil && !signInRoute(rt.Pattern) || queueWork(rt.Pattern) {
		return nil, true
	}
	aw := &auditWriter{ResponseWriter: w, s: s, r: r, rt: rt, u: u, change: isChange(r.Method)}
	if u == nil {
		return aw, true
	}
	aw.byFIN, aw.byApplication = personRef(rt.Pattern)
	if !aw.byFIN && !aw.byApplication {
		return aw, true
	}
	aw.read = (!aw.change || personReads[rt.Pattern]) && Route{Access: Staff}.Allows(u)
	if !aw.read || !rt.Allows(u) {
		return aw, true // the person is found if an event is recorded
	}
	of, err := aw.findPerson(u.CentreIDs)
	if err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	if of || aw.personID == 0 {
		return aw, true
	}
	aw.reason = requestReason(r)
	if aw.reason == "" {
		if aw.reason, err = s.AuditService.RecentReason(r.Context(), u.ID, aw.personID, reasonWindow); err != nil {
			s.Error(w, r, err)
			return nil, false
		}
	}
	if aw.reason != "" {
		return aw, true
	}
	// No reason: refuse, recording the refusal.
	aw.read = false
	if isAPI(r) {
		aw.writeReasonProblem()
	} else {
		s.renderReasonForm(aw, r)
	}
	aw.record(dost.AuditDenied, "reason required")
	return nil, false
}

// requestReason returns the reason the request gives, from the header or
// the query, cleaned.
func requestReason(r *http.Request) string {
	reason := r.Header.Get(ReasonHeader)
	if strings.TrimSpace(reason) == "" {
		reason = r.URL.Query().Get("reason")
	}
	return strings.TrimSpace(reason)
}

// writeReasonProblem answers 403 problem+json with code
// audit.reason_required.
func (w *auditWriter) writeReasonProblem() {
	msg := "This person is not of your centres: give the reason for reading their record in the " +
		ReasonHeader + " header or the reason query parameter."
	p := Problem{
		Type: ProblemType(codeReasonRequired), Title: http.StatusText(http.StatusForbidden), Status: http.StatusForbidden,
		Detail: msg, Instance: "urn:dost:request:" + requestInfoFrom(w.r).ID(), Code: codeReasonRequired,
		Errors: []dost.FieldError{{Field: "reason", Code: codeReasonRequired, Message: msg}},
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusForbidden)
	_ = json.NewEncoder(w).Encode(p)
}

// end records the request's event once the handler has answered: denied
// for a 403, the change or the read for a success. A panicking handler
// records nothing (the panic goes on to the recovery middleware).
func (w *auditWriter) end() {
	if v := recover(); v != nil {
		panic(v)
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case w.u == nil: // a sign-in
		if status < 400 {
			w.recordSignIn()
		}
	case status == http.StatusForbidden:
		w.record(dost.AuditDenied, "")
	case status == http.StatusNotFound && ownRecordRoute(w.rt.Pattern):
		// A citizen's record answers 404 for another's id as for an
		// unknown one; probing ids leaves a trace all the same.
		w.record(dost.AuditDenied, "not found")
	case status >= 400:
	case signOutPatterns[w.rt.Pattern]:
		w.record(dost.AuditSignOut, "")
	case w.change:
		w.record(changeAction(w.r.Method), "")
		if w.read { // personReads
			w.record(dost.AuditRead, "")
		}
	case w.read:
		w.record(dost.AuditRead, "")
	}
	if status < 400 && len(w.shown) > 0 && w.u != nil && (Route{Access: Staff}).Allows(w.u) {
		// At once, so that the trail's group commit writes them in one
		// transaction rather than one fsync each (a search shows up to 200).
		seen := map[int64]bool{w.personID: w.read}
		var wg sync.WaitGroup
		for _, id := range w.shown {
			if id != 0 && !seen[id] {
				seen[id] = true
				wg.Go(func() { w.recordRead(id) })
			}
		}
		wg.Wait()
	}
}

// recordAudit completes e with the request (client address, request id,
// route) and, when u is not nil, u as its actor, and appends it to the
// audit trail, even if the request is cancelled meanwhile. A failure is
// logged; without an AuditService it does nothing.
func (s *Server) recordAudit(ctx context.Context, r *http.Request, u *dost.User, e *dost.AuditEvent) {
	if s.AuditService == nil {
		return
	}
	e.IP, e.RequestID, e.Route = remoteIP(r), requestInfoFrom(r).ID(), requestInfoFrom(r).pattern
	if u != nil {
		e.ActorID, e.ActorName, e.ActorRoles, e.ActorCentreIDs = u.ID, cmp.Or(u.Name, u.Username), u.Roles, u.CentreIDs
	}
	if err := s.AuditService.Record(context.WithoutCancel(ctx), e); err != nil {
		s.logger().Error("audit: record", "action", string(e.Action), "object", e.ObjectKind, "err", err)
	}
}

// recordRead records a staff read of person id shown by the answer (a
// search's result, a household's member).
func (w *auditWriter) recordRead(id int64) {
	r, u := w.r, w.u
	e := &dost.AuditEvent{
		ActorID: u.ID, ActorName: cmp.Or(u.Name, u.Username), ActorRoles: u.Roles, ActorCentreIDs: u.CentreIDs,
		Action: dost.AuditRead, PersonID: id, IP: remoteIP(r), RequestID: requestInfoFrom(r).ID(), Route: w.rt.Pattern,
		ObjectKind: "person", ObjectID: strconv.FormatInt(id, 10), Detail: "shown in the answer",
	}
	if err := w.s.AuditService.Record(context.WithoutCancel(r.Context()), e); err != nil {
		w.s.logger().Error("audit: record", "action", string(e.Action), "route", w.rt.Pattern, "request_id", e.RequestID, "err", err)
	}
}

// ownRecordRoute reports whether the route is one of a citizen's own
// records by id (/my/…/{id}, /api/v1/me/…/{id}), which answers 404 for
// someone else's: such a 404 is recorded as denied.
func ownRecordRoute(pattern string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	return (strings.HasPrefix(path, "/my/") || strings.HasPrefix(path, "/api/v1/me/")) && strings.Contains(path, "{")
}

// queueWork reports whether the route is an operator's work in the hall's
// queue at a counter (API or console page), which the audit trail leaves
// to the queue's own log.
func queueWork(pattern string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	return strings.HasPrefix(path, "/api/v1/counters/") || strings.HasPrefix(path, "/hall/counters/") ||
		strings.HasPrefix(path, "/api/v1/tickets")
}

// changeAction is the audit action of a change by method.
func changeAction(method string) dost.AuditAction {
	switch method {
	case http.MethodPut, http.MethodPatch:
		return dost.AuditUpdate
	case http.MethodDelete:
		return dost.AuditDelete
	}
	return dost.AuditCreate
}

// recordSignIn records the sign-in of the session the response opened.
func (w *auditWriter) recordSignIn() {
	for _, c := range (&http.Response{Header: w.Header()}).Cookies() {
		if c.Name != SessionCookie || c.Value == "" {
			continue
		}
		sess, err := w.s.UserService.FindSessionByToken(context.WithoutCancel(w.r.Context()), c.Value)
		if err != nil {
			w.s.logger().Warn("audit: sign-in session", "err", err)
			return
		}
		u := sess.User
		if u == nil {
			if u, err = w.s.UserService.FindUserByID(w.r.Context(), sess.UserID); err != nil {
				return
			}
		}
		w.u = u
		w.record(dost.AuditSignIn, "")
		return
	}
}

// record appends the request's event with the action. A failure is
// logged: the answer has gone already.
func (w *auditWriter) record(action dost.AuditAction, note string) {
	r, u := w.r, w.u
	info := requestInfoFrom(r)
	if !w.found {
		if _, err := w.findPerson(nil); err != nil {
			w.s.logger().Warn("audit: find the person", "route", w.rt.Pattern, "err", err)
		}
	}
	e := &dost.AuditEvent{
		ActorID: u.ID, ActorName: u.Name, ActorRoles: u.Roles, ActorCentreIDs: u.CentreIDs,
		Action: action, PersonID: w.personID, IP: remoteIP(r), RequestID: info.ID(), Route: w.rt.Pattern,
		Reason: w.reason,
	}
	e.ObjectKind, e.ObjectID, e.Detail = auditObject(r, w.rt.Pattern, w.personID)
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	e.Detail = strings.TrimSpace("status=" + strconv.Itoa(status) + " " + e.Detail + " " + note)
	if e.ActorName == "" {
		e.ActorName = u.Username
	}
	if err := w.s.AuditService.Record(context.WithoutCancel(r.Context()), e); err != nil {
		w.s.logger().Error("audit: record", "action", string(action), "route", w.rt.Pattern,
			"request_id", info.ID(), "err", err)
	}
}

// auditObject derives an event's object from the route pattern: the kind
// is the path segment before the last wildcard, singular ("persons" →
// "person"), the id that wildcard's value; a {fin} is never stored, the
// person's id stands for it. The detail lists the other path values.
func auditObject(r *http.Request, pattern string, personID int64) (kind, id, detail string) {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	segs := strings.Split(strings.Trim(pattern, "/"), "/")
	var details []string
	last := -1
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && seg != "{$}" {
			last = i
		}
	}
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") || seg == "{$}" || i == last {
			continue
		}
		name := strings.Trim(seg, "{}.")
		if name == "fin" {
			continue
		}
		details = append(details, name+"="+r.PathValue(name))
	}
	switch {
	case last > 0:
		kind = segs[last-1]
		if name := strings.Trim(segs[last], "{}."); name == "fin" {
			if personID != 0 {
				id = strconv.FormatInt(personID, 10)
			}
		} else {
			id = r.PathValue(name)
		}
	case len(segs) > 0 && !strings.HasPrefix(segs[len(segs)-1], "{"):
		kind = segs[len(segs)-1]
	}
	if kind == "persons" || strings.Contains(pattern, "{fin}") && last >= 0 && strings.Trim(segs[last], "{}.") == "fin" {
		kind = "person"
	}
	kind = singular(kind)
	return kind, id, strings.Join(details, " ")
}

// singular returns the singular of an English plural path segment, as
// far as dost's routes need.
func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies"):
		return strings.TrimSuffix(s, "ies") + "y"
	case strings.HasSuffix(s, "ses"), strings.HasSuffix(s, "shes"):
		return strings.TrimSuffix(s, "es")
	case strings.HasSuffix(s, "s") && !strings.HasSuffix(s, "ss"):
		return strings.TrimSuffix(s, "s")
	}
	return s
}
