package proactive_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/catalogue"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/filestore"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
)

var ctx = context.Background()

// today is the civil date of dosttest.DefaultNow in Baku: Monday 16
// November 2026.
var today = dost.MustDate("2026-11-16")

// november is today's month.
var november = dost.MonthOf(today)

// env is a proactive Service and the casework Service it assigns through,
// over a fresh database with the catalogue, one centre, an operator and a
// small population:
//
//   - household "rashad": Rashad (head, born 1985, 200 AZN income a month),
//     Leyla (spouse, born 1990, a phone and an e-mail, English), Aysel
//     (child, born 2015): entitled to TSSA (3 × 300 − 200 = 700 AZN);
//   - Sevinc, born 1996, in no household;
//   - Tofiq, born 1961-11-16, insured since 1990, in no household: his
//     old-age pension right arises today (65 years);
//   - Zaur, born 1961-11-16, insured 2010–2014: his right by age arises
//     today, but 5 years of insurance give none;
//   - Gulnara, born 1961-11-16, insured since 1990: her right arose on
//     2026-05-16 (64 y 6 m);
//   - household "vuqar": Vuqar (head, born 1950, insured since 1975,
//     entitled to the pension) and Sona (spouse, born 1955);
//   - Kamran, born 1980, in no household;
//   - Elvin, born 1985, insured since 2010 at 1000 AZN a month, in no
//     household.
type env struct {
	db       *sqlstore.DB
	clock    *dosttest.FixedClock
	svc      *proactive.Service
	cases    *casework.Service
	store    *sqlstore.ProactiveStore
	caseDB   *sqlstore.CaseStore
	persons  *sqlstore.PersonService
	hhs      *sqlstore.HouseholdService
	records  *sqlstore.RecordService
	catalog  *sqlstore.CatalogueService
	centreID int64

	p        map[string]*dost.Person
	hh       map[string]int64
	operator *dost.User
}

