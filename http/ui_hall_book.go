package http

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// This file holds the public page that books an appointment at a centre:
// a service, a day of the next BookDays, a free slot, the visitor's name,
// phone and (optionally) FIN; then the confirmation with the booking code.
// Staff signed in use the same page to book for a visitor (channel
// "centre", as the API's default for staff).

// BookDays is how many days, from today, the booking page offers.
const BookDays = 14

// bookDay is one day the booking page offers.
type bookDay struct {
	Value    string // YYYY-MM-DD
	Short    string // DD.MM
	Weekday  int    // 0 Sunday … 6 Saturday
	Selected bool
}

// bookSlot is one free slot of the chosen day.
type bookSlot struct {
	Value   string // the slot's start, RFC 3339
	Label   string // HH:MM in Baku
	Checked bool
}

// bookPage is the booking form: the centre's services and the days, and
// once a service and a day are chosen the day's free slots and the
// visitor's fields.
type bookPage struct {
	Centre   *dost.Centre
	Services []*dost.Service
	Service  string // the chosen service's code
	Days     []bookDay
	Day      string
	Chosen   bool // a valid service and day: the slots are listed
	Slots    []bookSlot
	Start    string
	Name     string
	FIN      string
	Phone    string
	Staff    bool              // staff booking for a visitor
	Alert    string            // message key
	Errors   map[string]string // field → message key
	Cancel   string            // the cancel-by-code page's path
	PostPath string
}

// bookErrorCodes are the domain's field error codes the booking page
// explains with its own message ("hall.book.error.<code>"); others say
// "form.error.invalid" ("form.error.required" for "required").
var bookErrorCodes = []string{"slot.full", "slot.past", "slot.unknown", "booking.limit_service", "booking.limit_total",
	"fin.invalid", "service.not_offered"}

// bookFields maps the domain's field names to the form's.
var bookFields = map[string]string{"start": "start", "service_code": "service", "fin": "fin", "name": "name", "phone": "phone"}

// bookPath returns the booking page's path of centre code.
func bookPath(code string) string { return "/centres/" + url.PathEscape(code) + "/book" }

// bookedPath returns the confirmation page of appointment id booked at
// centre code, with its token.
func bookedPath(h HallService, code string, id int64) string {
	return bookPath(code) + "/" + strconv.FormatInt(id, 10) + "?token=" + url.QueryEscape(bookingToken(h, id))
}

// bookingToken returns the secret of appointment id's confirmation link:
// the hall's link token (an HMAC under the hall's key) of -id. Ticket IDs
// are positive, so no booking's token is ever a ticket's.
func bookingToken(h HallService, id int64) string { return h.FeedbackToken(-id) }

// validBookPhone reports whether p looks like a phone number: an optional
// leading "+", then 7 to 15 digits, which spaces, hyphens and brackets may
// group.
func validBookPhone(p string) bool {
	p = strings.TrimPrefix(p, "+")
	n := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			n++
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return false
		}
	}
	return n >= 7 && n <= 15
}

// loadBookPage fills in v's centre (from the path), its services and the
// days, checks the chosen service and day, and lists the day's free
// slots if both are valid. A bad choice sets a field error.
func (s *Server) loadBookPage(w http.ResponseWriter, r *http.Request, h HallService, v *bookPage) bool {
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return false
	}
	services, err := s.offeredServices(r.Context(), c)
	if err != nil {
		s.Error(w, r, err)
		return false
	}
	v.Centre, v.Services = c, services
	v.Staff = Route{Access: Staff}.Allows(dost.UserFromContext(r.Context()))
	v.PostPath, v.Cancel = bookPath(c.Code), "/appointments/cancel"
	if err := s.chooseSlot(r.Context(), h, v); err != nil {
		s.Error(w, r, err)
		return false
	}
	return true
}

// handleBookPage handles "GET /centres/{code}/book": the booking form.
// ?service= and ?day= (YYYY-MM-DD, today to BookDays-1 days ahead, today
// if only the service is named) list that day's free slots; a service the centre does not offer or a day out
// of range is said next to its field (400).
func (s *Server) handleBookPage(w http.ResponseWriter, r *http.Request) {
	h := s.hall(w, r)
	if h == nil {
		return
	}
	q := r.URL.Query()
	v := bookPage{Service: strings.TrimSpace(q.Get("service")), Day: strings.TrimSpace(q.Get("day"))}
	if v.Service != "" && v.Day == "" {
		v.Day = dost.Today(s.Clock).String() // a link naming only the service
	}
	if !s.loadBookPage(w, r, h, &v) {
		return
	}
	status := http.StatusOK
	if len(v.Errors) > 0 {
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "hall_book", "", v)
}

