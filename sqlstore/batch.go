package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dost-az/dost"
)

// write runs fn in a write transaction. On PostgreSQL that is fn's own;
// on SQLite, whose one writer connection runs one transaction at a time,
// writes that arrive while another is running are combined into one
// transaction (writeBatcher), each in its own savepoint: one commit (one
// fsync) and, for call-next, one read of the queue for all of them. fn
// must leave its results to be overwritten if it runs again (a batch
// retried on SQLITE_BUSY).
//
// fn must use the ctx it is given, not its caller's: on SQLite that is
// the caller's without its cancellation, since the driver interrupts the
// connection when a statement's context ends, and an interrupted write
// rolls back the whole transaction: every other request of the batch
// with it. A request whose context has ended before its turn is not run.
func (s *HallStore) write(ctx context.Context, fn func(ctx context.Context, tx *Tx, sc *callScope) error) error {
	if s.batch != nil {
		return s.batch.do(&writeRequest{ctx: ctx, fn: fn})
	}
	return s.db.update(ctx, func(tx *Tx) error { return fn(ctx, tx, newCallScope()) })
}

// callScope is what the writes of one transaction share: each centre's
// waiting tickets of today as call-next reads them, and queue settings.
// A write that may change the queue other than by issuing a ticket or
// calling one clears waiting; one that changes settings clears settings.
type callScope struct {
	waiting  map[int64][]*dost.Ticket
	settings map[int64]*dost.QueueSettings
}

func newCallScope() *callScope {
	return &callScope{waiting: map[int64][]*dost.Ticket{}, settings: map[int64]*dost.QueueSettings{}}
}

// writeRequest is one write of a batch and its outcome.
type writeRequest struct {
	ctx context.Context // the caller's: tells whether it still waits
	fn  func(ctx context.Context, tx *Tx, sc *callScope) error
	err error
	// call, if set, is the call-next fn makes: a batch decides and
	// writes its calls together (callNextBatch), running fn for each only
	// when that fails.
	call *callRequest
	done chan struct{} // closed when the batch with this request committed or failed
	lead chan struct{} // closed when this request's caller is to run the next batch
}

// writeBatcher combines concurrent writes on SQLite into one transaction:
// group commit. It has no goroutine of its own: the first caller to find
// no batch running runs one with every request waiting (up to maxBatch),
// then hands the next batch to the first request that arrived meanwhile,
// so that no caller runs others' writes for longer than one batch. Every
// caller is answered only after the commit (synchronous=FULL: after the
// fsync), so no acknowledged write is lost.
//
// A batch's queue (callScope) is kept for the next batch when nothing
// else wrote to the database in between (see scopeMark), so that a
// hundred operators calling in turn do not read the same waiting tickets
// a hundred times.
type writeBatcher struct {
	db *DB

	mu      sync.Mutex // guards pending and running
	pending []*writeRequest
	running bool

	// kept and keptMark are the last committed batch's scope and the
	// database's mark after it; only the caller running a batch uses
	// them (batches run one at a time).
	kept     *callScope
	keptMark scopeMark

	// grouped counts the calls decided together (callNextBatch) and
	// committed, for tests.
	grouped atomic.Int64
}

// maxBatch bounds the writes of one transaction.
const maxBatch = 128

// do runs r.fn, alone or in a batch, and returns its error or the batch
// transaction's.
func (b *writeBatcher) do(r *writeRequest) error {
	ctx := r.ctx
	r.done, r.lead = make(chan struct{}), make(chan struct{})
	b.mu.Lock()
	b.pending = append(b.pending, r)
	if b.running {
		b.mu.Unlock()
		select {
		case <-r.done:
			return r.err
		case <-r.lead:
		}
	} else {
		b.running = true
		b.mu.Unlock()
	}
	// This caller runs the next batch, which includes r.
	b.mu.Lock()
	n := min(len(b.pending), maxBatch)
	batch := slices.Clone(b.pending[:n])
	b.pending = slices.Delete(b.pending, 0, n)
	b.mu.Unlock()
	b.run(context.WithoutCancel(ctx), batch)
	b.mu.Lock()
	if len(b.pending) > 0 {
		close(b.pending[0].lead)
	} else {
		b.running = false
	}
	b.mu.Unlock()
	<-r.done
	return r.err
}

// scopeMark tells whether the database changed between two points of the
// writer connection: SQLite's total_changes() counts the rows every
// statement of this connection changed (in any transaction, whoever ran
// it: River, another service, a rolled back batch), and data_version
// changes when another connection or process commits. The date is the
// day the waiting tickets were read for.
type scopeMark struct {
	changes, version int64
	day              dost.Date
}

// mark reads the connection's mark in tx.
func mark(ctx context.Context, tx *Tx) (scopeMark, error) {
	m := scopeMark{day: civilDate(tx.now)}
	err := tx.QueryRowContext(ctx, `SELECT total_changes(), (SELECT data_version FROM pragma_data_version)`).Scan(&m.changes, &m.version)
	return m, err
}

