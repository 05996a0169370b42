package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// This file applies and checks the migrations of River, the job queue of
// package jobs: its river_* tables live in dost's database beside dost's
// own, so that a job can be inserted in the transaction of the write that
// causes it. River keeps its own migrations (in its table river_migration)
// and its schemas differ between the dialects, so they are applied after
// goose's, by River's migrator, not copied into migrations/.

// riverMigrateLock is the key of the PostgreSQL advisory lock held while
// River's migrations run, so that nodes starting at once apply them one at
// a time (River's migrator takes no lock of its own). Any constant unlikely
// to be used by something else will do: "dostrivr" in ASCII.
const riverMigrateLock int64 = 0x646f73747269_7672

// riverDriver returns River's driver for the dialect over pool: riversqlite
// for SQLite, riverdatabasesql for PostgreSQL (sqlstore opens PostgreSQL
// through database/sql, so that driver shares its pool and transactions).
func (db *DB) riverDriver(pool *sql.DB) riverdriver.Driver[*sql.Tx] {
	if db.dialect == DialectPostgres {
		return riverdatabasesql.New(pool)
	}
	return riversqlite.New(pool)
}

// riverMigrator returns River's migrator over pool.
func (db *DB) riverMigrator(pool *sql.DB) (*rivermigrate.Migrator[*sql.Tx], error) {
	m, err := rivermigrate.New(db.riverDriver(pool), &rivermigrate.Config{Logger: db.logger})
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	return m, nil
}

// migrateRiver applies River's pending migrations; none pending is a no-op.
func (db *DB) migrateRiver(ctx context.Context) error {
	if db.dialect == DialectPostgres {
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate river: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, riverMigrateLock); err != nil {
			return fmt.Errorf("migrate river: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverMigrateLock)
	}
	m, err := db.riverMigrator(db.write)
	if err != nil {
		return err
	}
	// River's migrator logs each migration it applies.
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}

// riverMissing returns the versions of River's migrations not applied yet,
// as text for CheckMigrated's message. It only reads.
func (db *DB) riverMissing(ctx context.Context) ([]string, error) {
	m, err := db.riverMigrator(db.read)
	if err != nil {
		return nil, err
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("check river migrations: %w", err)
	}
	applied := map[int]bool{}
	for _, v := range existing {
		applied[v.Version] = true
	}
	var missing []string
	for _, v := range m.AllVersions() {
		if !applied[v.Version] {
			missing = append(missing, "river "+strconv.Itoa(v.Version))
		}
	}
	return missing, nil
}
