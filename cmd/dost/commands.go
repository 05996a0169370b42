package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/importer"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/synth"
	"github.com/schollz/progressbar/v3"
)

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// runMigrate handles "dost migrate".
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost migrate", stderr)
	c.bindDatabase(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := c.openDB(ctx, c.logger(stderr), true)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(stdout, "database %s is migrated\n", redactDSN(c.DSN()))
	return nil
}

// runDemo handles "dost demo".
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost demo", stderr)
	c.bindDatabase(fs)
	persons := fs.Int("persons", 2000, "size of the demo population")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := c.logger(stderr)
	db, err := c.openDB(ctx, logger, false)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := seedDemo(ctx, db, *persons, logger)
	if err != nil {
		return err
	}
	printAccounts(stdout, res)
	return nil
}

// startCPUProfile writes a CPU profile to path until the returned stop is
// called; an empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// genChunk is how many persons `dost gen --into-db` imports per
// transaction: memory stays flat for any population size.
const genChunk = 250_000

// runGen handles "dost gen": a synthetic population to CSV files or
// straight into the database. The same --persons, --seed and --today give
// the same population, byte for byte.
func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost gen", stderr)
	c.bindDatabase(fs)
	persons := fs.Int("persons", 10000, "number of persons")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same population")
	out := fs.String("out", "population", "directory for the CSV files")
	intoDB := fs.Bool("into-db", false, "import into the database instead of writing CSV (in transactions of 250,000 persons)")
	today := fs.String("today", synth.DefaultToday.String(), "reference date YYYY-MM-DD for ages and record periods")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	d, err := dost.ParseDate(*today)
	if err != nil {
		return err
	}
	opts := synth.Options{Persons: *persons, Seed: *seed, Today: d}
	bar := progressbar.NewOptions(*persons, progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("persons"), progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond))
	start := time.Now()
	if *intoDB {
		db, err := c.openDB(ctx, c.logger(stderr), false)
		if err != nil {
			return err
		}
		defer db.Close()
		n, h, err := genIntoDB(ctx, sqlstore.NewRegistryImporter(db), opts, func(done int) { bar.Set(done) })
		if err != nil {
			return err
		}
		bar.Finish()
		fmt.Fprintf(stdout, "\nimported %d persons, %d households in %s\n", n, h, time.Since(start).Round(time.Millisecond))
		return nil
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := synth.WriteCSV(*out, opts, func(done int) { bar.Set(done) }); err != nil {
		return err
	}
	bar.Finish()
	fmt.Fprintf(stdout, "\nwrote %d persons to %s in %s\n", *persons, *out, time.Since(start).Round(time.Millisecond))
	return nil
}

// genIntoDB streams a synthetic population into the registry in chunks of
// whole households, each chunk one transaction, and returns the numbers of
// persons and households imported.
func genIntoDB(ctx context.Context, store dost.RegistryImporter, opts synth.Options, progress func(int)) (persons, households int, err error) {
	var b dost.ImportBatch
	flush := func() error {
		if len(b.Persons) == 0 {
			return nil
		}
		if err := store.Import(ctx, &b); err != nil {
			return err
		}
		persons += len(b.Persons)
		households += len(b.Households)
		progress(persons)
		b = dost.ImportBatch{}
		return ctx.Err()
	}
	err = synth.Generate(opts, func(h *synth.Household) error {
		b.Persons = append(b.Persons, h.Persons...)
		b.Households = append(b.Households, h.Household)
		b.Insurance = append(b.Insurance, h.Insurance...)
		b.Incomes = append(b.Incomes, h.Incomes...)
		b.Disabilities = append(b.Disabilities, h.Disabilities...)
		if len(b.Persons) >= genChunk {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return persons, households, err
}

// runImport handles "dost import KIND FILE". The import is all or nothing:
// a file with any bad row — one that does not parse, or one that conflicts
// with the registry — is reported row by row in one report, and nothing is
// stored. Flags may come before or after KIND and FILE.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost import", stderr)
	c.bindDatabase(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return errors.New("usage: dost import persons|households|incomes|insurance|disabilities FILE")
	}
	kind := importer.Kind(pos[0])
	if !slices.Contains(importer.Kinds, kind) {
		return fmt.Errorf("unknown kind %q: use one of %v", kind, importer.Kinds)
	}
	path := pos[1]
	format, err := importer.FormatOf(path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	batch, bad, err := importer.Parser{}.ParseAll(kind, f, format)
	if err != nil {
		return reportImport(stderr, path, err)
	}
	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	store := sqlstore.NewRegistryImporter(db)
	conflicts, err := store.Check(ctx, batch)
	if err != nil {
		return err
	}
	if bad = append(bad, conflicts...); len(bad) > 0 {
		slices.SortStableFunc(bad, func(a, b dost.RowError) int { return a.Line - b.Line })
		return reportImport(stderr, path, &dost.ImportError{Rows: bad})
	}
	if err := store.Import(ctx, batch); err != nil {
		return reportImport(stderr, path, err)
	}
	n := len(batch.Persons) + len(batch.Households) + len(batch.Incomes) + len(batch.Insurance) + len(batch.Disabilities)
	fmt.Fprintf(stdout, "imported %d %s rows from %s in %s\n", n, kind, path, time.Since(start).Round(time.Millisecond))
	return nil
}

// reportImport prints every bad row of a rejected import.
func reportImport(stderr io.Writer, path string, err error) error {
	var ie *dost.ImportError
	if !errors.As(err, &ie) {
		return err
	}
	fmt.Fprintf(stderr, "%s: %d bad rows, nothing imported:\n", path, len(ie.Rows))
	for _, r := range ie.Rows {
		fmt.Fprintf(stderr, "  %s\n", r)
	}
	return fmt.Errorf("import of %s rejected", path)
}

// parseInterspersed parses flags that may stand before, between or after
// the positional arguments, which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
