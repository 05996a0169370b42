package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestPayrollWithdrawalsJob checks that payroll_withdrawals runs once at
// start with today's date in Baku, and not again within its day.
func TestPayrollWithdrawalsJob(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		var mu sync.Mutex // guards days
		var days []dost.Date
		cfg := config(t, db)
		cfg.Outbox = nil
		cfg.SuspendNotWithdrawn = func(_ context.Context, day dost.Date) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			days = append(days, day)
			return 1, nil
		}
		start(t, cfg)
		eventually(t, "payroll_withdrawals run", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(days) == 1
		})
		time.Sleep(2 * time.Second)
		mu.Lock()
		defer mu.Unlock()
		if len(days) != 1 || days[0] != today {
			t.Fatalf("got days %v, want today once", days)
		}
	})
}
