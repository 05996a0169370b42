package proactive

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dost-az/dost"
)

// messages are the texts the proactive service sends, in az, en and ru;
// fmt formats with explicit argument indexes, so each language orders the
// words its own way.
var messages = map[string]dost.Text{
	// 1 programme.
	"offer.subject": {
		AZ: "Təklif: «%[1]s»",
		EN: "An offer: %[1]s",
		RU: "Предложение: «%[1]s»",
	},
	// 1 programme, 2 amount a month, 3 last day to answer, 4 the link to
	// the portal's offers (Config.BaseURL + OffersPath), where one click
	// confirms.
	"offer.body": {
		AZ: "Sizin «%[1]s» almaq hüququnuz ola bilər: ayda təxminən %[2]s AZN. Razılaşmaq üçün %[3]s tarixinədək %[4]s ünvanında bir kliklə təsdiq edin və ya istənilən DOST mərkəzinə müraciət edin; müraciətinizə bir iş icraçısı baxacaq.",
		EN: "You may be entitled to %[1]s: about %[2]s AZN a month. To accept, confirm in one click at %[4]s or at any DOST centre by %[3]s; a case worker will decide.",
		RU: "Вы можете иметь право на «%[1]s»: около %[2]s AZN в месяц. Чтобы согласиться, подтвердите одним нажатием на %[4]s или обратитесь в любой центр DOST до %[3]s; решение примет исполнитель.",
	},
	// offer.body without a base URL: the portal named, not linked.
	"offer.body.nolink": {
		AZ: "Sizin «%[1]s» almaq hüququnuz ola bilər: ayda təxminən %[2]s AZN. Razılaşmaq üçün %[3]s tarixinədək DOST portalında («Təkliflər» bölməsində) bir kliklə təsdiq edin və ya istənilən DOST mərkəzinə müraciət edin; müraciətinizə bir iş icraçısı baxacaq.",
		EN: "You may be entitled to %[1]s: about %[2]s AZN a month. To accept, confirm in one click on the DOST portal (Offers) or at any DOST centre by %[3]s; a case worker will decide.",
		RU: "Вы можете иметь право на «%[1]s»: около %[2]s AZN в месяц. Чтобы согласиться, подтвердите одним нажатием на портале DOST (раздел «Предложения») или обратитесь в любой центр DOST до %[3]s; решение примет исполнитель.",
	},
}

// OffersPath is the portal's page of a citizen's offers, where each is
// accepted or declined in one click (http: GET /my/offers, POST
// /my/offers/{id}); an offer's message links to it.
const OffersPath = "/my/offers"

// say formats message key in lang (az when lang is not one dost speaks).
func say(lang, key string, args ...any) string {
	t, ok := messages[key]
	if !ok {
		panic("proactive: no message " + key)
	}
	return fmt.Sprintf(t.In(lang), args...)
}

// offerMessageID names an offer's notification before the offer has an
// ID: "offer:<programme>:<p|h><beneficiary>:<period>", plus ":sms" or
// ":email". A repeat of the same offer has the same message ID, so it is
// never sent twice.
func offerMessageID(o *dost.Offer) string {
	if o.HouseholdID != 0 {
		return fmt.Sprintf("offer:%s:h%d:%s", o.Programme, o.HouseholdID, o.Period)
	}
	return fmt.Sprintf("offer:%s:p%d:%s", o.Programme, o.PersonID, o.Period)
}

// offerNotifications returns the SMS (if p has a phone) and e-mail (if p
// has an address) announcing offer o to p, in p's language, with the
// link to the portal's one-click confirmation when dost has a base URL
// (Config.BaseURL), else naming the portal.
func (s *Service) offerNotifications(o *dost.Offer, prog *dost.Programme, p *dost.Person, now time.Time) []*dost.Notification {
	lang := p.Lang()
	name := prog.Name.In(lang)
	subject := say(lang, "offer.subject", name)
	body := say(lang, "offer.body.nolink", name, o.Amount.String(), o.ExpiresOn.String())
	if s.baseURL != "" {
		body = say(lang, "offer.body", name, o.Amount.String(), o.ExpiresOn.String(), s.baseURL+OffersPath)
	}
	id := offerMessageID(o)
	var out []*dost.Notification
	n := func(ch dost.NotificationChannel, to, subject string) *dost.Notification {
		return &dost.Notification{MessageID: id + ":" + string(ch), PersonID: p.ID, Channel: ch, To: to, Language: lang,
			Topic: "offer.sent", Subject: subject, Body: body, Status: dost.NotificationPending, NextAttemptAt: now, CreatedAt: now}
	}
	if p.Phone != "" {
		out = append(out, n(dost.NotifySMS, p.Phone, ""))
	}
	if p.Email != "" {
		out = append(out, n(dost.NotifyEmail, p.Email, subject))
	}
	return out
}

