package sqlstore

import "context"

// CountRows counts the rows of a table, for tests that check nothing was
// written.
func CountRows(ctx context.Context, db *DB, table string) (int, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n)
	})
	return n, err
}
