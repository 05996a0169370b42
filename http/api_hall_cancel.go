package http

import (
	"net/http"
	"time"

	"github.com/dost-az/dost"
)

// cancelledBooking is what a citizen who cancelled by code learns of the
// booking: no name, phone or FIN, which the code and one of them do not
// entitle them to.
type cancelledBooking struct {
	ID          int64                  `json:"id"`
	Code        string                 `json:"code"`
	CentreID    int64                  `json:"centre_id"`
	ServiceCode string                 `json:"service_code"`
	Start       time.Time              `json:"start"`
	End         time.Time              `json:"end"`
	Status      dost.AppointmentStatus `json:"status"`
}

// handleAppointmentCancelByCode handles "POST
// /api/v1/appointments/cancel": a citizen cancels a booking without
// signing in, with its code and the phone or FIN given at booking. 200
// with the booking, cancelled: its place is bookable again. 404 (field
// code, appointment.unknown) when no booking has the code with that phone
// or FIN; 409 (appointment.not_booked) when it is no longer booked (e.g.
// cancelled twice); 400 without a code or without both phone and FIN.
// Public, so rate-limited per client IP.
func (s *Server) handleAppointmentCancelByCode(w http.ResponseWriter, r *http.Request) {
	var in dost.CancelByCode
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	a, err := h.CancelAppointmentByCode(r.Context(), &in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cancelledBooking{ID: a.ID, Code: a.Code, CentreID: a.CentreID, ServiceCode: a.ServiceCode,
		Start: a.Start, End: a.End, Status: a.Status})
}
