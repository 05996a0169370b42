package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// This file holds what differs between SQLite and PostgreSQL at run time:
// how a timestamp is bound and scanned, how constraint violations and lock
// contention are recognised, and how the schema is listed. Queries are
// otherwise the same text for both ($n placeholders, RETURNING, ON CONFLICT).

// timeLayout is SQLite's text form of a timestamp: UTC with a fixed number
// of fractional digits, so that string order is time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// placeholder returns the n-th (1-based) bind placeholder of a statement
// with many of them. Both dialects understand "$n", but SQLite treats "$n"
// as a named parameter and the driver looks each name up in a list, which
// makes binding thousands of them quadratic; "?" is positional.
func (db *DB) placeholder(n int) string {
	if db.dialect == DialectSQLite {
		return "?"
	}
	return "$" + strconv.Itoa(n)
}

// ts returns t as a query argument: time.Time for PostgreSQL's TIMESTAMPTZ,
// fixed-width UTC text for SQLite.
func (db *DB) ts(t time.Time) any {
	if db.dialect == DialectPostgres {
		return t.UTC()
	}
	return t.UTC().Format(timeLayout)
}

// nts is ts for an optional time; nil binds NULL.
func (db *DB) nts(t *time.Time) any {
	if t == nil {
		return nil
	}
	return db.ts(*t)
}

// ts is DB.ts of the transaction's database.
func (tx *Tx) ts(t time.Time) any { return tx.db.ts(t) }

// nts is DB.nts of the transaction's database.
func (tx *Tx) nts(t *time.Time) any { return tx.db.nts(t) }

// timeScanner scans a timestamp column of either dialect: TIMESTAMPTZ
// (time.Time) or SQLite's text. Made by scanTime for NOT NULL columns and
// scanNullTime for nullable ones, where NULL scans as a nil *time.Time.
type timeScanner struct {
	t    *time.Time
	null **time.Time
}

// scanTime returns a Scanner for a NOT NULL timestamp column.
func scanTime(t *time.Time) *timeScanner { return &timeScanner{t: t} }

// scanNullTime returns a Scanner for a nullable timestamp column.
func scanNullTime(t **time.Time) *timeScanner { return &timeScanner{null: t} }

// Scan implements sql.Scanner.
func (s *timeScanner) Scan(src any) error {
	var t time.Time
	switch v := src.(type) {
	case nil:
		if s.null != nil {
			*s.null = nil
			return nil
		}
		return errors.New("scan timestamp: unexpected NULL")
	case time.Time:
		t = v.UTC()
	case string:
		return s.Scan([]byte(v))
	case []byte:
		var err error
		if t, err = time.Parse(time.RFC3339Nano, string(v)); err != nil {
			return fmt.Errorf("scan timestamp: %w", err)
		}
		t = t.UTC()
	default:
		return fmt.Errorf("scan timestamp: unsupported type %T", src)
	}
	if s.null != nil {
		*s.null = &t
	} else {
		*s.t = t
	}
	return nil
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// isUnique reports whether err is a unique or primary-key violation.
func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY ||
		pgCode(err) == "23505"
}

// isForeignKey reports whether err is a foreign-key violation.
func isForeignKey(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY || pgCode(err) == "23503"
}

// isUnstorableText reports whether err is PostgreSQL refusing text: invalid
// UTF-8 (22021 character_not_in_repertoire) or NUL (22P05
// untranslatable_character). SQLite stores such text as it comes.
func isUnstorableText(err error) bool {
	c := pgCode(err)
	return c == "22021" || c == "22P05"
}

