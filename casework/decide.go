package casework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/pdf"
)

// AppealDays is how long after a decision the applicant may appeal it.
const AppealDays = 30

// RefusalNoticeDays is how long after a refusal the applicant must have
// been told of it (the decision's NotifyBy).
const RefusalNoticeDays = 5

// maxReason is the longest free-text reason accepted, in bytes.
const maxReason = 4000

// applicantActions are the actions a citizen may take on their own
// application.
var applicantActions = []dost.ApplicationAction{dost.ActionProvideInformation, dost.ActionAppeal, dost.ActionWithdraw}

// decisionActions are the actions that decide (Decide), the others are
// Act's.
var decisionActions = []dost.ApplicationAction{dost.ActionApprove, dost.ActionRefuse, dost.ActionOverturn}

// Act applies an action other than approve, refuse and overturn (EINVALID
// "use Decide" for those) to an application, recording who, when and why.
//
// A reason is required (field "reason", code "required") to request
// information (it says what is needed), to uphold an appeal, to appeal
// (the applicant says why), to close, and to withdraw on the applicant's
// behalf: every transition records who, when and why. A citizen
// withdrawing their own application may omit it, and so may dost itself
// (a nil user), whose actions name their cause in the code that takes
// them. An appeal is allowed within
// AppealDays days of the decision (EINVALID afterwards). A citizen may
// only provide information, appeal or withdraw, on their own application
// (EFORBIDDEN otherwise). Upholding an appeal decides it, so it is as
// impartial as Decide: EFORBIDDEN for the applicant, a member of the
// applicant's household and a staff account linked to no person
// (checkImpartial); and it stores a decision, outcome upheld, with the
// reason, who, AppealOf the appealed decision and a letter code (its
// letter, WriteLetter, says the appealed decision stands), which becomes
// the application's DecisionID. The applicant is notified of a request
// for information and of an upheld appeal (with the letter's
// verification link). Errors: ENOTFOUND, ECONFLICT when
// the status does not allow the action or changed meanwhile, EINVALID.
func (s *Service) Act(ctx context.Context, id int64, r dost.TransitionRequest) (*dost.Application, error) {
	if slices.Contains(decisionActions, r.Action) {
		return nil, dost.FieldErr("action", "application_action.use_decide", "The action %s decides the application: use Decide.", r.Action)
	}
	actorID, u := actor(ctx)
	a, err := s.FindApplicationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.CitizenOnly() && !slices.Contains(applicantActions, r.Action) {
		return nil, dost.Errorf(dost.EFORBIDDEN, "Citizens may only provide information, appeal or withdraw.")
	}
	to, err := dost.NextStatus(a.Status, r.Action)
	if err != nil {
		return nil, err
	}
	if r.Action == dost.ActionUphold {
		// Upholding decides the appeal: as impartial as Decide.
		if err := s.checkImpartial(ctx, u, a); err != nil {
			return nil, err
		}
	}
	var v dost.Validation
	reason := checkReason(&v, r)
	if reason == "" && reasonRequired(u, r.Action) {
		v.Add("reason", "required", "A reason is required to %s.", strings.ReplaceAll(string(r.Action), "_", " "))
	}
	if err := v.Err("The action has errors."); err != nil {
		return nil, err
	}
	now := s.now()
	if r.Action == dost.ActionAppeal {
		d, err := s.store.FindDecisionByID(ctx, a.DecisionID)
		if err != nil {
			return nil, fmt.Errorf("find the decision appealed: %w", err)
		}
		if last := dost.DateOf(d.DecidedAt.In(dost.Baku)).AddDate(0, 0, AppealDays); dost.DateOf(now.In(dost.Baku)).After(last) {
			return nil, dost.FieldErr("action", "appeal.too_late", "The decision may be appealed until %s, %d days after it.", last, AppealDays)
		}
	}
	t := &dost.Transition{ApplicationID: a.ID, Action: r.Action, From: a.Status, To: to, ActorID: actorID,
		ReasonCode: strings.TrimSpace(r.ReasonCode), Reason: reason, At: now}
	if u != nil {
		t.ActorName = u.Name
	}
	var eff *Effects
	switch r.Action {
	case dost.ActionRequestInformation:
		ns, err := s.actNotifications(ctx, a, r.Action, reason, nil, now)
		if err != nil {
			return nil, err
		}
		eff = &Effects{Notifications: ns}
	case dost.ActionUphold:
		d, err := s.upheld(ctx, a, actorID, reason, now)
		if err != nil {
			return nil, err
		}
		ns, err := s.actNotifications(ctx, a, r.Action, reason, d, now)
		if err != nil {
			return nil, err
		}
		eff = &Effects{Decision: d, Notifications: ns}
	}
	if err := s.store.Transition(ctx, t, eff); err != nil {
		return nil, err
	}
	return s.store.FindApplicationByID(ctx, a.ID)
}

