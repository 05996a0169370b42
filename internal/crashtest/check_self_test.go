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

// TestLedger_Ack proves that the ledger records only what an answer
// acknowledged: an answer without a ticket or an application records
// nothing, and a key answered with another application is reported.
func TestLedger_Ack(t *testing.T) {
	answer := func(body string) *response { return &response{status: 201, body: []byte(body)} }
	t.Run("OK", func(t *testing.T) {
		led := newLedger()
		if tk, err := led.ackTicket(answer(`{"id":41,"number":"P-001","token":"x"}`)); err != nil || tk.ID != 41 {
			t.Fatalf("ackTicket: %+v, %v", tk, err)
		}
		for range 2 { // the same key answered twice with the same application
			if a, err := led.ackApplication("crash-x-1", answer(`{"id":7}`)); err != nil || a.ID != 7 {
				t.Fatalf("ackApplication: %+v, %v", a, err)
			}
		}
		if s := led.snapshot(); s.tickets[41] != "P-001" || s.applications["crash-x-1"] != 7 || led.writes() != 2 {
			t.Errorf("got %+v, want ticket 41 P-001 and application 7", s)
		}
	})
	t.Run("ErrBadAnswer", func(t *testing.T) {
		led := newLedger()
		for _, body := range []string{`{}`, `not json`, `{"id":0}`} {
			if _, err := led.ackTicket(answer(body)); err == nil {
				t.Errorf("ackTicket(%s): no error", body)
			}
			if _, err := led.ackApplication("crash-x-1", answer(body)); err == nil {
				t.Errorf("ackApplication(%s): no error", body)
			}
		}
		if n := led.writes(); n != 0 {
			t.Errorf("%d writes recorded from bad answers, want 0", n)
		}
	})
	t.Run("ErrKeyAnsweredTwice", func(t *testing.T) {
		led := newLedger()
		if _, err := led.ackApplication("crash-x-1", answer(`{"id":7}`)); err != nil {
			t.Fatal(err)
		}
		_, err := led.ackApplication("crash-x-1", answer(`{"id":8}`))
		if err == nil || !strings.Contains(err.Error(), "answered 7, then 8") {
			t.Errorf("got %v, want key crash-x-1 answered 7, then 8", err)
		}
	})
}
