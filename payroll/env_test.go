package payroll_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/filestore"
	"github.com/dost-az/dost/iso20022"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
)

var ctx = context.Background()

// today is the date of dosttest.DefaultNow in Baku; november its month.
var (
	today    = dost.MustDate("2026-11-16")
	november = dost.MonthOf(today)
	december = november.Add(1)
)

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err has the dost error code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if dost.ErrorCode(err) != code {
		t.Fatalf("got error %v (%s), want %s", err, dost.ErrorCode(err), code)
	}
}

// env is a seeded registry with the November awards the proactive scan
// makes, and the payroll service over it.
type env struct {
	db      *sqlstore.DB
	svc     *payroll.Service
	store   *sqlstore.PayrollStore
	persons dost.PersonService
	cases   *sqlstore.CaseStore
	// work and pro are the casework and proactive services over db
	// (suspension_test.go: awards assigned, the withdrawal feed).
	work *casework.Service
	pro  *proactive.Service
}

// newEnv seeds db with a synthetic population of persons, scans it for
// November (awarding every entitled one) and returns the payroll service,
// which prepares in-process with shards of shardSize persons.
func newEnv(t *testing.T, db *sqlstore.DB, persons, shardSize int) *env {
	t.Helper()
	pop := sqlstore.NewPopulationStore(db)
	st := demo.Stores{Catalogue: sqlstore.NewCatalogueService(db), Centres: sqlstore.NewCentreService(db),
		Users: sqlstore.NewUserService(db), Importer: sqlstore.NewRegistryImporter(db), Persons: sqlstore.NewPersonService(db)}
	_, err := demo.Seed(ctx, st, demo.Options{Persons: persons, Seed: 3, Today: today})
	ok(t, err)
	rs, err := az.RuleSet()
	ok(t, err)
	files, err := filestore.NewDisk(t.TempDir())
	ok(t, err)
	caseStore := sqlstore.NewCaseStore(db)
	cases, err := casework.New(casework.Config{
		Store: caseStore, Persons: st.Persons, Households: sqlstore.NewHouseholdService(db),
		Catalogue: st.Catalogue, Users: st.Users, Population: pop, RuleSet: rs, RuleSetVersion: az.Version(),
		Programmes: az.Programmes(), Files: files, Centres: st.Centres, Clock: db.Clock(), BaseURL: "https://dost.example.az",
	})
	ok(t, err)
	pro, err := proactive.New(proactive.Config{
		Store: sqlstore.NewProactiveStore(db), Assigner: cases, Applications: cases, Persons: st.Persons,
		Households: sqlstore.NewHouseholdService(db), Records: sqlstore.NewRecordService(db), Population: pop,
		RuleSet: rs, Programmes: az.Programmes(), Clock: db.Clock(),
	})
	ok(t, err)
	if _, err := pro.Scan(ctx, november, 1000); err != nil {
		t.Fatalf("scan: %v", err)
	}
	store := sqlstore.NewPayrollStore(db)
	svc, err := payroll.New(payroll.Config{Store: store, Persons: st.Persons, Population: pop, RuleSet: rs,
		Programmes: az.Programmes(), ShardSize: shardSize, Clock: db.Clock(),
		Debtor: iso20022.Account{Name: "DOST Agentliyi", IBAN: iban("AIIB", 1), BIC: "AIIBAZ2X"}})
	ok(t, err)
	return &env{db: db, svc: svc, store: store, persons: st.Persons, cases: caseStore, work: cases, pro: pro}
}

// exec runs a statement on the database: fixtures the services have no
// call for (an award suspended, moved in time, or a one-off award).
func (e *env) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := e.db.WriterDB().ExecContext(ctx, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// awards returns the active monthly awards, oldest first.
func (e *env) awards(t *testing.T) []*dost.Award {
	t.Helper()
	list, _, err := e.cases.FindAwards(ctx, dost.AwardFilter{Statuses: []dost.AwardStatus{dost.AwardActive}})
	ok(t, err)
	var out []*dost.Award
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Kind == dost.AwardMonthly {
			out = append(out, list[i])
		}
	}
	if len(out) < 12 {
		t.Fatalf("%d active monthly awards, want at least 12 for the fixtures", len(out))
	}
	return out
}

// person returns a person.
func (e *env) person(t *testing.T, id int64) *dost.Person {
	t.Helper()
	p, err := e.persons.FindPersonByID(ctx, id)
	ok(t, err)
	return p
}

// setIBAN sets a person's IBAN.
func (e *env) setIBAN(t *testing.T, id int64, iban string) {
	t.Helper()
	p := e.person(t, id)
	_, err := e.persons.UpdatePerson(ctx, p.FIN, dost.PersonUpdate{IBAN: &iban})
	ok(t, err)
}

// payments returns every payment, keyed by award and period.
func (e *env) payments(t *testing.T, f dost.PaymentFilter) map[string]*dost.Payment {
	t.Helper()
	list, n, err := e.store.FindPayments(ctx, f)
	ok(t, err)
	if n != len(list) {
		t.Fatalf("FindPayments: %d listed, total %d", len(list), n)
	}
	out := map[string]*dost.Payment{}
	for _, p := range list {
		k := key(p.AwardID, p.Period)
		if out[k] != nil {
			t.Fatalf("two payments for award %d, %s", p.AwardID, p.Period)
		}
		out[k] = p
	}
	return out
}

func key(award int64, m dost.Month) string { return fmt.Sprintf("%d/%s", award, m) }

// iban returns a valid Azerbaijani IBAN of bank with account number n.
func iban(bank string, n int) string {
	bban := fmt.Sprintf("%s%020d", bank, n)
	digits := ""
	for _, c := range bban + "AZ00" {
		if c >= 'A' && c <= 'Z' {
			digits += fmt.Sprint(int(c-'A') + 10)
		} else {
			digits += string(c)
		}
	}
	v, _ := new(big.Int).SetString(digits, 10)
	check := 98 - new(big.Int).Mod(v, big.NewInt(97)).Int64()
	return fmt.Sprintf("AZ%02d%s", check, bban)
}

// as returns ctx acting as a payroll staff member.
func as(id int64, roles ...dost.Role) context.Context {
	if len(roles) == 0 {
		roles = []dost.Role{dost.RolePayroll}
	}
	return dost.NewContextWithUser(ctx, &dost.User{ID: id, Username: fmt.Sprintf("user%d", id), Roles: roles})
}