// reasonRequired reports whether user u must give a reason for action (see
// Act): always to request information, uphold or appeal; to close or
// withdraw unless u is dost itself, and to withdraw unless u is a citizen
// withdrawing their own application.
func reasonRequired(u *dost.User, action dost.ApplicationAction) bool {
	switch action {
	case dost.ActionRequestInformation, dost.ActionUphold, dost.ActionAppeal:
		return true
	case dost.ActionClose:
		return u != nil
	case dost.ActionWithdraw:
		return u != nil && !u.CitizenOnly()
	}
	return false
}

// checkReason validates a request's reason texts and returns the free text
// trimmed.
func checkReason(v *dost.Validation, r dost.TransitionRequest) string {
	reason := strings.TrimSpace(r.Reason)
	if len(reason) > maxReason || !dost.ValidText(reason, true) {
		v.Add("reason", "reason.invalid", "The reason is longer than %d bytes or has characters that are not allowed.", maxReason)
	}
	if len(r.ReasonCode) > 100 || !dost.ValidText(r.ReasonCode, false) {
		v.Add("reason_code", "reason_code.invalid", "The reason code is not valid.")
	}
	return reason
}

// upheld returns the decision that upholds application a's appealed
// decision: outcome upheld, the reason, who and when, AppealOf the
// appealed decision, and its own letter code in the applicant's language.
// It has no amounts: the appealed decision's stand.
func (s *Service) upheld(ctx context.Context, a *dost.Application, actorID int64, reason string, now time.Time) (*dost.Decision, error) {
	prev, err := s.store.FindDecisionByID(ctx, a.DecisionID)
	if err != nil {
		return nil, fmt.Errorf("find the decision appealed: %w", err)
	}
	p, err := s.persons.FindPersonByID(ctx, a.PersonID)
	if err != nil {
		return nil, fmt.Errorf("find applicant: %w", err)
	}
	return &dost.Decision{ApplicationID: a.ID, Outcome: dost.DecisionUpheld, Reason: reason, Period: prev.Period,
		DecidedBy: actorID, DecidedAt: now, LetterCode: pdf.LetterCode(), Language: p.Lang(), AppealOf: prev.ID}, nil
}

// actNotifications tells the applicant of a request for information or of
// an upheld appeal, d, with the link that verifies its letter.
func (s *Service) actNotifications(ctx context.Context, a *dost.Application, action dost.ApplicationAction, reason string, d *dost.Decision, now time.Time) ([]*dost.Notification, error) {
	p, err := s.persons.FindPersonByID(ctx, a.PersonID)
	if err != nil {
		return nil, fmt.Errorf("find applicant: %w", err)
	}
	svc, err := s.service(ctx, a.ServiceCode)
	if err != nil {
		return nil, err
	}
	lang := p.Lang()
	name := svc.Name.In(lang)
	id := stepID(a)
	if action == dost.ActionRequestInformation {
		return toPerson(p, "information:"+id, "application.information_requested", say(lang, "information.subject", a.Number),
			say(lang, "information.requested", a.Number, name, reason), now), nil
	}
	body := say(lang, "appeal.upheld", a.Number, name, reason)
	if d != nil {
		body += " " + say(lang, "decision.letter", s.verifyURL(d.LetterCode))
	}
	return toPerson(p, "appeal:"+id, "appeal.upheld", say(lang, "appeal.subject", a.Number), body, now), nil
}

