package http

import (
	"net/http"
	"strings"

	"github.com/dost-az/dost"
)

// cancelPage is the page to cancel a booking by its code.
type cancelPage struct {
	Code   string
	Phone  string
	FIN    string
	Done   bool
	Alert  string            // message key
	Errors map[string]string // field → message key
}

// handleCancelByCodePage handles "GET /appointments/cancel": the form to
// cancel a booking without signing in, with its code (?code= fills it in)
// and the phone or FIN given at booking; after a cancellation (?done=1) it
// says so.
func (s *Server) handleCancelByCodePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := cancelPage{Code: strings.ToUpper(strings.TrimSpace(q.Get("code"))), Done: q.Get("done") == "1"}
	if len(v.Code) > 32 || !dost.ValidText(v.Code, false) {
		v.Code = ""
	}
	s.render(w, r, http.StatusOK, "hall_cancel", "", v)
}

// handleCancelByCodeForm handles "POST /appointments/cancel": cancels the
// booking with the form's code if the phone or FIN matches the booking's,
// then redirects to the page saying so. An unknown code or a phone or FIN
// not the booking's (404, one answer for both), a booking no longer booked
// (409) or a form missing a field (400) re-render the form saying why.
func (s *Server) handleCancelByCodeForm(w http.ResponseWriter, r *http.Request) {
	h := s.hall(w, r)
	if h == nil {
		return
	}
	v := cancelPage{Code: strings.TrimSpace(r.PostFormValue("code")), Phone: strings.TrimSpace(r.PostFormValue("phone")),
		FIN: strings.TrimSpace(r.PostFormValue("fin"))}
	_, err := h.CancelAppointmentByCode(r.Context(), &dost.CancelByCode{Code: v.Code, Phone: v.Phone, FIN: dost.FIN(v.FIN)})
	if err == nil {
		http.Redirect(w, r, "/appointments/cancel?done=1", http.StatusSeeOther)
		return
	}
	v.Errors = map[string]string{}
	switch dost.ErrorCode(err) {
	case dost.ENOTFOUND:
		v.Alert = "hall.cancel.error.unknown"
	case dost.ECONFLICT:
		v.Alert = "hall.cancel.error.not_booked"
	case dost.EINVALID:
		v.Alert = "form.alert.invalid"
		for _, f := range dost.ErrorFields(err) {
			key := "form.error.invalid"
			switch f.Code {
			case "required":
				key = "form.error.required"
			case "appointment.second_factor":
				key = "hall.cancel.error.second_factor"
			}
			if _, seen := v.Errors[f.Field]; !seen {
				v.Errors[f.Field] = key
			}
		}
	default:
		s.Error(w, r, err)
		return
	}
	s.render(w, r, ErrorStatus(err), "hall_cancel", "", v)
}
