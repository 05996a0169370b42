package http

import (
	"context"
	"net/http"

	"github.com/dost-az/dost"
)

// This file holds the portal's benefits (awards of the citizen and their
// household) and payments pages.

// portalAward is an award as the portal shows it: whose it is and the
// programme's name.
type portalAward struct {
	*dost.Award
	Name  dost.Text // the programme's
	Whose string    // the beneficiary's name, or "" for the household
	Mine  bool      // the citizen is the beneficiary or the payee
}

// benefitsView is the benefits page.
type benefitsView struct {
	Awards []portalAward
}

// portalAwards returns the awards of c and their household, with names.
func (s *Server) portalAwards(ctx context.Context, c *citizen) ([]portalAward, error) {
	awards, _, err := s.Portal.FindHouseholdAwards(ctx, c.Person.ID, 0, 500)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{c.Person.ID: c.Person.FullName()}
	out := make([]portalAward, 0, len(awards))
	for _, w := range awards {
		pa := portalAward{Award: w, Name: s.programmeName(w.Programme, dost.Text{AZ: w.Programme, EN: w.Programme, RU: w.Programme}),
			Mine: w.PersonID == c.Person.ID || w.PayeeID == c.Person.ID}
		if w.PersonID != 0 {
			n, ok := names[w.PersonID]
			if !ok {
				p, err := s.PersonService.FindPersonByID(ctx, w.PersonID)
				if err != nil {
					return nil, err
				}
				n = p.FullName()
				names[w.PersonID] = n
			}
			pa.Whose = n
		}
		out = append(out, pa)
	}
	return out, nil
}

// handlePortalBenefits handles "GET /my/benefits": the awards of the
// citizen and of their household's members (whose each is), with the
// programme, amount (a month, or once), start, end and status.
func (s *Server) handlePortalBenefits(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	awards, err := s.portalAwards(r.Context(), c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderPortal(w, r, http.StatusOK, "portal_benefits", "my.benefits", c, benefitsView{Awards: awards})
}

// portalPaymentsPerPage is how many payments a page of /my/payments shows.
const portalPaymentsPerPage = 20

// paymentsView is a page of the citizen's payments.
type paymentsView struct {
	Payments   []portalPayment
	Total      int
	Page       int // 1-based
	Pages      int
	Prev, Next string // the other pages' links, "" if none
}

// handlePortalPayments handles "GET /my/payments": the payments to the
// citizen (period, programme, amount, date, status), newest first, 20 a
// page (?page=).
func (s *Server) handlePortalPayments(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	if s.Payroll == nil {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "Payments are not available on this server."))
		return
	}
	pg := 1
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := parsePositive(p)
		if err != nil {
			s.Error(w, r, dost.FieldErr("page", "page.invalid", "A page is a whole number from 1."))
			return
		}
		pg = n
	}
	list, total, err := s.Payroll.FindPayments(r.Context(), dost.PaymentFilter{PayeeID: c.Person.ID,
		Offset: (pg - 1) * portalPaymentsPerPage, Limit: portalPaymentsPerPage})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v := paymentsView{Total: total, Page: pg, Pages: (total + portalPaymentsPerPage - 1) / portalPaymentsPerPage}
	for _, p := range ownPayments(list, c.Person.ID) {
		v.Payments = append(v.Payments, s.portalPaymentOf(p))
	}
	if pg > 1 {
		v.Prev = "/my/payments?page=" + itoa(pg-1)
	}
	if pg < v.Pages {
		v.Next = "/my/payments?page=" + itoa(pg+1)
	}
	s.renderPortal(w, r, http.StatusOK, "portal_payments", "my.payments", c, v)
}

// portalPayment is a payment as the portal shows it.
type portalPayment struct {
	*dost.Payment
	Name  dost.Text // the programme's
	Shown string    // the status the citizen reads (paymentShownStatus)
	// StatusKey is "portal.payment.status.<shown>".
	StatusKey string
	Date      string // the day paid, else the day it was prepared
}

// portalPaymentOf returns p as the portal shows it.
func (s *Server) portalPaymentOf(p *dost.Payment) portalPayment {
	v := portalPayment{Payment: p, Name: s.programmeName(p.Programme, dost.Text{AZ: p.Programme, EN: p.Programme, RU: p.Programme}),
		Shown: paymentShownStatus(p.Status), Date: portalDate(p.CreatedAt)}
	v.StatusKey = "portal.payment.status." + v.Shown
	if !p.PaidOn.IsZero() {
		v.Date = p.PaidOn.String()
	}
	return v
}

// ownPayments keeps the payments to payee: the service filters a
// citizen's already, this holds for an account with a staff role too.
func ownPayments(list []*dost.Payment, payee int64) []*dost.Payment {
	out := make([]*dost.Payment, 0, len(list))
	for _, p := range list {
		if p.PayeeID == payee {
			out = append(out, p)
		}
	}
	return out
}

// paymentShownStatus returns the status the citizen reads: held and
// corrected payments are still to be sent, so they read as pending.
func paymentShownStatus(s dost.PaymentStatus) string {
	switch s {
	case dost.PaymentHeld, dost.PaymentCorrected:
		return string(dost.PaymentPending)
	}
	return string(s)
}

// parsePositive parses a whole number of at least 1.
func parsePositive(s string) (int, error) {
	n := 0
	if s == "" || len(s) > 9 {
		return 0, dost.Errorf(dost.EINVALID, "not a number")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, dost.Errorf(dost.EINVALID, "not a number")
		}
		n = n*10 + int(r-'0')
	}
	if n < 1 {
		return 0, dost.Errorf(dost.EINVALID, "not positive")
	}
	return n, nil
}
