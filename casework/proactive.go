package casework

import (
	"context"
	"fmt"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/pdf"
)

// ProactiveRequest asks for a programme to be assigned without an
// application: the proactive service (DESIGN.md journey 3), for a life
// event or the population scan.
type ProactiveRequest struct {
	// Programme is the programme's code, e.g. "old_age_pension".
	Programme string
	// The beneficiary: a person for a person programme, a household for
	// a household programme (the other ID is 0).
	PersonID    int64
	HouseholdID int64
	// PayeeID is the person paid: 0 for the beneficiary person, or the
	// head of the beneficiary household; the mother for a newborn's birth
	// allowance.
	PayeeID int64
	// Period is the month the rules run for and the award's first (or
	// only) month; Start the day the right arises, in Period (zero: its
	// first day).
	Period dost.Month
	Start  dost.Date
}

// idempotencyKey names a request: "proactive:<programme>:<p|h><id>:<period>".
func (r *ProactiveRequest) idempotencyKey() string {
	if r.HouseholdID != 0 {
		return fmt.Sprintf("proactive:%s:h%d:%s", r.Programme, r.HouseholdID, r.Period)
	}
	return fmt.Sprintf("proactive:%s:p%d:%s", r.Programme, r.PersonID, r.Period)
}

// AssignProactively runs the rules for a programme, beneficiary and period
// and, if they find a right, assigns it: in one store call it creates an
// application on the proactive channel, submitted, taken in review and
// approved by dost itself (actor 0) at once, its decision with the trace,
// the award (from r.Start; monthly awards for the programme's duration if
// it has one) and the notification to the payee. It does not look at
// Programme.Offer: the caller decides whether a programme is assigned
// unasked or offered (an accepted offer may then call this).
//
// It returns the award and true when it made one; nil, false, nil when the
// rules find no right; and the existing award and false when the
// beneficiary already has one for the programme in the period, or an open
// monthly award of it, or a monthly award (ended too) whose days the new
// one's would overlap (a back-dated start inside months already paid),
// however many times or however concurrently the same request is made (the
// application's idempotency key and the store's uniqueness rules).
// Errors: EINVALID for an unknown programme, beneficiary or payee, or a
// start outside the period.
func (s *Service) AssignProactively(ctx context.Context, r ProactiveRequest) (*dost.Award, bool, error) {
	p := s.programmes[r.Programme]
	if p == nil {
		return nil, false, dost.FieldErr("programme", "programme.unknown", "There is no programme %q.", r.Programme)
	}
	if r.Period.IsZero() || r.Period.Month < 1 || r.Period.Month > 12 {
		return nil, false, dost.FieldErr("period", "required", "The period is required.")
	}
	start := r.Start
	if start.IsZero() {
		start = r.Period.First()
	} else if dost.MonthOf(start) != r.Period {
		return nil, false, dost.FieldErr("start", "start.outside_period", "The start %s is not in the period %s.", start, r.Period)
	}

	// The beneficiary, the household whose records the rules read, and
	// the payee, who is the application's person.
	var beneficiary, payee *dost.Person
	var hh int64
	var err error
	switch {
	case p.Entity == "person" && r.PersonID > 0 && r.HouseholdID == 0:
		if beneficiary, err = s.personByID(ctx, "person_id", r.PersonID); err != nil {
			return nil, false, err
		}
		if hh, err = s.householdOf(ctx, beneficiary.ID); err != nil {
			return nil, false, err
		}
		payee = beneficiary
	case p.Entity == "household" && r.HouseholdID > 0 && r.PersonID == 0:
		h, err := s.households.FindHouseholdByID(ctx, r.HouseholdID)
		if dost.ErrorCode(err) == dost.ENOTFOUND {
			return nil, false, dost.FieldErr("household_id", "household.unknown", "There is no household %d.", r.HouseholdID)
		} else if err != nil {
			return nil, false, fmt.Errorf("find household: %w", err)
		}
		hh = h.ID
		if head := h.Head(); head != nil && r.PayeeID == 0 {
			if payee, err = s.personByID(ctx, "household_id", head.PersonID); err != nil {
				return nil, false, err
			}
		}
	default:
		return nil, false, dost.FieldErr("person_id", "beneficiary.invalid", "The programme %s is for a %s: give its ID, and only that.", p.Code, p.Entity)
	}
	if r.PayeeID != 0 && (payee == nil || payee.ID != r.PayeeID) {
		if payee, err = s.personByID(ctx, "payee_id", r.PayeeID); err != nil {
			return nil, false, err
		}
	}
	if payee == nil {
		return nil, false, dost.FieldErr("payee_id", "required", "The household %d has no head; name the payee.", r.HouseholdID)
	}
	personID := r.PersonID

	if w, err := s.existingAward(ctx, p, personID, hh, r.Period, 0); err != nil || w != nil {
		return w, false, err
	}
	// A monthly award may not start back inside the days of an ended one
	// (see overlapping): the ended award stands for the request.
	if w, err := s.overlapping(ctx, p, newAward(p, personID, hh, 0, r.Period, start, 0, time.Time{})); err != nil || w != nil {
		return w, false, err
	}
	ev, err := s.evaluate(ctx, p, personID, hh, r.Period, scopeBeneficiary)
	if err != nil {
		return nil, false, err
	}
	if !ev.eligible {
		return nil, false, nil
	}
	if err := s.checkService(ctx, p); err != nil {
		return nil, false, err
	}

	now := s.now()
	today := dost.DateOf(now.In(dost.Baku))
	appHH := hh
	if p.Entity == "person" && payee.ID != beneficiary.ID {
		if appHH, err = s.householdOf(ctx, payee.ID); err != nil {
			return nil, false, err
		}
	}
	key := r.idempotencyKey()
	a := &dost.Application{
		PersonID: payee.ID, FIN: payee.FIN, HouseholdID: appHH, ServiceCode: p.ServiceCode,
		Channel: dost.ApplicationProactive, Status: dost.ApplicationApproved, Period: r.Period, Deadline: today,
		SubmittedAt: now, UpdatedAt: now, IdempotencyKey: key,
		Transitions: []*dost.Transition{
			{Action: ActionSubmit, To: dost.ApplicationSubmitted, At: now},
			{Action: dost.ActionReview, From: dost.ApplicationSubmitted, To: dost.ApplicationInReview, At: now},
			{Action: dost.ActionApprove, From: dost.ApplicationInReview, To: dost.ApplicationApproved, At: now},
		},
	}
	lang := payee.Lang()
	d := &dost.Decision{Outcome: dost.DecisionApproved, RuleSetVersion: s.rsVersion, Period: r.Period,
		Amounts: ev.amounts, Trace: ev.trace, DecidedAt: now, LetterCode: pdf.LetterCode(), Language: lang}
	w := newAward(p, personID, hh, payee.ID, r.Period, start, ev.total, now)
	name := p.Name.In(lang)
	var body string
	if w.Kind == dost.AwardMonthly {
		body = say(lang, "award.proactive.monthly", name, w.Amount.String(), w.Start.String())
	} else {
		body = say(lang, "award.proactive.one_off", name, w.Amount.String(), w.Period.String())
	}
	body += " " + say(lang, "decision.letter", s.verifyURL(d.LetterCode))
	eff := &Effects{Decision: d, Awards: []*dost.Award{w},
		Notifications: toPerson(payee, key, "award.made", say(lang, "award.subject", name), body, now)}

	stored, created, err := s.store.CreateApplication(ctx, a, nil, eff)
	switch {
	case dost.ErrorCode(err) == dost.ECONFLICT:
		// Another request or an earlier award made it first.
		existing, ferr := s.existingAward(ctx, p, personID, hh, r.Period, 0)
		if ferr != nil || existing == nil {
			return nil, false, err
		}
		return existing, false, nil
	case err != nil:
		return nil, false, err
	case !created:
		existing, err := s.existingAward(ctx, p, personID, hh, r.Period, stored.ID)
		if err != nil {
			return nil, false, err
		}
		if existing == nil {
			return nil, false, fmt.Errorf("assign %s: application %d exists without its award", key, stored.ID)
		}
		return existing, false, nil
	}
	return w, true, nil
}

