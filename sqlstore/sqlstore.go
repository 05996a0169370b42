// Package sqlstore is dost's storage adapter: one implementation of the
// domain's service interfaces over database/sql for two databases, the
// embedded SQLite file (modernc.org/sqlite, pure Go) and PostgreSQL (pgx).
//
// Open connects; Migrate applies the embedded, append-only migrations of the
// dialect (migrations/sqlite, migrations/postgres) with goose; CheckMigrated
// tells whether the schema is current. Each service (PersonService,
// HouseholdService, …) is a thin value over a *DB and safe for concurrent
// use. Every public method runs in one transaction that carries the time
// from the DB's clock, so tests control "now".
//
// SQLite runs in WAL mode with synchronous=FULL and foreign keys on, with one
// writer connection and a pool of readers; writes that meet SQLITE_BUSY
// (another process holding the lock past busy_timeout) are retried.
// Dialect differences live in dialect.go and in the two migration folders.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/alexedwards/argon2id"
	"github.com/dost-az/dost"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialects returned by DB.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// versionTable is the table goose records applied migrations in.
const versionTable = "goose_db_version"

// Options configure Open.
type Options struct {
	// Clock tells the time to every transaction; nil means the system clock.
	Clock dost.Clock
	// Logger receives migration and retry messages; nil discards them.
	Logger *slog.Logger
	// Migrate applies pending migrations on open. Without it Open succeeds
	// on an old or empty schema, so CheckMigrated can report it.
	Migrate bool
	// PasswordParams are the argon2id parameters for new password hashes;
	// nil means argon2id.DefaultParams. Tests pass cheaper ones to stay
	// fast; hashes record their parameters, so any setting verifies any
	// stored hash.
	PasswordParams *argon2id.Params
}

// DB is an open database. It is safe for concurrent use; Close it when done.
type DB struct {
	dialect string
	// read serves read-only transactions: a pool of reader connections for
	// SQLite, the one pool for PostgreSQL.
	read *sql.DB
	// write serves write transactions: SQLite's single writer connection
	// (MaxOpenConns 1), the same pool as read for PostgreSQL.
	write *sql.DB

	// readStmts and writeStmts cache prepared statements of read and
	// write (SQLite only; nil for PostgreSQL).
	readStmts, writeStmts *stmtCache
	clock                 dost.Clock
	logger                *slog.Logger
	params                *argon2id.Params
}

// Open connects to the database named by dsn. A dsn starting with
// "postgres://" or "postgresql://" is a PostgreSQL URL; anything else is the
// path of a SQLite file, optionally prefixed "sqlite:" or "file:" (its
// directory is created if missing). Open does not migrate unless
// opts.Migrate is set.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	db := &DB{clock: opts.Clock, logger: opts.Logger, params: opts.PasswordParams}
	if db.clock == nil {
		db.clock = dost.SystemClock{}
	}
	if db.logger == nil {
		db.logger = slog.New(slog.DiscardHandler)
	}
	if db.params == nil {
		db.params = argon2id.DefaultParams
	}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		err = db.openPostgres(ctx, dsn)
	} else {
		err = db.openSQLite(ctx, dsn)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	if opts.Migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

func (db *DB) openPostgres(ctx context.Context, dsn string) error {
	db.dialect = DialectPostgres
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	pool.SetMaxOpenConns(max(8, 4*runtime.NumCPU()))
	pool.SetMaxIdleConns(max(4, 2*runtime.NumCPU()))
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db.read, db.write = pool, pool
	if err := pool.PingContext(ctx); err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	return nil
}

func (db *DB) openSQLite(ctx context.Context, dsn string) error {
	db.dialect = DialectSQLite
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	path, _, _ = strings.Cut(path, "?")
	if path == "" || path == ":memory:" {
		return fmt.Errorf("open sqlite: a database file path is required, got %q", dsn)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("open sqlite: %w", err)
		}
	}
	// busy_timeout first (the driver orders it first too), then WAL,
	// synchronous=FULL so no acknowledged write is lost on power loss, and
	// foreign keys. The writer begins IMMEDIATE so that a transaction never
	// fails half-way when it upgrades from reading to writing.
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"
	w, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=cache_size(-"+strconv.Itoa(writerCacheKiB)+")&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db.write = w
	if err := w.PingContext(ctx); err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	r, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	n := max(4, 2*runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.read = r
	db.readStmts, db.writeStmts = newStmtCache(r), newStmtCache(w)
	if err := r.PingContext(ctx); err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	return nil
}

// writerCacheKiB is the page cache of SQLite's writer connection, in KiB.
const writerCacheKiB = 64 << 10

// Close closes every connection. It is safe to call on a partly opened DB.
func (db *DB) Close() error {
	var errs []error
	db.readStmts.close()
	db.writeStmts.close()
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	if db.read != nil && db.read != db.write {
		errs = append(errs, db.read.Close())
	}
	return errors.Join(errs...)
}

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect }

