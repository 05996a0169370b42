package payroll

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
)

// noLimitMonths is how far back a programme without a back-pay limit
// (BackPayMonths negative) is paid: a hundred years, every award.
const noLimitMonths = 1200

// PlanCycle plans the shards of run of a preparing cycle (rulesrun's, of
// about Config.ShardSize persons) and records them, unless they are
// recorded already, and returns those recorded: for the payroll_prepare
// job. A cycle no longer preparing this run gets nil and no error: the
// job is stale.
func (s *Service) PlanCycle(ctx context.Context, cycleID int64, run int) ([]rulesrun.Shard, error) {
	c, err := s.store.FindCycleByID(ctx, cycleID)
	if err != nil {
		return nil, fmt.Errorf("cycle %d: %w", cycleID, err)
	}
	if c.Status != dost.CyclePreparing || c.Run != run {
		return nil, nil
	}
	planned, err := s.population.PlanShards(ctx, s.shardSize)
	if err != nil {
		return nil, fmt.Errorf("cycle %d: plan: %w", cycleID, err)
	}
	shards, err := s.store.PlanCycle(ctx, cycleID, run, planned)
	if dost.ErrorCode(err) == dost.ECONFLICT {
		return nil, nil
	}
	return shards, err
}

// Prepare prepares run of a cycle in-process, shard after shard: for a
// single node without a job queue (Config.Enqueue nil), the command line
// and tests. Shards prepared already (by another caller) are skipped.
func (s *Service) Prepare(ctx context.Context, cycleID int64, run int) error {
	shards, err := s.PlanCycle(ctx, cycleID, run)
	if err != nil {
		return err
	}
	for _, sh := range shards {
		if _, err := s.PrepareShard(ctx, cycleID, run, sh); err != nil {
			return err
		}
	}
	return nil
}

// FailCycle records why run of a cycle failed for good (its last job
// attempt failed): the cycle stays preparing with Error set until it is
// prepared again.
func (s *Service) FailCycle(ctx context.Context, cycleID int64, run int, reason string) error {
	return s.store.FailCycle(ctx, cycleID, run, reason)
}

// due is one month an award is owed.
type due struct {
	aw    *ShardAward
	prog  *dost.Programme
	month dost.Month
	// factor: the days in force and the days of the month.
	days, of int
}

