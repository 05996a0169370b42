package http

import (
	"net/http"

	"github.com/dost-az/dost"
)

// This file holds the citizen's account as JSON under /api/v1/me: the same
// records as the /my pages, for the mobile app and other clients of a
// citizen. As on the pages the person comes from the session or token,
// never from the URL, and another person's id answers 404.

// meRoutes returns the /api/v1/me rows of the route table.
func (s *Server) meRoutes() []Route {
	me := func(pattern string, h http.HandlerFunc) Route {
		return Route{Pattern: pattern, Access: ByRole, Roles: portalRoles, Handler: h}
	}
	return append([]Route{
		me("GET /api/v1/me/person", s.handleMePerson),
		me("GET /api/v1/me/awards", s.handleMeAwards),
		me("GET /api/v1/me/payments", s.handleMePayments),
		me("GET /api/v1/me/applications", s.handleMeApplications),
		me("GET /api/v1/me/applications/{id}", s.handleMeApplication),
		me("GET /api/v1/me/offers", s.handleMeOffers),
		me("GET /api/v1/me/appointments", s.handleMeAppointments),
		me("PATCH /api/v1/me/profile", s.handleMeProfile),
	}, s.meApplicationRoutes()...)
}

// meView is the signed-in citizen as GET /api/v1/me/person shows them.
type meView struct {
	UserID      int64     `json:"user_id"`
	Username    string    `json:"username"`
	Name        string    `json:"name"`
	FIN         dost.FIN  `json:"fin"`
	FirstName   string    `json:"first_name"`
	LastName    string    `json:"last_name"`
	Patronymic  string    `json:"patronymic"`
	BirthDate   dost.Date `json:"birth_date"`
	Phone       string    `json:"phone"`
	Email       string    `json:"email"`
	Language    string    `json:"language"`
	HouseholdID int64     `json:"household_id,omitempty"`
}

// meViewOf returns c as the API shows them.
func meViewOf(c *citizen) meView {
	p := c.Person
	return meView{UserID: c.User.ID, Username: c.User.Username, Name: c.User.Name, FIN: p.FIN, FirstName: p.FirstName,
		LastName: p.LastName, Patronymic: p.Patronymic, BirthDate: p.BirthDate, Phone: p.Phone, Email: p.Email,
		Language: p.Lang(), HouseholdID: c.HouseholdID}
}

// meCitizen returns the signed-in citizen or answers the problem.
func (s *Server) meCitizen(w http.ResponseWriter, r *http.Request) *citizen {
	c, err := s.citizenOf(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return nil
	}
	return c
}

// handleMePerson handles "GET /api/v1/me/person": the signed-in citizen's
// person and contact details ("GET /api/v1/me", api_session.go, is the
// account of any signed-in user).
func (s *Server) handleMePerson(w http.ResponseWriter, r *http.Request) {
	if c := s.meCitizen(w, r); c != nil {
		writeJSON(w, http.StatusOK, meViewOf(c))
	}
}

// handleMeAwards handles "GET /api/v1/me/awards": the awards of the
// citizen and their household's members and the household's own, newest
// first (offset, limit up to 500, default 100).
func (s *Server) handleMeAwards(w http.ResponseWriter, r *http.Request) {
	c := s.meCitizen(w, r)
	if c == nil {
		return
	}
	offset, limit, err := pageParams(r.URL.Query(), 100, 500)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	list, total, err := s.Portal.FindHouseholdAwards(r.Context(), c.Person.ID, offset, limit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, total, offset, limit))
}

// mePayment is a payment as the citizen reads it: no bank account.
type mePayment struct {
	ID         int64      `json:"id"`
	AwardID    int64      `json:"award_id"`
	Programme  string     `json:"programme"`
	Period     dost.Month `json:"period"`
	Amount     dost.Money `json:"amount"`
	Status     string     `json:"status"` // pending, sent, paid, failed or returned
	ReasonCode string     `json:"reason_code,omitempty"`
	Date       string     `json:"date"` // paid on, else prepared on
	PaidOn     dost.Date  `json:"paid_on,omitzero"`
}