// stepID names the next transition of application a: its ID and the
// transition's number. A transition from a status happens once (the store
// refuses a second with ECONFLICT), so what it announces gets one
// MessageID however often a request is retried.
func stepID(a *dost.Application) string {
	return fmt.Sprintf("%d.%d", a.ID, len(a.Transitions)+1)
}

// Decide approves or refuses an application in review, or overturns the
// decision on an appealed one, in one transaction with the transition, the
// awards and the notifications.
//
//   - Approve runs the rules for the application's period (over the
//     applicant's household as the registry has it now) for the programme
//     the service opens; if they find no right it is EINVALID (refuse with
//     a reason instead; Assess shows why). The award pays the amount from
//     the first day of the period (monthly, for the programme's duration
//     if it has one) or once in the period (one-off); its payee is the
//     applicant, its beneficiary the applicant or, for a household
//     programme, the applicant's household. A service with no programme
//     is approved without rules or awards.
//   - Refuse needs a ReasonCode from the passport's refusal reasons; the
//     refusal must be notified within RefusalNoticeDays (NotifyBy),
//     counted as the decision's deadline is: working days when the
//     passport says so, else calendar days with a last day that falls on
//     a weekend or holiday moved to the next working day. The
//     rules still run, so the decision keeps the explanation; if they
//     cannot compute the period it is stored without one.
//   - Overturn needs a reason. Overturning a refusal approves (as above);
//     overturning an approval refuses (ReasonCode optional, from the
//     passport's list) and ends the awards of the application with reason
//     "appeal_overturned": their last day is the day of the decision (or
//     the day before their start, when they had not started).
//
// The decision stores the rule-set version, the period, the amounts, the
// trace, a letter code (verified at BaseURL/verify/<code>) and the
// applicant's language; the applicant is notified by SMS and e-mail.
// Errors: EFORBIDDEN when the user is the applicant or a member of the
// applicant's household, is linked to no person (User.PersonID nil: the
// check cannot be made), or is a citizen; ECONFLICT when the status does not
// allow the action or changed meanwhile, EINVALID.
func (s *Service) Decide(ctx context.Context, id int64, r dost.TransitionRequest) (*dost.Decision, error) {
	return s.decide(ctx, id, r, nil)
}

