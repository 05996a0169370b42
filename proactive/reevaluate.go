package proactive

import (
	"context"
	"fmt"
	"slices"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
)

// affected is a person an event is about and their household (0: none),
// whose entitlements the event re-evaluates.
type affected struct {
	person, household int64
}

// affectedOf returns a person with their household (0 when in none).
func (s *Service) affectedOf(ctx context.Context, personID int64) (affected, error) {
	hs, _, err := s.households.FindHouseholds(ctx, dost.HouseholdFilter{PersonID: &personID, Limit: 1})
	if err != nil {
		return affected{}, fmt.Errorf("find household: %w", err)
	}
	a := affected{person: personID}
	if len(hs) > 0 {
		a.household = hs[0].ID
	}
	return a, nil
}

// reevaluate re-evaluates the affected households (a person in none: the
// person alone) for period after an event's own steps: the rules run for
// every programme over each one, as the population scan runs them over a
// shard (findShard: the same inputs, holdings, modes and start days), and
// every beneficiary newly entitled is assigned or offered the programme
// through the scan's own path (doTask), so that the store's unique
// constraints make nothing twice, however often or concurrently an event
// (or a scan) repeats. One-off programmes stay their events' own (their
// events name the payee), as in the scan.
//
// Each assignment or offer is recorded as an effect: award_made or
// offer_sent; award_exists or offer_exists when one was made meanwhile;
// not_entitled when casework's single-case rules find no right. A
// beneficiary casework refuses (e.g. a household programme whose mode is
// proactive for a person in no household) is logged and skipped, as the
// scan counts it failed: the event is not failed for it. Other errors
// are returned.
//
// An award that exists is left as it is: the payroll computes a monthly
// award's amount from the rules for every month it pays, so a household
// award's amount follows a birth or a death by itself (package payroll).
func (s *Service) reevaluate(ctx context.Context, fx *effects, period dost.Month, people ...affected) error {
	return s.reevaluateReleased(ctx, fx, period, nil, people...)
}

