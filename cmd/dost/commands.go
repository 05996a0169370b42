package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
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

// runGen handles "dost gen": a synthetic population to CSV files or
// straight into the database.
func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost gen", stderr)
	c.bindDatabase(fs)
	persons := fs.Int("persons", 10000, "number of persons")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same population")
	out := fs.String("out", "population", "directory for the CSV files")
	intoDB := fs.Bool("into-db", false, "import into the database instead of writing CSV")
	today := fs.String("today", "", "reference date YYYY-MM-DD (default: today)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := synth.Options{Persons: *persons, Seed: *seed, Today: dost.DateOf(time.Now())}
	if *today != "" {
		d, err := dost.ParseDate(*today)
		if err != nil {
			return err
		}
		opts.Today = d
	}
	bar := progressbar.NewOptions(*persons, progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("persons"), progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond))
	start := time.Now()
	if *intoDB {
		db, err := c.openDB(ctx, c.logger(stderr), false)
		if err != nil {
			return err
		}
		defer db.Close()
		batch := synth.Batch(opts)
		bar.Set(*persons)
		if err := sqlstore.NewRegistryImporter(db).Import(ctx, batch); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nimported %d persons, %d households in %s\n", len(batch.Persons), len(batch.Households), time.Since(start).Round(time.Millisecond))
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

// runImport handles "dost import KIND FILE". The import is all or nothing:
// a file with any bad row is reported row by row and nothing is stored.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost import", stderr)
	c.bindDatabase(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("usage: dost import persons|households|incomes|insurance|disabilities FILE")
	}
	kind := importer.Kind(fs.Arg(0))
	if !slices.Contains(importer.Kinds, kind) {
		return fmt.Errorf("unknown kind %q: use one of %v", kind, importer.Kinds)
	}
	path := fs.Arg(1)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	format, err := importer.FormatOf(path)
	if err != nil {
		return err
	}
	start := time.Now()
	batch, err := importer.Parse(kind, f, format)
	if err == nil {
		db, oerr := c.openDB(ctx, c.logger(stderr), false)
		if oerr != nil {
			return oerr
		}
		defer db.Close()
		err = sqlstore.NewRegistryImporter(db).Import(ctx, batch)
	}
	var ie *dost.ImportError
	if errors.As(err, &ie) {
		fmt.Fprintf(stderr, "%s: %d bad rows, nothing imported:\n", path, len(ie.Rows))
		for _, r := range ie.Rows {
			fmt.Fprintf(stderr, "  %s\n", r)
		}
		return fmt.Errorf("import of %s rejected", path)
	} else if err != nil {
		return err
	}
	n := len(batch.Persons) + len(batch.Households) + len(batch.Incomes) + len(batch.Insurance) + len(batch.Disabilities)
	fmt.Fprintf(stdout, "imported %d %s rows from %s in %s\n", n, kind, path, time.Since(start).Round(time.Millisecond))
	return nil
}

// runToken handles "dost token create --user NAME".
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: dost token create --user NAME [--ttl 720h] [--name NAME]")
	}
	c := DefaultConfig()
	fs := newFlagSet("dost token create", stderr)
	c.bindDatabase(fs)
	user := fs.String("user", "", "username the token acts as")
	ttl := fs.Duration("ttl", 30*24*time.Hour, "how long the token is valid")
	name := fs.String("name", "", "what the token is for")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if strings.TrimSpace(*user) == "" {
		return errors.New("--user is required")
	}
	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	users := sqlstore.NewUserService(db)
	u, err := users.FindUserByUsername(ctx, *user)
	if err != nil {
		return fmt.Errorf("user %q: %s", *user, dost.ErrorMessage(err))
	}
	if *name == "" {
		*name = "cli " + time.Now().UTC().Format(time.DateOnly)
	}
	_, secret, err := users.CreateAPIToken(ctx, u.ID, *name, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, secret)
	return nil
}
