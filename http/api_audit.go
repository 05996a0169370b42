package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// auditRoutes returns the audit trail's rows of the route table: the
// auditors' API and page, and the citizen's "who viewed my data".
// Without Server.AuditService they answer 404.
func (s *Server) auditRoutes() []Route {
	return []Route{
		{Pattern: "GET /api/v1/audit", Access: ByRole, Roles: dost.AuditReaders, Handler: s.handleAuditList},
		{Pattern: "GET /api/v1/me/views", Access: ByRole, Roles: []dost.Role{dost.RoleCitizen}, Handler: s.handleMyViews},
		{Pattern: "GET /audit", Access: ByRole, Roles: dost.AuditReaders, Handler: s.handleAuditPage},                    // ui_audit.go
		{Pattern: "GET /my/viewers", Access: ByRole, Roles: []dost.Role{dost.RoleCitizen}, Handler: s.handleViewersPage}, // ui_portal_viewers.go
	}
}

// errNoAudit is the answer of the audit routes without an AuditService.
var errNoAudit = dost.Errorf(dost.ENOTFOUND, "The audit trail is not kept here.")

// auditQuery is the filter of the audit list as the query gives it, kept
// for the page's form.
type auditQuery struct {
	FIN, Actor, Action, From, To string
}

// parseAuditFilter reads the audit list's filter from a query: fin, actor
// (a user id or username), action, from and to (a date, Baku's day, or an
// RFC 3339 time; to is exclusive, a date meaning the end of that day),
// offset and limit. Bad values are EINVALID naming the parameter.
func (s *Server) parseAuditFilter(r *http.Request, q url.Values) (dost.AuditFilter, auditQuery, error) {
	var f dost.AuditFilter
	aq := auditQuery{FIN: strings.TrimSpace(q.Get("fin")), Actor: strings.TrimSpace(q.Get("actor")),
		Action: q.Get("action"), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	var v dost.Validation
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 500); err != nil {
		return f, aq, err
	}
	if aq.FIN != "" {
		if fin, err := dost.ParseFIN(aq.FIN); err != nil {
			v.Add("fin", "audit.fin_invalid", "%s", dost.ErrorMessage(err))
		} else {
			f.PersonFIN = &fin
		}
	}
	if aq.Actor != "" {
		id, err := strconv.ParseInt(aq.Actor, 10, 64)
		if err != nil {
			u, ferr := s.UserService.FindUserByUsername(r.Context(), aq.Actor)
			switch dost.ErrorCode(ferr) {
			case "":
				id = u.ID
			case dost.ENOTFOUND:
				id = -1 // nobody: no event matches
			default:
				return f, aq, ferr
			}
		}
		f.ActorID = &id
	}
	if aq.Action != "" {
		a := dost.AuditAction(aq.Action)
		if !dost.ValidAuditAction(a) {
			v.Add("action", "audit.action_invalid", "Unknown action %q.", aq.Action)
		}
		f.Action = &a
	}
	if aq.From != "" {
		t, ok := parseAuditTime(aq.From, false)
		if !ok {
			v.Add("from", "audit.time_invalid", "From is a date (2026-11-27) or an RFC 3339 time.")
		}
		f.From = &t
	}
	if aq.To != "" {
		t, ok := parseAuditTime(aq.To, true)
		if !ok {
			v.Add("to", "audit.time_invalid", "To is a date (2026-11-27) or an RFC 3339 time.")
		}
		f.To = &t
	}
	return f, aq, v.Err("The audit filter is not valid.")
}

// parseAuditTime reads a date (the start of that day in Baku, or of the
// next day when end is set) or an RFC 3339 time.
func parseAuditTime(s string, end bool) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	d, err := time.ParseInLocation(time.DateOnly, s, dost.Baku)
	if err != nil {
		return time.Time{}, false
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, true
}

// handleAuditList handles "GET /api/v1/audit": a page of the audit trail,
// newest first, filtered by fin, actor, action, from and to. Auditors and
// administrators.
func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) {
	if s.AuditService == nil {
		s.Error(w, r, errNoAudit)
		return
	}
	f, _, err := s.parseAuditFilter(r, r.URL.Query())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	events, total, err := s.AuditService.FindAuditEvents(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(events, total, f.Offset, f.Limit))
}

// viewJSON is one staff read of the citizen's record, as the citizen sees
// it: when, who (name, roles, centres) and why. The staff member's IP,
// the request and the chain's hashes are not shown.
type viewJSON struct {
	Time      time.Time    `json:"time"`
	StaffName string       `json:"staff_name"`
	Roles     []dost.Role  `json:"roles"`
	Centres   []viewCentre `json:"centres"`
	Reason    string       `json:"reason"`
	What      string       `json:"what"` // the kind of record read, e.g. "person", "application"
}

// viewCentre names a centre of the staff member.
type viewCentre struct {
	Code string    `json:"code"`
	Name dost.Text `json:"name"`
}

// myViews returns the page of staff reads of the signed-in citizen's
// record. ENOTFOUND when the account is linked to no person.
func (s *Server) myViews(r *http.Request, offset, limit int) ([]viewJSON, int, error) {
	if s.AuditService == nil {
		return nil, 0, errNoAudit
	}
	u := dost.UserFromContext(r.Context())
	if u == nil || u.PersonID == nil || *u.PersonID == 0 {
		return nil, 0, dost.Errorf(dost.ENOTFOUND, "Your account is not linked to a record in the registry.")
	}
	events, total, err := s.AuditService.ViewsOfPerson(r.Context(), *u.PersonID, offset, limit)
	if err != nil {
		return nil, 0, err
	}
	centres := map[int64]viewCentre{}
	if s.CentreService != nil {
		cs, _, err := s.CentreService.FindCentres(r.Context(), dost.CentreFilter{})
		if err != nil {
			return nil, 0, err
		}
		for _, c := range cs {
			centres[c.ID] = viewCentre{Code: c.Code, Name: c.Name}
		}
	}
	out := make([]viewJSON, 0, len(events))
	for _, e := range events {
		v := viewJSON{Time: e.Time, StaffName: e.ActorName, Roles: e.ActorRoles, Centres: []viewCentre{},
			Reason: e.Reason, What: e.ObjectKind}
		for _, id := range e.ActorCentreIDs {
			if c, ok := centres[id]; ok {
				v.Centres = append(v.Centres, c)
			}
		}
		out = append(out, v)
	}
	return out, total, nil
}

// handleMyViews handles "GET /api/v1/me/views": who at the agency read
// the signed-in citizen's record, newest first, paged. 404 when the
// account is linked to no person.
func (s *Server) handleMyViews(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := pageParams(r.URL.Query(), 50, 200)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	views, total, err := s.myViews(r, offset, limit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(views, total, offset, limit))
}
