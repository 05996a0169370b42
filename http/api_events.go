package http

import (
	"net/http"
	"net/url"

	"github.com/dost-az/dost"
)

// Roles of the life events' and offers' rows in the route table.
var (
	// eventSenders report life events: other registries' system accounts
	// (role registry), and administrators (corrections, tests).
	eventSenders = []dost.Role{dost.RoleRegistry, dost.RoleAdmin}
	// eventReaders read a stored event and its outcome: its senders and
	// those who oversee the service.
	eventReaders = []dost.Role{dost.RoleRegistry, dost.RoleSupervisor, dost.RoleAdmin, dost.RoleAuditor}
	// offerAnswerers accept or decline an offer on the citizen's behalf:
	// the staff who open applications (the portal's citizens later).
	offerAnswerers = applicationOpeners
)

// eventRoutes returns the life events' and offers' rows of the route
// table.
func (s *Server) eventRoutes() []Route {
	return []Route{
		{Pattern: "POST /api/v1/events", Access: ByRole, Roles: eventSenders, Handler: s.handleEventCreate},
		{Pattern: "GET /api/v1/events/{id}", Access: ByRole, Roles: eventReaders, Handler: s.handleEventGet},
		{Pattern: "GET /api/v1/persons/{fin}/offers", Access: ByRole, Roles: registryReaders, Handler: s.handlePersonOffers},
		{Pattern: "POST /api/v1/offers/{id}/accept", Access: ByRole, Roles: offerAnswerers, Handler: s.handleOfferAccept},
		{Pattern: "POST /api/v1/offers/{id}/decline", Access: ByRole, Roles: offerAnswerers, Handler: s.handleOfferDecline},
	}
}

// errNoEvents is the answer of the events' and offers' routes on a server
// without the proactive service.
var errNoEvents = dost.Errorf(dost.ENOTFOUND, "Life events and offers are not served here.")

// eventInput is the body of "POST /api/v1/events": an event as its sender
// reports it.
type eventInput struct {
	ID         string                `json:"id"`
	Kind       dost.LifeEventKind    `json:"kind"`
	FIN        string                `json:"fin"`
	Date       dost.Date             `json:"date"`
	Birth      *dost.BirthFacts      `json:"birth"`
	Disability *dost.DisabilityFacts `json:"disability"`
	Employment *dost.EmploymentFacts `json:"employment"`
	Withdrawal *dost.WithdrawalFacts `json:"withdrawal"`
}

// eventPath returns the path of a stored event, with its source.
func eventPath(source, id string) string {
	return "/api/v1/events/" + url.PathEscape(id) + "?" + url.Values{"source": {source}}.Encode()
}

// readEvent reads the body of "POST /api/v1/events". EINVALID with field
// errors for a body that is not an event (the event's own checks are the
// EventService's).
func readEvent(w http.ResponseWriter, r *http.Request) (*dost.LifeEvent, error) {
	var in eventInput
	if err := decodeJSON(w, r, &in); err != nil {
		return nil, err
	}
	return &dost.LifeEvent{ID: in.ID, Kind: in.Kind, FIN: dost.FIN(in.FIN), Date: in.Date, Birth: in.Birth,
		Disability: in.Disability, Employment: in.Employment, Withdrawal: in.Withdrawal}, nil
}

// handleEventCreate handles "POST /api/v1/events": receives a life event
// from another registry and processes it at once. An event is known by
// its sender (the caller's username, its source) and id. 201 with the
// stored event (status processed, or failed with the error, retried
// later) and its Location; 200 with the event as stored when the sender
// sent its id with the same content before (nothing changes); 409 when
// the sender sent its id with other content. 400 with field errors for a
// bad event or one naming a FIN the registry does not know, nothing
// stored.
func (s *Server) handleEventCreate(w http.ResponseWriter, r *http.Request) {
	if s.EventService == nil {
		s.Error(w, r, errNoEvents)
		return
	}
	e, err := readEvent(w, r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	stored, created, err := s.EventService.ReceiveEvent(r.Context(), e)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !created {
		writeJSON(w, http.StatusOK, stored)
		return
	}
	w.Header().Set("Location", eventPath(stored.Source, stored.ID))
	writeJSON(w, http.StatusCreated, stored)
}

// handleEventGet handles "GET /api/v1/events/{id}?source=NAME": a stored
// event with its status and outcome. A registry account reads only its own
// events (source omitted or its username); supervisors, admins and
// auditors read any sender's, and must give the source when several
// senders used the id (400 naming "source"). 404 if there is none or it
// is another sender's.
func (s *Server) handleEventGet(w http.ResponseWriter, r *http.Request) {
	if s.EventService == nil {
		s.Error(w, r, errNoEvents)
		return
	}
	e, err := s.EventService.FindEventByID(r.Context(), r.URL.Query().Get("source"), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// handlePersonOffers handles "GET /api/v1/persons/{fin}/offers": the
// person's offers, newest first. 404 for an unknown person.
func (s *Server) handlePersonOffers(w http.ResponseWriter, r *http.Request) {
	if s.OfferService == nil {
		s.Error(w, r, errNoEvents)
		return
	}
	p, err := s.personOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	offers, err := s.OfferService.FindOffers(r.Context(), p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if offers == nil {
		offers = []*dost.Offer{}
	}
	writeJSON(w, http.StatusOK, offers)
}

// handleOfferAccept handles "POST /api/v1/offers/{id}/accept": accepts an
// offer on the citizen's behalf, submitting an application on the
// proactive channel for a case worker to decide. 200 with the offer
// (accepted, with its application_id); 409 when it was answered already
// or has expired; 400 when the application cannot be submitted.
func (s *Server) handleOfferAccept(w http.ResponseWriter, r *http.Request) {
	s.answerOffer(w, r, true)
}

// handleOfferDecline handles "POST /api/v1/offers/{id}/decline": declines
// an offer on the citizen's behalf. 200 with the offer (declined); 409
// when it was answered already or has expired.
func (s *Server) handleOfferDecline(w http.ResponseWriter, r *http.Request) {
	s.answerOffer(w, r, false)
}

// answerOffer answers the offer of the {id} path value.
func (s *Server) answerOffer(w http.ResponseWriter, r *http.Request, accept bool) {
	if s.OfferService == nil {
		s.Error(w, r, errNoEvents)
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	o, err := s.OfferService.AnswerOffer(r.Context(), id, accept)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}
