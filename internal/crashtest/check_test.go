package crashtest_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx"
	_ "modernc.org/sqlite"             // "sqlite"
)

// openSQL opens the env's database for the checks: read-only on SQLite.
func (e *env) openSQL(t *testing.T) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if e.dialect == "sqlite" {
		db, err = sql.Open("sqlite", e.dsn+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	} else {
		db, err = sql.Open("pgx", e.dsn)
	}
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// checkResult sums up one check of the database against the ledger.
type checkResult struct {
	checked    int // acknowledged writes looked up
	duplicates int // rows breaking a uniqueness the domain promises
	// unprocessed are acknowledged life events stored but not processed
	// yet (failed, to be retried).
	unprocessed int
	problems    []string // each lost write and each duplicate
}

// check looks up every acknowledged write of s in the database and counts
// duplicates: tickets by centre, day and number; applications by
// submitter and key; awards by programme, beneficiary and period;
// payments by award and month; notifications by message ID.
func check(ctx context.Context, db *sql.DB, s snapshot) (checkResult, error) {
	var res checkResult
	lost := func(format string, args ...any) {
		if len(res.problems) < 20 {
			res.problems = append(res.problems, "lost: "+fmt.Sprintf(format, args...))
		}
	}

	tickets := map[int64]string{} // id → status
	if err := rows(ctx, db, "SELECT id, status FROM tickets", func(sc func(...any) error) error {
		var id int64
		var st string
		err := sc(&id, &st)
		tickets[id] = st
		return err
	}); err != nil {
		return res, err
	}
	for id := range s.tickets {
		res.checked++
		if _, ok := tickets[id]; !ok {
			lost("ticket %d (%s)", id, s.tickets[id])
		}
	}
	for id := range s.finished {
		res.checked++
		if tickets[id] != "finished" {
			lost("finish of ticket %d (status %q)", id, tickets[id])
		}
	}

	apps := map[string]int64{}
	if err := rows(ctx, db, "SELECT idempotency_key, id FROM applications WHERE idempotency_key LIKE 'crash-%'", func(sc func(...any) error) error {
		var k string
		var id int64
		err := sc(&k, &id)
		apps[k] = id
		return err
	}); err != nil {
		return res, err
	}
	for k, id := range s.applications {
		res.checked++
		if apps[k] != id {
			lost("application %d (key %s; found %d)", id, k, apps[k])
		}
	}

	events := map[string]string{} // id → status
	if err := rows(ctx, db, "SELECT id, status FROM life_events WHERE id LIKE 'crash-%'", func(sc func(...any) error) error {
		var id, st string
		err := sc(&id, &st)
		events[id] = st
		return err
	}); err != nil {
		return res, err
	}
	children := map[string]bool{}
	if err := rows(ctx, db, "SELECT fin FROM persons WHERE fin LIKE 'Z%'", func(sc func(...any) error) error {
		var fin string
		err := sc(&fin)
		children[fin] = true
		return err
	}); err != nil {
		return res, err
	}
	for id, fin := range s.events {
		res.checked++
		switch {
		case events[id] == "":
			lost("life event %s", id)
		case events[id] != "processed":
			// Stored, its processing failed or was cut short: the
			// event's retry processes it later (the API's contract).
			res.unprocessed++
		case !children[fin]:
			lost("person %s added by processed event %s", fin, id)
		}
	}

	cycles := map[int64]string{}
	if err := rows(ctx, db, "SELECT id, status FROM payroll_cycles", func(sc func(...any) error) error {
		var id int64
		var st string
		err := sc(&id, &st)
		cycles[id] = st
		return err
	}); err != nil {
		return res, err
	}
	for id := range s.prepared {
		res.checked++
		if cycles[id] == "" {
			lost("payroll cycle %d", id)
		}
	}
	for id := range s.approved {
		res.checked++
		switch cycles[id] {
		case "", "preparing", "prepared", "rejected":
			lost("approval of payroll cycle %d (status %q)", id, cycles[id])
		}
	}

	for _, q := range duplicateQueries {
		n := 0
		if err := rows(ctx, db, q.sql, func(sc func(...any) error) error {
			var key string
			var count int
			if err := sc(&key, &count); err != nil {
				return err
			}
			n += count - 1
			if len(res.problems) < 20 {
				res.problems = append(res.problems, fmt.Sprintf("duplicate %s %s ×%d", q.what, key, count))
			}
			return nil
		}); err != nil {
			return res, fmt.Errorf("%s: %w", q.what, err)
		}
		res.duplicates += n
	}
	return res, nil
}

// duplicateQueries list, per promised uniqueness, the keys held by more
// than one row, with their counts.
var duplicateQueries = []struct{ what, sql string }{
	{"ticket", `SELECT centre_id || '/' || CAST(day AS TEXT) || '/' || number, COUNT(*) FROM tickets GROUP BY centre_id, day, number HAVING COUNT(*) > 1`},
	{"application", `SELECT CAST(submitted_by AS TEXT) || '/' || idempotency_key, COUNT(*) FROM applications WHERE idempotency_key <> '' GROUP BY submitted_by, idempotency_key HAVING COUNT(*) > 1`},
	{"award", `SELECT programme || '/' || CAST(person_id AS TEXT) || '/' || CAST(household_id AS TEXT) || '/' || period, COUNT(*) FROM awards GROUP BY programme, person_id, household_id, period HAVING COUNT(*) > 1`},
	{"birth award", `SELECT programme || '/' || CAST(person_id AS TEXT), COUNT(*) FROM awards WHERE programme = 'birth_allowance' GROUP BY programme, person_id HAVING COUNT(*) > 1`},
	{"payment", `SELECT CAST(award_id AS TEXT) || '/' || period, COUNT(*) FROM payments GROUP BY award_id, period HAVING COUNT(*) > 1`},
	{"one-off payment", `SELECT CAST(p.award_id AS TEXT), COUNT(*) FROM payments p JOIN awards a ON a.id = p.award_id WHERE a.kind <> 'monthly' GROUP BY p.award_id HAVING COUNT(*) > 1`},
	{"notification", `SELECT message_id, COUNT(*) FROM notifications GROUP BY message_id HAVING COUNT(*) > 1`},
	{"life event", `SELECT source || '/' || id, COUNT(*) FROM life_events GROUP BY source, id HAVING COUNT(*) > 1`},
	{"person", `SELECT fin, COUNT(*) FROM persons GROUP BY fin HAVING COUNT(*) > 1`},
}

// rows runs q and calls f with each row's Scan.
func rows(ctx context.Context, db *sql.DB, q string, f func(scan func(...any) error) error) error {
	rs, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", strings.Fields(q)[1], err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := f(rs.Scan); err != nil {
			return err
		}
	}
	return rs.Err()
}

// population returns the FINs of the demo's living persons and of its
// women aged 18 to 45 (mothers of the births the load reports).
func population(ctx context.Context, db *sql.DB) (persons, mothers []string, err error) {
	err = rows(ctx, db, "SELECT fin, sex, CAST(birth_date AS TEXT) FROM persons WHERE status = 'alive' ORDER BY id", func(sc func(...any) error) error {
		var fin, sex, born string
		if err := sc(&fin, &sex, &born); err != nil {
			return err
		}
		persons = append(persons, fin)
		if sex == "F" && born >= "1982" && born <= "2007" {
			mothers = append(mothers, fin)
		}
		return nil
	})
	if err == nil && (len(persons) == 0 || len(mothers) == 0) {
		err = fmt.Errorf("demo population has %d persons, %d mothers", len(persons), len(mothers))
	}
	return persons, mothers, err
}

// integrity runs SQLite's PRAGMA integrity_check; "ok" when sound.
func integrity(ctx context.Context, db *sql.DB) (string, error) {
	var out []string
	err := rows(ctx, db, "PRAGMA integrity_check", func(sc func(...any) error) error {
		var s string
		err := sc(&s)
		out = append(out, s)
		return err
	})
	return strings.Join(out, "; "), err
}
