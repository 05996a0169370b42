package http

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// This file holds the citizen's appointments on the portal: the list
// (upcoming ones to cancel, finished visits to rate), and booking through
// the hall's booking service with the citizen's FIN, name and phone
// prefilled from the registry.

// portalAppointment is an appointment as the portal lists it.
type portalAppointment struct {
	*dost.Appointment
	Service dost.Text
	Centre  dost.Text
	When    string // "2006-01-02 15:04" in Baku
	Upcoming,
	Cancellable bool
	RateURL   string // a finished visit's rating page, "" if none
	StatusKey string // "portal.appointment.status.<status>"
	// VideoCheckIn: a booking at a video centre that may be checked in
	// now from home, joining its call (ui_video_appointment.go).
	VideoCheckIn bool
}

// appointmentsView is the appointments page.
type appointmentsView struct {
	Upcoming []portalAppointment
	Past     []portalAppointment
	Done     string // the message key after booking or cancelling
	Alert    string
}

// loadAppointments returns the appointments of c split into upcoming and
// past, newest past first.
func (s *Server) loadAppointments(r *http.Request, h HallService, c *citizen) (*appointmentsView, error) {
	ctx := r.Context()
	list, _, err := h.FindAppointments(ctx, dost.AppointmentFilter{PersonID: c.Person.ID, Limit: 200})
	if err != nil {
		return nil, err
	}
	names, err := s.serviceIndex(ctx)
	if err != nil {
		return nil, err
	}
	centres := map[int64]dost.Text{}
	now := s.Clock.Now()
	v := &appointmentsView{}
	for _, a := range list {
		if a.PersonID != c.Person.ID {
			continue
		}
		cn, ok := centres[a.CentreID]
		if !ok {
			ce, err := s.CentreService.FindCentreByID(ctx, a.CentreID)
			if err != nil {
				return nil, err
			}
			cn, centres[a.CentreID] = ce.Name, ce.Name
		}
		pa := portalAppointment{Appointment: a, Service: serviceName(names, a.ServiceCode), Centre: cn,
			When: a.Start.In(dost.Baku).Format("2006-01-02 15:04"), StatusKey: "portal.appointment.status." + string(a.Status)}
		pa.Upcoming = a.Status == dost.AppointmentBooked && a.Start.Add(dost.CheckInLate).After(now)
		pa.Cancellable = a.Status == dost.AppointmentBooked && a.Start.After(now)
		pa.VideoCheckIn = a.CheckIn(now) == nil && s.isVideoCentre(r.Context(), &dost.Centre{ID: a.CentreID})
		if a.TicketID != 0 {
			t, err := h.FindTicketByID(ctx, a.TicketID)
			if err != nil && dost.ErrorCode(err) != dost.ENOTFOUND {
				return nil, err
			}
			if t != nil && t.Status == dost.TicketFinished {
				pa.RateURL = feedbackPath(t.ID, h.FeedbackToken(t.ID), "sms")
			}
		}
		if pa.Upcoming {
			v.Upcoming = append(v.Upcoming, pa)
		} else {
			v.Past = append(v.Past, pa)
		}
	}
	slices.SortFunc(v.Past, func(a, b portalAppointment) int { return b.Start.Compare(a.Start) })
	return v, nil
}

// handlePortalAppointments handles "GET /my/appointments": the citizen's
// upcoming appointments (each with a cancel button) and past visits (a
// finished one with the link to rate the service).
func (s *Server) handlePortalAppointments(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	v, err := s.loadAppointments(r, h, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if d := r.URL.Query().Get("done"); d == "book" || d == "cancel" {
		v.Done = "portal.appointments.done." + d
	}
	s.renderPortal(w, r, http.StatusOK, "portal_appointments", "my.appointments", c, v)
}

// handlePortalCancel handles "POST /my/appointments/{id}/cancel": cancels
// the citizen's booked appointment. Another person's is 404; one no longer
// booked re-renders the list with the message (409).
func (s *Server) handlePortalCancel(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, errPortalNotFound)
		return
	}
	ctx := r.Context()
	a, err := h.FindAppointmentByID(ctx, id)
	if dost.ErrorCode(err) == dost.ENOTFOUND || err == nil && a.PersonID != c.Person.ID {
		s.Error(w, r, errPortalNotFound)
		return
	} else if err != nil {
		s.Error(w, r, err)
		return
	}
	if a.Status == dost.AppointmentCancelled { // a double click: cancelled already
		http.Redirect(w, r, "/my/appointments?done=cancel", http.StatusSeeOther)
		return
	}
	_, cancelErr := h.CancelAppointment(ctx, id)
	if cancelErr == nil {
		http.Redirect(w, r, "/my/appointments?done=cancel", http.StatusSeeOther)
		return
	}
	alert := formAlertKey(cancelErr)
	if alert == "" {
		s.Error(w, r, cancelErr)
		return
	}
	v, err := s.loadAppointments(r, h, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v.Alert = alert
	s.renderPortal(w, r, ErrorStatus(cancelErr), "portal_appointments", "my.appointments", c, v)
}