// checkService checks that the service of programme p is in the
// catalogue, asking it once: the catalogue deletes no service.
func (s *Service) checkService(ctx context.Context, p *dost.Programme) error {
	if _, ok := s.services.Load(p.ServiceCode); ok {
		return nil
	}
	if _, err := s.catalogue.FindServiceByCode(ctx, p.ServiceCode); err != nil {
		return fmt.Errorf("find service %s of programme %s: %w", p.ServiceCode, p.Code, err)
	}
	s.services.Store(p.ServiceCode, struct{}{})
	return nil
}

// personByID returns a person, or an EINVALID error naming field.
func (s *Service) personByID(ctx context.Context, field string, id int64) (*dost.Person, error) {
	p, err := s.persons.FindPersonByID(ctx, id)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return nil, dost.FieldErr(field, "person.unknown", "There is no person %d.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find person: %w", err)
	}
	return p, nil
}

// existingAward returns the award of programme p that makes a new one for
// the beneficiary (household hh for a household programme, else person
// personID) in period a duplicate, as the store's uniqueness rules see it:
// the award of application applicationID (when not 0), else one for the
// same period, else an open (active or suspended) monthly award. Nil if
// there is none.
func (s *Service) existingAward(ctx context.Context, p *dost.Programme, personID, hh int64, period dost.Month, applicationID int64) (*dost.Award, error) {
	f := dost.AwardFilter{Programme: p.Code, Limit: 1000}
	household := p.Entity == "household" && hh != 0
	if household {
		f.HouseholdID = hh
	} else {
		f.PersonID = personID
	}
	awards, _, err := s.store.FindAwards(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("find awards: %w", err)
	}
	var samePeriod, open *dost.Award
	for _, w := range awards {
		if household && w.HouseholdID != hh || !household && (w.PersonID != personID || w.HouseholdID != 0) {
			continue // the person is the payee, not the beneficiary
		}
		switch {
		case applicationID != 0 && w.ApplicationID == applicationID:
			return w, nil
		case w.Period == period && samePeriod == nil:
			samePeriod = w
		case w.Kind == dost.AwardMonthly && w.Status != dost.AwardEnded && open == nil:
			open = w
		}
	}
	if samePeriod != nil {
		return samePeriod, nil
	}
	return open, nil
}
