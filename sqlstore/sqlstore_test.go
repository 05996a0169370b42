package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

var ctx = context.Background()

// mustCode fails the test unless err carries the dost error code want.
func mustCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := dost.ErrorCode(err); got != want {
		t.Fatalf("error code: got %q (%v), want %q", got, err, want)
	}
}

// ok fails the test on a non-nil error.
func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpen(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Run("ErrNotMigrated", func(t *testing.T) {
				db, err := sqlstore.Open(ctx, dosttest.DSN(t, dialect), sqlstore.Options{})
				ok(t, err)
				defer db.Close()
				if got := db.Dialect(); got != dialect {
					t.Errorf("dialect: got %q, want %q", got, dialect)
				}
				err = db.CheckMigrated(ctx)
				if err == nil || !strings.Contains(err.Error(), "not migrated") || !strings.Contains(err.Error(), "dost migrate") {
					t.Fatalf("CheckMigrated: got %v, want an error saying to run `dost migrate`", err)
				}
				if err := db.Ping(ctx); err == nil {
					t.Fatal("Ping on an unmigrated database: got nil, want an error")
				}
				// Checking did not create anything: still unmigrated.
				ok(t, db.Migrate(ctx))
				ok(t, db.CheckMigrated(ctx))
				ok(t, db.Ping(ctx))
				// Migrating again is a no-op.
				ok(t, db.Migrate(ctx))
			})
			t.Run("OK", func(t *testing.T) {
				dsn := dosttest.DSN(t, dialect)
				if dialect == sqlstore.DialectSQLite {
					dsn = "sqlite:" + dsn
				}
				db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Migrate: true})
				ok(t, err)
				defer db.Close()
				ok(t, db.Ping(ctx))
			})
		})
	}
	t.Run("ErrMemory", func(t *testing.T) {
		if _, err := sqlstore.Open(ctx, ":memory:", sqlstore.Options{}); err == nil {
			t.Fatal("got nil, want an error for :memory:")
		}
	})
}

// TestSchemaParity proves both dialects' migrations make the same tables
// with the same columns in the same order, the same NOT NULL columns,
// primary keys, unique constraints and unique indexes (partial or not).
func TestSchemaParity(t *testing.T) {
	schemas := map[string]map[string][]string{}
	constraints := map[string]map[string][]string{}
	for _, dialect := range []string{sqlstore.DialectSQLite, sqlstore.DialectPostgres} {
		db := func() *sqlstore.DB {
			if dialect == sqlstore.DialectPostgres && len(dosttest.Dialects()) < 2 {
				return nil
			}
			return dosttest.OpenDB(t, dialect)
		}()
		if db == nil {
			t.Skipf("%s is not set; cannot compare with PostgreSQL", dosttest.PostgresEnv)
		}
		cols, err := sqlstore.TableColumns(ctx, db)
		ok(t, err)
		if len(cols) < 10 {
			t.Fatalf("%s: got %d tables, want the whole schema", dialect, len(cols))
		}
		cons, err := sqlstore.TableConstraints(ctx, db)
		ok(t, err)
		// River's tables (river_*, the job queue's) come from River's own
		// migrations, which differ by design between its SQLite and
		// PostgreSQL drivers (types, indexes, functions); they are River's
		// to keep in step, not dost's, so only dost's tables are compared.
		for table := range cols {
			if strings.HasPrefix(table, "river_") {
				delete(cols, table)
				delete(cons, table)
			}
		}
		schemas[dialect] = cols
		if !slices.Contains(cons["persons"], "NOT NULL fin") || !slices.ContainsFunc(cons["household_members"], func(s string) bool {
			return strings.HasSuffix(s, " WHERE …")
		}) {
			t.Fatalf("%s: got persons %v, household_members %v; want NOT NULL fin and a partial unique index",
				dialect, cons["persons"], cons["household_members"])
		}
		constraints[dialect] = cons
	}
	lite, pg := schemas[sqlstore.DialectSQLite], schemas[sqlstore.DialectPostgres]
	for table, cols := range lite {
		if !slices.Equal(pg[table], cols) {
			t.Errorf("table %s: got postgres columns %v, want sqlite's %v", table, pg[table], cols)
		}
	}
	for table := range pg {
		if _, found := lite[table]; !found {
			t.Errorf("table %s: in postgres, not in sqlite", table)
		}
	}
	liteCons, pgCons := constraints[sqlstore.DialectSQLite], constraints[sqlstore.DialectPostgres]
	for table := range lite {
		for _, c := range liteCons[table] {
			if !slices.Contains(pgCons[table], c) {
				t.Errorf("table %s: %s in sqlite, not in postgres", table, c)
			}
		}
		for _, c := range pgCons[table] {
			if !slices.Contains(liteCons[table], c) {
				t.Errorf("table %s: %s in postgres, not in sqlite", table, c)
			}
		}
	}
}

// TestSQLiteTwoWriters opens one file twice, as two processes would (say
// `dost serve` and `dost import`), and writes from both at once: the busy
// timeout and the retry on SQLITE_BUSY let every write through.
func TestSQLiteTwoWriters(t *testing.T) {
	path := dosttest.DSN(t, sqlstore.DialectSQLite)
	var dbs [2]*sqlstore.DB
	for i := range dbs {
		db, err := sqlstore.Open(ctx, path, sqlstore.Options{Migrate: true})
		ok(t, err)
		defer db.Close()
		dbs[i] = db
	}
	const each = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for i, db := range dbs {
		s := sqlstore.NewPersonService(db)
		for j := range each {
			wg.Go(func() {
				errs <- s.CreatePerson(ctx, person(fmt.Sprintf("W%d%05d", i, j), "Yazan", "İkinci", "1990-01-01"))
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err)
	}
	_, n, err := sqlstore.NewPersonService(dbs[0]).FindPersons(ctx, dost.PersonFilter{})
	ok(t, err)
	if n != 2*each {
		t.Fatalf("persons: got %d, want %d", n, 2*each)
	}
}