// portalBookView is the portal's booking form: a centre, a service it
// offers, a day, then a free slot and the phone.
type portalBookView struct {
	Centres []*dost.Centre
	Centre  *dost.Centre // chosen
	bookPage
}

// loadPortalBook fills v from its choices: the centres, the chosen
// centre's services, days and, when all are chosen, the free slots.
func (s *Server) loadPortalBook(r *http.Request, h HallService, v *portalBookView, centre string) error {
	ctx := r.Context()
	centres, _, err := s.CentreService.FindCentres(ctx, dost.CentreFilter{})
	if err != nil {
		return err
	}
	v.Centres = centres
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	for _, ce := range centres {
		if ce.Code == centre {
			v.Centre = ce
		}
	}
	if centre != "" && v.Centre == nil {
		v.Errors["centre"] = "form.error.invalid"
	}
	if v.Centre == nil {
		return nil
	}
	services, err := s.offeredServices(ctx, v.Centre)
	if err != nil {
		return err
	}
	v.bookPage.Centre, v.bookPage.Services = v.Centre, services
	return s.chooseSlot(ctx, h, &v.bookPage)
}

// handlePortalBookPage handles "GET /my/appointments/new": the booking
// form; ?centre=, ?service= and ?day= (today if only the service is
// named) narrow it to the day's free slots.
func (s *Server) handlePortalBookPage(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	q := r.URL.Query()
	v := portalBookView{bookPage: bookPage{Service: strings.TrimSpace(q.Get("service")), Day: strings.TrimSpace(q.Get("day")),
		Phone: c.Person.Phone}}
	if v.Service != "" && v.Day == "" {
		v.Day = dost.Today(s.Clock).String()
	}
	if err := s.loadPortalBook(r, h, &v, strings.TrimSpace(q.Get("centre"))); err != nil {
		s.Error(w, r, err)
		return
	}
	status := http.StatusOK
	if len(v.Errors) > 0 {
		status = http.StatusBadRequest
	}
	s.renderPortal(w, r, status, "portal_book", "my.appointments", c, v)
}

// handlePortalBookForm handles "POST /my/appointments": books the chosen
// slot for the citizen (their FIN and name from the registry, the phone
// given, channel portal) through the hall's booking service, then
// redirects to the list. A bad field, a slot taken meanwhile or a booking
// limit re-render the form; nothing is written then.
func (s *Server) handlePortalBookForm(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	v := portalBookView{bookPage: bookPage{Service: strings.TrimSpace(r.PostFormValue("service")), Day: strings.TrimSpace(r.PostFormValue("day")),
		Start: strings.TrimSpace(r.PostFormValue("start")), Phone: strings.TrimSpace(r.PostFormValue("phone")), Errors: map[string]string{}}}
	centre := strings.TrimSpace(r.PostFormValue("centre"))
	for field, val := range map[string]string{"centre": centre, "service": v.Service, "day": v.Day} {
		if val == "" {
			v.Errors[field] = "form.error.required"
		}
	}
	if err := s.loadPortalBook(r, h, &v, centre); err != nil {
		s.Error(w, r, err)
		return
	}
	start, err := time.Parse(time.RFC3339, v.Start)
	switch {
	case v.Start == "":
		v.Errors["start"] = "hall.book.error.start.required"
	case err != nil || start.In(dost.Baku).Format("2006-01-02") != v.Day:
		v.Errors["start"] = "hall.book.error.slot.unknown"
	}
	if v.Phone == "" {
		v.Errors["phone"] = "form.error.required"
	} else if !dost.ValidPhone(v.Phone) {
		v.Errors["phone"] = "hall.book.error.phone"
	}
	if len(v.Errors) > 0 {
		v.Alert = "form.alert.invalid"
		s.renderPortal(w, r, http.StatusBadRequest, "portal_book", "my.appointments", c, v)
		return
	}
	_, err = h.BookAppointment(r.Context(), &dost.NewAppointment{CentreID: v.Centre.ID, ServiceCode: v.Service, Start: start,
		FIN: c.Person.FIN, Name: c.Person.FullName(), Phone: v.Phone, Language: s.requestLang(w, r), Channel: dost.ApplicationOnline})
	if err == nil {
		http.Redirect(w, r, "/my/appointments?done=book", http.StatusSeeOther)
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
	if err2 := s.loadPortalBook(r, h, &v, centre); err2 != nil {
		s.Error(w, r, err2)
		return
	}
	s.renderPortal(w, r, ErrorStatus(err), "portal_book", "my.appointments", c, v)
}
