package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
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

	// A reform: the run's record and summary name it, and the minimum
	// pension it raises raises the total of old-age pensions (the registry
	// holds no pension capital: every pension is the minimum).
	t.Run("Reform", func(t *testing.T) {
		pensions := func(args ...string) (string, float64) {
			out.Reset()
			err := runRulesRun(ctx, append([]string{"--database", dsn, "--period", "2027-01", "--vars", "old_age_pension", "--quiet"}, args...), &out, &errs)
			if err != nil {
				t.Fatalf("rules run %v: %v\n%s", args, err, errs.String())
			}
			for _, line := range strings.Split(out.String(), "\n") {
				if f := strings.Fields(line); len(f) > 0 && f[0] == "old_age_pension" {
					sum, err := strconv.ParseFloat(f[len(f)-1], 64)
					if err != nil {
						t.Fatalf("no amount in %q", line)
					}
					return out.String(), sum
				}
			}
			t.Fatalf("no old_age_pension line in %s", out.String())
			return "", 0
		}
		_, base := pensions()
		got, reformed := pensions("--reform", filepath.Join("..", "..", "programmes", "az", "reforms", "minimum_pension_400.yaml"))
		if !strings.Contains(got, "rules az + reform minimum_pension_400 sha256:") {
			t.Errorf("summary does not name the reform: %s", got)
		}
		if base <= 0 || reformed <= base {
			t.Errorf("old-age pensions: %v with the reform, %v without; want more with it", reformed, base)
		}
		err := runRulesRun(ctx, []string{"--database", dsn, "--period", "2027-01", "--quiet", "--reform", filepath.Join(t.TempDir(), "missing.yaml")}, &out, &errs)
		if err == nil {
			t.Error("a missing reform file: got no error")
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
