package crashtest_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestCheck proves the harness's check can fail: on an empty migrated
// database, acknowledged writes that are not there are reported lost,
// and none is reported for an empty ledger.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dost.db")
	st, err := sqlstore.Open(ctx, path, sqlstore.Options{Migrate: true, Clock: dosttest.NewClock(dosttest.DefaultNow)})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	e := &env{dialect: "sqlite", dsn: path}
	db := e.openSQL(t)
	defer db.Close()

	t.Run("OK", func(t *testing.T) {
		res, err := check(ctx, db, newLedger().snapshot())
		if err != nil {
			t.Fatal(err)
		}
		if res.checked != 0 || res.duplicates != 0 || len(res.problems) != 0 {
			t.Errorf("got %+v, want nothing checked, nothing wrong", res)
		}
	})
	t.Run("ErrLost", func(t *testing.T) {
		led := newLedger()
		led.tickets[41] = "P-001"
		led.finished[41] = true
		led.applications["crash-x-1"] = 7
		led.events["crash-x-ev"] = "ZAA0001"
		led.approved[3] = true
		res, err := check(ctx, db, led.snapshot())
		if err != nil {
			t.Fatal(err)
		}
		if res.checked != 5 || len(res.problems) != 5 {
			t.Fatalf("got %d checked, problems %q; want 5 checked, 5 lost", res.checked, res.problems)
		}
		for _, p := range res.problems {
			if !strings.HasPrefix(p, "lost: ") {
				t.Errorf("got problem %q, want a lost write", p)
			}
		}
	})
}
