package sqlstore

import "testing"

// TestCallBatchQueriesCached: every statement callNextBatch runs fits the
// statement cache, so that each is parsed once, not once per batch.
func TestCallBatchQueriesCached(t *testing.T) {
	for n := 1; n <= maxBatch; n++ {
		size := valuesRows(n)
		if size < min(n, maxValuesRows) || size > maxValuesRows {
			t.Fatalf("valuesRows(%d) = %d", n, size)
		}
		for _, q := range []string{callUpdateQuery(size), callEventsQuery(size)} {
			if len(q) > stmtCacheMaxQuery {
				t.Errorf("%d rows: a statement of %d bytes, over the cache's %d", size, len(q), stmtCacheMaxQuery)
			}
		}
	}
}
