package casework_test

import (
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestRefusalNoticeDeadline: a refusal is notified within
// casework.RefusalNoticeDays counted as the decision deadline is, with the
// holiday calendar: a last day on a weekend or a holiday moves to the
// next working day.
func TestRefusalNoticeDeadline(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		for _, c := range []struct {
			name string
			now  time.Time
			want string
		}{
			// Wednesday 18 November 2026 + 5 is Monday 23rd, a working day.
			{"Working", time.Date(2026, 11, 18, 6, 0, 0, 0, time.UTC), "2026-11-23"},
			// Monday 16 November + 5 is Saturday 21st: Monday 23rd.
			{"Weekend", time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC), "2026-11-23"},
			// Wednesday 17 March 2027 + 5 is Monday 22nd, in Novruz (20-24
			// March): Thursday 25th.
			{"Novruz", time.Date(2027, 3, 17, 6, 0, 0, 0, time.UTC), "2027-03-25"},
		} {
			t.Run(c.name, func(t *testing.T) {
				e.clock.Set(c.now)
				a := e.review(t, "Vuqar", "05-01-01-00")
				d, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionRefuse, ReasonCode: "not_eligible"})
				if err != nil {
					t.Fatal(err)
				}
				if d.NotifyBy != dost.MustDate(c.want) {
					t.Errorf("refused on %s: notify by %s, want %s", c.now.Format(time.DateOnly), d.NotifyBy, c.want)
				}
			})
		}
	})
}
