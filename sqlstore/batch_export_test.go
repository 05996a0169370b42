package sqlstore

import (
	"context"
	"errors"
	"time"
)

// ErrCallThenFail is the error of CallNextThenFail.
var ErrCallThenFail = errors.New("called, then failed")

// CallNextThenFail calls the next ticket through the store's write path,
// as CallNext, and then fails, so that tests see a request that wrote and
// failed leave nothing behind, its neighbours in the batch untouched.
func (s *HallStore) CallNextThenFail(ctx context.Context, counterID, operatorID int64) error {
	return s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		if _, _, err := callNext(ctx, tx, counterID, operatorID, sc); err != nil {
			return err
		}
		return ErrCallThenFail
	})
}

// HoldWrites makes the store's writes wait (on SQLite, where they are
// batched) until release is called, so that a test can gather requests
// into one batch; wait returns once n requests are waiting. It returns
// once the holding write runs. On PostgreSQL
// both do nothing.
func (s *HallStore) HoldWrites(ctx context.Context) (wait func(n int), release func()) {
	if s.batch == nil {
		return func(int) {}, func() {}
	}
	started, held, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
			close(started)
			<-held
			return nil
		})
	}()
	<-started
	wait = func(n int) {
		for {
			s.batch.mu.Lock()
			waiting := len(s.batch.pending)
			s.batch.mu.Unlock()
			if waiting >= n {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	return wait, func() { close(held); <-done }
}