// Clock returns the clock the DB's transactions take "now" from.
func (db *DB) Clock() dost.Clock { return db.clock }

// WriterDB returns the pool write transactions run on, for the job queue
// (River), which must share it: for SQLite the single writer connection,
// so that the queue's writes and dost's queue up for it instead of
// fighting for the file's lock; for PostgreSQL the one pool. The caller
// must neither close it nor change its settings, and on SQLite must not
// use it while holding one of its transactions (it would wait for itself).
func (db *DB) WriterDB() *sql.DB { return db.write }

func (db *DB) migrationsFS() fs.FS {
	sub, err := fs.Sub(migrations, "migrations/"+db.dialect)
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// Migrate applies every pending migration, dost's and then those of River,
// the job queue (see river.go). On PostgreSQL it holds an advisory lock so
// that several nodes starting at once migrate one at a time.
func (db *DB) Migrate(ctx context.Context) error {
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithSlog(db.logger), goose.WithDisableGlobalRegistry(true)}
	if db.dialect == DialectPostgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.write, db.migrationsFS(), opts...)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		db.logger.Info("migrated", "dialect", db.dialect, "migration", r.Source.Path, "duration", r.Duration)
	}
	return db.migrateRiver(ctx) // the job queue's tables (river.go)
}

// migrationVersions returns the versions of the embedded migrations.
func (db *DB) migrationVersions() ([]int64, error) {
	names, err := fs.Glob(db.migrationsFS(), "*.sql")
	if err != nil {
		return nil, err
	}
	var vs []int64
	for _, n := range names {
		num, _, _ := strings.Cut(n, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad version: %w", n, err)
		}
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	return vs, nil
}

// CheckMigrated returns nil if every embedded migration has been applied.
// Otherwise its error says the database is not migrated and to run
// `dost migrate`. It only reads, so it is safe on a database in use.
func (db *DB) CheckMigrated(ctx context.Context) error {
	want, err := db.migrationVersions()
	if err != nil {
		return err
	}
	exists, err := db.tableExists(ctx, versionTable)
	if err != nil {
		return fmt.Errorf("check migrations: %w", err)
	}
	applied := map[int64]bool{}
	if exists {
		rows, err := db.read.QueryContext(ctx, `SELECT version_id FROM `+versionTable+` WHERE is_applied`)
		if err != nil {
			return fmt.Errorf("check migrations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				return fmt.Errorf("check migrations: %w", err)
			}
			applied[v] = true
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("check migrations: %w", err)
		}
	}
	var missing []string
	for _, v := range want {
		if !applied[v] {
			missing = append(missing, strconv.FormatInt(v, 10))
		}
	}
	riverMissing, err := db.riverMissing(ctx) // the job queue's tables (river.go)
	if err != nil {
		return err
	}
	missing = append(missing, riverMissing...)
	if len(missing) > 0 {
		return fmt.Errorf("%w (the %s database lacks migrations %s); run `dost migrate`",
			ErrNotMigrated, db.dialect, strings.Join(missing, ", "))
	}
	return nil
}

// ErrNotMigrated is in the chain of CheckMigrated's error when migrations
// are missing, as opposed to the database being unreachable.
var ErrNotMigrated = errors.New("database is not migrated")

// Ping reports readiness: the database answers and its schema is current.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", db.dialect, err)
	}
	if db.write != db.read {
		if err := db.write.PingContext(ctx); err != nil {
			return fmt.Errorf("ping %s: %w", db.dialect, err)
		}
	}
	return db.CheckMigrated(ctx)
}

