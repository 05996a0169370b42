package http

import (
	"testing"

	"github.com/dost-az/dost"
)

// TestPortalMessages checks the message keys the portal's handlers build
// from a prefix and a value (rendered with {{t .Key}}, so the catalogue
// test's scan of the templates does not see them): every value of each
// family has a text in every language.
func TestPortalMessages(t *testing.T) {
	msgs, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	strs := func(vs ...string) []string { return vs }
	families := map[string][]string{
		"portal.todo.":               strs("documents", "offer", "appointment", "appeal", "documents.due", "offer.due", "appointment.due", "appeal.due"),
		"portal.application.done.":   portalDone,
		"portal.appointments.done.":  strs("book", "cancel"),
		"portal.offers.done.":        strs("accept", "decline"),
		"portal.profile.error.":      strs("phone", "email", "language"),
		"portal.payment.status.":     strs("pending", "sent", "paid", "failed", "returned"),
		"portal.offer.status.":       strs(string(dost.OfferSent), string(dost.OfferAccepted), string(dost.OfferDeclined), string(dost.OfferExpired)),
		"portal.appointment.status.": strs(string(dost.AppointmentBooked), string(dost.AppointmentCheckedIn), string(dost.AppointmentCancelled), string(dost.AppointmentLapsed)),
	}
	for prefix, values := range families {
		for _, v := range values {
			for _, lang := range dost.Languages {
				if _, ok := msgs[lang][prefix+v]; !ok {
					t.Errorf("%s lacks %q", lang, prefix+v)
				}
			}
		}
	}
	// Every payment status reads as one of the family's.
	for _, s := range []dost.PaymentStatus{dost.PaymentPending, dost.PaymentSent, dost.PaymentPaid, dost.PaymentFailed,
		dost.PaymentReturned, dost.PaymentHeld, dost.PaymentCorrected} {
		if _, ok := msgs["en"]["portal.payment.status."+paymentShownStatus(s)]; !ok {
			t.Errorf("payment status %s shows as %q, which has no text", s, paymentShownStatus(s))
		}
	}
}