func newEnv(t testing.TB, db *sqlstore.DB) *env {
	t.Helper()
	e := &env{db: db, clock: dosttest.ClockOf(t, db), store: sqlstore.NewProactiveStore(db), caseDB: sqlstore.NewCaseStore(db),
		persons: sqlstore.NewPersonService(db), hhs: sqlstore.NewHouseholdService(db), records: sqlstore.NewRecordService(db),
		catalog: sqlstore.NewCatalogueService(db), p: map[string]*dost.Person{}, hh: map[string]int64{}}
	services, err := catalogue.Services()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range services {
		if err := e.catalog.SaveService(ctx, s); err != nil {
			t.Fatalf("save service %s: %v", s.Code, err)
		}
	}
	centre := demo.Centres()[1]
	if err := sqlstore.NewCentreService(db).CreateCentre(ctx, centre); err != nil {
		t.Fatal(err)
	}
	e.centreID = centre.ID

	person := func(first, fin, birth string, sex dost.Sex) *dost.Person {
		p := &dost.Person{FIN: dost.FIN(fin), FirstName: first, LastName: "Testov", BirthDate: dost.MustDate(birth), Sex: sex,
			Region: "Baku", District: "Nizami", Address: "Street " + strconv.Itoa(len(e.p)+1)}
		if first == "Leyla" || first == "Sona" || first == "Elvin" {
			p.Phone, p.Email, p.Language = "+99450123"+strconv.Itoa(1000+len(e.p)), first+"@example.az", "en"
		}
		if err := e.persons.CreatePerson(ctx, p); err != nil {
			t.Fatalf("create %s: %v", first, err)
		}
		e.p[first] = p
		return p
	}
	person("Rashad", "1RAS001", "1985-02-14", dost.SexMale)
	person("Leyla", "1LEY001", "1990-06-01", dost.SexFemale)
	person("Aysel", "1AYS001", "2015-04-01", dost.SexFemale)
	person("Sevinc", "1SEV001", "1996-09-30", dost.SexFemale)
	person("Tofiq", "1TOF001", "1961-11-16", dost.SexMale)
	person("Zaur", "1ZAU001", "1961-11-16", dost.SexMale)
	person("Gulnara", "1GUL001", "1961-11-16", dost.SexFemale)
	person("Vuqar", "1VUQ001", "1950-05-05", dost.SexMale)
	person("Sona", "1SON001", "1955-08-20", dost.SexFemale)
	person("Kamran", "1KAM001", "1980-01-01", dost.SexMale)
	person("Elvin", "1ELV001", "1985-06-01", dost.SexMale)

	household := func(code string, members ...string) {
		h := &dost.Household{Code: code}
		for i, m := range members {
			role := dost.RoleChild
			switch i {
			case 0:
				role = dost.RoleHead
			case 1:
				role = dost.RoleSpouse
			}
			h.Members = append(h.Members, &dost.HouseholdMember{FIN: e.p[m].FIN, Role: role})
		}
		if err := e.hhs.CreateHousehold(ctx, h); err != nil {
			t.Fatalf("create household %s: %v", code, err)
		}
		e.hh[members[0]] = h.ID
	}
	household("HH-RASHAD", "Rashad", "Leyla", "Aysel")
	household("HH-VUQAR", "Vuqar", "Sona")

	insured := func(name, from, to string, wage int64) {
		p := &dost.InsurancePeriod{PersonID: e.p[name].ID, Employer: "Employer", From: dost.MustDate(from), MonthlyWage: dost.AZN(wage)}
		if to != "" {
			p.To = dost.MustDate(to)
		}
		if err := e.records.CreateInsurancePeriod(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	insured("Tofiq", "1990-01-01", "", 700)
	insured("Zaur", "2010-01-01", "2014-12-31", 700)
	insured("Gulnara", "1990-01-01", "", 700)
	insured("Vuqar", "1975-01-01", "2015-12-31", 500)
	insured("Elvin", "2010-01-01", "", 1000)
	for m := november.Add(-13); m != november.Add(1); m = m.Add(1) {
		for name, amount := range map[string]int64{"Rashad": 200, "Tofiq": 700, "Gulnara": 700, "Elvin": 1000, "Kamran": 900, "Sevinc": 800} {
			if err := e.records.CreateIncomeRecord(ctx, &dost.IncomeRecord{PersonID: e.p[name].ID, Month: m,
				Source: dost.IncomeWage, Amount: dost.AZN(amount)}); err != nil {
				t.Fatal(err)
			}
		}
	}

	users := sqlstore.NewUserService(db)
	e.operator = &dost.User{Username: "operator", Name: "Operator", Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{e.centreID}}
	if err := users.CreateUser(ctx, e.operator, ""); err != nil {
		t.Fatal(err)
	}

	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filestore.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pop := sqlstore.NewPopulationStore(db)
	e.cases, err = casework.New(casework.Config{
		Store: e.caseDB, Persons: e.persons, Households: e.hhs, Catalogue: e.catalog, Users: users,
		Population: pop, RuleSet: rs, RuleSetVersion: az.Version(), Programmes: az.Programmes(),
		Files: files, Clock: e.clock, BaseURL: "https://dost.example.az",
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = e.proactive(t, nil)
	return e
}

// proactive returns a proactive Service over the env's stores, its
// catalogue deciding the assignment modes, with the changes edit makes
// to its configuration (nil: none).
func (e *env) proactive(t testing.TB, edit func(*proactive.Config)) *proactive.Service {
	t.Helper()
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	cfg := proactive.Config{
		Store: e.store, Assigner: e.cases, Applications: e.cases, Persons: e.persons, Households: e.hhs,
		Records: e.records, Population: sqlstore.NewPopulationStore(e.db), RuleSet: rs, Programmes: az.Programmes(),
		Clock: e.clock, Catalogue: e.catalog,
	}
	if edit != nil {
		edit(&cfg)
	}
	svc, err := proactive.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// registry is a context acting as a registry's system account.
func (e *env) registry() context.Context {
	return dost.NewContextWithUser(ctx, &dost.User{ID: 1000, Username: "civil-registry", Roles: []dost.Role{dost.RoleAdmin}})
}

// asOperator is a context acting as the centre's operator.
func (e *env) asOperator() context.Context { return dost.NewContextWithUser(ctx, e.operator) }

// receive receives an event and fails the test on an error.
func (e *env) receive(t testing.TB, ev *dost.LifeEvent) *dost.LifeEvent {
	t.Helper()
	got, _, err := e.svc.ReceiveEvent(e.registry(), ev)
	if err != nil {
		t.Fatalf("receive %s: %v", ev.ID, err)
	}
	return got
}

// awards returns the awards of programme whose beneficiary is the person.
func (e *env) awards(t testing.TB, personID int64, programme string) []*dost.Award {
	t.Helper()
	ws, _, err := e.cases.FindAwards(ctx, dost.AwardFilter{PersonID: personID, Programme: programme})
	if err != nil {
		t.Fatal(err)
	}
	var out []*dost.Award
	for _, w := range ws {
		if w.PersonID == personID {
			out = append(out, w)
		}
	}
	return out
}

// count counts a table's rows (through the writer pool, which the test
// may share: it holds no transaction).
func (e *env) count(t testing.TB, table string) int {
	t.Helper()
	var n int
	if err := e.db.WriterDB().QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// kinds returns the kinds of an event's effects, in order.
func kinds(ev *dost.LifeEvent) []string {
	var out []string
	for _, f := range ev.Outcome {
		out = append(out, f.Kind)
	}
	return out
}

// errCode fails the test unless err has the dost error code.
func errCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := dost.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

// hasField reports whether err names field with code.
func hasField(err error, field, code string) bool {
	for _, f := range dost.ErrorFields(err) {
		if f.Field == field && f.Code == code {
			return true
		}
	}
	return false
}

// birth returns a birth event of a girl with FIN fin to mother (and
// father), born days days ago.
func birth(id, fin string, mother, father *dost.Person, days int) *dost.LifeEvent {
	b := &dost.BirthFacts{FirstName: "Nuray", LastName: "Testova", Sex: dost.SexFemale}
	if mother != nil {
		b.MotherFIN = mother.FIN
	}
	if father != nil {
		b.FatherFIN = father.FIN
	}
	return &dost.LifeEvent{ID: id, Kind: dost.EventBirthRegistered, FIN: dost.FIN(fin), Date: today.AddDate(0, 0, -days), Birth: b}
}

// at sets the clock to 09:30 in Baku on day.
func (e *env) at(day dost.Date) {
	e.clock.Set(time.Date(day.Year(), day.Month(), day.Day(), 9, 30, 0, 0, time.FixedZone("AZT", 4*60*60)))
}