// Tx is a transaction with the time it started at, by the DB's clock.
type Tx struct {
	*sql.Tx
	db    *DB
	now   time.Time
	cache *stmtCache // nil: run every query unprepared
}

// view runs fn in a read-only transaction.
func (db *DB) view(ctx context.Context, fn func(tx *Tx) error) error {
	db.readStmts.warm(ctx)
	opts := &sql.TxOptions{ReadOnly: db.dialect == DialectPostgres}
	tx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(&Tx{Tx: tx, db: db, now: db.clock.Now().UTC(), cache: db.readStmts}); err != nil {
		return mapError(err)
	}
	return tx.Commit()
}

// update runs fn in a write transaction and commits it if fn returns nil.
// On SQLite a transaction that fails with SQLITE_BUSY is run again, so fn
// must only change the caller's values in ways a rerun overwrites.
func (db *DB) update(ctx context.Context, fn func(tx *Tx) error) error {
	const attempts = 5
	var err error
	for i := range attempts {
		if err = db.updateOnce(ctx, fn); err == nil || !db.isBusy(err) {
			return mapError(err)
		}
		db.logger.Warn("database busy, retrying", "attempt", i+1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(50*(i+1)) * time.Millisecond):
		}
	}
	return err
}

func (db *DB) updateOnce(ctx context.Context, fn func(tx *Tx) error) error {
	db.writeStmts.warm(ctx)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(&Tx{Tx: tx, db: db, now: db.clock.Now().UTC(), cache: db.writeStmts}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// mapError turns database errors the caller can fix into *dost.Error; it is
// the one place view and update map errors. Constraint violations are
// mapped where they are met, since only there is the field known. Text
// PostgreSQL cannot store (see isUnstorableText) is EINVALID: the services
// check their input first (dost.ValidText, storable), so this is the last
// line.
func mapError(err error) error {
	if isUnstorableText(err) {
		return dost.Errorf(dost.EINVALID, "The text contains characters that cannot be stored.")
	}
	return err
}

// page returns the LIMIT/OFFSET clause for a page; limit 0 means no limit.
// The numbers are formatted in, not bound, because they are ints.
func page(offset, limit int) string {
	if offset < 0 {
		offset = 0
	}
	if limit <= 0 {
		if offset == 0 {
			return ""
		}
		limit = 1<<31 - 1
	}
	return " LIMIT " + strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(offset)
}

// args collects query arguments and hands out their $n placeholders.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// where joins conditions into a WHERE clause, or "" if there are none.
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// prefixUpper returns the smallest string greater than every string that
// starts with p, so that "col >= p AND col < prefixUpper(p)" is a prefix
// match an index can serve (binary collation in both dialects).
func prefixUpper(p string) string {
	r := []rune(p)
	for len(r) > 0 {
		switch last := r[len(r)-1]; {
		case last == 0xD7FF: // the next code point is a surrogate, not a rune
			r[len(r)-1] = 0xE000
			return string(r)
		case last < unicode.MaxRune:
			r[len(r)-1] = last + 1
			return string(r)
		}
		r = r[:len(r)-1]
	}
	return string(rune(unicode.MaxRune))
}

// likeEscape escapes s for a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// isNoRows reports whether err says a query returned no row.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