// handleMePayments handles "GET /api/v1/me/payments": the payments to the
// citizen, newest first (offset, limit up to 200, default 20). Held and
// corrected payments read as pending.
func (s *Server) handleMePayments(w http.ResponseWriter, r *http.Request) {
	c := s.meCitizen(w, r)
	if c == nil {
		return
	}
	if s.Payroll == nil {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "Payments are not available on this server."))
		return
	}
	offset, limit, err := pageParams(r.URL.Query(), portalPaymentsPerPage, 200)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	list, total, err := s.Payroll.FindPayments(r.Context(), dost.PaymentFilter{PayeeID: c.Person.ID, Offset: offset, Limit: limit})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items := []mePayment{}
	for _, p := range ownPayments(list, c.Person.ID) {
		v := s.portalPaymentOf(p)
		items = append(items, mePayment{ID: p.ID, AwardID: p.AwardID, Programme: p.Programme, Period: p.Period, Amount: p.Amount,
			Status: v.Shown, ReasonCode: p.ReasonCode, Date: v.Date, PaidOn: p.PaidOn})
	}
	writeJSON(w, http.StatusOK, newPage(items, total, offset, limit))
}

// handleMeApplications handles "GET /api/v1/me/applications": the
// citizen's applications, newest first (offset, limit up to 200, default
// 50), without documents and history.
func (s *Server) handleMeApplications(w http.ResponseWriter, r *http.Request) {
	c := s.meCitizen(w, r)
	if c == nil {
		return
	}
	offset, limit, err := pageParams(r.URL.Query(), 50, 200)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	list, total, err := s.ApplicationService.FindApplications(r.Context(), dost.ApplicationFilter{PersonID: c.Person.ID, Offset: offset, Limit: limit})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items := make([]*dost.Application, 0, len(list))
	for _, a := range list {
		if a.PersonID == c.Person.ID {
			items = append(items, a)
		}
	}
	writeJSON(w, http.StatusOK, newPage(items, total, offset, limit))
}

// meApplication is one application with the actions the citizen may take.
type meApplication struct {
	*dost.Application
	AllowedActions []dost.ApplicationAction `json:"allowed_actions"`
}

// handleMeApplication handles "GET /api/v1/me/applications/{id}": one of
// the citizen's applications with documents, history and the actions
// they may take (appeal, withdraw, provide_information). Another
// person's is 404.
func (s *Server) handleMeApplication(w http.ResponseWriter, r *http.Request) {
	c := s.meCitizen(w, r)
	if c == nil {
		return
	}
	a, err := s.ownApplicationOfPath(r, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v := meApplication{Application: a, AllowedActions: []dost.ApplicationAction{}}
	for _, act := range dost.AllowedActions(a.Status) {
		for _, p := range portalActions {
			if act == p {
				v.AllowedActions = append(v.AllowedActions, act)
			}
		}
	}
	writeJSON(w, http.StatusOK, v)
}

// handleMeOffers handles "GET /api/v1/me/offers": the citizen's offers,
// newest first.
func (s *Server) handleMeOffers(w http.ResponseWriter, r *http.Request) {
	c := s.meCitizen(w, r)
	if c == nil {
		return
	}
	list, err := s.ownOffers(r.Context(), c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items := make([]*dost.Offer, 0, len(list))
	for _, o := range list {
		items = append(items, o.Offer)
	}
	writeJSON(w, http.StatusOK, newPage(items, len(items), 0, 0))
}

// handleMeAppointments handles "GET /api/v1/me/appointments": the
// citizen's appointments by slot start (offset, limit up to 200, default
// 50).
func (s *Server) handleMeAppointments(w http.ResponseWriter, r *http.Request) {
	c := s.meCitizen(w, r)
	if c == nil {
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	offset, limit, err := pageParams(r.URL.Query(), 50, 200)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	list, total, err := h.FindAppointments(r.Context(), dost.AppointmentFilter{PersonID: c.Person.ID, Offset: offset, Limit: limit})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items := make([]*dost.Appointment, 0, len(list))
	for _, a := range list {
		if a.PersonID == c.Person.ID {
			items = append(items, a)
		}
	}
	writeJSON(w, http.StatusOK, newPage(items, total, offset, limit))
}

// handleMeProfile handles "PATCH /api/v1/me/profile": changes the phone,
// e-mail and language (fields absent do not change; "" removes a phone or
// e-mail) in one transaction and answers the citizen as GET /api/v1/me/person.
// 400 problem+json with field errors for bad values, nothing changed.
func (s *Server) handleMeProfile(w http.ResponseWriter, r *http.Request) {
	c := s.meCitizen(w, r)
	if c == nil {
		return
	}
	var upd dost.ProfileUpdate
	if err := decodeJSON(w, r, &upd); err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := s.Portal.UpdateProfile(r.Context(), c.User.ID, c.Person.ID, upd)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c.Person = p
	writeJSON(w, http.StatusOK, meViewOf(c))
}
