package demo_test

import (
	"context"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestSeedTraining checks the demo's training: a course per category, the
// demo operator's four completions making three certifications, the
// pensions one expiring within 30 days; seeding again adds nothing.
func TestSeedTraining(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		ts := sqlstore.NewTrainingStore(db)
		st := demo.Stores{Catalogue: sqlstore.NewCatalogueService(db), Centres: sqlstore.NewCentreService(db),
			Users: sqlstore.NewUserService(db), Importer: sqlstore.NewRegistryImporter(db), Training: ts}
		today := dost.DateOf(dosttest.DefaultNow)
		for range 2 {
			if _, err := demo.Seed(ctx, st, demo.Options{Persons: -1, Today: today}); err != nil {
				t.Fatal(err)
			}
		}
		if _, n, err := ts.FindCourses(ctx, dost.CourseFilter{}); err != nil || n != len(dost.Categories) {
			t.Fatalf("got %d courses (%v), want %d", n, err, len(dost.Categories))
		}
		if _, n, err := ts.FindCompletions(ctx, dost.CompletionFilter{}); err != nil || n != 4 {
			t.Fatalf("got %d completions (%v), want 4", n, err)
		}
		certs, err := ts.FindCertificationsFrom(ctx, 0, today)
		if err != nil || len(certs) != 3 {
			t.Fatalf("got %d certifications (%v), want 3", len(certs), err)
		}
		soon := 0
		for _, c := range certs {
			if !c.ValidUntil.After(today.AddDate(0, 0, dost.ExpiringSoonDays)) {
				soon++
				if c.Category != dost.CategoryPensionsBenefits {
					t.Errorf("expiring soon: %+v, want the pensions one", c)
				}
			}
		}
		if soon != 1 {
			t.Errorf("%d certifications expiring soon, want 1", soon)
		}
	})
}
