package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/catalogue"
	"github.com/dost-az/dost/synth"
)

// DefaultPersons is the size of the demo population when Options.Persons
// is zero.
const DefaultPersons = 2000

// Stores are the services Seed writes through.
type Stores struct {
	Catalogue dost.CatalogueService
	Centres   dost.CentreService
	Users     dost.UserService
	Importer  dost.RegistryImporter
	// Persons is optional. When set, Seed imports the population only into
	// an empty registry; without it, see Seed.
	Persons dost.PersonService
	// Training is optional. When set, Seed stores the demo courses and the
	// demo operator's completions (and so certifications; training.go).
	Training TrainingStore
	// Hall is optional. When set, Seed stores two weeks of visits at the
	// first demo centre for the supervisor dashboard (hall.go).
	Hall HallHistoryStore
	// Video is optional. When set, Seed stores the demo video centre and
	// its accounts (video.go), certifying the video operator through
	// Certifications.
	Video          dost.VideoService
	Certifications CertificationCreator
}

// Options control Seed.
type Options struct {
	// Persons is the size of the synthetic population: 0 means
	// DefaultPersons, a negative number no population at all.
	Persons int
	// Seed selects the population; the same seed gives the same persons.
	Seed int64
	// Today is the date the population is generated for (ages, insurance
	// periods, the last 12 months of incomes); zero means the current date
	// in Baku.
	Today dost.Date
	// Logger receives a line per step; nil discards them.
	Logger *slog.Logger
}

// Result says what Seed did.
type Result struct {
	Services        int      // catalogue services saved
	CentresCreated  []string // codes of centres created now
	CentresExisting []string // codes of centres that were already there
	// Accounts lists every demo account, with Created false for those that
	// existed already (whose password may since have been changed).
	Accounts []SeededAccount
	// PersonsImported is the number of persons imported now; 0 when the
	// population was skipped.
	PersonsImported int
	// PopulationSkipped is true when the registry already held persons or
	// the population was not asked for.
	PopulationSkipped bool
}

// SeededAccount is a demo account and whether Seed created it.
type SeededAccount struct {
	Account
	Created bool
	// FIN is the person of the population the account was linked to when
	// Seed created it; empty when it created it unlinked (no population)
	// or did not create it.
	FIN dost.FIN
}

// Seed fills a database with the demo: the shipped catalogue, the demo
// centres, the demo staff accounts and a synthetic population. It is
// idempotent, so `dost serve --demo` may run it at every start:
//
//   - every catalogue service is saved (SaveService replaces a service
//     with the same code, so the catalogue is brought up to date);
//   - a centre whose code exists (FindCentreByCode) is left as it is;
//   - an account whose username exists (FindUserByUsername) is left as it
//     is, password included; a new one is linked to a person of the
//     synthetic population (staffPersons: of working age, preferably
//     living alone), so that it may decide applications, which casework refuses to
//     an account linked to no person; without a population (or Persons),
//     or when the registry holds another one, it is created unlinked;
//   - the population is imported only into an empty registry: with
//     Stores.Persons set, when FindPersons finds nobody; without it, Seed
//     tries the import and takes an *dost.ImportError (rows conflicting
//     with stored data, nothing stored) to mean the population is already
//     there, logging a warning.
//
// Any other error stops Seed and is returned wrapped; what was stored
// before it stays stored, and running Seed again completes the rest.
func Seed(ctx context.Context, st Stores, opts Options) (*Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	res := &Result{}

	services, err := catalogue.Services()
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	for _, s := range services {
		if err := st.Catalogue.SaveService(ctx, s); err != nil {
			return res, fmt.Errorf("demo: save service %s: %w", s.Code, err)
		}
	}
	res.Services = len(services)
	log.Info("demo catalogue saved", "services", len(services))

	centreIDs := map[string]int64{}
	for _, c := range Centres() {
		found, err := st.Centres.FindCentreByCode(ctx, c.Code)
		switch {
		case err == nil:
			centreIDs[c.Code] = found.ID
			res.CentresExisting = append(res.CentresExisting, c.Code)
			continue
		case dost.ErrorCode(err) != dost.ENOTFOUND:
			return res, fmt.Errorf("demo: find centre %s: %w", c.Code, err)
		}
		if err := st.Centres.CreateCentre(ctx, c); err != nil {
			return res, fmt.Errorf("demo: create centre %s: %w", c.Code, err)
		}
		centreIDs[c.Code] = c.ID
		res.CentresCreated = append(res.CentresCreated, c.Code)
		log.Info("demo centre created", "centre", c.Code, "counters", len(c.Counters), "services", len(c.Services))
	}

	// The population first: the staff accounts are linked to persons of it.
	// The batch is built once, when needed: to import it, or to choose
	// the persons of new accounts.
	var batch *dost.ImportBatch
	getBatch := func() *dost.ImportBatch {
		if batch == nil && opts.Persons >= 0 {
			batch = population(opts)
		}
		return batch
	}
	n, err := seedPopulation(ctx, st, opts, getBatch, log)
	if err != nil {
		return res, err
	}
	res.PersonsImported, res.PopulationSkipped = n, n == 0
	var staff []dost.FIN
	staffOnce := false

	for i, a := range Accounts() {
		_, err := st.Users.FindUserByUsername(ctx, a.Username)
		switch {
		case err == nil:
			res.Accounts = append(res.Accounts, SeededAccount{Account: a})
			continue
		case dost.ErrorCode(err) != dost.ENOTFOUND:
			return res, fmt.Errorf("demo: find user %s: %w", a.Username, err)
		}
		u := &dost.User{Username: a.Username, Name: a.Name, Roles: a.Roles}
		for _, code := range a.CentreCodes {
			id, ok := centreIDs[code]
			if !ok {
				return res, fmt.Errorf("demo: account %s: unknown centre %s", a.Username, code)
			}
			u.CentreIDs = append(u.CentreIDs, id)
		}
		if !staffOnce {
			staff, staffOnce = staffPersons(getBatch(), populationToday(opts), len(Accounts())), true
		}
		var fin dost.FIN
		if i < len(staff) && st.Persons != nil {
			p, err := st.Persons.FindPersonByFIN(ctx, staff[i])
			switch {
			case err == nil:
				u.PersonID, fin = &p.ID, p.FIN
			case dost.ErrorCode(err) == dost.ENOTFOUND:
				log.Warn("demo account not linked to a person: the registry holds another population", "username", a.Username)
			default:
				return res, fmt.Errorf("demo: find the person of account %s: %w", a.Username, err)
			}
		}
		if err := st.Users.CreateUser(ctx, u, a.Password); err != nil {
			return res, fmt.Errorf("demo: create user %s: %w", a.Username, err)
		}
		res.Accounts = append(res.Accounts, SeededAccount{Account: a, Created: true, FIN: fin})
		log.Info("demo account created", "username", a.Username, "roles", a.Roles, "linked", fin != "")
	}
	if err := seedTraining(ctx, st, populationToday(opts)); err != nil {
		return res, err
	}
	if err := seedHall(ctx, st, populationToday(opts)); err != nil {
		return res, err
	}
	if err := seedVideo(ctx, st, res, populationToday(opts)); err != nil {
		return res, err
	}
	return res, nil
}