// decide is Decide, with the figures of a manual award (DecideManual), or
// nil.
func (s *Service) decide(ctx context.Context, id int64, r dost.TransitionRequest, manual *ManualAward) (*dost.Decision, error) {
	if !slices.Contains(decisionActions, r.Action) {
		return nil, dost.FieldErr("action", "application_action.use_act", "The action %s does not decide the application: use Act.", r.Action)
	}
	actorID, u := actor(ctx)
	if u.CitizenOnly() {
		return nil, dost.Errorf(dost.EFORBIDDEN, "Citizens do not decide applications.")
	}
	a, err := s.store.FindApplicationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	to, err := dost.NextStatus(a.Status, r.Action)
	if err != nil {
		return nil, err
	}
	if err := s.checkImpartial(ctx, u, a); err != nil {
		return nil, err
	}
	svc, err := s.service(ctx, a.ServiceCode)
	if err != nil {
		return nil, err
	}
	person, err := s.persons.FindPersonByID(ctx, a.PersonID)
	if err != nil {
		return nil, fmt.Errorf("find applicant: %w", err)
	}

	var v dost.Validation
	reason := checkReason(&v, r)
	code := strings.TrimSpace(r.ReasonCode)
	outcome := dost.DecisionApproved
	var prev *dost.Decision
	switch r.Action {
	case dost.ActionRefuse:
		outcome = dost.DecisionRefused
		if code == "" {
			v.Add("reason_code", "required", "A refusal needs a reason from the service's list.")
		}
	case dost.ActionOverturn:
		if reason == "" {
			v.Add("reason", "required", "A reason is required to overturn a decision.")
		}
		if prev, err = s.store.FindDecisionByID(ctx, a.DecisionID); err != nil {
			return nil, fmt.Errorf("find the decision appealed: %w", err)
		}
		if prev.Outcome == dost.DecisionApproved {
			outcome = dost.DecisionRefused
		}
	}
	var rr *dost.RefusalReason
	if code != "" {
		i := slices.IndexFunc(svc.RefusalReasons, func(x dost.RefusalReason) bool { return x.Code == code })
		if i < 0 {
			v.Add("reason_code", "refusal_reason.unknown", "%q is not a refusal reason of the service %s.", code, svc.Code)
		} else {
			rr = &svc.RefusalReasons[i]
		}
	}
	if err := v.Err("The decision has errors."); err != nil {
		return nil, err
	}

	now := s.now()
	today := dost.DateOf(now.In(dost.Baku))
	p, ev, hh, err := s.assessApplication(ctx, a)
	if err != nil && outcome == dost.DecisionApproved {
		return nil, err
	} else if err != nil {
		s.log.Warn("casework: a refusal is stored without the rules' explanation", "application", a.ID, "error", err)
		p, ev = nil, nil
	}
	if outcome == dost.DecisionApproved && p != nil && !ev.eligible {
		return nil, dost.FieldErr("action", "rules.no_right", "The rules find no right to %s in %s; refuse with a reason.", p.Name.EN, a.Period)
	}
	d := &dost.Decision{ApplicationID: a.ID, Outcome: outcome, Reason: reason, Period: a.Period,
		DecidedBy: actorID, DecidedAt: now, LetterCode: pdf.LetterCode(), Language: person.Lang()}
	if prev != nil {
		d.AppealOf = prev.ID
	}
	if rr != nil {
		d.ReasonCode = rr.Code
	}
	if ev != nil {
		d.RuleSetVersion, d.Amounts, d.Trace = s.rsVersion, ev.amounts, ev.trace
	}
	eff := &Effects{Decision: d}
	if outcome == dost.DecisionRefused {
		if d.NotifyBy, err = s.countDays(ctx, today, RefusalNoticeDays, svc.WorkingDays); err != nil {
			return nil, err
		}
	}
	var award *dost.Award
	if outcome == dost.DecisionApproved && p != nil {
		if eff.Awards, err = s.applicationAwards(ctx, p, a, hh, ev, now); err != nil {
			return nil, err
		}
		// The letter names what the applicant is paid: the total.
		total := *eff.Awards[0]
		total.Amount = ev.total
		award = &total
	}
	if manual != nil { // manual.go: DecideManual
		if award, err = s.manualAward(ctx, manual, svc, a, p, d, eff, now); err != nil {
			return nil, err
		}
	}
	if r.Action == dost.ActionOverturn && prev.Outcome == dost.DecisionApproved {
		if eff.EndAwards, err = s.endAwards(ctx, a, today); err != nil {
			return nil, err
		}
	}
	eff.Notifications = s.decisionNotifications(person, svc, a, d, rr, award, now)

	t := &dost.Transition{ApplicationID: a.ID, Action: r.Action, From: a.Status, To: to, ActorID: actorID,
		ReasonCode: d.ReasonCode, Reason: reason, At: now}
	if u != nil {
		t.ActorName = u.Name
	}
	if err := s.store.Transition(ctx, t, eff); err != nil {
		return nil, err
	}
	return d, nil
}

