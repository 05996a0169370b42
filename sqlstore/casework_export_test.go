package sqlstore

import (
	"context"
	"strings"

	"github.com/dost-az/dost"
)

// CountRows counts the rows of a table, for tests that check nothing was
// written.
func CountRows(ctx context.Context, db *DB, table string) (int, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n)
	})
	return n, err
}

// QueryPlan returns SQLite's EXPLAIN QUERY PLAN of query, one line per
// step ("SEARCH awards USING INDEX awards_payee (payee_id=?)", …).
func QueryPlan(ctx context.Context, db *DB, query string, args ...any) (string, error) {
	var lines []string
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.Tx.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				return err
			}
			lines = append(lines, detail)
		}
		return rows.Err()
	})
	return strings.Join(lines, "\n"), err
}

// ApplicationByKeyQuery is the idempotency lookup of CreateApplication.
const ApplicationByKeyQuery = applicationByKeyQuery

// AwardsQueries exposes FindAwards' queries: the count and the page.
func AwardsQueries(f dost.AwardFilter) (count, list string, a []any) {
	return awardsQueries(f)
}

// ApplicationsQuery exposes FindApplications' page query.
func ApplicationsQuery(f dost.ApplicationFilter) (string, []any) {
	cond, a := applicationsWhere(f)
	return "SELECT " + applicationColumns + cond, a
}
