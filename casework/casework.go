// Package casework is the service that opens applications, moves them
// through their states, decides them and makes awards: journeys 2 and 3 of
// DESIGN.md (a decision on a request, and the proactive award made without
// one). It implements dost.ApplicationService and dost.AwardService over a
// Store (sqlstore.CaseStore), computing amounts with the rule set over the
// registry's records (rulesrun) and keeping uploaded documents in a
// dost.FileStore.
//
// Everything an action causes (the transition, the decision, the awards,
// the ended awards, the notifications to the applicant) is written by one
// Store call, so it happens whole or not at all. Files are the exception,
// as a file store has no transactions: they are stored before the database
// transaction and deleted again (best effort) when it certainly stored
// nothing; after an ambiguous failure (the commit may have happened) they
// are left for the orphan-file sweep.
//
// The acting user comes from the context (dost.UserFromContext); nil is
// dost itself (proactive work, jobs), recorded as actor 0. Route
// permissions are the HTTP layer's; the service still refuses what no role
// may do: deciding one's own or a household member's application, or
// deciding from a staff account linked to no person, where that cannot be
// checked (EFORBIDDEN), a citizen reviewing or deciding (EFORBIDDEN), a citizen
// reading someone else's application, award or decision (ENOTFOUND).
package casework

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/pdf"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
)

// Config is what a Service needs. Store, Persons, Households, Catalogue,
// Users, Population, RuleSet, RuleSetVersion and Files are required.
type Config struct {
	Store      Store
	Persons    dost.PersonService
	Households dost.HouseholdService
	Catalogue  dost.CatalogueService
	Users      dost.UserService
	// Population reads one household's registry records for the rules.
	Population rulesrun.Store
	// RuleSet computes the programmes; RuleSetVersion names it in
	// decisions (az.Version()).
	RuleSet        *rules.RuleSet
	RuleSetVersion string
	// Programmes are the benefits the rule set decides (az.Programmes()):
	// approving an application for a programme's service runs the rules
	// and makes an award; a service with no programme is approved without.
	Programmes []dost.Programme
	Files      dost.FileStore
	// Centres names the centre that handled an application on its
	// decision letter and checks that a new application's centre exists;
	// nil prints no centre and checks none.
	Centres dost.CentreService
	// Clock tells the time; nil is the system clock. Dates (today,
	// periods, deadlines) are taken in Baku's time zone.
	Clock dost.Clock
	// BaseURL is the public address of dost, e.g. "https://dost.example.az",
	// for the verification link of decision letters (BaseURL/verify/<code>).
	BaseURL string
	// Logger receives warnings about best-effort clean-ups; nil discards.
	Logger *slog.Logger
}

// Service opens, moves and decides applications and makes awards. It is
// safe for concurrent use; create it with New.
type Service struct {
	store      Store
	persons    dost.PersonService
	households dost.HouseholdService
	catalogue  dost.CatalogueService
	users      dost.UserService
	population rulesrun.Store
	rs         *rules.RuleSet
	rsVersion  string
	files      dost.FileStore
	centres    dost.CentreService // may be nil
	clock      dost.Clock
	baseURL    string
	log        *slog.Logger

	// Programmes by their code and by their service's code, and the
	// variables the rules compute for each (its amount, then its right
	// if it has one); read-only after New.
	programmes map[string]*dost.Programme
	byService  map[string]*dost.Programme
	vars       map[string][]string

	// services holds the codes of the programmes' services found in the
	// catalogue: the catalogue deletes no service, so one that was found
	// is there for good, and a proactive award need not ask again.
	services sync.Map // string → struct{}
}

var (
	_ dost.ApplicationService = (*Service)(nil)
	_ dost.AwardService       = (*Service)(nil)
)

