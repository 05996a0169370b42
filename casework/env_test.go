package casework_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/catalogue"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/filestore"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
)

// env is a casework Service over a fresh database holding the catalogue,
// one centre, staff accounts and a small population:
//
//   - household "ali": Ali (head, born 1958, insured since 1985: entitled
//     to the old-age pension) and Leyla (spouse, born 1970), who is also
//     a case worker;
//   - household "rauf": Rauf (head, born 1985, 200 AZN income a month),
//     Sevda (spouse), two children, and Nuray, born on 2026-11-03:
//     entitled to TSSA (5 × 300 − 200 = 1300 AZN) and to a birth allowance;
//   - Kamran, in no household: a case worker;
//   - Vuqar, in no household, born 1959, insured since 1990: entitled to
//     the old-age pension.
type env struct {
	db       *sqlstore.DB
	cfg      casework.Config // e.svc's
	clock    *dosttest.FixedClock
	svc      *casework.Service
	store    *sqlstore.CaseStore
	pop      *sqlstore.PopulationStore
	rs       *rules.RuleSet
	filesDir string
	centreID int64

	persons    *sqlstore.PersonService
	households *sqlstore.HouseholdService
	catalogue  *sqlstore.CatalogueService

	// Persons by first name, households by their head's first name.
	p  map[string]*dost.Person
	hh map[string]int64
	// Users: operator, caseworker (Kamran), leyla (case worker, Ali's
	// household), ali (a case worker who is Ali), citizen (Ali),
	// supervisor (of the centre), network (a supervisor of no centre).
	u map[string]*dost.User
}

// Monday 16 November 2026, 09:30 in Baku.
var november = dost.Month{Year: 2026, Month: time.November}

