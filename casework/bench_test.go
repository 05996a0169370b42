package casework_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/catalogue"
	"github.com/dost-az/dost/filestore"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/synth"
)

// benchRegistry is the registry the proactive benchmark awards in: the
// catalogue, a synthetic population of 20,000 persons and n pensioner
// couples besides, each head born in 1958 and insured since 1985 (entitled
// to the old-age pension in November 2026).
func benchRegistry(b *testing.B, n int) (*casework.Service, []int64) {
	b.Helper()
	ctx := context.Background()
	db := dosttest.OpenDB(b, "sqlite")
	cat := sqlstore.NewCatalogueService(db)
	services, err := catalogue.Services()
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range services {
		if err := cat.SaveService(ctx, s); err != nil {
			b.Fatal(err)
		}
	}

	batch := synth.Batch(synth.Options{Persons: 20000, Seed: 1, Today: dost.MustDate("2026-11-16")})
	taken := map[dost.FIN]bool{}
	for _, p := range batch.Persons {
		taken[p.FIN] = true
	}
	var heads []dost.FIN
	for i := 0; len(heads) < n; i++ {
		head, spouse := dost.FIN(fmt.Sprintf("Q%06d", 2*i)), dost.FIN(fmt.Sprintf("Q%06d", 2*i+1))
		if taken[head] || taken[spouse] {
			continue
		}
		heads = append(heads, head)
		for _, p := range []*dost.Person{
			{FIN: head, FirstName: "Ali", LastName: "Pensioner", BirthDate: dost.MustDate("1958-03-10"), Sex: dost.SexMale},
			{FIN: spouse, FirstName: "Leyla", LastName: "Pensioner", BirthDate: dost.MustDate("1962-06-01"), Sex: dost.SexFemale},
		} {
			batch.PersonLines = append(batch.PersonLines, len(batch.Persons)+2)
			batch.Persons = append(batch.Persons, p)
		}
		batch.HouseholdLines = append(batch.HouseholdLines, len(batch.Households)+2)
		batch.Households = append(batch.Households, &dost.Household{Code: fmt.Sprintf("HQ%08d", i),
			Members: []*dost.HouseholdMember{{FIN: head, Role: dost.RoleHead}, {FIN: spouse, Role: dost.RoleSpouse}}})
		batch.InsuranceLines = append(batch.InsuranceLines, len(batch.Insurance)+2)
		batch.Insurance = append(batch.Insurance, &dost.ImportedInsurancePeriod{FIN: head,
			InsurancePeriod: dost.InsurancePeriod{Employer: "Employer", From: dost.MustDate("1985-01-01"), MonthlyWage: dost.AZN(800)}})
	}
	if err := sqlstore.NewRegistryImporter(db).Import(ctx, batch); err != nil {
		b.Fatal(err)
	}
	persons := sqlstore.NewPersonService(db)
	ids := make([]int64, len(heads))
	for i, fin := range heads {
		p, err := persons.FindPersonByFIN(ctx, fin)
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = p.ID
	}

	rs, err := az.RuleSet()
	if err != nil {
		b.Fatal(err)
	}
	files, err := filestore.NewDisk(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	svc, err := casework.New(casework.Config{
		Store: sqlstore.NewCaseStore(db), Persons: persons, Households: sqlstore.NewHouseholdService(db), Catalogue: cat,
		Users: sqlstore.NewUserService(db), Population: sqlstore.NewPopulationStore(db), RuleSet: rs,
		RuleSetVersion: az.Version(), Programmes: az.Programmes(), Files: files, Clock: dosttest.ClockOf(b, db),
		BaseURL: "https://dost.example.az",
	})
	if err != nil {
		b.Fatal(err)
	}
	return svc, ids
}

// BenchmarkAssignProactively awards the old-age pension proactively to a
// different person each time, as a life event or the population scan
// does, on SQLite over a registry of 20,000 persons.
func BenchmarkAssignProactively(b *testing.B) {
	svc, ids := benchRegistry(b, b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		w, made, err := svc.AssignProactively(ctx, casework.ProactiveRequest{Programme: "old_age_pension", PersonID: ids[i], Period: november})
		if err != nil || !made || w.ID == 0 {
			b.Fatalf("person %d: award %+v, made %v, %v", ids[i], w, made, err)
		}
	}
}
