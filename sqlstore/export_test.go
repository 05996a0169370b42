package sqlstore

import "context"

// TableColumns exposes the schema listing to the external tests.
func TableColumns(ctx context.Context, db *DB) (map[string][]string, error) {
	return db.tableColumns(ctx)
}
