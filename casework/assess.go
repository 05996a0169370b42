package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
)

// evaluation is the rules' answer for one programme in one period: the
// amounts per beneficiary, whether any of them is a right, their total
// (the award's amount) and the trace that explains them.
type evaluation struct {
	eligible bool
	// needsReview: the rule set flags an eligible beneficiary's amount
	// (dost.NeedsReviewSuffix).
	needsReview bool
	amounts     []dost.DecisionAmount
	total       dost.Money
	trace       json.RawMessage
}

// scope says whose values of a programme count.
type scope int

const (
	// scopeBeneficiary: the person's value (person programmes) or the
	// household's (household programmes).
	scopeBeneficiary scope = iota
	// scopeMembers: the value of every member of the person's household
	// who has one (the applicant included), summed. One-off person
	// programmes are due on an event of a member (a birth, a death),
	// whom an application does not name.
	scopeMembers
)

// evaluate runs the rules for programme p in period over the registry's
// records of household hh (or, when hh is 0, of person personID, who is in
// no household), as the population run reads them (rulesrun.MapInputs), so
// a decision's amount is the proactive scan's. A household's members are
// those alive on the period's first day; a beneficiary who is not (or who
// has left the household since) has no right.
func (s *Service) evaluate(ctx context.Context, p *dost.Programme, personID, hh int64, period dost.Month, sc scope) (*evaluation, error) {
	rp := rules.MonthOf(period.Year, period.Month)
	sh := rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: hh, Hi: hh + 1}
	if hh == 0 {
		sh = rulesrun.Shard{Kind: rulesrun.ShardLoners, Lo: personID, Hi: personID + 1}
	}
	data, err := s.population.ReadShard(ctx, sh, rulesrun.WindowOf(rp))
	if err != nil {
		return nil, fmt.Errorf("read registry records: %w", err)
	}
	in, err := rulesrun.MapInputs(rp, data)
	if err != nil {
		return nil, err
	}
	ev := &evaluation{}
	if len(in.HouseholdIDs) == 0 {
		return ev, nil // nobody alive on the period's first day
	}
	sit, err := in.Situation(s.rs, 0)
	if err != nil {
		return nil, err
	}
	res, tr, err := s.rs.Calculate(sit, rp, s.vars[p.Code])
	if err != nil {
		return nil, fmt.Errorf("run the rules for %s in %s: %w", p.Code, period, err)
	}
	defer res.Release() // the values are copied out below
	// Compact, not tr.JSON's indented form: the same value in half the
	// bytes to encode, check and store (and JSON answers compact it
	// anyway).
	ev.trace, err = json.Marshal(tr)
	tr.Release()
	if err != nil {
		return nil, fmt.Errorf("trace to JSON: %w", err)
	}

	add := func(id string, a dost.DecisionAmount) {
		x, _ := res.Values[p.Amount][id].(float64)
		a.Amount = dost.Money(math.Round(x * 100))
		a.Eligible = a.Amount > 0
		if p.Eligible != "" {
			ok, _ := res.Values[p.Eligible][id].(bool)
			a.Eligible = a.Eligible && ok
		}
		if sc == scopeMembers && !a.Eligible {
			return
		}
		ev.amounts = append(ev.amounts, a)
		if a.Eligible {
			ev.eligible = true
			ev.total += a.Amount
			review, _ := res.Values[p.Amount+dost.NeedsReviewSuffix][id].(bool)
			ev.needsReview = ev.needsReview || review
		}
	}
	base := dost.DecisionAmount{Programme: p.Code, Variable: p.Amount}
	switch {
	case p.Entity == "household":
		a := base
		a.HouseholdID = hh
		if hh == 0 {
			a.PersonID = personID // a household of one
		}
		add(sit.ID, a)
	case sc == scopeMembers:
		for _, id := range in.PersonIDs {
			a := base
			a.PersonID, a.HouseholdID = id, hh
			add(strconv.FormatInt(id, 10), a)
		}
	default:
		a := base
		a.PersonID = personID
		add(strconv.FormatInt(personID, 10), a)
	}
	return ev, nil
}

// applicationScope returns whose values count when an application for
// programme p is decided.
func applicationScope(p *dost.Programme) scope {
	if p.Entity == "person" && p.Kind == dost.AwardOneOff {
		return scopeMembers
	}
	return scopeBeneficiary
}

// assessApplication runs the rules for application a over the applicant's
// household as it is now (hh, 0 for none); p and ev are nil when its
// service opens no programme.
func (s *Service) assessApplication(ctx context.Context, a *dost.Application) (p *dost.Programme, ev *evaluation, hh int64, err error) {
	p = s.byService[a.ServiceCode]
	if p == nil {
		return nil, nil, 0, nil
	}
	if hh, err = s.householdOf(ctx, a.PersonID); err != nil {
		return nil, nil, 0, err
	}
	if ev, err = s.evaluate(ctx, p, a.PersonID, hh, a.Period, applicationScope(p)); err != nil {
		return nil, nil, 0, err
	}
	return p, ev, hh, nil
}

// Assess runs the rules for the application's period without deciding:
// what the case worker reads before deciding. For a service that opens no
// programme (a certificate, …) it is eligible with no amounts and no
// trace. ENOTFOUND for an unknown application (or a citizen's request for
// someone else's).
func (s *Service) Assess(ctx context.Context, id int64) (*dost.Assessment, error) {
	a, err := s.FindApplicationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	p, ev, _, err := s.assessApplication(ctx, a)
	if err != nil {
		return nil, err
	}
	out := &dost.Assessment{ApplicationID: a.ID, Period: a.Period, Eligible: true, Amounts: []dost.DecisionAmount{}}
	if p != nil {
		out.RuleSetVersion, out.Eligible, out.Trace, out.NeedsReview = s.rsVersion, ev.eligible, ev.trace, ev.needsReview
		if ev.amounts != nil {
			out.Amounts = ev.amounts
		}
	}
	return out, nil
}
