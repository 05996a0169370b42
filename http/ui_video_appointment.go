package http

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/dost-az/dost"
)

// handlePortalVideoCheckIn handles "POST /my/appointments/{id}/video":
// the citizen checks their booking at a video centre in from home (the
// appointments page's "Join the video call", shown in the check-in
// window) and goes to the visit page, where the call starts when the
// operator calls the ticket. Another's booking is 404; a refused check-in
// (too early, too late, not booked) re-renders the appointments page with
// the message.
func (s *Server) handlePortalVideoCheckIn(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	vc, h := s.video(w, r)
	if vc == nil {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, errPortalNotFound)
		return
	}
	u := dost.UserFromContext(r.Context())
	t, err := s.videoCheckIn(r.Context(), vc, h, id, c.Person.ID, u.Name)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		s.Error(w, r, errPortalNotFound)
		return
	} else if err != nil {
		alert := formAlertKey(err)
		if alert == "" {
			s.Error(w, r, err)
			return
		}
		v, lerr := s.loadAppointments(r, h, c)
		if lerr != nil {
			s.Error(w, r, lerr)
			return
		}
		v.Alert = alert
		s.renderPortal(w, r, ErrorStatus(err), "portal_appointments", "my.appointments", c, v)
		return
	}
	tok := h.FeedbackToken(t.ID)
	http.Redirect(w, r, "/video/tickets/"+strconv.FormatInt(t.ID, 10)+"?token="+url.QueryEscape(tok), http.StatusSeeOther)
}
