package http

import (
	"context"
	"net/http"

	"github.com/dost-az/dost"
)

// This file holds the citizen's proactive offers on the portal: the list,
// and confirming or declining one through the OfferService.

// portalOffer is an offer as the portal shows it.
type portalOffer struct {
	*dost.Offer
	Name dost.Text // the programme's
	Open bool      // sent and not expired: may be answered
	// StatusKey is "portal.offer.status.<status>".
	StatusKey string
}

// offersView is the offers page.
type offersView struct {
	Offers []portalOffer
	Done   string // the message key after an answer
	Alert  string
}

// ownOffers returns the offers of c, newest first.
func (s *Server) ownOffers(ctx context.Context, c *citizen) ([]portalOffer, error) {
	if s.OfferService == nil {
		return nil, nil
	}
	list, err := s.OfferService.FindOffers(ctx, c.Person.ID)
	if err != nil {
		return nil, err
	}
	today := dost.Today(s.Clock)
	var out []portalOffer
	for _, o := range list {
		if o.PersonID != c.Person.ID {
			continue
		}
		out = append(out, portalOffer{Offer: o, Name: s.programmeName(o.Programme, dost.Text{AZ: o.Programme, EN: o.Programme, RU: o.Programme}),
			Open: o.Status == dost.OfferSent && !o.ExpiresOn.Before(today), StatusKey: "portal.offer.status." + string(o.Status)})
	}
	return out, nil
}

// handlePortalOffers handles "GET /my/offers": the benefits dost found
// the citizen entitled to, to confirm or decline in one step.
func (s *Server) handlePortalOffers(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	offers, err := s.ownOffers(r.Context(), c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v := offersView{Offers: offers}
	if d := r.URL.Query().Get("done"); d == "accept" || d == "decline" {
		v.Done = "portal.offers.done." + d
	}
	s.renderPortal(w, r, http.StatusOK, "portal_offers", "my.offers", c, v)
}

// handlePortalOfferAnswer handles "POST /my/offers/{id}": answer=accept
// confirms the offer (an application is submitted for it), answer=decline
// declines it. Another person's offer is 404; one answered or expired
// already re-renders the list with the message (409).
func (s *Server) handlePortalOfferAnswer(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	if s.OfferService == nil {
		s.Error(w, r, errPortalNotFound)
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, errPortalNotFound)
		return
	}
	ctx := r.Context()
	offers, err := s.ownOffers(ctx, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var own *dost.Offer
	for _, o := range offers {
		if o.ID == id {
			own = o.Offer
		}
	}
	if own == nil {
		s.Error(w, r, errPortalNotFound)
		return
	}
	answer := r.PostFormValue("answer")
	if answer != "accept" && answer != "decline" {
		s.Error(w, r, dost.FieldErr("answer", "answer.invalid", "The answer is accept or decline."))
		return
	}
	// Given already (a double click, a reload after the redirect): the
	// answer stands, say so as the first time.
	if answer == "accept" && own.Status == dost.OfferAccepted || answer == "decline" && own.Status == dost.OfferDeclined {
		http.Redirect(w, r, "/my/offers?done="+answer, http.StatusSeeOther)
		return
	}
	_, answerErr := s.OfferService.AnswerOffer(ctx, id, answer == "accept")
	if answerErr == nil {
		http.Redirect(w, r, "/my/offers?done="+answer, http.StatusSeeOther)
		return
	}
	alert := formAlertKey(answerErr)
	if alert == "" {
		s.Error(w, r, answerErr)
		return
	}
	if offers, err = s.ownOffers(ctx, c); err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderPortal(w, r, ErrorStatus(answerErr), "portal_offers", "my.offers", c, offersView{Offers: offers, Alert: alert})
}