// storable reports whether every s is text both dialects store and compare
// alike: valid UTF-8 without NUL. Lookups by a free string check it first
// and match nothing otherwise, the answer SQLite would give, where
// PostgreSQL would fail with isUnstorableText.
func storable(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

// strOf returns *p, or "" for nil: the value of an optional filter field,
// for storable.
func strOf[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// isBusy reports whether err is SQLite's "database is locked" after the
// busy timeout, worth retrying the whole transaction for.
func (db *DB) isBusy(err error) bool {
	c := sqliteCode(err) & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// tableExists reports whether the schema has the table.
func (db *DB) tableExists(ctx context.Context, name string) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if db.dialect == DialectPostgres {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	err := db.read.QueryRowContext(ctx, q, name).Scan(&n)
	return n > 0, err
}

// tableColumns returns the column names of every table of the schema,
// except the database's own and goose's.
func (db *DB) tableColumns(ctx context.Context) (map[string][]string, error) {
	q := `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY m.name, p.cid`
	if db.dialect == DialectPostgres {
		q = `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string][]string{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, err
		}
		if t != versionTable {
			cols[t] = append(cols[t], c)
		}
	}
	return cols, rows.Err()
}

// tableConstraints describes, per table, what the schema enforces beyond
// column names, in a form that is the same for both dialects when their
// migrations agree: sorted lines "NOT NULL col", "PRIMARY KEY (a, b)",
// "UNIQUE (a, b)" for a unique constraint and "UNIQUE INDEX name (a, b)"
// for a unique index, ending " WHERE …" if partial (the predicate itself
// is not compared: each dialect prints it its own way). Primary-key columns
// count as NOT NULL, as SQLite's INTEGER PRIMARY KEY is. Expressions show
// as "<expr>". Tables are those of tableColumns.
func (db *DB) tableConstraints(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	add := func(table, line string) {
		if table != versionTable {
			out[table] = append(out[table], line)
		}
	}
	// Columns: NOT NULL and primary key.
	q := `SELECT m.name, p.name, p."notnull" <> 0, p.pk FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY m.name, p.pk, p.cid`
	if db.dialect == DialectPostgres {
		q = `SELECT c.table_name, c.column_name, c.is_nullable = 'NO',
			COALESCE((SELECT k.ord FROM pg_index x
				JOIN pg_class t ON t.oid = x.indrelid AND t.relname = c.table_name
				JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = c.table_schema
				CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
				JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND a.attname = c.column_name
				WHERE x.indisprimary), 0)
			FROM information_schema.columns c WHERE c.table_schema = current_schema()
			ORDER BY c.table_name, 4, c.ordinal_position`
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pks := map[string][]string{}
	for rows.Next() {
		var table, col string
		var notNull bool
		var pk int
		if err := rows.Scan(&table, &col, &notNull, &pk); err != nil {
			return nil, err
		}
		if notNull || pk > 0 {
			add(table, "NOT NULL "+col)
		}
		if pk > 0 {
			pks[table] = append(pks[table], col)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for table, cols := range pks {
		add(table, "PRIMARY KEY ("+strings.Join(cols, ", ")+")")
	}

	// Unique indexes, one row per indexed column in order. kind is "u" for
	// a UNIQUE constraint, "c" for CREATE UNIQUE INDEX; primary keys, listed
	// above, are left out.
	q = `SELECT m.name, il.name, il.origin, il.partial <> 0, COALESCE(ii.name, '<expr>')
		FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_xinfo(il.name) ii
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\' AND il."unique" <> 0
			AND il.origin <> 'pk' AND ii.key <> 0
		ORDER BY m.name, il.name, ii.seqno`
	if db.dialect == DialectPostgres {
		q = `SELECT t.relname, i.relname,
			CASE WHEN EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype = 'u') THEN 'u' ELSE 'c' END,
			x.indpred IS NOT NULL, COALESCE(a.attname, '<expr>')
			FROM pg_index x
			JOIN pg_class t ON t.oid = x.indrelid
			JOIN pg_class i ON i.oid = x.indexrelid
			JOIN pg_namespace n ON n.oid = t.relnamespace
			CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
			LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0
			WHERE n.nspname = current_schema() AND x.indisunique AND NOT x.indisprimary
				AND k.ord <= x.indnkeyatts
			ORDER BY t.relname, i.relname, k.ord`
	}
	irows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer irows.Close()
	type index struct {
		table, name, kind string
		partial           bool
		cols              []string
	}
	var idxs []*index
	for irows.Next() {
		var x index
		var col string
		if err := irows.Scan(&x.table, &x.name, &x.kind, &x.partial, &col); err != nil {
			return nil, err
		}
		if n := len(idxs); n > 0 && idxs[n-1].table == x.table && idxs[n-1].name == x.name {
			idxs[n-1].cols = append(idxs[n-1].cols, col)
			continue
		}
		x.cols = []string{col}
		idxs = append(idxs, &x)
	}
	if err := irows.Err(); err != nil {
		return nil, err
	}
	for _, x := range idxs {
		line := "UNIQUE INDEX " + x.name + " (" + strings.Join(x.cols, ", ") + ")"
		if x.kind == "u" { // constraint names differ between the dialects
			line = "UNIQUE (" + strings.Join(x.cols, ", ") + ")"
		}
		if x.partial {
			line += " WHERE …"
		}
		add(x.table, line)
	}
	for _, lines := range out {
		slices.Sort(lines)
	}
	return out, nil
}

// nextID returns a new ID for a row about to be inserted into table, for
// rows with a column derived from their ID (an application's number):
// the next value of the identity column's sequence in PostgreSQL; one
// more than the largest ID in SQLite, whose write transactions are
// serialised (one writer connection, BEGIN IMMEDIATE across processes).
func (tx *Tx) nextID(ctx context.Context, table string) (int64, error) {
	q := `SELECT COALESCE(max(id), 0) + 1 FROM ` + table
	if tx.db.dialect == DialectPostgres {
		q = `SELECT nextval(pg_get_serial_sequence('` + table + `', 'id'))`
	}
	var id int64
	if err := tx.QueryRowContext(ctx, q).Scan(&id); err != nil {
		return 0, fmt.Errorf("next %s id: %w", table, err)
	}
	return id, nil
}
