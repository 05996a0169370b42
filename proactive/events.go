package proactive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
)

// MaxEventID is the longest event ID accepted, in bytes.
const MaxEventID = 200

// validEventID reports whether id has only the characters an event ID may
// have: ASCII letters and digits and . _ : - (so that it can stand in a
// URL path as it is).
func validEventID(id string) bool {
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._:-", c)) {
			return false
		}
	}
	return true
}

// checkEventID returns an EINVALID error naming field "id" for an ID that is
// missing, too long or has other characters than validEventID allows.
func checkEventID(id string) error {
	switch {
	case id == "":
		return dost.FieldErr("id", "required", "The event's id is required.")
	case len(id) > MaxEventID:
		return dost.FieldErr("id", "event_id.too_long", "The event's id is longer than %d characters.", MaxEventID)
	case !validEventID(id):
		return dost.FieldErr("id", "event_id.invalid", "An event's id has only Latin letters, digits and . _ : -.")
	}
	return nil
}

// DateChanged returns the daily date-change event of day, with the ID
// "date_changed:<day>": the event a scheduler sends once a day (sending it
// again is harmless).
func DateChanged(day dost.Date) *dost.LifeEvent {
	return &dost.LifeEvent{ID: "date_changed:" + day.String(), Kind: dost.EventDateChanged, Date: day}
}

// ReceiveEvent validates and stores a life event and processes it (see
// the package comment for what each kind causes). The sender is the user
// in the context (its username is the event's Source; none: "dost").
//
// Idempotent by source and ID: an event the sender sent already with the
// same content (ContentHash) is returned as stored, with created=false,
// and nothing changes; so is one stored before content hashes were
// recorded (empty ContentHash: unknown, so the repeat is accepted). One
// with other content is refused: ECONFLICT. Events of two senders with
// one ID are two events. Of concurrent receipts of one new source and ID,
// one stores and processes it; the others return it as stored at that
// moment (possibly still received), or ECONFLICT. A stored event whose
// processing fails is returned with status failed and the error, and
// created=true: it is retried by RetryFailed. Processing goes on if the
// caller's context is cancelled.
//
// Errors, with nothing stored: EINVALID naming each bad field ("id",
// "kind", "fin", "date", "birth", "birth.<field>", "disability.<field>",
// "employment.<field>", "withdrawal.reference": see withdrawals.go for
// payment_withdrawn): an unknown kind, a missing, over-long or
// malformed id, a missing or malformed FIN, a FIN unknown to the registry
// (but for the child of a birth, which is added), missing facts for the
// kind or facts of another kind, a date in the future or before the
// person's birth. A repeat is checked as a new event but for the registry
// (a repeated birth finds its child added).
func (s *Service) ReceiveEvent(ctx context.Context, in *dost.LifeEvent) (*dost.LifeEvent, bool, error) {
	if in == nil {
		return nil, false, dost.Errorf(dost.EINVALID, "An event is required.")
	}
	id := strings.TrimSpace(in.ID)
	if err := checkEventID(id); err != nil {
		return nil, false, err
	}
	e, err := s.check(in)
	if err != nil {
		return nil, false, err
	}
	e.ID, e.Status, e.ReceivedAt, e.Source = id, dost.EventReceived, s.now(), "dost"
	if u := dost.UserFromContext(ctx); u != nil {
		e.Source = u.Username
	}
	if e.ContentHash, err = ContentHash(e); err != nil {
		return nil, false, fmt.Errorf("receive event: %w", err)
	}
	if prior, err := s.store.FindEventByID(ctx, e.Source, id); err == nil {
		return repeat(prior, e)
	} else if dost.ErrorCode(err) != dost.ENOTFOUND {
		return nil, false, fmt.Errorf("find event: %w", err)
	}
	if err := s.checkRegistry(ctx, e); err != nil {
		return nil, false, err
	}
	stored, created, err := s.store.CreateEvent(ctx, e)
	if err != nil {
		return nil, false, err
	}
	if !created {
		return repeat(stored, e)
	}
	if err := s.process(ctx, stored); err != nil {
		return nil, false, err
	}
	return stored, true, nil
}

// repeat returns the stored event prior of which e is a repeat, or
// ECONFLICT if their contents differ (an empty hash is unknown: the
// repeat is accepted).
func repeat(prior, e *dost.LifeEvent) (*dost.LifeEvent, bool, error) {
	if prior.ContentHash != "" && prior.ContentHash != e.ContentHash {
		return nil, false, dost.Errorf(dost.ECONFLICT, "The event %s from %s was already received with other content; a new event needs a new id.", e.ID, e.Source)
	}
	return prior, false, nil
}

