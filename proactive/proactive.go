// Package proactive is dost's proactive service (DESIGN.md journey 3):
// benefits assigned or offered without an application. It implements
// dost.EventService (life events reported by other registries: a birth, a
// death, a disability assessment, the end of an employment, and the daily
// date change) and dost.OfferService (offers to confirm in one step), and
// runs the population scan that finds everyone newly entitled.
//
// # Life events
//
// ReceiveEvent validates an event, stores it once per sender and ID
// (Store.CreateEvent: of concurrent receipts of one ID exactly one is
// stored and processed; the others, and every later repeat with the same
// content, get the stored event and change nothing; a repeat with other
// content is refused) and processes it at once, recording its
// effects (dost.LifeEventEffect) and the status processed. Processing runs
// steps that are each idempotent (a person or membership that exists is
// kept, an award is made through casework's AssignProactively, an offer is
// created if absent), so an event that failed half-way, or whose node died
// before it finished, is processed again from the start by RetryFailed
// without doing anything twice.
//
// What each kind causes:
//
//   - birth_registered: the child is added to the registry and to the
//     mother's household (else the father's; else a new household headed by
//     the mother, or by the father when no mother is named), and the birth
//     allowance is assigned to the child, paid to the mother (the father
//     when no mother is named). The law pays the working parent when only
//     one works, but the registry has no employment status, so the mother
//     is paid. A stillbirth is recorded, and nothing follows from it: no
//     person, no allowance.
//   - death_registered: the person is marked deceased; every open monthly
//     award whose beneficiary they are ends on the last day of the month of
//     death, as pensions and allowances are paid through the month of death
//     (one-off awards already made stay due); and the funeral allowance
//     (proactive for deaths from 2026-05-01) is assigned, the deceased its
//     beneficiary, paid to the household's head or, if the head is the
//     deceased or not alive, the oldest other adult member (a spouse
//     first). With nobody to pay, no award is made and the effect says so.
//   - disability_assessed: the assessment is recorded and the disability
//     allowance assigned from the assessment's month (and the day of
//     assessment); for a war-related disability the presidential stipend
//     too. A reassessment of someone who already has an open award changes
//     nothing here: recalculating an award is casework's.
//   - employment_ended: the dismissal is recorded (table dismissals) and,
//     as the unemployment benefit is assigned on application, the person
//     is offered it if the rules find a right once the person registers as
//     unemployed, which is what accepting the offer asks for: the rules run
//     with the event's dismissal reason and registered_unemployed true.
//     The case worker deciding the accepted offer's application sees the
//     same right: rulesrun reads the recorded dismissal into the same
//     inputs.
//   - date_changed (day D): everyone whose old-age pension right arises on
//     D (rule set variable retirement_right_date) is assigned the pension
//     from D. The candidates are found by birth date: born on the day D is
//     reached from by adding one of the retirement ages the rule set has
//     ever had (a dozen dates), so no whole-registry scan is needed.
//
// After its own steps, each kind re-evaluates the households it affects
// for every programme (reevaluate): the child's household for the month
// of birth; the deceased's for the month after the death (the rules count
// the persons alive on a month's first day); the person's for a
// disability assessment or an employment ended; and the households of
// those whose pension right arises for a date change. The rules run over
// each as the population scan runs them over a shard, and every
// beneficiary newly entitled (a household that a birth or a death brings
// under the TSSA needs criterion, say) is assigned or offered the
// programme at once through the scan's own path, with its unique
// constraints, the effects recorded. An award that exists is not
// changed: the payroll computes a monthly award's amount from the rules
// for every month it pays, so it follows the household by itself.
//
// A death also ends what the deceased had open (closeOpen), but for the
// death-related services (funeral allowance, survivor's pension): their
// sent offers expire and their applications not yet decided are
// withdrawn by dost with the reason code "death".
//
// How a newly entitled beneficiary gets a programme follows the
// assignment mode of its service's passport in the catalogue (modeOf),
// read when it is needed: proactive, assigned unasked; on_application,
// offered; none, neither (effect not_proactive). Without a catalogue,
// Programme.Offer decides.
//
// Effects' kinds are those of dost.LifeEventEffect and, besides: EffectHouseholdJoined,
// EffectHouseholdCreated, EffectAwardExists, EffectNotEntitled, EffectNoPayee, EffectNotProactive,
// EffectDismissalRecorded, EffectOfferExists.
//
// # Offers
//
// A programme whose service is assigned on application (unemployment
// benefit, TSSA) is offered rather than assigned: an offer (one per
// person, programme and period) with an SMS and e-mail in the person's
// language, open for OfferDays, linking to the portal's page of offers
// (Config.BaseURL + OffersPath) where one click accepts it.
// Accepting it submits an application on the proactive channel through
// casework, which a case worker decides; declining records the answer.
//
// # The population scan
//
// ScanShard runs the rules over one shard of the registry (rulesrun's
// shards, planned by PlanScan) for a month and assigns or offers each
// programme to every beneficiary the rules find entitled who holds no award
// or offer of it (Store.FindHoldings, one query per shard). One-off
// programmes (birth and funeral allowances) are left to their events, which
// name the payee. A job queue runs one job per shard, so every node takes
// part; a shard run twice does nothing twice, and through ScanShardOf,
// which records what each attempt sets out to make, its summary counts
// what the scan made once, whichever attempt made it.
package proactive

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
)