// handleBookForm handles "POST /centres/{code}/book": books the chosen
// slot and redirects to the confirmation. A missing or bad field, a slot
// taken meanwhile (409: of two people booking the last place at once
// exactly one gets it), a booking limit reached (409) or a day out of
// range re-render the form with the messages next to the fields; nothing
// is written then.
func (s *Server) handleBookForm(w http.ResponseWriter, r *http.Request) {
	h := s.hall(w, r)
	if h == nil {
		return
	}
	v := bookPage{Service: strings.TrimSpace(r.PostFormValue("service")), Day: strings.TrimSpace(r.PostFormValue("day")),
		Start: strings.TrimSpace(r.PostFormValue("start")), Name: strings.TrimSpace(r.PostFormValue("name")),
		FIN: strings.ToUpper(strings.TrimSpace(r.PostFormValue("fin"))), Phone: strings.TrimSpace(r.PostFormValue("phone")),
		Errors: map[string]string{}}
	if v.Service == "" {
		v.Errors["service"] = "form.error.required"
	}
	if v.Day == "" {
		v.Errors["day"] = "form.error.required"
	}
	if !s.loadBookPage(w, r, h, &v) {
		return
	}
	start, err := time.Parse(time.RFC3339, v.Start)
	switch {
	case v.Start == "":
		v.Errors["start"] = "hall.book.error.start.required"
	case err != nil || start.In(dost.Baku).Format("2006-01-02") != v.Day:
		v.Errors["start"] = "hall.book.error.slot.unknown"
	}
	if v.Name == "" {
		v.Errors["name"] = "form.error.required"
	} else if len(v.Name) > 200 || !dost.ValidText(v.Name, false) {
		v.Errors["name"] = "hall.book.error.name"
	}
	if v.Phone == "" {
		v.Errors["phone"] = "form.error.required"
	} else if len(v.Phone) > 32 || !validBookPhone(v.Phone) {
		v.Errors["phone"] = "hall.book.error.phone"
	}
	if v.FIN != "" && !dost.FIN(v.FIN).Valid() {
		v.Errors["fin"] = "hall.book.error.fin.invalid"
	}
	if len(v.Errors) > 0 {
		v.Alert = "form.alert.invalid"
		s.render(w, r, http.StatusBadRequest, "hall_book", "", v)
		return
	}
	channel := dost.ApplicationOnline
	if v.Staff {
		channel = dost.ApplicationAtCentre
	}
	a, err := h.BookAppointment(r.Context(), &dost.NewAppointment{CentreID: v.Centre.ID, ServiceCode: v.Service, Start: start,
		FIN: dost.FIN(v.FIN), Name: v.Name, Phone: v.Phone, Language: s.requestLang(w, r), Channel: channel})
	if err == nil {
		http.Redirect(w, r, bookedPath(h, v.Centre.Code, a.ID), http.StatusSeeOther)
		return
	}
	switch dost.ErrorCode(err) {
	case dost.EINVALID, dost.ECONFLICT:
	default:
		s.Error(w, r, err)
		return
	}
	v.Alert = bookingProblems(err, v.Errors)
	// The slots again: a slot just taken is no longer offered.
	v.Days, v.Slots, v.Chosen = nil, nil, false
	if !s.loadBookPage(w, r, h, &v) {
		return
	}
	s.render(w, r, ErrorStatus(err), "hall_book", "", v)
}

// bookedPage is the confirmation of a booking.
type bookedPage struct {
	Appointment  *dost.Appointment
	Centre       *dost.Centre
	Service      *dost.Service
	Day          string // YYYY-MM-DD
	Weekday      int
	Time         string // HH:MM, Baku
	CheckInFrom  string // HH:MM
	CheckInUntil string // HH:MM
	Booked       bool   // still booked (not cancelled, checked in or lapsed)
	CancelURL    string
	BookURL      string
}

