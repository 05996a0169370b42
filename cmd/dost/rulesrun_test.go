package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestRulesRun generates a small registry and runs `dost rules run` over
// it (runRulesRun directly: "rules" is dispatched by the rules CLI).
func TestRulesRun(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "dost.db")
	var out, errs bytes.Buffer
	if err := runMigrate(ctx, []string{"--database", dsn}, &out, &errs); err != nil {
		t.Fatal(err)
	}
	if err := runGen(ctx, []string{"--database", dsn, "--persons", "400", "--into-db", "--today", "2026-11-01"}, &out, &errs); err != nil {
		t.Fatalf("gen: %v\n%s", err, errs.String())
	}

	t.Run("OK", func(t *testing.T) {
		out.Reset()
		errs.Reset()
		err := runRulesRun(ctx, []string{"--database", dsn, "--period", "2026-10", "--shard-size", "100", "--workers", "2"}, &out, &errs)
		if err != nil {
			t.Fatalf("rules run: %v\n%s", err, errs.String())
		}
		got := out.String()
		for _, want := range []string{"run 1: period 2026-10, rules az sha256:", "persons in ", "old_age_pension", "tssa_amount", "time "} {
			if !strings.Contains(got, want) {
				t.Errorf("output: got %q, want it to contain %q", got, want)
			}
		}
		if !strings.Contains(errs.String(), "persons") {
			t.Errorf("stderr: got %q, want a progress bar", errs.String())
		}
	})

	t.Run("Vars", func(t *testing.T) {
		out.Reset()
		err := runRulesRun(ctx, []string{"--database", dsn, "--period", "2026-10", "--vars", "age, tssa_eligible", "--quiet"}, &out, &errs)
		if err != nil {
			t.Fatal(err)
		}
		if got := out.String(); !strings.Contains(got, "run 2:") || !strings.Contains(got, "age") || strings.Contains(got, "old_age_pension") {
			t.Errorf("output: got %q, want run 2 with age and tssa_eligible only", got)
		}
	})

	for name, args := range map[string][]string{
		"ErrNoPeriod":      {},
		"ErrYearPeriod":    {"--period", "2026"},
		"ErrUnknownVar":    {"--period", "2026-10", "--vars", "nope"},
		"ErrFloatVar":      {"--period", "2026-10", "--vars", "unemployment_benefit_rate"},
		"ErrRulesDir":      {"--period", "2026-10", "--rules", filepath.Join(t.TempDir(), "missing")},
		"ErrExtraArgument": {"--period", "2026-10", "extra"},
	} {
		t.Run(name, func(t *testing.T) {
			err := runRulesRun(ctx, append([]string{"--database", dsn, "--quiet"}, args...), &out, &errs)
			if err == nil {
				t.Fatalf("got no error for %v, want one", args)
			}
		})
	}
}
