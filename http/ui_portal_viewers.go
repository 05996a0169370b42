package http

import (
	"net/http"
	"time"

	"github.com/dost-az/dost"
)

// viewersPage is the data of the citizen's "who viewed my data" page
// (view "portal_viewers").
type viewersPage struct {
	Linked  bool // the account is linked to a person in the registry
	Rows    []viewRow
	Total   int
	PrevURL string
	NextURL string
}

// viewRow is one read of the viewers' table, its time shown in Baku.
type viewRow struct {
	V              viewJSON
	When, Datetime string
}

// handleViewersPage handles "GET /my/viewers": who at the agency read the
// signed-in citizen's record, newest first, 50 a page: when, the staff
// member's name, role and centre, and the reason when one was given.
func (s *Server) handleViewersPage(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := pageParams(r.URL.Query(), 50, 200)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p := viewersPage{Linked: true}
	views, total, err := s.myViews(r, offset, limit)
	switch dost.ErrorCode(err) {
	case "":
	case dost.ENOTFOUND:
		if s.AuditService == nil {
			s.Error(w, r, err)
			return
		}
		p.Linked = false
	default:
		s.Error(w, r, err)
		return
	}
	p.Total = total
	for _, v := range views {
		p.Rows = append(p.Rows, viewRow{V: v, When: bakuTime(v.Time), Datetime: v.Time.Format(time.RFC3339)})
	}
	p.PrevURL, p.NextURL = pagerURLs(r.URL, offset, limit, len(views), p.Total)
	s.render(w, r, http.StatusOK, "portal_viewers", "my.viewers", p)
}
