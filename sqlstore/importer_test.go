package sqlstore_test

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// syntheticPersons returns n valid persons with FINs built from prefix and i.
func syntheticPersons(prefix string, n int) []*dost.Person {
	first := []string{"Aysel", "Elvin", "Nigar", "Rəşad", "Günay", "Orxan", "Şəbnəm", "Tural"}
	last := []string{"Məmmədov", "Əliyev", "Həsənov", "Quliyev", "Hüseynov", "Cəfərov", "Abbasov"}
	ps := make([]*dost.Person, n)
	for i := range ps {
		sex := dost.SexMale
		if i%2 == 1 {
			sex = dost.SexFemale
		}
		ps[i] = &dost.Person{
			// Scattered, like real FINs: i*7919 is a bijection modulo a power of two.
			FIN: dost.FIN(fmt.Sprintf("%s%0*X", prefix, dost.FINLength-len(prefix), (i*7919)%(1<<(4*(dost.FINLength-len(prefix)))))), FirstName: first[i%len(first)],
			LastName: last[(i/8)%len(last)], Patronymic: first[(i/3)%len(first)] + " oğlu",
			BirthDate: dost.NewDate(1940+i%80, time.Month(1+i%12), 1+i%28), Sex: sex, Phone: fmt.Sprintf("+99450%07d", i%10_000_000),
			Region: "Baku", District: "Nizami", Address: fmt.Sprintf("Küçə %d, ev %d", i%300, i%97),
		}
	}
	return ps
}