// run runs every request of batch in one transaction, each in a
// savepoint rolled back if it fails (a request alone needs none: its
// failure rolls back the transaction), and marks them done. If the
// transaction fails, every request fails with its error. A panic in a
// request fails every request of the batch (the transaction is rolled
// back) rather than leaving them, and every later write, waiting.
func (b *writeBatcher) run(ctx context.Context, batch []*writeRequest) {
	defer func() {
		if v := recover(); v != nil {
			b.db.logger.Error("hall write panicked", "panic", v, "stack", string(debug.Stack()))
			b.kept = nil
			err := fmt.Errorf("hall write: internal error: %v", v)
			for _, r := range batch {
				r.err = err
				close(r.done)
			}
		}
	}()
	var sc *callScope
	var after scopeMark
	err := b.db.update(ctx, func(tx *Tx) error {
		for _, r := range batch {
			r.err = nil // a run again after SQLITE_BUSY
			if r.call != nil {
				r.call.grouped = false
			}
		}
		before, err := mark(ctx, tx)
		if err != nil {
			return err
		}
		sc = newCallScope()
		if b.kept != nil && before == b.keptMark {
			sc = b.kept
		}
		b.kept = nil
		if len(batch) == 1 {
			r := batch[0]
			if r.err = r.ctx.Err(); r.err != nil {
				return r.err
			}
			if r.err = r.fn(context.WithoutCancel(r.ctx), tx, sc); r.err != nil {
				return r.err
			}
		} else {
			// The calls whose callers still wait run together where the
			// first of them arrived: the batch's requests are concurrent,
			// so any order is one they could have run in.
			var calls []*writeRequest
			for _, r := range batch {
				if r.call != nil {
					if r.err = r.ctx.Err(); r.err == nil {
						calls = append(calls, r)
					}
				}
			}
			grouped := len(calls) > 1
			for _, r := range batch {
				if grouped && r.call != nil {
					if r == calls[0] {
						if err := runCalls(ctx, tx, sc, calls); err != nil {
							return err
						}
					}
					continue
				}
				if r.err = r.ctx.Err(); r.err != nil {
					continue // its caller has gone: not run
				}
				if err := runOne(ctx, tx, sc, r); err != nil {
					return err
				}
			}
		}
		after, err = mark(ctx, tx)
		return err
	})
	if err == nil {
		b.kept, b.keptMark = sc, after
		for _, r := range batch {
			if r.call != nil && r.call.grouped && r.err == nil {
				b.grouped.Add(1)
			}
		}
	}
	for _, r := range batch {
		// A request alone keeps its own error; otherwise a failed
		// transaction fails every request of it.
		if err != nil && !(len(batch) == 1 && r.err != nil) {
			r.err = err
		}
		close(r.done)
	}
}

// runOne runs r in a savepoint of tx, rolled back if r fails; the error
// is the transaction's, r's is left in r.err.
func runOne(ctx context.Context, tx *Tx, sc *callScope, r *writeRequest) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT hall_write`); err != nil {
		return err
	}
	waiting, settings := maps.Clone(sc.waiting), maps.Clone(sc.settings)
	r.err = r.fn(context.WithoutCancel(r.ctx), tx, sc)
	if r.err != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO hall_write`); err != nil {
			return err
		}
		sc.waiting, sc.settings = waiting, settings
	}
	_, err := tx.ExecContext(ctx, `RELEASE hall_write`)
	return err
}

// runCalls decides and writes the call-nexts of a batch together
// (callNextBatch) in one savepoint. If that fails as a whole (a
// statement's error, a kept queue found stale), it is rolled back and
// each call runs alone in its own savepoint, as any other write: a call
// that fails still fails alone. The error is the transaction's; each
// call's is left in its request.
func runCalls(ctx context.Context, tx *Tx, sc *callScope, calls []*writeRequest) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT hall_calls`); err != nil {
		return err
	}
	waiting, settings := maps.Clone(sc.waiting), maps.Clone(sc.settings)
	cs := make([]*callRequest, len(calls))
	for i, r := range calls {
		cs[i] = r.call
	}
	err := callNextBatch(ctx, tx, sc, cs)
	for _, r := range calls {
		r.call.grouped = err == nil
	}
	if err == nil {
		for _, r := range calls {
			r.err = r.call.err
		}
		_, err := tx.ExecContext(ctx, `RELEASE hall_calls`)
		return err
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO hall_calls`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `RELEASE hall_calls`); err != nil {
		return err
	}
	sc.waiting, sc.settings = waiting, settings
	for _, r := range calls {
		if err := runOne(ctx, tx, sc, r); err != nil {
			return err
		}
	}
	return nil
}