// makeOffer offers programme prog for period to person p (for a household
// programme, on behalf of household hh, 0 for a person in none) at the
// amount the rules computed, open for OfferDays, announced by SMS and
// e-mail. It returns the stored offer and whether it is new: a person has
// one offer of a programme per period, however often it is made.
func (s *Service) makeOffer(ctx context.Context, prog *dost.Programme, p *dost.Person, hh int64, period dost.Month, amount dost.Money) (*dost.Offer, bool, error) {
	now := s.now()
	o := &dost.Offer{PersonID: p.ID, Programme: prog.Code, ServiceCode: prog.ServiceCode, Period: period, Amount: amount,
		Status: dost.OfferSent, ExpiresOn: s.today().AddDate(0, 0, s.offerDays), CreatedAt: now, UpdatedAt: now}
	if prog.Entity == "household" {
		o.HouseholdID = hh
	}
	stored, created, err := s.store.CreateOffer(ctx, o, s.offerNotifications(o, prog, p, now))
	if err != nil {
		return nil, false, fmt.Errorf("offer %s: %w", prog.Code, err)
	}
	return stored, created, nil
}

// offerOne offers programme prog to person p for period if the rules find
// a right (with the event's facts f, if any) and the person (or, for a
// household programme, their household) holds no award or offer of it,
// recording the effect: offer_sent, offer_exists, award_exists,
// application_refused or not_entitled.
func (s *Service) offerOne(ctx context.Context, fx *effects, prog *dost.Programme, p *dost.Person, period dost.Month, f *dismissalFacts) error {
	h, err := s.householdOf(ctx, p.ID)
	if err != nil {
		return err
	}
	var hh int64
	if h != nil {
		hh = h.ID
	}
	sh := shardOf(p.ID, hh)
	ev, err := s.load(ctx, sh, period)
	if err != nil {
		return err
	}
	defer ev.release()
	ef := dost.LifeEventEffect{Kind: EffectNotEntitled, PersonID: p.ID, Programme: prog.Code}
	row := ev.personRow(p.ID)
	if row < 0 { // not alive in the period
		fx.add(ef)
		return nil
	}
	if f != nil {
		if err := ev.assume(s.rs, row, f); err != nil {
			return err
		}
	}
	amounts, err := ev.rights(prog)
	if err != nil {
		return err
	}
	if prog.Entity == "household" {
		row = int(ev.in.HouseholdOf[row])
		ef.HouseholdID = hh
	}
	if amounts[row] <= 0 {
		fx.add(ef)
		return nil
	}
	holdings, err := s.store.FindHoldings(ctx, sh, period)
	if err != nil {
		return fmt.Errorf("find awards and offers: %w", err)
	}
	want := holdingKey{programme: prog.Code, person: p.ID}
	if prog.Entity == "household" && hh != 0 {
		want = holdingKey{programme: prog.Code, household: hh}
	}
	for _, x := range holdings {
		if slices.Contains(s.keysOf(x), want) {
			switch {
			case x.Offer:
				ef.Kind = EffectOfferExists
			case x.Refused:
				ef.Kind = EffectApplicationRefused
			default:
				ef.Kind = EffectAwardExists
			}
			fx.add(ef)
			return nil
		}
	}
	o, created, err := s.makeOffer(ctx, prog, p, hh, period, dost.Money(amounts[row]))
	if err != nil {
		return err
	}
	ef.Kind, ef.OfferID = EffectOfferExists, o.ID
	if created {
		ef.Kind = EffectOfferSent
	}
	fx.add(ef)
	return nil
}

// holdingKey names a beneficiary's holding of a programme: a person's
// (household 0) or a household's (person 0).
type holdingKey struct {
	programme         string
	person, household int64
}

// keyOf returns the key of a holding.
// keysOf returns the keys of the beneficiaries a holding makes not newly
// entitled: keyOf for an award or offer; for a refused application, those
// of every programme its service opens (the applicant's household for a
// household programme, and the applicant).
func (s *Service) keysOf(h Holding) []holdingKey {
	if !h.Refused {
		return []holdingKey{keyOf(h)}
	}
	var out []holdingKey
	for _, p := range s.order {
		if p.ServiceCode != h.ServiceCode {
			continue
		}
		if p.Entity == "household" && h.HouseholdID != 0 {
			out = append(out, holdingKey{programme: p.Code, household: h.HouseholdID})
		}
		out = append(out, holdingKey{programme: p.Code, person: h.PersonID})
	}
	return out
}