// Effect kinds besides those listed by dost.LifeEventEffect.
const (
	EffectAwardMade          = "award_made"
	EffectAwardEnded         = "award_ended"
	EffectOfferSent          = "offer_sent"
	EffectPersonAdded        = "person_added"
	EffectPersonDeceased     = "person_deceased"
	EffectAssessmentRecorded = "assessment_recorded"
	// EffectHouseholdJoined: the newborn joined HouseholdID.
	EffectHouseholdJoined = "household_joined"
	// EffectHouseholdCreated: a new household HouseholdID was made for
	// the newborn and a parent.
	EffectHouseholdCreated = "household_created"
	// EffectAwardExists: the beneficiary had the award already (AwardID).
	EffectAwardExists = "award_exists"
	// EffectNotEntitled: the rules found no right to Programme.
	EffectNotEntitled = "not_entitled"
	// EffectNoPayee: nobody could be paid Programme (a funeral allowance
	// of a person with no adult household member alive).
	EffectNoPayee = "no_payee"
	// EffectNotProactive: Programme is not assigned proactively on the
	// event's date.
	EffectNotProactive = "not_proactive"
	// EffectDismissalRecorded: the end of an employment was stored.
	EffectDismissalRecorded = "dismissal_recorded"
	// EffectOfferExists: the person had the offer already (OfferID).
	EffectOfferExists = "offer_exists"
	// EffectAwardSuspended: an award paid to the deceased for another
	// beneficiary was suspended (status reason ReasonPayeeDeceased) for a
	// case worker to name a new payee.
	EffectAwardSuspended = "award_suspended"
	// EffectApplicationRefused: a case worker refused the beneficiary's
	// application of Programme's service within the last 12 months.
	EffectApplicationRefused = "application_refused"
)

// ReasonPayeeDeceased is the status reason of an award suspended because
// its payee died (Store.EndAwards).
const ReasonPayeeDeceased = "payee_deceased"

// Defaults of Config.
const (
	DefaultOfferDays   = 30
	DefaultWorkers     = 4
	DefaultStaleAfter  = 10 * time.Minute
	DefaultRetryWindow = 7 * 24 * time.Hour
	// ProcessTimeout bounds the processing of one event.
	ProcessTimeout = 2 * time.Minute
)

// Assigner makes awards without an application; casework.Service is one.
type Assigner interface {
	// AssignProactively: see casework.Service.AssignProactively.
	AssignProactively(ctx context.Context, r casework.ProactiveRequest) (*dost.Award, bool, error)
}

// Config is what a Service needs. Every field but Clock, Logger,
// OfferDays, Workers, StaleAfter and RetryWindow is required.
type Config struct {
	Store Store
	// Assigner makes the proactive awards and Applications submits the
	// application of an accepted offer: both casework.Service.
	Assigner     Assigner
	Applications dost.ApplicationService
	Persons      dost.PersonService
	Households   dost.HouseholdService
	Records      dost.RecordService
	// Population reads the registry for the rules (sqlstore.PopulationStore).
	Population rulesrun.Store
	// RuleSet computes the programmes (az.RuleSet()); Programmes are the
	// benefits it decides (az.Programmes()).
	RuleSet    *rules.RuleSet
	Programmes []dost.Programme
	// Clock tells the time (nil: the system clock); dates are Baku's.
	Clock  dost.Clock
	Logger *slog.Logger
	// OfferDays is how long an offer stays open (0: DefaultOfferDays).
	OfferDays int
	// Workers assign or offer in parallel within one scanned shard (0:
	// DefaultWorkers).
	Workers int
	// StaleAfter is how long an event may stay received (its node died
	// while processing it) before RetryFailed takes it up; RetryWindow is
	// how far back RetryFailed looks. Zero: the defaults.
	StaleAfter, RetryWindow time.Duration
	// BaseURL is dost's public address (e.g. "https://dost.gov.az", no
	// trailing slash needed): an offer's SMS and e-mail link to the
	// portal's one-step confirmation, <BaseURL>/my/offers. Empty: the
	// message tells the citizen to confirm on the portal or at any DOST
	// centre, without a link.
	BaseURL string
	// Catalogue is the service catalogue, whose assignment modes decide
	// how a newly entitled beneficiary gets each programme (see
	// Service.modeOf). Nil: each programme's Offer decides (tests).
	Catalogue dost.CatalogueService
}

