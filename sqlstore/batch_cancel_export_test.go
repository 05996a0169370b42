package sqlstore

import (
	"context"
	"database/sql/driver"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// cancelHook is what the SQL function dost_test_cancel() calls: the test
// sets it to cancel a request's context while that request's statement
// runs.
var cancelHook struct {
	sync.Mutex
	fn func()
}

func init() {
	// dost_test_cancel(x) cancels the context set by CallNextThenCancel
	// at the first row, waits a little for the driver to notice, and is
	// true.
	sqlite.MustRegisterScalarFunction("dost_test_cancel", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		if x, _ := args[0].(int64); x == 1 {
			cancelHook.Lock()
			fn := cancelHook.fn
			cancelHook.fn = nil
			cancelHook.Unlock()
			if fn != nil {
				fn()
				time.Sleep(20 * time.Millisecond) // let the driver's interrupt land mid-statement
			}
		}
		return int64(1), nil
	})
}

// CallNextThenCancel calls the next ticket through the store's write path,
// as CallNext, and then runs a long UPDATE during which cancel is called:
// a request whose client goes away while its write runs in a batch. On
// SQLite only (the function dost_test_cancel is SQLite's).
func (s *HallStore) CallNextThenCancel(ctx context.Context, cancel func(), counterID, operatorID int64) error {
	return s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		if _, _, err := callNext(ctx, tx, counterID, operatorID, sc); err != nil {
			return err
		}
		cancelHook.Lock()
		cancelHook.fn = cancel
		cancelHook.Unlock()
		_, err := tx.ExecContext(ctx, `UPDATE tickets SET updated_at = updated_at WHERE id IN (
			WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
			SELECT -x FROM c WHERE dost_test_cancel(x))`)
		return err
	})
}

// PanicInWrite runs a write that panics with v, as a bug in a closure
// would.
func (s *HallStore) PanicInWrite(ctx context.Context, v any) error {
	return s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error { panic(v) })
}

// DirectBehindKeptQueue directs ticket id to counterID through the store's
// write path without telling the queue a batch keeps (callScope), as a
// write that forgot to would: the kept list goes stale.
func (s *HallStore) DirectBehindKeptQueue(ctx context.Context, id, counterID int64) error {
	return s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		_, err := tx.ExecContext(ctx, `UPDATE tickets SET directed_counter_id = $1 WHERE id = $2`, counterID, id)
		return err
	})
}