func keyOf(h Holding) holdingKey {
	if h.HouseholdID != 0 {
		return holdingKey{programme: h.Programme, household: h.HouseholdID}
	}
	return holdingKey{programme: h.Programme, person: h.PersonID}
}

// mayAnswer reports whether the user in ctx may see and answer offers to
// person personID: anyone but a citizen, who sees only their own.
func mayAnswer(ctx context.Context, personID int64) bool {
	u := dost.UserFromContext(ctx)
	return !u.CitizenOnly() || u.PersonID != nil && *u.PersonID == personID
}

// FindOffers returns a person's offers, newest first (none for a citizen
// asking about someone else).
func (s *Service) FindOffers(ctx context.Context, personID int64) ([]*dost.Offer, error) {
	if !mayAnswer(ctx, personID) {
		return []*dost.Offer{}, nil
	}
	return s.store.FindOffers(ctx, personID)
}

// AnswerOffer accepts or declines a sent offer and returns it answered.
// Accepting submits, through casework, an application of the person for
// the offer's service and period on the proactive channel, with the
// idempotency key "offer:<id>", by the user in the context (staff on the
// citizen's behalf: the application goes to their centre when they work at
// one), for a case worker to decide; the offer records the application.
// Declining records the answer. Errors: ENOTFOUND for an unknown offer (or
// a citizen's answer to someone else's); ECONFLICT when it is no longer
// sent or has expired (it is marked expired then); the errors of
// SubmitApplication, with the offer still open.
func (s *Service) AnswerOffer(ctx context.Context, id int64, accept bool) (*dost.Offer, error) {
	o, err := s.store.FindOfferByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !mayAnswer(ctx, o.PersonID) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Offer not found.")
	}
	if o.Status != dost.OfferSent {
		return nil, dost.Errorf(dost.ECONFLICT, "The offer was %s already.", o.Status)
	}
	if o.ExpiresOn.Before(s.today()) {
		if _, err := s.store.AnswerOffer(ctx, id, dost.OfferExpired, 0); err != nil && dost.ErrorCode(err) != dost.ECONFLICT {
			return nil, err
		}
		return nil, dost.Errorf(dost.ECONFLICT, "The offer expired on %s.", o.ExpiresOn)
	}
	if !accept {
		return s.store.AnswerOffer(ctx, id, dost.OfferDeclined, 0)
	}
	p, err := s.persons.FindPersonByID(ctx, o.PersonID)
	if err != nil {
		return nil, fmt.Errorf("find the person offered: %w", err)
	}
	key := fmt.Sprintf("offer:%d", o.ID)
	a, _, err := s.applications.SubmitApplication(ctx, &dost.NewApplication{FIN: p.FIN, ServiceCode: o.ServiceCode,
		Channel: dost.ApplicationProactive, Period: o.Period, IdempotencyKey: key,
		Note: fmt.Sprintf("Offer %d accepted: %s from %s, about %s AZN a month as offered.", o.ID, o.Programme, o.Period, o.Amount)})
	if err != nil {
		return nil, err
	}
	answered, err := s.store.AnswerOffer(ctx, id, dost.OfferAccepted, a.ID)
	if dost.ErrorCode(err) == dost.ECONFLICT {
		// Answered meanwhile: by this very acceptance repeated, or by
		// someone else, whose answer stands.
		if cur, ferr := s.store.FindOfferByID(ctx, id); ferr == nil && cur.Status == dost.OfferAccepted && cur.ApplicationID == a.ID {
			return cur, nil
		}
		s.withdraw(ctx, a.ID)
	}
	return answered, err
}

// withdraw withdraws an application submitted for an offer that turned
// out to be answered already, best effort: a failure is logged.
func (s *Service) withdraw(ctx context.Context, applicationID int64) {
	if _, err := s.applications.Act(ctx, applicationID, dost.TransitionRequest{Action: dost.ActionWithdraw,
		Reason: "The offer was answered meanwhile."}); err != nil {
		s.log.Warn("proactive: withdraw the application of an offer answered meanwhile", "application", applicationID, "error", err)
	}
}

// ExpireOffers marks the sent offers whose last day has passed expired and
// returns how many; a job runs it daily.
func (s *Service) ExpireOffers(ctx context.Context) (int, error) {
	n, err := s.store.ExpireOffers(ctx, s.today())
	if err != nil {
		return 0, fmt.Errorf("expire offers: %w", err)
	}
	return n, nil
}