// PrepareShard prepares one shard of run of a cycle (see the package
// comment) and reports whether it completed the cycle. It is idempotent:
// run again, or on two nodes at once, it writes the shard's payments once.
// A cycle no longer preparing this run (prepared again, or done) is left
// alone: false and no error.
func (s *Service) PrepareShard(ctx context.Context, cycleID int64, run int, sh rulesrun.Shard) (bool, error) {
	c, err := s.store.FindCycleByID(ctx, cycleID)
	if err != nil {
		return false, fmt.Errorf("cycle %d: %w", cycleID, err)
	}
	if c.Status != dost.CyclePreparing || c.Run != run {
		return false, nil
	}
	progs := s.order
	if c.Programme != "" {
		progs = []*dost.Programme{s.programmes[c.Programme]}
		if progs[0] == nil {
			return false, fmt.Errorf("cycle %d: unknown programme %q", c.ID, c.Programme)
		}
	}
	back := 0
	for _, p := range progs {
		back = max(back, backPay(p))
	}
	from := c.Period.Add(-back)
	awards, err := s.store.ShardAwards(ctx, c, sh, from)
	if err != nil {
		return false, fmt.Errorf("cycle %d, shard %s: read awards: %w", c.ID, sh, err)
	}
	banks, err := s.banks(ctx)
	if err != nil {
		return false, err
	}

	// What each award is owed, by month.
	review := map[int64]bool{}
	var dues []due
	for _, aw := range awards {
		p := s.programmes[aw.Award.Programme]
		if p == nil && c.Programme == "" && dost.IsManualProgramme(aw.Award.Programme) {
			p = manualProgramme(aw.Award, back)
		}
		if p == nil || c.Programme != "" && p.Code != c.Programme {
			review[aw.Award.ID] = true
			continue
		}
		dues = append(dues, owed(aw, p, c.Period)...)
	}
	byMonth := map[dost.Month][]int{} // monthly dues by month: indexes into dues
	for i, d := range dues {
		if d.prog.Kind == dost.AwardMonthly && !dost.IsManualProgramme(d.prog.Code) {
			byMonth[d.month] = append(byMonth[d.month], i)
		}
	}
	amounts := make([]int64, len(dues)) // qəpik; -1: not paid
	for i, d := range dues {
		if d.prog.Kind == dost.AwardOneOff || dost.IsManualProgramme(d.prog.Code) {
			amounts[i] = int64(d.aw.Award.Amount) // as decided: no rules give it
		}
	}
	months := make([]dost.Month, 0, len(byMonth))
	for m := range byMonth {
		months = append(months, m)
	}
	slices.SortFunc(months, func(a, b dost.Month) int { return compareMonths(a, b) })
	for _, m := range months {
		if err := s.evaluate(ctx, sh, m, dues, byMonth[m], amounts); err != nil {
			return false, fmt.Errorf("cycle %d, shard %s: %w", c.ID, sh, err)
		}
	}

	now := s.clock.Now()
	var payments []*dost.Payment
	for i, d := range dues {
		w := d.aw.Award
		if amounts[i] <= 0 || !d.aw.PayeeDeath.IsZero() && d.aw.PayeeDeath.Before(d.month.First()) {
			review[w.ID] = true
			continue
		}
		amount := amounts[i]
		if d.days < d.of {
			amount = prorate(amount, d.days, d.of)
		}
		p := &dost.Payment{CycleID: c.ID, AwardID: w.ID, Programme: w.Programme, Period: d.month, PayeeID: w.PayeeID,
			Amount: dost.Money(amount), IBAN: d.aw.PayeeIBAN, Bank: dost.BankCode(d.aw.PayeeIBAN),
			Reference: Reference(w.ID, d.month, 1), Status: dost.PaymentPending, Attempts: 1, CreatedAt: now, UpdatedAt: now}
		if code, msg := holdReason(p.IBAN, banks); code != "" {
			p.Status, p.ReasonCode, p.Reason = dost.PaymentHeld, code, msg
		}
		payments = append(payments, p)
	}
	// What is owed before the back-pay window: counted, not paid (H5a).
	beyond, beyondAwards, err := s.beyondBackPay(ctx, c, awards)
	if err != nil {
		return false, fmt.Errorf("cycle %d, shard %s: %w", c.ID, sh, err)
	}
	if err := s.store.SetShardBeyondBackPay(ctx, c, sh, beyond, beyondAwards); err != nil {
		return false, fmt.Errorf("cycle %d, shard %s: %w", c.ID, sh, err)
	}
	finished, err := s.store.WriteShard(ctx, c, sh, payments, len(review))
	if dost.ErrorCode(err) == dost.ECONFLICT {
		s.log.Info("payroll: shard of an earlier preparation skipped", "cycle", c.ID, "run", run, "shard", sh.String())
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cycle %d, shard %s: write: %w", c.ID, sh, err)
	}
	if finished {
		s.log.Info("payroll: cycle prepared", "cycle", c.ID, "programme", c.Programme, "period", c.Period.String())
	}
	return finished, nil
}

// backPay returns how many months before a cycle's month programme p pays.
func backPay(p *dost.Programme) int {
	if p.BackPayMonths < 0 {
		return noLimitMonths
	}
	return p.BackPayMonths
}

// manualProgramme is the programme a manual award (dost.IsManualProgramme)
// is paid under: its own kind, its amount as entered (not computed), and
// the back-pay window of the cycle's other programmes (back months), so
// that the months it owes are read against the payments the shard read.
func manualProgramme(w *dost.Award, back int) *dost.Programme {
	entity := "person"
	if w.HouseholdID != 0 {
		entity = "household"
	}
	return &dost.Programme{Code: w.Programme, ServiceCode: w.ServiceCode, Entity: entity, Kind: w.Kind, BackPayMonths: back}
}

// compareMonths orders months.
func compareMonths(a, b dost.Month) int {
	if a.Year != b.Year {
		return a.Year - b.Year
	}
	return int(a.Month) - int(b.Month)
}

// lastDay returns the last day of month m.
func lastDay(m dost.Month) dost.Date { return m.Add(1).First().AddDate(0, 0, -1) }

// days returns the days from a to b inclusive (0 if b is before a).
func days(a, b dost.Date) int {
	if b.Before(a) {
		return 0
	}
	return int(b.Time().Sub(a.Time())/(24*time.Hour)) + 1
}

// owed returns the months award aw of programme p is owed by a cycle of
// period: see the package comment.
func owed(aw *ShardAward, p *dost.Programme, period dost.Month) []due {
	w := aw.Award
	from := period.Add(-backPay(p))
	paid := func(m dost.Month) bool { return slices.Contains(aw.Paid, m) }
	if w.Kind == dost.AwardOneOff || p.Kind == dost.AwardOneOff {
		if w.Status == dost.AwardSuspended || compareMonths(w.Period, from) < 0 || compareMonths(w.Period, period) > 0 || paid(w.Period) {
			return nil
		}
		return []due{{aw: aw, prog: p, month: w.Period, days: 1, of: 1}}
	}
	if w.Status == dost.AwardSuspended {
		return nil
	}
	first := dost.MonthOf(w.Start)
	if !w.Period.IsZero() && compareMonths(w.Period, first) > 0 {
		first = w.Period
	}
	if compareMonths(first, from) < 0 {
		first = from
	}
	var out []due
	for m := first; compareMonths(m, period) <= 0; m = m.Add(1) {
		if paid(m) {
			continue
		}
		start, end := m.First(), lastDay(m)
		if w.Start.After(start) {
			start = w.Start
		}
		if !w.End.IsZero() && w.End.Before(end) {
			end = w.End
		}
		n := days(start, end)
		if n == 0 {
			continue
		}
		out = append(out, due{aw: aw, prog: p, month: m, days: n, of: days(m.First(), lastDay(m))})
	}
	return out
}