// New returns a Service. It checks that every programme's variables exist
// in the rule set with the programme's entity and the right types (money
// for the amount, bool for the right), so a mismatch stops the start-up
// instead of a decision.
func New(cfg Config) (*Service, error) {
	var missing []string
	for name, set := range map[string]bool{
		"Store": cfg.Store != nil, "Persons": cfg.Persons != nil, "Households": cfg.Households != nil,
		"Catalogue": cfg.Catalogue != nil, "Users": cfg.Users != nil, "Population": cfg.Population != nil,
		"RuleSet": cfg.RuleSet != nil, "RuleSetVersion": cfg.RuleSetVersion != "", "Files": cfg.Files != nil,
	} {
		if !set {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("casework: config lacks %s", strings.Join(missing, ", "))
	}
	s := &Service{
		store: cfg.Store, persons: cfg.Persons, households: cfg.Households, catalogue: cfg.Catalogue,
		users: cfg.Users, population: cfg.Population, rs: cfg.RuleSet, rsVersion: cfg.RuleSetVersion,
		files: cfg.Files, centres: cfg.Centres, clock: cfg.Clock, baseURL: strings.TrimRight(cfg.BaseURL, "/"), log: cfg.Logger,
		programmes: map[string]*dost.Programme{}, byService: map[string]*dost.Programme{}, vars: map[string][]string{},
	}
	if s.clock == nil {
		s.clock = dost.SystemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for i := range cfg.Programmes {
		p := cfg.Programmes[i] // a copy: the caller's slice may change
		if err := checkProgramme(s.rs, &p); err != nil {
			return nil, fmt.Errorf("casework: %w", err)
		}
		if s.programmes[p.Code] != nil {
			return nil, fmt.Errorf("casework: programme %s is listed twice", p.Code)
		}
		if s.byService[p.ServiceCode] != nil {
			return nil, fmt.Errorf("casework: service %s opens two programmes", p.ServiceCode)
		}
		s.programmes[p.Code], s.byService[p.ServiceCode] = &p, &p
		s.vars[p.Code] = []string{p.Amount}
		if p.Eligible != "" {
			s.vars[p.Code] = append(s.vars[p.Code], p.Eligible)
		}
		if v, ok := cfg.RuleSet.Variable(p.Amount + dost.NeedsReviewSuffix); ok && v.Type == rules.Bool {
			s.vars[p.Code] = append(s.vars[p.Code], v.Name)
		}
	}
	return s, nil
}

// checkProgramme checks p's variables against the rule set.
func checkProgramme(rs *rules.RuleSet, p *dost.Programme) error {
	var entity rules.Entity
	switch p.Entity {
	case "person":
		entity = rules.Person
	case "household":
		entity = rules.Household
	default:
		return fmt.Errorf("programme %s: entity %q is neither person nor household", p.Code, p.Entity)
	}
	if p.Kind != dost.AwardMonthly && p.Kind != dost.AwardOneOff {
		return fmt.Errorf("programme %s: kind %q is neither monthly nor one_off", p.Code, p.Kind)
	}
	check := func(name string, typ rules.Type) error {
		v, ok := rs.Variable(name)
		switch {
		case !ok:
			return fmt.Errorf("programme %s: the rule set has no variable %q", p.Code, name)
		case v.Type != typ || v.Entity != entity || v.Period != rules.Month:
			return fmt.Errorf("programme %s: variable %s is %s %s per %s, want %s %s per month", p.Code, name, v.Entity, v.Type, v.Period, entity, typ)
		}
		return nil
	}
	if err := check(p.Amount, rules.Money); err != nil {
		return err
	}
	if p.Eligible != "" {
		return check(p.Eligible, rules.Bool)
	}
	return nil
}

// now returns the clock's time.
func (s *Service) now() time.Time { return s.clock.Now() }

// today returns the date in Baku.
func (s *Service) today() dost.Date { return dost.Today(s.clock) }

// actor returns the acting user's ID (0: dost itself) and the user.
func actor(ctx context.Context) (int64, *dost.User) {
	u := dost.UserFromContext(ctx)
	if u == nil {
		return 0, nil
	}
	return u.ID, u
}

// mayRead reports whether u may see application a: everyone may, except a
// citizen, who sees only their own.
func mayRead(u *dost.User, a *dost.Application) bool {
	if !u.CitizenOnly() {
		return true
	}
	return u.PersonID != nil && *u.PersonID == a.PersonID
}

// service returns the catalogue service with code, or an EINVALID error
// naming field "service_code" if there is none.
func (s *Service) service(ctx context.Context, code string) (*dost.Service, error) {
	svc, err := s.catalogue.FindServiceByCode(ctx, code)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return nil, dost.FieldErr("service_code", "service.unknown", "There is no service %q in the catalogue.", code)
	} else if err != nil {
		return nil, fmt.Errorf("find service: %w", err)
	}
	return svc, nil
}

// FindApplicationByID returns an application with its documents and
// transitions. ENOTFOUND if there is none, or if the user is a citizen and
// it is not theirs.
func (s *Service) FindApplicationByID(ctx context.Context, id int64) (*dost.Application, error) {
	a, err := s.store.FindApplicationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, u := actor(ctx); !mayRead(u, a) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Application not found.")
	}
	return a, nil
}