// reevaluateReleased is reevaluate with the offers of released holding
// nobody: those a death expired (closeOpen), so that a household whose
// addressee died is offered its programme again, addressed to its new
// head, if it is still entitled.
func (s *Service) reevaluateReleased(ctx context.Context, fx *effects, period dost.Month, released []holdingKey, people ...affected) error {
	var done []int64 // households, and -person for the persons in none
	for _, a := range people {
		if a.person == 0 && a.household == 0 {
			continue
		}
		key := a.household
		if key == 0 {
			key = -a.person
		}
		if slices.Contains(done, key) {
			continue
		}
		done = append(done, key)
		_, tasks, err := s.findShard(ctx, period, shardOf(a.person, a.household), released, nil)
		if err != nil {
			return fmt.Errorf("re-evaluate: %w", err)
		}
		for i := range tasks {
			if err := s.reevaluateTask(ctx, fx, period, &tasks[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// reevaluateTask assigns or offers one newly entitled beneficiary's
// programme and records the effect (see reevaluate).
func (s *Service) reevaluateTask(ctx context.Context, fx *effects, period dost.Month, t *scanTask) error {
	ef := dost.LifeEventEffect{PersonID: t.person, HouseholdID: t.household, Programme: t.prog.Code}
	if t.prog.Entity == "household" && t.household != 0 && !t.offer {
		ef.PersonID = 0 // the household is the beneficiary; an offer names its addressee
	}
	w, o, created, err := s.doTask(ctx, period, t)
	switch {
	case err != nil && refusal(err):
		s.log.Warn("proactive: re-evaluation: casework refused a beneficiary", "programme", t.prog.Code,
			"person", t.person, "household", t.household, "error", err)
		return nil
	case err != nil:
		return fmt.Errorf("re-evaluate %s: %w", t.prog.Code, err)
	case o != nil:
		ef.Kind, ef.OfferID = EffectOfferExists, o.ID
		if created {
			ef.Kind = EffectOfferSent
		}
	case w == nil:
		ef.Kind = EffectNotEntitled
	default:
		ef.Kind, ef.AwardID = EffectAwardExists, w.ID
		if created {
			ef.Kind = EffectAwardMade
		}
	}
	fx.add(ef)
	return nil
}

// deathRelated are the services that a person's death opens rather than
// ends: the funeral allowance and the survivor's pension. A deceased
// person's offers and applications of them stay open (see closeOpen).
var deathRelated = []string{"05-02-03-00", "05-01-03-00"}

// ReasonDeath is the reason code of what a death ends: an award's status
// reason, an application withdrawn by dost because its applicant died.
const ReasonDeath = "death"

// Effects of a death on what the deceased had open.
const (
	// EffectOfferExpired: the deceased's open offer (OfferID) expired.
	EffectOfferExpired = "offer_expired"
	// EffectApplicationWithdrawn: the deceased's application
	// (ApplicationID), not yet decided, was withdrawn by dost.
	EffectApplicationWithdrawn = "application_withdrawn"
)

// closeOpen ends what a deceased person had open, but for the services
// of deathRelated: each offer made to them still sent is marked expired,
// and each application of theirs not yet decided (submitted, in review,
// information requested) is withdrawn by dost itself (actor 0) with the
// reason code "death". An offer or application answered or decided
// meanwhile is left as it is (ECONFLICT), so a retried event does nothing
// twice. It returns the keys of the household offers the death expired
// (of this attempt or, for a retry, an earlier one), for the household's
// re-evaluation to offer them again (reevaluateReleased).
func (s *Service) closeOpen(ctx context.Context, fx *effects, p *dost.Person, day dost.Date) ([]holdingKey, error) {
	offers, err := s.store.FindOffers(ctx, p.ID)
	if err != nil {
		return nil, fmt.Errorf("find the offers of the deceased: %w", err)
	}
	var released []holdingKey
	for _, o := range offers {
		if o.HouseholdID != 0 && o.Status == dost.OfferExpired && !o.ExpiresOn.Before(day) &&
			!slices.Contains(deathRelated, o.ServiceCode) {
			// Expired by the death (this attempt's below, or a failed
			// earlier one's), not by its term ending before the death.
			released = append(released, holdingKey{programme: o.Programme, household: o.HouseholdID})
		}
		if o.Status != dost.OfferSent || slices.Contains(deathRelated, o.ServiceCode) {
			continue
		}
		if _, err := s.store.AnswerOffer(ctx, o.ID, dost.OfferExpired, 0); err != nil {
			if dost.ErrorCode(err) == dost.ECONFLICT {
				continue
			}
			return nil, fmt.Errorf("expire offer %d: %w", o.ID, err)
		}
		if o.HouseholdID != 0 {
			released = append(released, holdingKey{programme: o.Programme, household: o.HouseholdID})
		}
		fx.add(dost.LifeEventEffect{Kind: EffectOfferExpired, PersonID: p.ID, HouseholdID: o.HouseholdID, Programme: o.Programme, OfferID: o.ID})
	}
	// dost itself acts: no user in the context.
	sys := dost.NewContextWithUser(ctx, nil)
	apps, _, err := s.applications.FindApplications(sys, dost.ApplicationFilter{PersonID: p.ID, Limit: 1000,
		Statuses: []dost.ApplicationStatus{dost.ApplicationSubmitted, dost.ApplicationInReview, dost.ApplicationInformationRequested}})
	if err != nil {
		return nil, fmt.Errorf("find the applications of the deceased: %w", err)
	}
	for _, a := range apps {
		if a.PersonID != p.ID || slices.Contains(deathRelated, a.ServiceCode) {
			continue
		}
		_, err := s.applications.Act(sys, a.ID, dost.TransitionRequest{Action: dost.ActionWithdraw, ReasonCode: ReasonDeath,
			Reason: fmt.Sprintf("The applicant died on %s.", day)})
		if dost.ErrorCode(err) == dost.ECONFLICT {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("withdraw application %d: %w", a.ID, err)
		}
		fx.add(dost.LifeEventEffect{Kind: EffectApplicationWithdrawn, PersonID: p.ID, HouseholdID: a.HouseholdID, ApplicationID: a.ID})
	}
	return released, nil
}

// assignOrOffer is the kind-specific steps' way to a programme's award:
// as its service's assignment mode says (modeOf), r is assigned
// (assignUntil) when proactive; offered to its beneficiary person
// (offerOne) when on application and r names no other payee; and
// otherwise only recorded as not_proactive.
func (s *Service) assignOrOffer(ctx context.Context, fx *effects, r casework.ProactiveRequest, end dost.Date) error {
	p := s.programmes[r.Programme]
	if p == nil {
		return nil
	}
	mode, err := s.modeOf(ctx, p)
	if err != nil {
		return err
	}
	switch {
	case mode == dost.ModeProactive:
		return s.assignUntil(ctx, fx, r, end)
	case mode == dost.ModeOnApplication && r.PersonID != 0 && (r.PayeeID == 0 || r.PayeeID == r.PersonID):
		person, err := s.persons.FindPersonByID(ctx, r.PersonID)
		if err != nil {
			return fmt.Errorf("find person %d: %w", r.PersonID, err)
		}
		return s.offerOne(ctx, fx, p, person, r.Period, nil)
	}
	fx.add(dost.LifeEventEffect{Kind: EffectNotProactive, PersonID: r.PersonID, HouseholdID: r.HouseholdID, Programme: p.Code})
	return nil
}