// prorate returns amount × days ÷ of, rounded half up (amount ≥ 0).
func prorate(amount int64, days, of int) int64 {
	return (amount*int64(days)*2 + int64(of)) / (2 * int64(of))
}

// evaluate computes, for the monthly dues idx (all of month m), the
// rules' amount of their programme for their beneficiary in m into
// amounts (0 where the rules find no right, or the beneficiary is not
// among the shard's living persons at m's start).
func (s *Service) evaluate(ctx context.Context, sh rulesrun.Shard, m dost.Month, dues []due, idx []int, amounts []int64) error {
	rp := rules.MonthOf(m.Year, m.Month)
	data, err := s.population.ReadShard(ctx, sh, rulesrun.WindowOf(rp))
	if err != nil {
		return fmt.Errorf("read registry for %s: %w", m, err)
	}
	in, err := rulesrun.MapInputs(rp, data)
	if err != nil {
		return fmt.Errorf("map registry for %s: %w", m, err)
	}
	if len(in.PersonIDs) == 0 {
		return nil // nobody alive: nothing owed
	}
	sim, err := in.Simulation(s.rs)
	if err != nil {
		return fmt.Errorf("rules for %s: %w", m, err)
	}
	defer sim.Release()
	persons := make(map[int64]int, len(in.PersonIDs))
	for i, id := range in.PersonIDs {
		persons[id] = i
	}
	households := make(map[int64]int, len(in.HouseholdIDs))
	loners := map[int64]int{}
	for i, id := range in.HouseholdIDs {
		if id != 0 {
			households[id] = i
		} else {
			loners[in.Loners[i]] = i
		}
	}
	rights := map[string][]int64{}
	for _, i := range idx {
		d := dues[i]
		q, ok := rights[d.prog.Code]
		if !ok {
			if q, err = right(sim, rp, d.prog); err != nil {
				return fmt.Errorf("%s for %s: %w", d.prog.Code, m, err)
			}
			rights[d.prog.Code] = q
		}
		w := d.aw.Award
		row, found := -1, false
		switch {
		case d.prog.Entity == "household" && w.HouseholdID != 0:
			row, found = households[w.HouseholdID]
		case d.prog.Entity == "household":
			row, found = loners[w.PersonID]
		default:
			row, found = persons[w.PersonID]
		}
		if found && row < len(q) {
			amounts[i] = q[row]
		}
	}
	return nil
}

// right returns programme p's amount in qəpik for each of its rows (person
// or household): its Amount variable, 0 where its Eligible variable is
// false or the amount negative.
func right(sim *rules.Simulation, rp rules.Period, p *dost.Programme) ([]int64, error) {
	col, err := sim.Compute(p.Amount, rp)
	if err != nil {
		return nil, err
	}
	if col.Type != rules.Money {
		return nil, errors.New("the amount is not money")
	}
	out := make([]int64, len(col.Floats))
	for i, x := range col.Floats {
		out[i] = max(0, int64(math.Round(x*100)))
	}
	if p.Eligible != "" {
		ok, err := sim.Compute(p.Eligible, rp)
		if err != nil {
			return nil, err
		}
		for i, b := range ok.Bools {
			if !b {
				out[i] = 0
			}
		}
	}
	return out, nil
}

// Reference returns the reference (end-to-end ID) of the payment of an
// award's month on its attempt-th attempt: "DOST-<award>-<YYYYMM>",
// "-A<attempt>" appended from the second on. At most 35 characters.
func Reference(awardID int64, m dost.Month, attempt int) string {
	// Appended by hand: a million-payment cycle makes a million of them.
	b := make([]byte, 0, 35)
	b = append(b, "DOST-"...)
	b = strconv.AppendInt(b, awardID, 10)
	b = append(b, '-', byte('0'+m.Year/1000%10), byte('0'+m.Year/100%10), byte('0'+m.Year/10%10), byte('0'+m.Year%10),
		byte('0'+int(m.Month)/10%10), byte('0'+int(m.Month)%10))
	if attempt > 1 {
		b = append(b, "-A"...)
		b = strconv.AppendInt(b, int64(attempt), 10)
	}
	return string(b)
}
