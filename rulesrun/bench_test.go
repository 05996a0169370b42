package rulesrun_test

import (
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/synth"
)

// BenchmarkExecute runs the Azerbaijani rule set over 20,000 synthetic
// persons in SQLite (read, compute, write), reporting ns per person; the
// read, compute and write parts are summed over shards. For the whole
// registry use `dost rules run`.
func BenchmarkExecute(b *testing.B) {
	rs, err := az.RuleSet()
	if err != nil {
		b.Fatal(err)
	}
	db := dosttest.OpenDB(b, sqlstore.DialectSQLite)
	const persons = 20_000
	if err := sqlstore.NewRegistryImporter(db).Import(ctx, synth.Batch(synth.Options{Persons: persons, Seed: 1, Today: dost.MustDate("2026-11-01")})); err != nil {
		b.Fatal(err)
	}
	s := sqlstore.NewPopulationStore(db)
	period := rules.MonthOf(2026, time.November)
	var sum rulesrun.Summary
	b.ResetTimer()
	for b.Loop() {
		r, err := rulesrun.Execute(ctx, s, rs, period, rulesrun.Options{ShardSize: 5000})
		if err != nil {
			b.Fatal(err)
		}
		sum.Add(&r.Summary)
	}
	n := float64(b.N) * persons
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/person")
	b.ReportMetric(float64(sum.Read.Nanoseconds())/n, "read-ns/person")
	b.ReportMetric(float64(sum.Compute.Nanoseconds())/n, "compute-ns/person")
	b.ReportMetric(float64(sum.Write.Nanoseconds())/n, "write-ns/person")
}