// Service receives life events, answers offers and scans the registry. It
// is safe for concurrent use; create it with New.
type Service struct {
	store        Store
	assigner     Assigner
	applications dost.ApplicationService
	persons      dost.PersonService
	households   dost.HouseholdService
	records      dost.RecordService
	population   rulesrun.Store
	rs           *rules.RuleSet
	clock        dost.Clock
	log          *slog.Logger
	offerDays    int
	workers      int
	staleAfter   time.Duration
	retryWindow  time.Duration
	baseURL      string // without a trailing slash; "" for none
	catalogue    dost.CatalogueService

	// programmes by code, in the order of Config.Programmes; read-only
	// after New.
	programmes map[string]*dost.Programme
	order      []*dost.Programme
	// retirementAges are the retirement ages, in months, the rule set has
	// ever had, for finding the candidates of a date change.
	retirementAges []int
	// withdrawals takes the withdrawal feed (SetWithdrawals); nil: none.
	withdrawals Withdrawals
}

var (
	_ dost.EventService = (*Service)(nil)
	_ dost.OfferService = (*Service)(nil)
)

// The programmes the events assign, by code (az.Programmes).
const (
	birthAllowance      = "birth_allowance"
	funeralAllowance    = "funeral_allowance"
	disabilityAllowance = "disability_allowance"
	disabilityStipend   = "disability_stipend"
	unemploymentBenefit = "unemployment_benefit"
	oldAgePension       = "old_age_pension"
)

// Rule set names the service reads besides the programmes' own variables.
const (
	retirementRightDate = "retirement_right_date"
	retirementAgeMen    = "pension.retirement_age.men"
	retirementAgeWomen  = "pension.retirement_age.women"
)

// proactiveFrom is the first day a programme is assigned proactively, for
// those that were not always: the funeral allowance from 2026-05-01
// (shared/reference/az-programmes.md, [S55]).
var proactiveFrom = map[string]dost.Date{funeralAllowance: dost.MustDate("2026-05-01")}

// startVariables name, for a programme, the date variable of the day its
// right arises, from which a scan assigns it when that day falls in the
// scanned month.
var startVariables = map[string]string{oldAgePension: retirementRightDate}