func newEnv(t *testing.T, db *sqlstore.DB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{db: db, clock: dosttest.ClockOf(t, db), store: sqlstore.NewCaseStore(db), pop: sqlstore.NewPopulationStore(db),
		persons: sqlstore.NewPersonService(db), households: sqlstore.NewHouseholdService(db), catalogue: sqlstore.NewCatalogueService(db),
		p: map[string]*dost.Person{}, hh: map[string]int64{}, u: map[string]*dost.User{}}

	services, err := catalogue.Services()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range services {
		if err := e.catalogue.SaveService(ctx, s); err != nil {
			t.Fatalf("save service %s: %v", s.Code, err)
		}
	}
	centre := demo.Centres()[1]
	if err := sqlstore.NewCentreService(db).CreateCentre(ctx, centre); err != nil {
		t.Fatal(err)
	}
	e.centreID = centre.ID

	person := func(first, fin, birth string, sex dost.Sex, contact bool) *dost.Person {
		p := &dost.Person{FIN: dost.FIN(fin), FirstName: first, LastName: "Testov", BirthDate: dost.MustDate(birth), Sex: sex, Language: "en"}
		if first == "Vuqar" {
			p.Language = "az"
		}
		if contact {
			p.Phone, p.Email = "+994501234"+strconv.Itoa(100+len(e.p)), first+"@example.az"
		}
		if err := e.persons.CreatePerson(ctx, p); err != nil {
			t.Fatalf("create %s: %v", first, err)
		}
		e.p[first] = p
		return p
	}
	person("Ali", "1ALI001", "1958-03-10", dost.SexMale, true)
	person("Leyla", "1LEY001", "1970-06-01", dost.SexFemale, true)
	person("Rauf", "1RAU001", "1985-02-14", dost.SexMale, true)
	person("Sevda", "1SEV001", "1987-09-30", dost.SexFemale, true)
	person("Aysel", "1AYS001", "2015-04-01", dost.SexFemale, false)
	person("Murad", "1MUR001", "2018-08-20", dost.SexMale, false)
	person("Nuray", "1NUR001", "2026-11-03", dost.SexFemale, false)
	person("Kamran", "1KAM001", "1980-01-01", dost.SexMale, true)
	person("Vuqar", "1VUQ001", "1959-05-05", dost.SexMale, true)

	household := func(code string, members ...string) {
		h := &dost.Household{Code: code}
		for i, m := range members {
			role := dost.RoleChild
			switch {
			case i == 0:
				role = dost.RoleHead
			case i == 1:
				role = dost.RoleSpouse
			}
			h.Members = append(h.Members, &dost.HouseholdMember{FIN: e.p[m].FIN, Role: role})
		}
		if err := e.households.CreateHousehold(ctx, h); err != nil {
			t.Fatalf("create household %s: %v", code, err)
		}
		e.hh[members[0]] = h.ID
	}
	household("HH-ALI", "Ali", "Leyla")
	household("HH-RAUF", "Rauf", "Sevda", "Aysel", "Murad", "Nuray")

	records := sqlstore.NewRecordService(db)
	for name, from := range map[string]string{"Ali": "1985-01-01", "Vuqar": "1990-01-01", "Kamran": "2005-01-01"} {
		if err := records.CreateInsurancePeriod(ctx, &dost.InsurancePeriod{PersonID: e.p[name].ID, Employer: "Employer",
			From: dost.MustDate(from), MonthlyWage: dost.AZN(800)}); err != nil {
			t.Fatal(err)
		}
	}
	for m := november.Add(-13); m != november.Add(1); m = m.Add(1) {
		if err := records.CreateIncomeRecord(ctx, &dost.IncomeRecord{PersonID: e.p["Rauf"].ID, Month: m,
			Source: dost.IncomeOther, Amount: dost.AZN(200)}); err != nil {
			t.Fatal(err)
		}
	}

	users := sqlstore.NewUserService(db)
	user := func(key, name string, role dost.Role, person string, centre bool, email string) {
		u := &dost.User{Username: key, Name: name, Roles: []dost.Role{role}, Email: email}
		if person != "" {
			id := e.p[person].ID
			u.PersonID = &id
		}
		if centre {
			u.CentreIDs = []int64{e.centreID}
		}
		if err := users.CreateUser(ctx, u, ""); err != nil {
			t.Fatalf("create user %s: %v", key, err)
		}
		e.u[key] = u
	}
	user("operator", "Operator", dost.RoleOperator, "", true, "")
	user("caseworker", "Kamran Testov", dost.RoleCaseWorker, "Kamran", true, "")
	user("leyla", "Leyla Testov", dost.RoleCaseWorker, "Leyla", true, "")
	user("ali", "Ali Testov", dost.RoleCaseWorker, "Ali", true, "")
	user("citizen", "Ali Testov", dost.RoleCitizen, "Ali", false, "")
	user("supervisor", "Supervisor", dost.RoleSupervisor, "", true, "supervisor@example.az")
	user("nomail", "Supervisor without e-mail", dost.RoleSupervisor, "", true, "")
	user("network", "Network supervisor", dost.RoleSupervisor, "", false, "network@example.az")

	e.rs, err = az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	e.filesDir = t.TempDir()
	files, err := filestore.NewDisk(e.filesDir)
	if err != nil {
		t.Fatal(err)
	}
	// Without Centres, as some tests need: an application submitted
	// without a centre keeps none.
	e.cfg = casework.Config{
		Store: e.store, Persons: e.persons, Households: e.households, Catalogue: e.catalogue, Users: users,
		Population: e.pop, RuleSet: e.rs, RuleSetVersion: az.Version(), Programmes: az.Programmes(),
		Files: files, Clock: e.clock, BaseURL: "https://dost.example.az/",
	}
	e.svc, err = casework.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// as returns a context acting as the user key ("" for dost itself).
func (e *env) as(key string) context.Context {
	if key == "" {
		return context.Background()
	}
	return dost.NewContextWithUser(context.Background(), e.u[key])
}

// files returns the keys of the files in the file store.
func (e *env) files(t *testing.T) []string {
	t.Helper()
	var keys []string
	err := filepath.WalkDir(e.filesDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(e.filesDir, path)
			keys = append(keys, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// calculate returns what rules.Calculate computes for variable of person
// (or, with person "", of household hh) in period, reading the registry
// as the population run does.
func (e *env) calculate(t *testing.T, variable string, hh int64, person string, period dost.Month) dost.Money {
	t.Helper()
	p := rules.MonthOf(period.Year, period.Month)
	sh := rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: hh, Hi: hh + 1}
	if hh == 0 {
		id := e.p[person].ID
		sh = rulesrun.Shard{Kind: rulesrun.ShardLoners, Lo: id, Hi: id + 1}
	}
	data, err := e.pop.ReadShard(context.Background(), sh, rulesrun.WindowOf(p))
	if err != nil {
		t.Fatal(err)
	}
	in, err := rulesrun.MapInputs(p, data)
	if err != nil {
		t.Fatal(err)
	}
	sit, err := in.Situation(e.rs, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := e.rs.Calculate(sit, p, []string{variable})
	if err != nil {
		t.Fatal(err)
	}
	id := sit.ID
	if person != "" {
		id = fmt.Sprint(e.p[person].ID)
	}
	x, ok := res.Values[variable][id].(float64)
	if !ok {
		t.Fatalf("%s of %s: no value in %v", variable, id, res.Values)
	}
	return dost.Money(x*100 + 0.5)
}

// errCode fails the test unless err has the dost error code.
func errCode(t *testing.T, err error, code string) {
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

// pdfFile is a small file that sniffs as a PDF.
var pdfFile = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")

// submit submits an application for person at the centre with every
// required document of the service presented, failing the test on error.
func (e *env) submit(t *testing.T, person, service string) *dost.Application {
	t.Helper()
	svc, err := e.catalogue.FindServiceByCode(context.Background(), service)
	if err != nil {
		t.Fatal(err)
	}
	n := &dost.NewApplication{FIN: e.p[person].FIN, ServiceCode: service, Channel: dost.ApplicationAtCentre, CentreID: e.centreID}
	for _, d := range svc.Documents {
		if d.Required {
			n.Documents = append(n.Documents, dost.NewDocument{Code: d.Code, Presented: true})
		}
	}
	a, created, err := e.svc.SubmitApplication(e.as("operator"), n)
	if err != nil || !created {
		t.Fatalf("submit %s for %s: %v (created %v)", service, person, err, created)
	}
	return a
}

// act applies an action as user, failing the test on error.
func (e *env) act(t *testing.T, user string, id int64, action dost.ApplicationAction, reason string) *dost.Application {
	t.Helper()
	a, err := e.svc.Act(e.as(user), id, dost.TransitionRequest{Action: action, Reason: reason})
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	return a
}

// notifications returns the person's notifications of topic.
func (e *env) notifications(t *testing.T, person, topic string) []*dost.Notification {
	t.Helper()
	ns, _, err := e.store.FindNotifications(context.Background(), dost.NotificationFilter{PersonID: e.p[person].ID, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}
