package sqlstore

import "context"

// TableColumns exposes the schema listing to the external tests.
func TableColumns(ctx context.Context, db *DB) (map[string][]string, error) {
	return db.tableColumns(ctx)
}

// TableConstraints exposes the schema's constraints to the external tests.
func TableConstraints(ctx context.Context, db *DB) (map[string][]string, error) {
	return db.tableConstraints(ctx)
}

// MapError exposes mapError to the external tests.
func MapError(err error) error { return mapError(err) }

// QueryText looks s up as a FIN with a raw query, past every check of the
// services, so that tests reach the database's own handling of the text.
func QueryText(ctx context.Context, db *DB, s string) error {
	return db.view(ctx, func(tx *Tx) error {
		var n int
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM persons WHERE fin = $1`, s).Scan(&n)
	})
}