func TestRegistryImporter(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		imp := sqlstore.NewRegistryImporter(db)
		persons := sqlstore.NewPersonService(db)
		stored := person("OLD0001", "Köhnə", "Sakin", "1960-01-01")
		member := person("OLD0002", "Üzv", "Artıq", "1961-01-01")
		createPersons(t, db, stored, member)
		ok(t, sqlstore.NewHouseholdService(db).CreateHousehold(ctx, &dost.Household{Code: "HH-OLD",
			Members: []*dost.HouseholdMember{{FIN: member.FIN, Role: dost.RoleHead}}}))
		ok(t, sqlstore.NewRecordService(db).CreateIncomeRecord(ctx, &dost.IncomeRecord{PersonID: stored.ID,
			Month: dost.Month{Year: 2026, Month: 10}, Source: dost.IncomeWage, Amount: 100}))

		batch := func() *dost.ImportBatch {
			ps := syntheticPersons("N", 1200) // more than one multi-row INSERT
			b := &dost.ImportBatch{Persons: ps}
			for i := range ps {
				b.PersonLines = append(b.PersonLines, i+2)
			}
			b.Households = []*dost.Household{
				{Code: "HH-NEW-1", Members: []*dost.HouseholdMember{{FIN: ps[0].FIN, Role: dost.RoleHead}, {FIN: ps[1].FIN, Role: dost.RoleSpouse}}},
				{Code: "HH-NEW-2", Members: []*dost.HouseholdMember{{FIN: stored.FIN, Role: dost.RoleHead}}},
			}
			b.HouseholdLines = []int{2, 3}
			oct, nov := dost.Month{Year: 2026, Month: 10}, dost.Month{Year: 2026, Month: 11}
			b.Incomes = []*dost.ImportedIncome{
				{FIN: ps[0].FIN, IncomeRecord: dost.IncomeRecord{Month: oct, Source: dost.IncomeWage, Amount: 150000}},
				{FIN: stored.FIN, IncomeRecord: dost.IncomeRecord{Month: nov, Source: dost.IncomeWage, Amount: 150000}},
			}
			b.IncomeLines = []int{2, 3}
			b.Insurance = []*dost.ImportedInsurancePeriod{{FIN: ps[2].FIN, InsurancePeriod: dost.InsurancePeriod{
				Employer: "SOCAR", From: dost.MustDate("2001-01-01"), MonthlyWage: dost.AZN(900)}}}
			b.InsuranceLines = []int{2}
			b.Disabilities = []*dost.ImportedDisability{{FIN: stored.FIN, DisabilityAssessment: dost.DisabilityAssessment{
				Degree: dost.DisabilityIII, Cause: dost.CauseGeneral, From: dost.MustDate("2024-01-01")}}}
			b.DisabilityLines = []int{2}
			return b
		}
		count := func() int {
			_, n, err := persons.FindPersons(ctx, dost.PersonFilter{})
			ok(t, err)
			return n
		}

		t.Run("ErrBadRows", func(t *testing.T) {
			b := batch()
			b.Persons[5].FIN = member.FIN                          // line 7: registered already
			b.Persons[7].FIN = b.Persons[6].FIN                    // line 9: repeated in the batch
			b.Households[1].Members[0].FIN = "NOSUCH1"             // household line 3: unknown member
			b.Households[0].Code = "HH-OLD"                        // household line 2: code taken
			b.Incomes[1].Month = dost.Month{Year: 2026, Month: 10} // income line 3: exists already
			b.Insurance[0].FIN = "NOSUCH2"                         // insurance line 2: unknown
			b.Disabilities[0].FIN = "NOSUCH3"                      // disability line 2: unknown
			err := imp.Import(ctx, b)
			var ie *dost.ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an *ImportError", err)
			}
			var got []string
			for _, r := range ie.Rows {
				got = append(got, fmt.Sprintf("%d/%s", r.Line, r.Column))
			}
			want := "[2/code 2/fin 2/fin 3/fin 3/month 7/fin 9/fin]"
			if fmt.Sprint(got) != want {
				t.Fatalf("rows: got %v, want %s\n%v", got, want, ie)
			}
			if n := count(); n != 2 {
				t.Fatalf("persons after a rejected import: got %d, want 2", n)
			}
		})
		t.Run("ErrMemberInHousehold", func(t *testing.T) {
			b := batch()
			b.Households[1].Members[0].FIN = member.FIN
			var ie *dost.ImportError
			if err := imp.Import(ctx, b); !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Line != 3 {
				t.Fatalf("got %v, want one bad row on line 3", err)
			}
		})
		t.Run("OK", func(t *testing.T) {
			b := batch()
			ok(t, imp.Import(ctx, b))
			if n := count(); n != 1202 {
				t.Fatalf("persons: got %d, want 1202", n)
			}
			if b.Persons[1199].ID == 0 || b.Households[0].ID == 0 || b.Incomes[1].PersonID != stored.ID {
				t.Fatalf("ids: got person %d, household %d, income person %d; want them set",
					b.Persons[1199].ID, b.Households[0].ID, b.Incomes[1].PersonID)
			}
			got, err := persons.FindPersonByFIN(ctx, b.Persons[1199].FIN)
			ok(t, err)
			if got.ID != b.Persons[1199].ID || got.FullName() != b.Persons[1199].FullName() || got.BirthDate != b.Persons[1199].BirthDate {
				t.Fatalf("stored: got %+v, want %+v", got, b.Persons[1199])
			}
			name := "ŞƏBNƏM"
			if _, n, err := persons.FindPersons(ctx, dost.PersonFilter{Name: &name}); err != nil || n == 0 {
				t.Fatalf("search imported: got %d, %v; want matches", n, err)
			}
			h, err := sqlstore.NewHouseholdService(db).FindHouseholdByID(ctx, b.Households[0].ID)
			ok(t, err)
			if len(h.Members) != 2 || h.Head().FIN != b.Persons[0].FIN {
				t.Fatalf("household: got %+v", h)
			}
			recs := sqlstore.NewRecordService(db)
			if _, n, err := recs.FindIncomeRecords(ctx, dost.RecordFilter{PersonID: &stored.ID}); err != nil || n != 2 {
				t.Fatalf("incomes of stored person: got %d, %v; want 2", n, err)
			}
			if _, n, err := recs.FindInsurancePeriods(ctx, dost.RecordFilter{PersonID: &b.Persons[2].ID}); err != nil || n != 1 {
				t.Fatalf("insurance: got %d, %v; want 1", n, err)
			}
			if _, n, err := recs.FindDisabilityAssessments(ctx, dost.RecordFilter{PersonID: &stored.ID}); err != nil || n != 1 {
				t.Fatalf("disability: got %d, %v; want 1", n, err)
			}
			// The same batch again: every person is registered already.
			var ie *dost.ImportError
			if err := imp.Import(ctx, batch()); !errors.As(err, &ie) || len(ie.Rows) < 1200 {
				t.Fatalf("second import: got %v, want every person rejected", err)
			}
		})
	})
}

// BenchmarkImportPersons imports 100,000 persons (or DOST_BENCH_PERSONS)
// into an empty database per iteration and reports ns/person, so a
// registry-sized load can be extrapolated or, with
// DOST_BENCH_PERSONS=1000000 -benchtime 1x, measured.
func BenchmarkImportPersons(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("DOST_BENCH_PERSONS")); err == nil && v > 0 {
		n = v
	}
	for _, dialect := range dosttest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db := dosttest.OpenDB(b, dialect)
				ps := syntheticPersons("B", n)
				b.StartTimer()
				if err := sqlstore.NewRegistryImporter(db).Import(ctx, &dost.ImportBatch{Persons: ps}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/person")
		})
	}
}