// eventContent is what ContentHash hashes: an event's content, without
// what dost records about its receipt (source, status, times).
type eventContent struct {
	Kind       dost.LifeEventKind    `json:"kind"`
	FIN        dost.FIN              `json:"fin"`
	Date       dost.Date             `json:"date"`
	Birth      *dost.BirthFacts      `json:"birth"`
	Disability *dost.DisabilityFacts `json:"disability"`
	Employment *dost.EmploymentFacts `json:"employment"`
	// Withdrawal is left out when nil, so that the hashes of the events
	// stored before the kind payment_withdrawn stay as they were.
	Withdrawal *dost.WithdrawalFacts `json:"withdrawal,omitempty"`
}

// ContentHash returns the hex SHA-256 of a canonical JSON of e's content:
// its kind, FIN, date and facts (encoding/json writes struct fields in
// their order), not its ID, source, status or times. ReceiveEvent hashes
// the event as validated (names trimmed, FINs normalised), so that a
// repeat hashes as the original.
func ContentHash(e *dost.LifeEvent) (string, error) {
	b, err := json.Marshal(eventContent{Kind: e.Kind, FIN: e.FIN, Date: e.Date, Birth: e.Birth, Disability: e.Disability,
		Employment: e.Employment, Withdrawal: e.Withdrawal})
	if err != nil {
		return "", fmt.Errorf("hash event content: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// FindEventByID returns the stored event id of source. The user in the
// context, if a registry account (without the supervisor, admin or
// auditor role), reads only its own events: source is its username, or
// empty. Others (and calls without a user) read any, source empty
// meaning the only sender that used id. ENOTFOUND if there is none or it
// is another sender's; EINVALID naming "source" when source is empty and
// several senders used id.
func (s *Service) FindEventByID(ctx context.Context, source, id string) (*dost.LifeEvent, error) {
	notFound := dost.Errorf(dost.ENOTFOUND, "Event not found.")
	if checkEventID(id) != nil {
		return nil, notFound
	}
	if u := dost.UserFromContext(ctx); u != nil && !readsAnyEvent(u) {
		if source != "" && source != u.Username {
			return nil, notFound
		}
		source = u.Username
	}
	if source != "" {
		return s.store.FindEventByID(ctx, source, id)
	}
	evs, err := s.store.FindEventsByID(ctx, id)
	switch {
	case err != nil:
		return nil, fmt.Errorf("find event: %w", err)
	case len(evs) == 0:
		return nil, notFound
	case len(evs) > 1:
		return nil, dost.FieldErr("source", "event.source_required", "Several senders sent an event %s: give its source.", id)
	}
	return evs[0], nil
}

// readsAnyEvent reports whether u reads every sender's events.
func readsAnyEvent(u *dost.User) bool {
	return u.HasRole(dost.RoleSupervisor) || u.HasRole(dost.RoleAdmin) || u.HasRole(dost.RoleAuditor)
}

// RetryFailed processes again, oldest attempt first, up to 100 events of
// the last RetryWindow that failed or that stayed received for longer than
// StaleAfter (their node died while processing them), and returns how many
// it processed. Processing is idempotent, so an event processed twice at
// once (RetryFailed on two nodes) does nothing twice; a job scheduler
// should still run it on one node at a time, every few minutes.
func (s *Service) RetryFailed(ctx context.Context) (int, error) {
	now := s.now()
	evs, err := s.store.FindEventsToRetry(ctx, now.Add(-s.retryWindow), now.Add(-s.staleAfter), 100)
	if err != nil {
		return 0, fmt.Errorf("retry events: %w", err)
	}
	n := 0
	for _, e := range evs {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if err := s.process(ctx, e); err != nil {
			return n, fmt.Errorf("retry event %s: %w", e.ID, err)
		}
		n++
	}
	return n, nil
}

// check checks an event against its kind (not the registry: see
// checkRegistry) and returns a normalised copy of it.
func (s *Service) check(in *dost.LifeEvent) (*dost.LifeEvent, error) {
	e := &dost.LifeEvent{Kind: in.Kind, Date: in.Date}
	var v dost.Validation
	today := s.today()
	if !slices.Contains(dost.LifeEventKinds, in.Kind) {
		v.Add("kind", "event_kind.unknown", "Unknown kind %q: one of birth_registered, death_registered, disability_assessed, employment_ended, date_changed, payment_withdrawn.", in.Kind)
	}
	stillborn := in.Kind == dost.EventBirthRegistered && in.Birth != nil && in.Birth.Stillborn
	switch {
	case in.Kind == dost.EventDateChanged && in.FIN != "":
		v.Add("fin", "fin.unexpected", "A date change is about nobody: give no FIN.")
	case in.FIN == "" && in.Kind != dost.EventDateChanged && in.Kind != dost.EventPaymentWithdrawn && !stillborn:
		v.Add("fin", "required", "The FIN of the person the event is about is required.")
	case in.FIN != "":
		if f, err := dost.ParseFIN(string(in.FIN)); err != nil {
			v.Fields = append(v.Fields, dost.ErrorFields(err)...)
		} else {
			e.FIN = f
		}
	}
	switch {
	case in.Date.IsZero():
		v.Add("date", "required", "The date of the event is required.")
	case in.Date.After(today):
		v.Add("date", "date.future", "The date %s is in the future.", in.Date)
	case in.Date.Year() < 1900:
		v.Add("date", "date.out_of_range", "The date %s is not possible.", in.Date)
	}
	facts := map[string]bool{"birth": in.Birth != nil, "disability": in.Disability != nil, "employment": in.Employment != nil,
		"withdrawal": in.Withdrawal != nil}
	want := map[dost.LifeEventKind]string{dost.EventBirthRegistered: "birth", dost.EventDisabilityAssessed: "disability",
		dost.EventEmploymentEnded: "employment", dost.EventPaymentWithdrawn: "withdrawal"}[in.Kind]
	for _, name := range []string{"birth", "disability", "employment", "withdrawal"} {
		switch {
		case name == want && !facts[name]:
			v.Add(name, "required", "A %s event carries its %s facts.", in.Kind, name)
		case name != want && facts[name]:
			v.Add(name, "facts.unexpected", "A %s event carries no %s facts.", in.Kind, name)
		}
	}
	switch {
	case want == "birth" && in.Birth != nil:
		b := *in.Birth
		e.Birth = &b
		checkBirth(&v, e.Birth, e.FIN)
	case want == "disability" && in.Disability != nil:
		d := *in.Disability
		e.Disability = &d
		checkDisability(&v, e.Disability, in.Date)
	case want == "employment" && in.Employment != nil:
		m := *in.Employment
		e.Employment = &m
		checkEmployment(&v, e.Employment)
	case want == "withdrawal" && in.Withdrawal != nil:
		e.Withdrawal = &dost.WithdrawalFacts{Reference: strings.TrimSpace(in.Withdrawal.Reference)}
		checkWithdrawalFacts(&v, e.Withdrawal) // withdrawals.go
	}
	if err := v.Err("The event has errors."); err != nil {
		return nil, err
	}
	return e, nil
}

// checkBirth checks a birth's facts (the parents' FINs are parsed into b).
func checkBirth(v *dost.Validation, b *dost.BirthFacts, child dost.FIN) {
	b.FirstName, b.LastName, b.Patronymic = strings.TrimSpace(b.FirstName), strings.TrimSpace(b.LastName), strings.TrimSpace(b.Patronymic)
	if !b.Stillborn {
		if b.FirstName == "" {
			v.Add("birth.first_name", "required", "The child's first name is required.")
		}
		if b.LastName == "" {
			v.Add("birth.last_name", "required", "The child's last name is required.")
		}
		if b.Sex != dost.SexMale && b.Sex != dost.SexFemale {
			v.Add("birth.sex", "sex.invalid", "Sex must be M or F.")
		}
	}
	for field, s := range map[string]string{"birth.first_name": b.FirstName, "birth.last_name": b.LastName, "birth.patronymic": b.Patronymic} {
		if !dost.ValidText(s, false) || len(s) > 100 {
			v.Add(field, "text.invalid", "The name has characters that are not allowed or is longer than 100 bytes.")
		}
	}
	parent := func(field string, f *dost.FIN) {
		if *f == "" {
			return
		}
		p, err := dost.ParseFIN(string(*f))
		switch {
		case err != nil:
			v.Add(field, "fin.invalid", "%s", dost.ErrorMessage(err))
		case p == child:
			v.Add(field, "birth.parent_is_child", "A parent's FIN is the child's.")
		default:
			*f = p
		}
	}
	parent("birth.mother_fin", &b.MotherFIN)
	parent("birth.father_fin", &b.FatherFIN)
	if b.MotherFIN == "" && b.FatherFIN == "" {
		v.Add("birth.mother_fin", "required", "A birth names the mother or the father.")
	} else if b.MotherFIN != "" && b.MotherFIN == b.FatherFIN {
		v.Add("birth.father_fin", "birth.same_parents", "The mother and the father have one FIN.")
	}
}

// checkDisability checks an assessment's facts.
func checkDisability(v *dost.Validation, d *dost.DisabilityFacts, date dost.Date) {
	switch d.Degree {
	case dost.DisabilityI, dost.DisabilityII, dost.DisabilityIII, dost.DisabilityChild:
	default:
		v.Add("disability.degree", "disability_degree.invalid", "Degree must be I, II, III or child.")
	}
	switch d.Cause {
	case dost.CauseGeneral, dost.CauseWar, dost.CauseWorkInjury, dost.CauseOccupational, dost.CauseChildhood:
	default:
		v.Add("disability.cause", "disability_cause.invalid", "Unknown cause %q.", d.Cause)
	}
	if !d.Until.IsZero() && !date.IsZero() && d.Until.Before(date) {
		v.Add("disability.until", "date.before_start", "The assessment ends before it is made.")
	}
}

// checkEmployment checks a dismissal's facts.
func checkEmployment(v *dost.Validation, m *dost.EmploymentFacts) {
	switch m.Reason {
	case dost.DismissalLiquidation, dost.DismissalStaffCut, dost.DismissalContractEnd, dost.DismissalVoluntary, dost.DismissalOther:
	default:
		v.Add("employment.reason", "dismissal_reason.invalid", "Unknown reason %q: liquidation, staff_cut, contract_end, voluntary or other.", m.Reason)
	}
	m.EmployerTIN = strings.TrimSpace(m.EmployerTIN)
	if len(m.EmployerTIN) > 20 || !dost.ValidText(m.EmployerTIN, false) {
		v.Add("employment.employer_tin", "employer_tin.invalid", "The employer's TIN is longer than 20 characters or has characters that are not allowed.")
	}
}

// checkRegistry checks the persons an event names against the registry:
// the person must be known (the child of a birth may be, with the same
// birth date, or not), the parents of a birth too, and no date may lie
// before the person's birth.
func (s *Service) checkRegistry(ctx context.Context, e *dost.LifeEvent) error {
	var v dost.Validation
	find := func(field string, fin dost.FIN) (*dost.Person, error) {
		p, err := s.persons.FindPersonByFIN(ctx, fin)
		if dost.ErrorCode(err) == dost.ENOTFOUND {
			v.Add(field, "person.unknown", "There is nobody with FIN %s in the registry.", fin.Masked())
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("find person: %w", err)
		}
		return p, nil
	}
	switch {
	case e.Kind == dost.EventDateChanged:
	case e.Kind == dost.EventPaymentWithdrawn: // withdrawals.go
		if e.FIN != "" {
			if _, err := find("fin", e.FIN); err != nil {
				return err
			}
		}
		if err := v.Err("The event names persons the registry does not know."); err != nil {
			return err
		}
		return s.checkWithdrawal(ctx, e)
	case e.Kind == dost.EventBirthRegistered:
		for field, fin := range map[string]dost.FIN{"birth.mother_fin": e.Birth.MotherFIN, "birth.father_fin": e.Birth.FatherFIN} {
			if fin == "" {
				continue
			}
			if _, err := find(field, fin); err != nil {
				return err
			}
		}
		if e.FIN != "" && !e.Birth.Stillborn {
			p, err := s.persons.FindPersonByFIN(ctx, e.FIN)
			switch {
			case err == nil && p.BirthDate != e.Date:
				v.Add("fin", "person.exists", "FIN %s is in the registry already, born on another day.", e.FIN.Masked())
			case err != nil && dost.ErrorCode(err) != dost.ENOTFOUND:
				return fmt.Errorf("find person: %w", err)
			}
		}
	default:
		p, err := find("fin", e.FIN)
		if err != nil {
			return err
		}
		if p != nil && e.Date.Before(p.BirthDate) {
			v.Add("date", "date.before_birth", "The date %s is before the person's birth.", e.Date)
		}
	}
	return v.Err("The event names persons the registry does not know.")
}

// effects collects what processing an event does.
type effects []dost.LifeEventEffect

func (fx *effects) add(e dost.LifeEventEffect) { *fx = append(*fx, e) }

// process runs what event e causes and records the outcome: status
// processed with the effects, or failed with the error (and the effects
// so far). It returns only an error of recording the outcome. It goes on
// when ctx is cancelled: a half-processed event is worse than a late
// answer.
func (s *Service) process(ctx context.Context, e *dost.LifeEvent) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ProcessTimeout)
	defer cancel()
	var fx effects
	var err error
	switch e.Kind {
	case dost.EventBirthRegistered:
		err = s.processBirth(ctx, e, &fx)
	case dost.EventDeathRegistered:
		err = s.processDeath(ctx, e, &fx)
	case dost.EventDisabilityAssessed:
		err = s.processDisability(ctx, e, &fx)
	case dost.EventEmploymentEnded:
		err = s.processEmployment(ctx, e, &fx)
	case dost.EventDateChanged:
		err = s.processDateChanged(ctx, e, &fx)
	case dost.EventPaymentWithdrawn:
		err = s.processWithdrawal(ctx, e, &fx) // withdrawals.go
	default:
		err = dost.Errorf(dost.EINVALID, "Unknown event kind %q.", e.Kind)
	}
	now := s.now()
	e.Outcome, e.ProcessedAt, e.Status, e.Error = merge(e.Outcome, fx), &now, dost.EventProcessed, ""
	if err != nil {
		e.Status, e.Error = dost.EventFailed, failure(err)
		s.log.Warn("proactive: processing a life event failed", "event", e.ID, "kind", e.Kind, "error", err)
	}
	if ferr := s.store.FinishEvent(ctx, e); ferr != nil {
		return fmt.Errorf("record the outcome of event %s: %w", e.ID, errors.Join(ferr, err))
	}
	return nil
}

// merge returns the effects of an earlier, failed attempt at an event
// followed by those of this attempt that are not among them: a retry finds
// what the failed attempt did done already (the child added, say), so its
// own effects alone would not tell it.
func merge(prior, now effects) effects {
	out := slices.Clone(prior)
	for _, f := range now {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// failure is the error text stored with a failed event, which its sender
// reads: a dost error's message, and for any other error (logged) a
// generic one.
func failure(err error) string {
	var de *dost.Error
	if errors.As(err, &de) {
		return dost.ErrorMessage(err)
	}
	return "An internal error stopped the processing; it will be retried."
}

// person returns the person with a FIN the event validation found.
func (s *Service) person(ctx context.Context, fin dost.FIN) (*dost.Person, error) {
	p, err := s.persons.FindPersonByFIN(ctx, fin)
	if err != nil {
		return nil, fmt.Errorf("find person %s: %w", fin.Masked(), err)
	}
	return p, nil
}

// assignUntil runs AssignProactively and records its effect: award_made,
// award_exists, not_entitled, or not_proactive before the programme's
// proactive start. A programme the service does not have is skipped. The
// right ends on end (zero: open-ended): the award made, or the open one
// found, is limited to end (Store.LimitAward), so that a retry limits it
// too. The kind-specific steps call it through assignOrOffer, which asks
// the catalogue's assignment mode first.
func (s *Service) assignUntil(ctx context.Context, fx *effects, r casework.ProactiveRequest, end dost.Date) error {
	p := s.programmes[r.Programme]
	if p == nil {
		return nil
	}
	ef := dost.LifeEventEffect{PersonID: r.PersonID, HouseholdID: r.HouseholdID, Programme: p.Code}
	day := r.Start
	if day.IsZero() {
		day = r.Period.First()
	}
	if from, ok := proactiveFrom[p.Code]; ok && day.Before(from) {
		ef.Kind = EffectNotProactive
		fx.add(ef)
		return nil
	}
	w, created, err := s.assigner.AssignProactively(ctx, r)
	switch {
	case err != nil:
		return fmt.Errorf("assign %s: %w", p.Code, err)
	case w == nil:
		ef.Kind = EffectNotEntitled
		fx.add(ef)
		return nil
	}
	if !end.IsZero() && w.Status != dost.AwardEnded {
		if w, err = s.store.LimitAward(ctx, w.ID, end); err != nil {
			return fmt.Errorf("limit %s: %w", p.Code, err)
		}
	}
	switch {
	case created:
		ef.Kind, ef.AwardID = EffectAwardMade, w.ID
	default:
		ef.Kind, ef.AwardID = EffectAwardExists, w.ID
	}
	fx.add(ef)
	return nil
}

// processBirth adds the child to the registry and a household, assigns
// the birth allowance and re-evaluates the child's household for the
// month of birth.
func (s *Service) processBirth(ctx context.Context, e *dost.LifeEvent, fx *effects) error {
	b := e.Birth
	if b.Stillborn {
		return nil // recorded; no person, no allowance
	}
	var mother, father *dost.Person
	var err error
	if b.MotherFIN != "" {
		if mother, err = s.person(ctx, b.MotherFIN); err != nil {
			return err
		}
	}
	if b.FatherFIN != "" {
		if father, err = s.person(ctx, b.FatherFIN); err != nil {
			return err
		}
	}
	parent := mother
	if parent == nil {
		parent = father
	}
	child, err := s.addChild(ctx, e, parent, fx)
	if err != nil {
		return err
	}
	hh, err := s.joinHousehold(ctx, child, mother, father, fx)
	if err != nil {
		return err
	}
	payee := mother
	if payee == nil || payee.Status != dost.PersonAlive {
		payee = father
	}
	if payee == nil || payee.Status != dost.PersonAlive {
		fx.add(dost.LifeEventEffect{Kind: EffectNoPayee, PersonID: child.ID, Programme: birthAllowance})
	} else if err := s.assignOrOffer(ctx, fx, casework.ProactiveRequest{Programme: birthAllowance, PersonID: child.ID,
		PayeeID: payee.ID, Period: dost.MonthOf(e.Date), Start: e.Date}, dost.Date{}); err != nil {
		return err
	}
	// The child counts in the household from the month of birth.
	return s.reevaluate(ctx, fx, dost.MonthOf(e.Date), affected{person: child.ID, household: hh})
}

// addChild creates the newborn's person record (address and language
// those of parent), or returns it when it exists (a retried event).
func (s *Service) addChild(ctx context.Context, e *dost.LifeEvent, parent *dost.Person, fx *effects) (*dost.Person, error) {
	b := e.Birth
	c := &dost.Person{FIN: e.FIN, FirstName: b.FirstName, LastName: b.LastName, Patronymic: b.Patronymic,
		BirthDate: e.Date, Sex: b.Sex, Region: parent.Region, District: parent.District, Address: parent.Address,
		Language: parent.Language}
	err := s.persons.CreatePerson(ctx, c)
	if err == nil {
		fx.add(dost.LifeEventEffect{Kind: EffectPersonAdded, PersonID: c.ID})
		return c, nil
	}
	if dost.ErrorCode(err) != dost.ECONFLICT {
		return nil, fmt.Errorf("add the child: %w", err)
	}
	found, ferr := s.persons.FindPersonByFIN(ctx, e.FIN)
	if ferr != nil || found.BirthDate != e.Date {
		return nil, fmt.Errorf("add the child: %w", err)
	}
	return found, nil
}

// joinHousehold puts the newborn in the mother's household, else the
// father's, else a new one headed by the mother (or the father), unless
// the child is in a household already (a retried event), and returns the
// child's household.
func (s *Service) joinHousehold(ctx context.Context, child, mother, father *dost.Person, fx *effects) (int64, error) {
	code := "HH-" + string(child.FIN) // of a household made for the child
	if h, err := s.householdOf(ctx, child.ID); err != nil {
		return 0, err
	} else if h != nil { // a retried event
		kind := EffectHouseholdJoined
		if h.Code == code {
			kind = EffectHouseholdCreated
		}
		fx.add(dost.LifeEventEffect{Kind: kind, PersonID: child.ID, HouseholdID: h.ID})
		return h.ID, nil
	}
	for _, p := range []*dost.Person{mother, father} {
		if p == nil {
			continue
		}
		h, err := s.householdOf(ctx, p.ID)
		if err != nil {
			return 0, err
		}
		if h == nil {
			continue
		}
		if err := s.households.AddHouseholdMember(ctx, h.ID, &dost.HouseholdMember{PersonID: child.ID, FIN: child.FIN, Role: dost.RoleChild}); err != nil {
			return 0, fmt.Errorf("add the child to household %d: %w", h.ID, err)
		}
		fx.add(dost.LifeEventEffect{Kind: EffectHouseholdJoined, PersonID: child.ID, HouseholdID: h.ID})
		return h.ID, nil
	}
	head := mother
	if head == nil {
		head = father
	}
	h := &dost.Household{Code: code, Region: head.Region, District: head.District, Address: head.Address,
		Members: []*dost.HouseholdMember{{PersonID: head.ID, FIN: head.FIN, Role: dost.RoleHead}, {PersonID: child.ID, FIN: child.FIN, Role: dost.RoleChild}}}
	if err := s.households.CreateHousehold(ctx, h); err != nil {
		return 0, fmt.Errorf("create a household for the child: %w", err)
	}
	fx.add(dost.LifeEventEffect{Kind: EffectHouseholdCreated, PersonID: child.ID, HouseholdID: h.ID})
	return h.ID, nil
}

// lastDayOfMonth returns the last day of d's month.
func lastDayOfMonth(d dost.Date) dost.Date {
	return dost.MonthOf(d).Add(1).First().AddDate(0, 0, -1)
}

// processDeath marks the person deceased, ends their awards from the end
// of the month of death, suspends the awards paid to them for others,
// closes their open offers and applications (closeOpen), assigns the
// funeral allowance and re-evaluates their household for the month after
// the death, the first the rules count it without them.
func (s *Service) processDeath(ctx context.Context, e *dost.LifeEvent, fx *effects) error {
	p, err := s.person(ctx, e.FIN)
	if err != nil {
		return err
	}
	if p.Status != dost.PersonDeceased || p.DeathDate != e.Date {
		deceased := dost.PersonDeceased
		if p, err = s.persons.UpdatePerson(ctx, p.FIN, dost.PersonUpdate{Status: &deceased, DeathDate: &e.Date}); err != nil {
			return fmt.Errorf("mark the person deceased: %w", err)
		}
	}
	fx.add(dost.LifeEventEffect{Kind: EffectPersonDeceased, PersonID: p.ID})
	// Pensions and allowances are paid through the month of death.
	ended, err := s.store.EndAwards(ctx, p.ID, lastDayOfMonth(e.Date), ReasonDeath)
	if err != nil {
		return fmt.Errorf("end the awards: %w", err)
	}
	for _, w := range ended {
		kind := EffectAwardEnded
		if w.Status == dost.AwardSuspended {
			kind = EffectAwardSuspended
		}
		fx.add(dost.LifeEventEffect{Kind: kind, PersonID: w.PersonID, HouseholdID: w.HouseholdID, Programme: w.Programme, AwardID: w.ID})
	}
	released, err := s.closeOpen(ctx, fx, p, e.Date) // reevaluate.go
	if err != nil {
		return err
	}
	if s.programmes[funeralAllowance] != nil {
		payee, err := s.funeralPayee(ctx, p, e.Date)
		if err != nil {
			return err
		}
		if payee == nil {
			fx.add(dost.LifeEventEffect{Kind: EffectNoPayee, PersonID: p.ID, Programme: funeralAllowance})
		} else if err := s.assignOrOffer(ctx, fx, casework.ProactiveRequest{Programme: funeralAllowance, PersonID: p.ID,
			PayeeID: payee.ID, Period: dost.MonthOf(e.Date), Start: e.Date}, dost.Date{}); err != nil {
			return err
		}
	}
	at, err := s.affectedOf(ctx, p.ID)
	if err != nil || at.household == 0 {
		return err // a person in no household leaves nobody to re-evaluate
	}
	// The rules count the persons alive on a month's first day: the
	// household without the deceased from the month after the death.
	return s.reevaluateReleased(ctx, fx, dost.MonthOf(e.Date).Add(1), released, at)
}

// funeralPayee returns who is paid the funeral allowance of the deceased:
// the head of their household, or if the head is the deceased or is not
// alive, the other adult (18 on the day of death) living member, a spouse
// first, then the oldest; nil if there is none.
func (s *Service) funeralPayee(ctx context.Context, deceased *dost.Person, day dost.Date) (*dost.Person, error) {
	h, err := s.householdOf(ctx, deceased.ID)
	if err != nil || h == nil {
		return nil, err
	}
	var best *dost.HouseholdMember
	rank := func(m *dost.HouseholdMember) int {
		switch m.Role {
		case dost.RoleHead:
			return 0
		case dost.RoleSpouse:
			return 1
		}
		return 2
	}
	for _, m := range h.Members {
		p := m.Person
		if p == nil || p.ID == deceased.ID || p.Status != dost.PersonAlive || p.BirthDate.AgeOn(day) < 18 {
			continue
		}
		if best == nil || rank(m) < rank(best) || rank(m) == rank(best) && p.BirthDate.Before(best.Person.BirthDate) {
			best = m
		}
	}
	if best == nil {
		return nil, nil
	}
	return best.Person, nil
}

// processDisability records the assessment and assigns the disability
// allowance (and, for a war-related disability, the presidential stipend)
// from the month of assessment, through the month of DisabilityFacts.Until
// when the disability is assessed until a date, then re-evaluates the
// person's household for the month.
func (s *Service) processDisability(ctx context.Context, e *dost.LifeEvent, fx *effects) error {
	p, err := s.person(ctx, e.FIN)
	if err != nil {
		return err
	}
	d := e.Disability
	pid := p.ID
	prior, _, err := s.records.FindDisabilityAssessments(ctx, dost.RecordFilter{PersonID: &pid})
	if err != nil {
		return fmt.Errorf("find assessments: %w", err)
	}
	i := slices.IndexFunc(prior, func(a *dost.DisabilityAssessment) bool {
		return a.From == e.Date && a.Degree == d.Degree && a.Cause == d.Cause && a.To == d.Until
	})
	if i < 0 { // not yet recorded (by this event, before a retry)
		a := &dost.DisabilityAssessment{PersonID: p.ID, Degree: d.Degree, Cause: d.Cause, From: e.Date, To: d.Until}
		if err := s.records.CreateDisabilityAssessment(ctx, a); err != nil {
			return fmt.Errorf("record the assessment: %w", err)
		}
	}
	fx.add(dost.LifeEventEffect{Kind: EffectAssessmentRecorded, PersonID: p.ID})
	period := dost.MonthOf(e.Date)
	// A disability assessed until a date is paid through that month.
	var end dost.Date
	if !d.Until.IsZero() {
		end = lastDayOfMonth(d.Until)
	}
	if err := s.assignOrOffer(ctx, fx, casework.ProactiveRequest{Programme: disabilityAllowance, PersonID: p.ID, Period: period}, end); err != nil {
		return err
	}
	if d.Cause == dost.CauseWar {
		if err := s.assignOrOffer(ctx, fx, casework.ProactiveRequest{Programme: disabilityStipend, PersonID: p.ID, Period: period}, end); err != nil {
			return err
		}
	}
	at, err := s.affectedOf(ctx, p.ID)
	if err != nil {
		return err
	}
	return s.reevaluate(ctx, fx, period, at)
}

// processEmployment records the dismissal, offers the unemployment
// benefit if the rules find a right once the person is registered
// unemployed, and re-evaluates the person's household for the month.
func (s *Service) processEmployment(ctx context.Context, e *dost.LifeEvent, fx *effects) error {
	p, err := s.person(ctx, e.FIN)
	if err != nil {
		return err
	}
	m := e.Employment
	if _, err := s.store.CreateDismissal(ctx, &Dismissal{PersonID: p.ID, Date: e.Date, Reason: m.Reason, EmployerTIN: m.EmployerTIN}); err != nil {
		return fmt.Errorf("record the dismissal: %w", err)
	}
	fx.add(dost.LifeEventEffect{Kind: EffectDismissalRecorded, PersonID: p.ID})
	period := dost.MonthOf(e.Date)
	if prog := s.programmes[unemploymentBenefit]; prog != nil {
		// Offered whatever the mode but none: the right assumes the
		// person registers as unemployed, which only they can do.
		mode, err := s.modeOf(ctx, prog)
		switch {
		case err != nil:
			return err
		case mode == dost.ModeNone:
			fx.add(dost.LifeEventEffect{Kind: EffectNotProactive, PersonID: p.ID, Programme: prog.Code})
		default:
			if err := s.offerOne(ctx, fx, prog, p, period, &dismissalFacts{reason: m.Reason}); err != nil {
				return err
			}
		}
	}
	at, err := s.affectedOf(ctx, p.ID)
	if err != nil {
		return err
	}
	return s.reevaluate(ctx, fx, period, at)
}

// processDateChanged assigns the old-age pension to everyone whose right
// arises on the event's date, and re-evaluates their households for the
// month.
func (s *Service) processDateChanged(ctx context.Context, e *dost.LifeEvent, fx *effects) error {
	if s.programmes[oldAgePension] == nil {
		return nil
	}
	day := e.Date
	cands, err := s.store.FindPersonsBornOn(ctx, candidateBirthDates(day, s.retirementAges))
	if err != nil {
		return fmt.Errorf("find candidates: %w", err)
	}
	arising, err := s.rightArisesOn(cands, day)
	if err != nil {
		return err
	}
	people := make([]affected, 0, len(arising))
	for _, id := range arising {
		if err := s.assignOrOffer(ctx, fx, casework.ProactiveRequest{Programme: oldAgePension, PersonID: id,
			Period: dost.MonthOf(day), Start: day}, dost.Date{}); err != nil {
			return err
		}
		at, err := s.affectedOf(ctx, id)
		if err != nil {
			return err
		}
		people = append(people, at)
	}
	return s.reevaluate(ctx, fx, dost.MonthOf(day), people...)
}

// daysIn returns the number of days of month m.
func daysIn(m dost.Month) int { return lastDayOfMonth(m.First()).Day() }

// candidateBirthDates returns the birth dates b from which adding one of
// ages (months) gives day, as the rule set adds months (clamped to the end
// of a shorter month: 31 August plus 6 months is 28 or 29 February): for
// each age, the same day of the month age months before, and on the last
// day of a month also the later days of that earlier month.
func candidateBirthDates(day dost.Date, ages []int) []dost.Date {
	var out []dost.Date
	m := dost.MonthOf(day)
	last := day.Day() == daysIn(m)
	for _, a := range ages {
		bm := m.Add(-a)
		n := daysIn(bm)
		if !last {
			if day.Day() <= n {
				out = append(out, dost.NewDate(bm.Year, bm.Month, day.Day()))
			}
			continue
		}
		for d := day.Day(); d <= n; d++ {
			out = append(out, dost.NewDate(bm.Year, bm.Month, d))
		}
	}
	slices.SortFunc(out, func(a, b dost.Date) int { return a.Time().Compare(b.Time()) })
	return slices.CompactFunc(out, func(a, b dost.Date) bool { return a == b })
}