// FindApplications returns matching applications (without documents and
// transitions) and the total count. A citizen finds only their own.
func (s *Service) FindApplications(ctx context.Context, f dost.ApplicationFilter) ([]*dost.Application, int, error) {
	if _, u := actor(ctx); u.CitizenOnly() {
		if u.PersonID == nil || f.PersonID != 0 && f.PersonID != *u.PersonID {
			return []*dost.Application{}, 0, nil
		}
		f.PersonID = *u.PersonID
	}
	return s.store.FindApplications(ctx, f)
}

// Assign gives the application to a case worker (0 to unassign): a user
// with the case worker or supervisor role who works at the application's
// centre (any user for an application of no centre). EINVALID for another
// user, ENOTFOUND for an unknown application, EFORBIDDEN for a citizen.
func (s *Service) Assign(ctx context.Context, id, assigneeID int64) (*dost.Application, error) {
	if _, u := actor(ctx); u.CitizenOnly() {
		return nil, dost.Errorf(dost.EFORBIDDEN, "Citizens cannot assign applications.")
	}
	a, err := s.store.FindApplicationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if assigneeID != 0 {
		w, err := s.users.FindUserByID(ctx, assigneeID)
		switch {
		case dost.ErrorCode(err) == dost.ENOTFOUND:
			return nil, dost.FieldErr("assignee_id", "assignee.unknown", "There is no user %d.", assigneeID)
		case err != nil:
			return nil, fmt.Errorf("find assignee: %w", err)
		case w.Disabled || !w.HasRole(dost.RoleCaseWorker) && !w.HasRole(dost.RoleSupervisor):
			return nil, dost.FieldErr("assignee_id", "assignee.not_caseworker", "%s is not an active case worker.", w.Name)
		case a.CentreID != 0 && !w.InCentre(a.CentreID):
			return nil, dost.FieldErr("assignee_id", "assignee.other_centre", "%s does not work at the application's centre.", w.Name)
		}
	}
	if err := s.store.Assign(ctx, id, assigneeID); err != nil {
		return nil, err
	}
	return s.store.FindApplicationByID(ctx, id)
}

// FindAwardByID returns an award. ENOTFOUND if there is none, or if the
// user is a citizen who is neither its payee nor its beneficiary, nor a
// member of the household it is for.
func (s *Service) FindAwardByID(ctx context.Context, id int64) (*dost.Award, error) {
	w, err := s.store.FindAwardByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, u := actor(ctx); u.CitizenOnly() {
		ok, err := s.mayReadAward(ctx, u, w)
		if err != nil {
			return nil, err
		} else if !ok {
			return nil, dost.Errorf(dost.ENOTFOUND, "Award not found.")
		}
	}
	return w, nil
}

// mayReadAward reports whether citizen u may see award w: they are its
// payee or its beneficiary, or it is their household's.
func (s *Service) mayReadAward(ctx context.Context, u *dost.User, w *dost.Award) (bool, error) {
	if u.PersonID == nil {
		return false, nil
	}
	me := *u.PersonID
	if w.PayeeID == me || w.PersonID == me {
		return true, nil
	}
	if w.HouseholdID == 0 {
		return false, nil
	}
	hh, err := s.householdOf(ctx, me)
	return hh != 0 && hh == w.HouseholdID, err
}

// FindAwards returns matching awards, newest first, and the total count. A
// citizen finds only their own: with f.HouseholdID their household's (any
// other household finds none), else the awards they are the payee or the
// beneficiary of (f.PersonID, if set, must be theirs).
func (s *Service) FindAwards(ctx context.Context, f dost.AwardFilter) ([]*dost.Award, int, error) {
	if _, u := actor(ctx); u.CitizenOnly() {
		if u.PersonID == nil || f.PersonID != 0 && f.PersonID != *u.PersonID {
			return []*dost.Award{}, 0, nil
		}
		if f.HouseholdID != 0 {
			hh, err := s.householdOf(ctx, *u.PersonID)
			if err != nil {
				return nil, 0, err
			}
			if hh == 0 || hh != f.HouseholdID {
				return []*dost.Award{}, 0, nil
			}
		} else {
			f.PersonID = *u.PersonID
		}
	}
	return s.store.FindAwards(ctx, f)
}

