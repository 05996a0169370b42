package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
	"github.com/schollz/progressbar/v3"
)

// runRulesRun handles "dost rules run --period 2026-11": the rule set over
// the whole registry, results stored for the proactive service, a summary
// per variable printed at the end. With --reform FILE (repeatable) the
// rule set is reformed first, and the run's record names the reforms
// ("az + reform NAME sha256:…"), so a "what if" run is never taken for one
// of the law in force.
func runRulesRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost rules run", stderr)
	c.bindDatabase(fs)
	period := fs.String("period", "", "month to compute, YYYY-MM (required)")
	vars := fs.String("vars", "", "comma-separated variables to store (default: the programme outputs)")
	shardSize := fs.Int("shard-size", rulesrun.DefaultShardSize, "persons per shard")
	workers := fs.Int("workers", 0, "shards read and computed in parallel (default: the number of CPUs)")
	dir := fs.String("rules", "", "directory of a rule set to run instead of the Azerbaijani one")
	var reforms reformFiles
	fs.Var(&reforms, "reform", "a reform YAML file to apply to the rules (repeatable, applied in order)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("dost rules run: unexpected argument %q", fs.Arg(0))
	}
	if *period == "" {
		return errors.New("dost rules run: --period YYYY-MM is required")
	}
	p, err := rules.ParsePeriod(*period)
	if err != nil || p.Kind != rules.Month {
		return fmt.Errorf("dost rules run: --period %q is not a month YYYY-MM", *period)
	}
	rs, name, err := loadRuleSet(*dir)
	if err != nil {
		return err
	}
	rs, reformNames, err := applyReforms(rs, reforms)
	if err != nil {
		printLoadError(stderr, err)
		return errors.New("dost rules run: the reform does not apply")
	}
	for _, n := range reformNames {
		name += " + reform " + n
	}
	var want []string
	for _, v := range strings.Split(*vars, ",") {
		if v = strings.TrimSpace(v); v != "" {
			want = append(want, v)
		}
	}
	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()

	opts := rulesrun.Options{Variables: want, ShardSize: *shardSize, Workers: *workers, RuleSet: name}
	var bar *progressbar.ProgressBar
	if !*quiet {
		bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("persons"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("persons"),
			progressbar.OptionThrottle(200*time.Millisecond))
		opts.Progress = func(done, total int64) {
			if bar.GetMax64() != total {
				bar.ChangeMax64(total)
			}
			bar.Set64(done)
		}
	}
	start := time.Now()
	run, err := rulesrun.Execute(ctx, sqlstore.NewPopulationStore(db), rs, p, opts)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(stderr)
	}
	if err != nil {
		if run != nil {
			return fmt.Errorf("run %d failed: %w", run.ID, err)
		}
		return err
	}
	printRunSummary(stdout, rs, run, time.Since(start))
	return nil
}

// loadRuleSet returns the rule set in dir, or the Azerbaijani one if dir
// is empty, with its name for the run's record.
func loadRuleSet(dir string) (*rules.RuleSet, string, error) {
	if dir == "" {
		rs, err := az.RuleSet()
		if err != nil {
			return nil, "", fmt.Errorf("load the Azerbaijani rule set: %w", err)
		}
		return rs, "az", nil
	}
	rs, err := rules.Load(os.DirFS(dir))
	if err != nil {
		return nil, "", fmt.Errorf("load rules from %s: %w", dir, err)
	}
	return rs, dir, nil
}

// printRunSummary prints a finished run: per variable the persons or
// households with a non-zero value (eligible, paid) and the total amount
// of a money variable, then the time taken.
func printRunSummary(w io.Writer, rs *rules.RuleSet, r *rulesrun.Run, wall time.Duration) {
	s := r.Summary
	fmt.Fprintf(w, "run %d: period %s, rules %s\n", r.ID, r.Period, r.RuleSet)
	fmt.Fprintf(w, "%d persons in %d households, %d shards\n\n", s.Persons, s.Households, s.Shards)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variable\t\tentity\tcount\tamount AZN\t")
	for _, t := range s.Totals {
		amount := ""
		if t.Type == rules.Money.String() {
			amount = dost.Money(t.Sum).String()
		}
		label := ""
		if v, ok := rs.Variable(t.Variable); ok {
			label = v.Label["en"]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t\n", t.Variable, label, t.Entity, t.Count, amount)
	}
	tw.Flush()
	var rate float64
	if wall > 0 {
		rate = float64(s.Persons) / wall.Seconds()
	}
	fmt.Fprintf(w, "\ntime %s (%.0f persons/s); summed over shards: read %s, compute %s, write %s\n",
		wall.Round(time.Millisecond), rate, s.Read.Round(time.Millisecond), s.Compute.Round(time.Millisecond),
		s.Write.Round(time.Millisecond))
}
