package sqlstore_test

import (
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

func TestCaseStore_EndAwardsPastEndDate(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		period := dost.MonthOf(today)
		loner := person("CAS0003", "Kamran", "Həsənov", "1980-01-01")
		dead := person("CAS0004", "Samir", "Quliyev", "1940-01-01")
		createPersons(t, db, loner, dead)

		// Aysel's award ended yesterday, Tural's ends today, Kamran's has
		// no end, and Samir's was ended by his death with an end passed.
		award := func(p *dost.Person, key string, end dost.Date) int64 {
			e := f.approval(p, "old_age_pension", period.Add(-2))
			e.Awards[0].End = end
			f.submit(t, application(p, pensionService, key, today), nil, e)
			return e.Awards[0].ID
		}
		yesterday := award(f.aysel, "e-1", today.AddDate(0, 0, -1))
		endsToday := award(f.tural, "e-2", today)
		open := award(loner, "e-3", dost.Date{})
		award(dead, "e-4", dost.Date{})
		_, err := sqlstore.NewProactiveStore(db).EndAwards(ctx, dead.ID, today.AddDate(0, 0, -10), "death")
		ok(t, err)

		n, err := f.s.EndAwardsPastEndDate(ctx, today)
		ok(t, err)
		if n != 1 {
			t.Fatalf("ended %d awards, want 1 (Aysel's)", n)
		}
		ws, _, err := f.s.FindAwards(ctx, dost.AwardFilter{})
		ok(t, err)
		for _, w := range ws {
			var status dost.AwardStatus
			reason := ""
			switch w.ID {
			case yesterday:
				status, reason = dost.AwardEnded, sqlstore.AwardEndDate
				if w.End != today.AddDate(0, 0, -1) || !w.UpdatedAt.Equal(f.clock.Now().UTC()) {
					t.Errorf("ended award: end %s, updated %v; want its end kept and updated now", w.End, w.UpdatedAt)
				}
			case endsToday, open:
				status = dost.AwardActive
			default: // Samir's
				status, reason = dost.AwardEnded, "death"
			}
			if w.Status != status || w.StatusReason != reason {
				t.Errorf("award %d of person %d: got %s %q, want %s %q", w.ID, w.PersonID, w.Status, w.StatusReason, status, reason)
			}
		}

		if n, err := f.s.EndAwardsPastEndDate(ctx, today); err != nil || n != 0 {
			t.Fatalf("again: got %d, %v; want nothing more ended", n, err)
		}
		if n, err := f.s.EndAwardsPastEndDate(ctx, today.AddDate(0, 0, 1)); err != nil || n != 1 {
			t.Fatalf("tomorrow: got %d, %v; want Tural's ended", n, err)
		}
		_, err = f.s.EndAwardsPastEndDate(ctx, dost.Date{})
		mustCode(t, err, dost.EINVALID)
	})
}