// FindDecisionByID returns a decision with its trace. ENOTFOUND if there is
// none, or if the user is a citizen and it decides someone else's
// application.
func (s *Service) FindDecisionByID(ctx context.Context, id int64) (*dost.Decision, error) {
	d, err := s.store.FindDecisionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, u := actor(ctx); u.CitizenOnly() {
		if _, err := s.FindApplicationByID(ctx, d.ApplicationID); dost.ErrorCode(err) == dost.ENOTFOUND {
			return nil, dost.Errorf(dost.ENOTFOUND, "Decision not found.")
		} else if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// FindDecisionByLetterCode returns the decision a letter's code names, for
// the public verification page; the code may be typed in any case, with
// or without spaces and dashes (pdf.NormalizeLetterCode). ENOTFOUND if
// there is none.
func (s *Service) FindDecisionByLetterCode(ctx context.Context, code string) (*dost.Decision, error) {
	norm, ok := pdf.NormalizeLetterCode(code)
	if !ok {
		return nil, dost.Errorf(dost.ENOTFOUND, "There is no decision letter with this code.")
	}
	return s.store.FindDecisionByLetterCode(ctx, norm)
}

// FindNotifications reads the outbox (the notifications log).
func (s *Service) FindNotifications(ctx context.Context, f dost.NotificationFilter) ([]*dost.Notification, int, error) {
	return s.store.FindNotifications(ctx, f)
}

// DeadlineCounts counts, per service, the applications submitted from
// from to to (inclusive) at the given centres (all if none): decided on
// time or late, and still open on time or late as of today.
func (s *Service) DeadlineCounts(ctx context.Context, centreIDs []int64, from, to dost.Date) ([]dost.DeadlineCounts, error) {
	if to.Before(from) {
		return nil, dost.FieldErr("to", "date_range.reversed", "The end %s is before the start %s.", to, from)
	}
	return s.store.DeadlineCounts(ctx, centreIDs, from, to, s.today())
}

// calendar returns the working-day calendar with the holidays of the years
// from first to last.
func (s *Service) calendar(ctx context.Context, first, last int) (*dost.Calendar, error) {
	var hs []dost.Holiday
	for y := first; y <= last; y++ {
		h, err := s.store.FindHolidays(ctx, y)
		if err != nil {
			return nil, fmt.Errorf("find holidays of %d: %w", y, err)
		}
		hs = append(hs, h...)
	}
	return dost.NewCalendar(hs), nil
}

// deadline returns the last day to decide an application for svc submitted
// on day, counting the passport's days (working days when it says so) with
// the holiday calendar of every year the count crosses.
func (s *Service) deadline(ctx context.Context, svc *dost.Service, day dost.Date) (dost.Date, error) {
	return s.countDays(ctx, day, svc.DeadlineDays, svc.WorkingDays)
}

// countDays returns the last day of a period of n days from day (working
// days when working is true; see dost.Calendar.Deadline) with the holiday
// calendar of every year the count crosses.
func (s *Service) countDays(ctx context.Context, day dost.Date, n int, working bool) (dost.Date, error) {
	last := day.Year()
	for {
		cal, err := s.calendar(ctx, day.Year(), last)
		if err != nil {
			return dost.Date{}, err
		}
		d := cal.Deadline(day, n, working)
		if d.Year() <= last {
			return d, nil
		}
		last = d.Year()
	}
}

// removeUnusedFiles deletes the files stored for a record whose storing
// failed with err, if err says for certain that nothing was stored: a
// dost error with the code EINVALID, ECONFLICT or ENOTFOUND, a refusal
// made before the commit. Any other error (the context cancelled or its
// deadline exceeded, a connection lost, a failed COMMIT) is ambiguous: the
// transaction may have committed, and then the files belong to a stored
// document, so they are left and logged; the orphan-file sweep removes
// them if no record names them.
func (s *Service) removeUnusedFiles(keys []string, err error) {
	switch dost.ErrorCode(err) {
	case dost.EINVALID, dost.ECONFLICT, dost.ENOTFOUND:
		s.removeFiles(keys)
	default:
		if len(keys) > 0 {
			s.log.Warn("casework: document files kept: the record may have been stored", "keys", keys, "error", err)
		}
	}
}

// removeFiles deletes stored files, best effort: a failure is logged and
// leaves an orphan file, never a wrong record.
func (s *Service) removeFiles(keys []string) {
	for _, k := range keys {
		// A fresh context: the request's may be what was cancelled.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.files.Delete(ctx, k); err != nil {
			s.log.Warn("casework: delete an unused document file", "key", k, "error", err)
		}
		cancel()
	}
}
