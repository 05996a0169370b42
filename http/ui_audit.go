package http

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dost-az/dost"
)

// auditPage is the data of the auditors' page (view "audit").
type auditPage struct {
	Query   auditQuery
	Actions []dost.AuditAction
	Errors  map[string]string // field → message key
	Rows    []auditRow
	Total   int
	Shown   bool // the filter was valid and the list read
	PrevURL string
	NextURL string
}

// handleAuditPage handles "GET /audit": the audit trail for auditors and
// administrators, newest first, filtered by the person's FIN, the actor
// (user id or username), the action and a date range, 50 a page. A bad
// filter re-renders the form (400) with the fields' errors.
func (s *Server) handleAuditPage(w http.ResponseWriter, r *http.Request) {
	if s.AuditService == nil {
		s.Error(w, r, errNoAudit)
		return
	}
	q := r.URL.Query()
	f, aq, err := s.parseAuditFilter(r, q)
	p := auditPage{Query: aq, Actions: dost.AuditActions, Errors: map[string]string{}}
	if err != nil {
		if dost.ErrorCode(err) != dost.EINVALID {
			s.Error(w, r, err)
			return
		}
		for _, fe := range dost.ErrorFields(err) {
			switch fe.Field {
			case "fin", "action", "from", "to":
				p.Errors[fe.Field] = fe.Code
			default: // offset, limit: only a hand-made URL has them wrong
				p.Errors["filter"] = "audit.filter_invalid"
			}
		}
		if len(p.Errors) == 0 {
			p.Errors["filter"] = "audit.filter_invalid"
		}
		s.render(w, r, http.StatusBadRequest, "audit", "audit", p)
		return
	}
	events, total, err := s.AuditService.FindAuditEvents(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p.Total, p.Shown = total, true
	for _, e := range events {
		p.Rows = append(p.Rows, auditRow{E: e, When: bakuTime(e.Time), Datetime: e.Time.Format(time.RFC3339)})
	}
	p.PrevURL, p.NextURL = pagerURLs(r.URL, f.Offset, f.Limit, len(events), p.Total)
	s.render(w, r, http.StatusOK, "audit", "audit", p)
}

// auditRow is one event of the auditors' table, its time shown in Baku.
type auditRow struct {
	E              *dost.AuditEvent
	When, Datetime string
}

// bakuTime shows a time as Baku's clock reads it.
func bakuTime(t time.Time) string { return t.In(dost.Baku).Format("2006-01-02 15:04:05") }

// pagerURLs returns the links to the page before and after the one shown
// (offset, limit, n items of total), "" where there is none.
func pagerURLs(u *url.URL, offset, limit, n, total int) (prev, next string) {
	link := func(off int) string {
		q := u.Query()
		q.Del("lang")
		if off > 0 {
			q.Set("offset", strconv.Itoa(off))
		} else {
			q.Del("offset")
		}
		return u.Path + "?" + q.Encode()
	}
	if offset > 0 {
		prev = link(max(0, offset-limit))
	}
	if offset+n < total {
		next = link(offset + n)
	}
	return prev, next
}

// reasonPage is the data of the form asking why a person outside one's
// centres is read (view "audit_reason").
type reasonPage struct {
	Action string     // the page to show once the reason is given
	Hidden url.Values // the page's other query parameters
}

// renderReasonForm answers a page read that needs a reason with a form
// (403) asking for it; submitted, it asks for the same page with reason
// set.
func (s *Server) renderReasonForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	q.Del("reason")
	q.Del("lang")
	s.render(w, r, http.StatusForbidden, "audit_reason", "persons", reasonPage{Action: r.URL.Path, Hidden: q})
}
