// Package dosttest holds helpers shared by dost's tests: databases of both
// dialects, a settable clock, and fixtures.
package dosttest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/dost-az/dost"
	"github.com/dost-az/dost/sqlstore"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the admin connection
)

// PostgresEnv names the environment variable holding the admin URL of a
// PostgreSQL server for tests, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Without it only
// SQLite is tested.
const PostgresEnv = "DOST_TEST_POSTGRES_URL"

// DefaultNow is the time a test database's clock starts at: a Monday
// morning in Baku (UTC+4).
var DefaultNow = time.Date(2026, time.November, 16, 9, 30, 0, 0, time.FixedZone("AZT", 4*60*60))

// PasswordParams are cheap argon2id parameters, so that tests creating
// users and signing in stay fast. Never use them outside tests.
var PasswordParams = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Dialects returns "sqlite", and "postgres" when PostgresEnv is set.
func Dialects() []string {
	if os.Getenv(PostgresEnv) != "" {
		return []string{sqlstore.DialectSQLite, sqlstore.DialectPostgres}
	}
	return []string{sqlstore.DialectSQLite}
}

// ForEachDB runs fn as a subtest per dialect, each with a fresh migrated
// database (see OpenDB).
func ForEachDB(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			fn(t, OpenDB(t, d))
		})
	}
}

// OpenDB opens a fresh, migrated database of the dialect that is closed and
// removed when the test ends: a file in a temporary directory for "sqlite",
// a new database (CREATE DATABASE dost_t_<random>) on the server at
// PostgresEnv for "postgres", which skips the test if PostgresEnv is unset.
// Without opts the database gets a *FixedClock at DefaultNow (see
// ClockOf), cheap password parameters and no logging; with opts, the first
// is used as given except that Migrate is forced on.
func OpenDB(t testing.TB, dialect string, opts ...sqlstore.Options) *sqlstore.DB {
	t.Helper()
	o := sqlstore.Options{Clock: NewClock(DefaultNow), PasswordParams: PasswordParams}
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Migrate = true
	db, err := sqlstore.Open(context.Background(), DSN(t, dialect), o)
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close %s: %v", dialect, err)
		}
	})
	return db
}

// DSN returns the address of a fresh, empty database of the dialect that is
// removed when the test ends, for tests that open it themselves (an
// unmigrated database, a second process). It skips the test for
// "postgres" if PostgresEnv is unset.
func DSN(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case sqlstore.DialectSQLite:
		return filepath.Join(t.TempDir(), "dost.db")
	case sqlstore.DialectPostgres:
		return postgresDSN(t)
	}
	t.Fatalf("unknown dialect %q", dialect)
	return ""
}

func postgresDSN(t testing.TB) string {
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		t.Skipf("%s is not set", PostgresEnv)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "dost_t_" + hex.EncodeToString(b)

	ctx := context.Background()
	adm, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer adm.Close()
	if _, err := adm.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		adm, err := sql.Open("pgx", admin)
		if err != nil {
			t.Errorf("connect to %s: %v", PostgresEnv, err)
			return
		}
		defer adm.Close()
		if _, err := adm.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// FixedClock is a dost.Clock that stands still until Set or Advance moves
// it. It is safe for concurrent use.
type FixedClock struct {
	mu  sync.Mutex // mu guards now
	now time.Time
}

var _ dost.Clock = (*FixedClock)(nil)

// NewClock returns a FixedClock showing now.
func NewClock(now time.Time) *FixedClock { return &FixedClock{now: now} }

// Now returns the clock's time.
func (c *FixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to now.
func (c *FixedClock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// Advance moves the clock forward by d and returns the new time.
func (c *FixedClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// ClockOf returns the FixedClock of a database opened by OpenDB without
// options. It fails the test if the database has another clock.
func ClockOf(t testing.TB, db *sqlstore.DB) *FixedClock {
	t.Helper()
	c, ok := db.Clock().(*FixedClock)
	if !ok {
		t.Fatalf("database clock is %T, want *dosttest.FixedClock", db.Clock())
	}
	return c
}
