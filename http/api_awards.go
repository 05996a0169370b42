package http

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/notify"
)

// awardRoutes returns the awards', notifications' and holidays' rows of
// the route table.
func (s *Server) awardRoutes() []Route {
	return []Route{
		{Pattern: "GET /api/v1/awards", Access: ByRole, Roles: registryReaders, Handler: s.handleAwardList},
		{Pattern: "GET /api/v1/persons/{fin}/awards", Access: ByRole, Roles: registryReaders, Handler: s.handlePersonAwards},
		{Pattern: "GET /api/v1/households/{id}/awards", Access: ByRole, Roles: registryReaders, Handler: s.handleHouseholdAwards},
		{Pattern: "GET /api/v1/notifications", Access: ByRole, Roles: notificationReaders, Handler: s.handleNotificationList},
		{Pattern: "GET /api/v1/holidays", Access: Staff, Handler: s.handleHolidayList},
		{Pattern: "PUT /api/v1/holidays/{date}", Access: ByRole, Roles: administrators, Handler: s.handleHolidayPut},
		{Pattern: "DELETE /api/v1/holidays/{date}", Access: ByRole, Roles: administrators, Handler: s.handleHolidayDelete},
	}
}

// awardStatuses are the award statuses, for checking a filter.
var awardStatuses = []dost.AwardStatus{dost.AwardActive, dost.AwardSuspended, dost.AwardEnded}

// awardFilter reads the paging and the programme and status filters of an
// award list; the other fields are the caller's.
func awardFilter(q url.Values, v *dost.Validation) dost.AwardFilter {
	var f dost.AwardFilter
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 200); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	f.Programme = strings.TrimSpace(q.Get("programme"))
	for _, st := range q["status"] {
		if !slices.Contains(awardStatuses, dost.AwardStatus(st)) {
			v.Add("status", "award_status.invalid", "Unknown status %q: active, suspended or ended.", st)
		}
		f.Statuses = append(f.Statuses, dost.AwardStatus(st))
	}
	return f
}

// handleAwardList handles "GET /api/v1/awards": a page of awards, newest
// first, filtered by fin (the person, as beneficiary or payee), household
// (an id), programme and status (repeatable: any of).
func (s *Server) handleAwardList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v dost.Validation
	f := awardFilter(q, &v)
	var fin dost.FIN
	var err error
	if q.Has("fin") {
		if fin, err = dost.ParseFIN(q.Get("fin")); err != nil {
			v.Fields = append(v.Fields, dost.ErrorFields(err)...)
		}
	}
	if h := q.Get("household"); h != "" {
		if f.HouseholdID, err = strconv.ParseInt(h, 10, 64); err != nil || f.HouseholdID < 1 {
			v.Add("household", "id.invalid", "A household id is a positive whole number.")
		}
	}
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	if !s.filterByFIN(w, r, fin, &f.PersonID, f.Offset, f.Limit) {
		return
	}
	s.writeAwards(w, r, f)
}

// filterByFIN resolves the fin filter of a list: for a fin that is set it
// sets *personID to the person's id. It returns false when it has answered
// the request itself and the caller must stop: with an empty page (offset,
// limit) when no person has the FIN, since a search for an unknown person
// finds nothing and is no 404, or with any other error. An empty fin
// leaves *personID alone and returns true.
func (s *Server) filterByFIN(w http.ResponseWriter, r *http.Request, fin dost.FIN, personID *int64, offset, limit int) bool {
	if fin == "" {
		return true
	}
	p, err := s.PersonService.FindPersonByFIN(r.Context(), fin)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		writeJSON(w, http.StatusOK, newPage([]any(nil), 0, offset, limit))
		return false
	} else if err != nil {
		s.Error(w, r, err)
		return false
	}
	*personID = p.ID
	return true
}

// writeAwards answers a page of the awards f selects.
func (s *Server) writeAwards(w http.ResponseWriter, r *http.Request, f dost.AwardFilter) {
	awards, total, err := s.AwardService.FindAwards(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(awards, total, f.Offset, f.Limit))
}

// handlePersonAwards handles "GET /api/v1/persons/{fin}/awards": a page of
// the person's awards (as beneficiary or payee), newest first, filtered
// by programme and status.
func (s *Server) handlePersonAwards(w http.ResponseWriter, r *http.Request) {
	var v dost.Validation
	f := awardFilter(r.URL.Query(), &v)
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := s.personOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f.PersonID = p.ID
	s.writeAwards(w, r, f)
}

// handleHouseholdAwards handles "GET /api/v1/households/{id}/awards": a
// page of the household's awards, newest first, filtered by programme and
// status. 404 for an unknown household.
func (s *Server) handleHouseholdAwards(w http.ResponseWriter, r *http.Request) {
	id, err := pathHouseholdID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var v dost.Validation
	f := awardFilter(r.URL.Query(), &v)
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	if _, err := s.HouseholdService.FindHouseholdByID(r.Context(), id); err != nil {
		s.Error(w, r, err)
		return
	}
	f.HouseholdID = id
	s.writeAwards(w, r, f)
}