// handleBookedPage handles "GET /centres/{code}/book/{id}": the
// confirmation of booking id with its link's token (?token=): its code,
// time, centre and service, how to check in, and the link to cancel it.
// A wrong token, or a booking of another centre, is 404.
func (s *Server) handleBookedPage(w http.ResponseWriter, r *http.Request) {
	h, id, ok := s.hallID(w, r, "id")
	if !ok {
		return
	}
	notFound := dost.Errorf(dost.ENOTFOUND, "Booking %d not found.", id)
	token := r.URL.Query().Get("token")
	if token == "" || !validToken(h, -id, token) {
		s.Error(w, r, notFound)
		return
	}
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	a, err := h.FindAppointmentByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if a.CentreID != c.ID {
		s.Error(w, r, notFound)
		return
	}
	svc, err := s.CatalogueService.FindServiceByCode(r.Context(), a.ServiceCode)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	at := a.Start.In(dost.Baku)
	v := bookedPage{Appointment: a, Centre: c, Service: svc, Day: at.Format("02.01.2006"), Weekday: int(at.Weekday()),
		Time: at.Format("15:04"), CheckInFrom: at.Add(-dost.CheckInEarly).Format("15:04"), CheckInUntil: at.Add(dost.CheckInLate).Format("15:04"),
		Booked: a.Status == dost.AppointmentBooked, CancelURL: "/appointments/cancel?code=" + url.QueryEscape(a.Code), BookURL: bookPath(c.Code)}
	// The page shows the booking code: keep it out of shared caches.
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "hall_booked", "", v)
}

// bookingProblems puts the field errors of a refused booking on the booking
// form's fields (message keys; the first error of a field stands) and
// returns the form's alert: the slot taken or the booking limit reached
// when that is why, else the general one.
func bookingProblems(err error, errs map[string]string) (alert string) {
	alert = "form.alert.invalid"
	for _, f := range dost.ErrorFields(err) {
		field, ok := bookFields[f.Field]
		if !ok {
			continue
		}
		key := "form.error.invalid"
		if slices.Contains(bookErrorCodes, f.Code) {
			key = "hall.book.error." + f.Code
		} else if f.Code == "required" {
			key = "form.error.required"
		}
		if _, seen := errs[field]; !seen {
			errs[field] = key
		}
		if f.Code == "slot.full" || strings.HasPrefix(f.Code, "booking.limit") {
			alert = "hall.book.error." + f.Code
		}
	}
	return alert
}

// chooseSlot fills the day and slot choice of booking form v, whose centre
// and offered services are set: the days one may book (today and BookDays-1
// after), an error next to a service the centre does not offer or a day out
// of range, and, when both are right, the day's free slots still ahead.
func (s *Server) chooseSlot(ctx context.Context, h HallService, v *bookPage) error {
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	today := dost.Today(s.Clock)
	day, dayErr := dost.ParseDate(v.Day)
	inRange := dayErr == nil && !day.Before(today) && day.Before(today.AddDate(0, 0, BookDays))
	v.Days = nil
	for i := range BookDays {
		d := today.AddDate(0, 0, i)
		v.Days = append(v.Days, bookDay{Value: d.String(), Short: dayStart(d).Format("02.01"), Weekday: int(dayStart(d).Weekday()),
			Selected: inRange && d == day})
	}
	svcOK := slices.ContainsFunc(v.Services, func(svc *dost.Service) bool { return svc.Code == v.Service })
	if v.Service != "" && !svcOK {
		v.Errors["service"] = "hall.book.error.service.not_offered"
	}
	if v.Day != "" && !inRange {
		v.Errors["day"] = "hall.book.error.day"
	}
	v.Chosen, v.Slots = false, nil
	if !svcOK || !inRange {
		return nil
	}
	slots, err := h.FindSlots(ctx, dost.SlotFilter{CentreID: v.Centre.ID, ServiceCode: v.Service,
		From: dayStart(day), Until: dayStart(day.AddDate(0, 0, 1)), FreeOnly: true})
	if err != nil {
		return err
	}
	v.Chosen = true
	now := s.Clock.Now()
	for _, sl := range slots {
		if !sl.Start.After(now) {
			continue
		}
		val := sl.Start.UTC().Format(time.RFC3339)
		v.Slots = append(v.Slots, bookSlot{Value: val, Label: sl.Start.In(dost.Baku).Format("15:04"), Checked: val == v.Start})
	}
	return nil
}