// New returns a Service. It checks the configuration and that the rule set
// has what the events read.
func New(cfg Config) (*Service, error) {
	var missing []string
	for name, set := range map[string]bool{
		"Store": cfg.Store != nil, "Assigner": cfg.Assigner != nil, "Applications": cfg.Applications != nil,
		"Persons": cfg.Persons != nil, "Households": cfg.Households != nil, "Records": cfg.Records != nil,
		"Population": cfg.Population != nil, "RuleSet": cfg.RuleSet != nil,
	} {
		if !set {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("proactive: config lacks %s", strings.Join(missing, ", "))
	}
	s := &Service{store: cfg.Store, assigner: cfg.Assigner, applications: cfg.Applications, persons: cfg.Persons,
		households: cfg.Households, records: cfg.Records, population: cfg.Population, rs: cfg.RuleSet,
		clock: cfg.Clock, log: cfg.Logger, offerDays: cfg.OfferDays, workers: cfg.Workers,
		staleAfter: cfg.StaleAfter, retryWindow: cfg.RetryWindow, baseURL: strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/"),
		catalogue: cfg.Catalogue, programmes: map[string]*dost.Programme{}}
	if s.clock == nil {
		s.clock = dost.SystemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.offerDays <= 0 {
		s.offerDays = DefaultOfferDays
	}
	if s.workers <= 0 {
		s.workers = DefaultWorkers
	}
	if s.staleAfter <= 0 {
		s.staleAfter = DefaultStaleAfter
	}
	if s.retryWindow <= 0 {
		s.retryWindow = DefaultRetryWindow
	}
	for i := range cfg.Programmes {
		p := cfg.Programmes[i]
		if s.programmes[p.Code] != nil {
			return nil, fmt.Errorf("proactive: programme %s is listed twice", p.Code)
		}
		for _, name := range []string{p.Amount, p.Eligible} {
			if name == "" {
				continue
			}
			if v, ok := s.rs.Variable(name); !ok || v.Period != rules.Month {
				return nil, fmt.Errorf("proactive: programme %s: the rule set has no month variable %q", p.Code, name)
			}
		}
		s.programmes[p.Code] = &p
		s.order = append(s.order, &p)
	}
	for code, name := range startVariables {
		if s.programmes[code] == nil {
			continue
		}
		if v, ok := s.rs.Variable(name); !ok || v.Type != rules.DateType || v.Period != rules.Eternity {
			return nil, fmt.Errorf("proactive: the rule set has no date variable %s", name)
		}
	}
	if s.programmes[oldAgePension] != nil {
		ages, err := retirementAges(s.rs)
		if err != nil {
			return nil, fmt.Errorf("proactive: %w", err)
		}
		s.retirementAges = ages
	}
	return s, nil
}

// retirementAges returns every retirement age in months the rule set's
// parameters have had, for men and women, sorted.
func retirementAges(rs *rules.RuleSet) ([]int, error) {
	var ages []int
	for _, path := range []string{retirementAgeMen, retirementAgeWomen} {
		p, ok := rs.Parameter(path)
		if !ok {
			return nil, fmt.Errorf("the rule set has no parameter %s", path)
		}
		for _, v := range p.Values {
			if a := int(v.Value); a > 0 && !slices.Contains(ages, a) {
				ages = append(ages, a)
			}
		}
	}
	slices.Sort(ages)
	return ages, nil
}

// now returns the clock's time.
func (s *Service) now() time.Time { return s.clock.Now() }

// today returns the date in Baku.
func (s *Service) today() dost.Date { return dost.Today(s.clock) }

// householdOf returns the person's household with its members (and their
// person records), or nil if the person is in none.
func (s *Service) householdOf(ctx context.Context, personID int64) (*dost.Household, error) {
	hs, _, err := s.households.FindHouseholds(ctx, dost.HouseholdFilter{PersonID: &personID, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("find household: %w", err)
	}
	if len(hs) == 0 {
		return nil, nil
	}
	h, err := s.households.FindHouseholdByID(ctx, hs[0].ID)
	if err != nil {
		return nil, fmt.Errorf("find household: %w", err)
	}
	return h, nil
}

// Store is the storage the proactive service needs; sqlstore.ProactiveStore
// implements it. Every method is one transaction. Implementations are safe
// for concurrent use by many goroutines and nodes sharing one database.
type Store interface {
	// CreateEvent stores e (its Status, ReceivedAt and Source set by the
	// caller, and its ContentHash) unless an event with its Source and ID
	// is stored already, and returns the stored event and whether it is
	// e. Of concurrent calls with one source and ID exactly one stores it;
	// the others get it.
	CreateEvent(ctx context.Context, e *dost.LifeEvent) (stored *dost.LifeEvent, created bool, err error)
	// FindEventByID returns the stored event id of source. ENOTFOUND if
	// there is none.
	FindEventByID(ctx context.Context, source, id string) (*dost.LifeEvent, error)
	// FindEventsByID returns the stored events with id of every source,
	// by source.
	FindEventsByID(ctx context.Context, id string) ([]*dost.LifeEvent, error)
	// FinishEvent records the outcome of processing e (known by its
	// Source and ID): its Status, Outcome, Error and ProcessedAt.
	// ENOTFOUND for an unknown event.
	FinishEvent(ctx context.Context, e *dost.LifeEvent) error
	// FindEventsToRetry returns, oldest first and at most limit, the
	// events received since since that failed or that are still received
	// (not processed) and were received before staleBefore.
	FindEventsToRetry(ctx context.Context, since, staleBefore time.Time, limit int) ([]*dost.LifeEvent, error)

	// CreateOffer stores o (status sent) with its notifications unless the
	// person has an offer of the programme for the period already; it
	// returns the stored offer and whether it is o (the notifications are
	// written only then). Concurrent calls store one offer.
	CreateOffer(ctx context.Context, o *dost.Offer, ns []*dost.Notification) (stored *dost.Offer, created bool, err error)
	// FindOfferByID returns an offer. ENOTFOUND if there is none.
	FindOfferByID(ctx context.Context, id int64) (*dost.Offer, error)
	// FindOffers returns a person's offers, newest first.
	FindOffers(ctx context.Context, personID int64) ([]*dost.Offer, error)
	// AnswerOffer moves a sent offer to status (accepted, declined or
	// expired) with the application of an acceptance, and returns it.
	// ECONFLICT if the offer is no longer sent, ENOTFOUND if unknown.
	AnswerOffer(ctx context.Context, id int64, status dost.OfferStatus, applicationID int64) (*dost.Offer, error)
	// ExpireOffers marks the sent offers that expire before today expired
	// and returns how many.
	ExpireOffers(ctx context.Context, today dost.Date) (int, error)

	// FindHoldings returns the awards, offers and refused applications
	// that make the beneficiaries of a shard's persons and households not
	// newly entitled in period: awards that are open (active or
	// suspended), or are for period, or ended on or after period's first
	// day, or ended because an appeal overturned their approval (status
	// reason "appeal_overturned", however long ago: a case worker's
	// decision is not undone by the next scan); offers that are still
	// sent, or are for period or one of the 11 months before it (a
	// declined or expired offer is not repeated within a year);
	// applications whose latest decision refused them on or after the
	// first day of the month 12 months before period (Refused, with their
	// ServiceCode). One query.
	FindHoldings(ctx context.Context, sh rulesrun.Shard, period dost.Month) ([]Holding, error)
	// FindPersonsBornOn returns the living persons born on one of dates.
	FindPersonsBornOn(ctx context.Context, dates []dost.Date) ([]Candidate, error)
	// EndAwards ends, in one transaction, every open (active or suspended)
	// monthly award whose beneficiary is the person: its last day paid is
	// end, or its own end date when that is earlier (a fixed-term award is
	// never lengthened), or the day before its start when it would start
	// later; reason is stored as the status reason. In the same
	// transaction it suspends, with status reason ReasonPayeeDeceased,
	// every active award (of any kind) paid to the person for another
	// beneficiary (a household's award paid to its head, a child's to a
	// parent), for a case worker to name a new payee. It returns the
	// awards ended, then those suspended, with their new status.
	EndAwards(ctx context.Context, personID int64, end dost.Date, reason string) ([]*dost.Award, error)
	// LimitAward sets the last day paid of an open award to end unless it
	// ends earlier already (never lengthening it; an end before its start
	// becomes the day before its start), and returns the award. ENOTFOUND
	// if there is no such award; an ended award is returned unchanged.
	LimitAward(ctx context.Context, id int64, end dost.Date) (*dost.Award, error)
	// CreateDismissal stores d unless the person has a dismissal on its
	// date already, and reports whether it stored it.
	CreateDismissal(ctx context.Context, d *Dismissal) (bool, error)

	// RecordScanTasks records, before an attempt at shard sh of the
	// recorded scan scanID makes any award or offer, the beneficiaries it
	// sets out to award or offer a programme to; a task recorded already
	// (by an earlier attempt) is kept as it was. ENOTFOUND for a shard the
	// scan did not plan.
	RecordScanTasks(ctx context.Context, scanID int64, sh rulesrun.Shard, tasks []ScanTask) error
	// FindScanTasks returns the tasks the attempts at shard sh of scan
	// scanID recorded, until the shard's summary is recorded or the scan
	// fails (sqlstore.ScanStore deletes them then).
	FindScanTasks(ctx context.Context, scanID int64, sh rulesrun.Shard) ([]ScanTask, error)
}

// ScanTask is a beneficiary that an attempt at a shard of a recorded scan
// set out to award (Offer false) or offer (Offer true) Programme to: a
// person (HouseholdID 0) or a household (PersonID 0).
type ScanTask struct {
	Programme   string
	PersonID    int64
	HouseholdID int64
	Offer       bool
}

// Holding is an award (Offer and Refused false) or an offer of Programme
// that a beneficiary holds: a person (HouseholdID 0) or a household; or an
// application of the service ServiceCode that a case worker refused
// (Refused, Programme ""), whose applicant is PersonID and household, when
// it had one, HouseholdID: it holds every programme the service opens.
type Holding struct {
	Programme   string
	ServiceCode string
	PersonID    int64
	HouseholdID int64
	Offer       bool
	Refused     bool
}

// Candidate is a living person found by birth date: what the rules need to
// compute when their retirement right arises.
type Candidate struct {
	PersonID  int64
	BirthDate dost.Date
	Sex       dost.Sex
}

// Dismissal is the end of a person's employment, as the employment
// contracts system reports it.
type Dismissal struct {
	ID          int64
	PersonID    int64
	Date        dost.Date
	Reason      dost.DismissalReason
	EmployerTIN string
}