// staffPersons returns the FINs of up to n persons of batch for the demo
// staff accounts, chosen deterministically among the living persons aged
// 25 to 60 on today, no two of one household: first those who live alone
// (the only member of their household), in the batch's order, then, if
// too few do, the first such member of each other household in order. A
// member of staff is forbidden to decide the applications of their
// household (casework), so those who live alone leave every other
// application of the demo to them. Nil batch: none.
func staffPersons(batch *dost.ImportBatch, today dost.Date, n int) []dost.FIN {
	if batch == nil {
		return nil
	}
	byFIN := make(map[dost.FIN]*dost.Person, len(batch.Persons))
	for _, p := range batch.Persons {
		byFIN[p.FIN] = p
	}
	fit := func(m *dost.HouseholdMember) bool {
		p := byFIN[m.FIN]
		if p == nil || p.Status == dost.PersonDeceased {
			return false
		}
		age := p.BirthDate.AgeOn(today)
		return age >= 25 && age <= 60
	}
	var out []dost.FIN
	used := make([]bool, len(batch.Households))
	for _, alone := range []bool{true, false} {
		for i, h := range batch.Households {
			if len(out) == n {
				return out
			}
			if used[i] || alone != (len(h.Members) == 1) {
				continue
			}
			for _, m := range h.Members {
				if fit(m) {
					out, used[i] = append(out, m.FIN), true
					break
				}
			}
		}
	}
	return out
}

// seedPopulation imports the synthetic population if the registry is
// empty, returning how many persons it imported.
func seedPopulation(ctx context.Context, st Stores, opts Options, getBatch func() *dost.ImportBatch, log *slog.Logger) (int, error) {
	if opts.Persons < 0 {
		return 0, nil
	}
	if st.Persons != nil {
		_, total, err := st.Persons.FindPersons(ctx, dost.PersonFilter{Limit: 1})
		if err != nil {
			return 0, fmt.Errorf("demo: count persons: %w", err)
		}
		if total > 0 {
			log.Info("demo population skipped: the registry is not empty", "persons", total)
			return 0, nil
		}
	}
	batch := getBatch()
	start := time.Now()
	err := st.Importer.Import(ctx, batch)
	var ie *dost.ImportError
	if errors.As(err, &ie) {
		log.Warn("demo population skipped: it conflicts with stored data, assumed imported before",
			"bad_rows", len(ie.Rows), "error", err)
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("demo: import population: %w", err)
	}
	log.Info("demo population imported", "persons", len(batch.Persons), "households", len(batch.Households),
		"took", time.Since(start).Round(time.Millisecond).String())
	return len(batch.Persons), nil
}

// population builds the synthetic population Seed imports.
func population(opts Options) *dost.ImportBatch {
	persons := opts.Persons
	if persons == 0 {
		persons = DefaultPersons
	}
	return synth.Batch(synth.Options{Persons: persons, Seed: opts.Seed, Today: populationToday(opts)})
}

// populationToday is the date the population is generated for:
// opts.Today, or the current date in Baku.
func populationToday(opts Options) dost.Date {
	if opts.Today.IsZero() {
		return dost.DateOf(time.Now().In(baku))
	}
	return opts.Today
}

// baku is the demo centres' time zone, for "today" when none is given.
var baku = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Baku")
	if err != nil {
		return time.FixedZone("AZT", 4*60*60) // Baku has kept UTC+4 since 2016
	}
	return loc
}()
