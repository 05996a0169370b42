package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements of one *sql.DB so that hot queries
// are parsed once per connection instead of once per call. SQLite spends
// a fifth of a simple lookup parsing SQL otherwise; pgx caches statements
// by itself, so PostgreSQL does not use this.
//
// A statement is never prepared inside a transaction: preparing on the
// pool needs a free connection, and with SQLite's single writer (or a busy
// reader pool) the transaction holds the one it would wait for. A query
// met inside a transaction is noted as pending and runs unprepared; warm,
// called before the next transaction begins, prepares what is pending.
type stmtCache struct {
	db *sql.DB

	mu      sync.Mutex // guards stmts, pending, failed
	stmts   map[string]*sql.Stmt
	pending map[string]bool
	failed  map[string]bool
}

// Bounds of the cache: queries built from filters vary, and bulk inserts
// are long and one-off; neither should fill it.
const (
	stmtCacheMax      = 256
	stmtCacheMaxQuery = 2048
)

// newStmtCache returns an empty cache over db.
func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}, failed: map[string]bool{}}
}

// get returns the prepared statement for query, or nil, noting the query
// for warm when it is worth caching. It never blocks on the database.
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil || len(query) > stmtCacheMaxQuery {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[query]; ok {
		return s
	}
	if !c.failed[query] && len(c.stmts)+len(c.pending)+len(c.failed) < stmtCacheMax {
		c.pending[query] = true
	}
	return nil
}

// warm prepares the pending queries. The caller must hold no connection
// of c.db. A query that fails to prepare is not tried again.
func (c *stmtCache) warm(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(c.pending))
	for q := range c.pending {
		queries = append(queries, q)
	}
	clear(c.pending)
	c.mu.Unlock()

	for _, q := range queries {
		s, err := c.db.PrepareContext(ctx, q)
		c.mu.Lock()
		switch {
		case err != nil:
			c.failed[q] = true
		case c.stmts == nil || c.stmts[q] != nil: // closed meanwhile, or a race
			s.Close()
		default:
			c.stmts[q] = s
		}
		c.mu.Unlock()
	}
}

// close closes every cached statement.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
}

// QueryRowContext runs query in the transaction through the statement cache.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := tx.cache.get(query); s != nil {
		return tx.Tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// QueryContext runs query in the transaction through the statement cache.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := tx.cache.get(query); s != nil {
		return tx.Tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// ExecContext runs query in the transaction through the statement cache.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := tx.cache.get(query); s != nil {
		return tx.Tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}