// notificationReaders read the notifications log: administrators and
// auditors, who oversee the whole network. Not supervisors: the log spans
// every centre, and supervisors are scoped to theirs.
var notificationReaders = []dost.Role{dost.RoleAdmin, dost.RoleAuditor}

// notificationStatuses are the notification statuses, for checking a
// filter.
var notificationStatuses = []dost.NotificationStatus{dost.NotificationPending, dost.NotificationSent, dost.NotificationFailed}

// handleNotificationList handles "GET /api/v1/notifications": a page of
// the notifications log (the outbox), filtered by fin (the person), topic
// and status (repeatable: any of). The log shows who was told what, not
// how to reach them or open their letters: recipients, letter codes and
// addresses in delivery errors are masked (maskNotification).
func (s *Server) handleNotificationList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f dost.NotificationFilter
	var v dost.Validation
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 200); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	f.Topic = strings.TrimSpace(q.Get("topic"))
	for _, st := range q["status"] {
		if !slices.Contains(notificationStatuses, dost.NotificationStatus(st)) {
			v.Add("status", "notification_status.invalid", "Unknown status %q: pending, sent or failed.", st)
		}
		f.Statuses = append(f.Statuses, dost.NotificationStatus(st))
	}
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
	ns, total, err := s.NotificationService.FindNotifications(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for i, n := range ns {
		ns[i] = maskNotification(n)
	}
	writeJSON(w, http.StatusOK, newPage(ns, total, f.Offset, f.Limit))
}

// maskNotification returns a copy of n fit for the notifications log: the
// recipient masked by notify.MaskRecipient ("+994*******67",
// "a***@example.az"), the letter code of every /verify/ link in the
// subject and body masked by maskLetterCode (whoever holds the code may
// read the letter), and phone numbers and e-mail addresses in the last
// error masked by notify.Redact (errors stored before it was applied).
func maskNotification(n *dost.Notification) *dost.Notification {
	m := *n
	m.To = notify.MaskRecipient(n.To)
	m.Subject = maskLetterLinks(n.Subject)
	m.Body = maskLetterLinks(n.Body)
	m.LastError = notify.Redact(n.LastError)
	return &m
}

// maskLetterLinks masks the letter code after each "/verify/" in s: the
// letters, digits and dashes that follow, up to the end of the link.
func maskLetterLinks(s string) string {
	const marker = "/verify/"
	var b strings.Builder
	for {
		i := strings.Index(s, marker)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		i += len(marker)
		b.WriteString(s[:i])
		s = s[i:]
		end := strings.IndexFunc(s, func(r rune) bool {
			return !(r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
		})
		if end < 0 {
			end = len(s)
		}
		b.WriteString(maskLetterCode(s[:end]))
		s = s[end:]
	}
}

// handleHolidayList handles "GET /api/v1/holidays": the holidays of year
// (default: this year), by date.
func (s *Server) handleHolidayList(w http.ResponseWriter, r *http.Request) {
	year := dost.Today(s.Clock).Year()
	if y := r.URL.Query().Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < dost.MinYear || n > 9999 {
			s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: "The year is not valid.",
				Fields: []dost.FieldError{{Field: "year", Code: "year.invalid", Message: "A year has four digits."}}})
			return
		}
		year = n
	}
	hs, err := s.HolidayService.FindHolidays(r.Context(), year)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if hs == nil {
		hs = []dost.Holiday{}
	}
	writeJSON(w, http.StatusOK, hs)
}

// pathDate parses the {date} path value; EINVALID with field "date".
func pathDate(r *http.Request) (dost.Date, error) {
	d, err := dost.ParseDate(r.PathValue("date"))
	if err != nil {
		return d, &dost.Error{Code: dost.EINVALID, Message: dost.ErrorMessage(err),
			Fields: []dost.FieldError{{Field: "date", Code: "date.invalid", Message: dost.ErrorMessage(err)}}}
	}
	return d, nil
}

// holidayInput is the body of "PUT /api/v1/holidays/{date}".
type holidayInput struct {
	Name dost.Text `json:"name"`
}

// handleHolidayPut handles "PUT /api/v1/holidays/{date}": adds the holiday
// or renames it; its name is given in all three languages. 200 with the
// holiday.
func (s *Server) handleHolidayPut(w http.ResponseWriter, r *http.Request) {
	d, err := pathDate(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in holidayInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	in.Name = dost.Text{AZ: strings.TrimSpace(in.Name.AZ), EN: strings.TrimSpace(in.Name.EN), RU: strings.TrimSpace(in.Name.RU)}
	if !in.Name.Complete() {
		s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: "A holiday's name is given in Azerbaijani, English and Russian.",
			Fields: []dost.FieldError{{Field: "name", Code: "text.incomplete", Message: "Give the name in az, en and ru."}}})
		return
	}
	h := dost.Holiday{Date: d, Name: in.Name}
	if err := s.HolidayService.SetHoliday(r.Context(), h); err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// handleHolidayDelete handles "DELETE /api/v1/holidays/{date}": removes a
// holiday. 204; 404 if the date is no holiday.
func (s *Server) handleHolidayDelete(w http.ResponseWriter, r *http.Request) {
	d, err := pathDate(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.HolidayService.DeleteHoliday(r.Context(), d); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