// applicationAwards returns the awards an approval of application a
// makes, paid to the applicant: one for the beneficiary of programme p
// (the applicant, or household hh), or, when the members' values count
// (a one-off person programme: a birth, a death), one for each entitled
// member, who is the award's beneficiary, so that the store's uniqueness
// rules see the proactive award for the same event and every other
// member's application as the same award. ECONFLICT, naming the award, if
// a beneficiary has the programme's award for the period already.
func (s *Service) applicationAwards(ctx context.Context, p *dost.Programme, a *dost.Application, hh int64, ev *evaluation, now time.Time) ([]*dost.Award, error) {
	var out []*dost.Award
	add := func(personID int64, amount dost.Money) error {
		w := newAward(p, personID, hh, a.PersonID, a.Period, a.Period.First(), amount, now)
		w.ApplicationID = a.ID
		if o, err := s.overlapping(ctx, p, w); err != nil {
			return err
		} else if o != nil {
			return dost.Errorf(dost.ECONFLICT, "The award %d of %s (from %s%s, %s) covers days from %s already; a back-dated award would pay them twice: refuse with a reason, or apply for a later period.",
				o.ID, p.Name.EN, o.Start, endText(o), o.Status, w.Start)
		}
		out = append(out, w)
		return nil
	}
	if applicationScope(p) != scopeMembers {
		if err := add(a.PersonID, ev.total); err != nil {
			return nil, err
		}
		return out, nil
	}
	for _, m := range ev.amounts {
		if !m.Eligible {
			continue
		}
		w, err := s.existingAward(ctx, p, m.PersonID, 0, a.Period, 0)
		if err != nil {
			return nil, err
		}
		if w != nil && w.Period == a.Period {
			return nil, dost.Errorf(dost.ECONFLICT, "Person %d has the award %d of %s for %s already (application %d); refuse with a reason.",
				m.PersonID, w.ID, p.Name.EN, a.Period, w.ApplicationID)
		}
		if err := add(m.PersonID, m.Amount); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// overlapping returns another monthly award of programme p for w's
// beneficiary, in any status, whose days (start to end, open-ended when it
// has none) overlap those of the new monthly award w; nil if there is none
// or w is one-off (one-off awards are unique per period). An approval or a
// proactive award never starts back before an ended award's end: the
// months it paid are not paid twice (the store refuses such an award too).
// The new award is refused rather than moved to start after the other
// one: its amount was computed for its whole period, and a case worker
// (or the applicant, with a later period) decides what is right.
func (s *Service) overlapping(ctx context.Context, p *dost.Programme, w *dost.Award) (*dost.Award, error) {
	if w.Kind != dost.AwardMonthly {
		return nil, nil
	}
	f := dost.AwardFilter{Programme: p.Code, PersonID: w.PersonID, HouseholdID: w.HouseholdID, Limit: 1000}
	awards, _, err := s.store.FindAwards(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("find awards: %w", err)
	}
	for _, o := range awards {
		if o.PersonID == w.PersonID && o.HouseholdID == w.HouseholdID && overlaps(o, w) {
			return o, nil
		}
	}
	return nil, nil
}

// overlaps reports whether monthly awards a and b share a day; one-off
// awards overlap nothing.
func overlaps(a, b *dost.Award) bool {
	if a.Kind != dost.AwardMonthly || b.Kind != dost.AwardMonthly {
		return false
	}
	return (a.End.IsZero() || !a.End.Before(b.Start)) && (b.End.IsZero() || !b.End.Before(a.Start))
}

// endText is ", to <end>" for an award with an end, "" for an open one.
func endText(w *dost.Award) string {
	if w.End.IsZero() {
		return ""
	}
	return " to " + w.End.String()
}

// checkImpartial refuses (EFORBIDDEN) a decision by the applicant or by a
// member of the applicant's household: the one recorded on the
// application or the one the applicant belongs to now. A user linked to
// no person cannot be checked, so is refused too (an administrator links
// the account: dost user link); nil, dost itself, is impartial.
func (s *Service) checkImpartial(ctx context.Context, u *dost.User, a *dost.Application) error {
	if u == nil {
		return nil
	}
	if u.PersonID == nil {
		return dost.Errorf(dost.EFORBIDDEN, "Your account is not linked to your person in the registry, so dost cannot check that the application is not yours or your household's: an administrator must link it (dost user link --username %s --fin FIN) before you decide.", u.Username)
	}
	me := *u.PersonID
	if me == a.PersonID {
		return dost.Errorf(dost.EFORBIDDEN, "Nobody decides their own application.")
	}
	mine, err := s.householdOf(ctx, me)
	if err != nil || mine == 0 {
		return err
	}
	theirs, err := s.householdOf(ctx, a.PersonID)
	if err != nil {
		return err
	}
	if mine == a.HouseholdID || mine == theirs {
		return dost.Errorf(dost.EFORBIDDEN, "Nobody decides the application of a member of their household.")
	}
	return nil
}

// newAward returns an active award of programme p of amount for the
// beneficiary (person personID, or household hh for a household programme;
// the person when hh is 0, a household of one), paid to payee, from start
// (monthly: for p.DurationMonths months if set) or once in period.
func newAward(p *dost.Programme, personID, hh, payee int64, period dost.Month, start dost.Date, amount dost.Money, now time.Time) *dost.Award {
	w := &dost.Award{Programme: p.Code, ServiceCode: p.ServiceCode, PayeeID: payee, Kind: p.Kind, Amount: amount,
		Period: period, Start: start, Status: dost.AwardActive, CreatedAt: now, UpdatedAt: now}
	if p.Entity == "household" && hh != 0 {
		w.HouseholdID = hh
	} else {
		w.PersonID = personID
	}
	if p.Kind == dost.AwardMonthly && p.DurationMonths > 0 {
		w.End = start.AddDate(0, p.DurationMonths, -1)
	}
	return w
}

// endAwards returns the changes that end the active and suspended awards
// of application a on day (or the day before their start, when they had
// not started), because the approval that made them was overturned.
func (s *Service) endAwards(ctx context.Context, a *dost.Application, day dost.Date) ([]AwardChange, error) {
	var out []AwardChange
	for _, f := range []dost.AwardFilter{{PersonID: a.PersonID}, {HouseholdID: a.HouseholdID}} {
		if f.PersonID == 0 && f.HouseholdID == 0 {
			continue
		}
		f.Statuses = []dost.AwardStatus{dost.AwardActive, dost.AwardSuspended}
		awards, _, err := s.store.FindAwards(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("find the application's awards: %w", err)
		}
		for _, w := range awards {
			if w.ApplicationID != a.ID || slices.ContainsFunc(out, func(c AwardChange) bool { return c.AwardID == w.ID }) {
				continue
			}
			end := day
			if end.Before(w.Start) {
				end = w.Start.AddDate(0, 0, -1)
			}
			if !w.End.IsZero() && w.End.Before(end) {
				end = w.End
			}
			out = append(out, AwardChange{AwardID: w.ID, Status: dost.AwardEnded, End: end, Reason: "appeal_overturned"})
		}
	}
	return out, nil
}

// decisionNotifications tells the applicant of decision d, with the link
// that verifies its letter.
func (s *Service) decisionNotifications(p *dost.Person, svc *dost.Service, a *dost.Application, d *dost.Decision, rr *dost.RefusalReason, w *dost.Award, now time.Time) []*dost.Notification {
	lang := p.Lang()
	name := svc.Name.In(lang)
	var body, topic string
	switch {
	case d.Outcome == dost.DecisionRefused:
		why := d.Reason
		if rr != nil {
			why = rr.Text.In(lang)
			if d.Reason != "" {
				why = sentence(why) + " " + d.Reason
			}
		}
		body, topic = say(lang, "decision.refused", a.Number, name, sentence(why), AppealDays), "decision.refused"
	case w != nil && w.Kind == dost.AwardMonthly:
		body, topic = say(lang, "decision.approved.monthly", a.Number, name, w.Amount.String(), w.Period.String()), "decision.approved"
	case w != nil:
		body, topic = say(lang, "decision.approved.one_off", a.Number, name, w.Amount.String(), w.Period.String()), "decision.approved"
	default:
		body, topic = say(lang, "decision.approved.plain", a.Number, name), "decision.approved"
	}
	body += " " + say(lang, "decision.letter", s.verifyURL(d.LetterCode))
	return toPerson(p, "decision:"+stepID(a), topic, say(lang, "decision.subject", a.Number), body, now)
}

// verifyURL returns the public address that verifies a letter.
func (s *Service) verifyURL(code string) string { return s.baseURL + "/verify/" + code }
