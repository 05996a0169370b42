package hall_test

import (
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/hall"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// kpiMonday is the Monday the KPI tests' days start on (ISO week 48).
var kpiMonday = dost.MustDate("2026-11-23")

// at returns the time hh:mm in Baku on day.
func at(day dost.Date, hh, mm int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, dost.Baku)
}

// f64 returns the value of p, or -1 for nil.
func f64(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

// TestKPIs_FromEventLog runs two days of a hall through the service and
// checks every KPI the dashboard shows against numbers worked out by hand.
func TestKPIs_FromEventLog(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		clock := dosttest.ClockOf(t, db)
		mon, tue := kpiMonday, kpiMonday.AddDate(0, 0, 1)
		clock.Set(at(mon, 8, 0))
		f := newFixture(t, db, 1)
		kpis, err := hall.NewKPIService(f.store, clock)
		ok(t, err)
		op := as(f.ops[0])
		step := func(hh, mm int, day dost.Date) { clock.Set(at(day, hh, mm)) }
		act := func(id int64, a dost.TicketAction) {
			t.Helper()
			r := dost.TicketActionRequest{Action: a}
			if a == dost.TicketFinish {
				r.ServicesDone = []string{pension}
			}
			_, err := f.act(0, id, r)
			ok(t, err)
		}
		callNext := func(want int64) {
			t.Helper()
			got, _, err := f.svc.CallNext(op, f.counter(0))
			ok(t, err)
			if got.ID != want {
				t.Fatalf("call next: got ticket %d, want %d", got.ID, want)
			}
		}

		// Monday. A is issued before any counter opens: no quote.
		step(9, 0, mon)
		a := f.issue(t, pension, "")
		_, err = f.svc.SignInCounter(op, f.counter(0))
		ok(t, err)
		b := f.issue(t, pension, "")
		step(9, 4, mon)
		callNext(a.ID) // waited 4 min
		step(9, 5, mon)
		act(a.ID, dost.TicketStart)
		step(9, 12, mon)
		act(a.ID, dost.TicketFinish) // served 7 min
		callNext(b.ID)               // waited 12 min
		step(9, 13, mon)
		act(b.ID, dost.TicketStart)
		step(9, 18, mon)
		act(b.ID, dost.TicketFinish) // served 5 min
		step(9, 20, mon)
		c := f.issue(t, pension, "") // a free counter: quoted 1 s
		step(9, 21, mon)
		callNext(c.ID) // waited 1 min
		step(9, 23, mon)
		act(c.ID, dost.TicketMarkNoShow)
		step(9, 25, mon)
		d := f.issue(t, pension, "")
		step(9, 45, mon)
		act(d.ID, dost.TicketCancel) // left after 20 min: missed the 15-minute target
		// Tuesday.
		step(10, 0, tue)
		e := f.issue(t, allowance, "")
		step(10, 30, tue)
		callNext(e.ID) // waited 30 min: missed
		step(10, 31, tue)
		act(e.ID, dost.TicketStart)
		step(10, 41, tue)
		act(e.ID, dost.TicketFinish) // served 10 min
		step(10, 45, tue)
		f.issue(t, allowance, "") // still waiting
		for _, r := range []struct {
			id     int64
			rating int
		}{{a.ID, 5}, {b.ID, 3}} {
			_, err := f.svc.SubmitFeedback(ctx, &dost.NewFeedback{TicketID: r.id, Token: f.svc.FeedbackToken(r.id), Rating: r.rating, Channel: "tablet"})
			ok(t, err)
		}
		step(10, 50, tue)

		if a.QuotedWaitSeconds != 0 || c.QuotedWaitSeconds != 1 || e.QuotedWaitSeconds != 1 || b.QuotedWaitSeconds < 1 {
			t.Fatalf("quotes: got A %d, B %d, C %d, E %d; want 0, ≥ 1, 1, 1", a.QuotedWaitSeconds, b.QuotedWaitSeconds, c.QuotedWaitSeconds, e.QuotedWaitSeconds)
		}
		admin := f.admin
		got, err := kpis.QueueKPIs(admin, dost.QueueKPIFilter{CentreID: f.centre.ID, From: mon, To: tue, By: dost.KPIByDay})
		ok(t, err)
		k := got.Total
		if k.Issued != 6 || k.Called != 4 || k.Served != 3 || k.NoShows != 1 || k.Cancelled != 1 {
			t.Errorf("counts: got issued %d called %d served %d no-shows %d cancelled %d, want 6 4 3 1 1", k.Issued, k.Called, k.Served, k.NoShows, k.Cancelled)
		}
		// Waits 240, 720, 60, 1800 s.
		if f64(k.WaitAvgSeconds) != 705 || f64(k.WaitP90Seconds) != 1800 || f64(k.WaitMaxSeconds) != 1800 {
			t.Errorf("waits: got avg %v p90 %v max %v, want 705 1800 1800", f64(k.WaitAvgSeconds), f64(k.WaitP90Seconds), f64(k.WaitMaxSeconds))
		}
		if k.WithinTarget != 3 || k.MissedTarget != 2 || f64(k.ServiceLevel) != 0.6 || got.ServiceLevelMinutes != 15 {
			t.Errorf("service level: got %d within, %d missed, %v of %d min, want 3, 2, 0.6 of 15", k.WithinTarget, k.MissedTarget, f64(k.ServiceLevel), got.ServiceLevelMinutes)
		}
		// Service times 420, 300, 600 s.
		if k.ServiceCount != 3 || f64(k.ServiceAvgSeconds) != 440 || f64(k.ServiceP90Seconds) != 600 {
			t.Errorf("service times: got %d, avg %v, p90 %v, want 3, 440, 600", k.ServiceCount, f64(k.ServiceAvgSeconds), f64(k.ServiceP90Seconds))
		}
		if k.Ratings != 2 || f64(k.RatingAvg) != 4 {
			t.Errorf("ratings: got %d avg %v, want 2 avg 4", k.Ratings, f64(k.RatingAvg))
		}
		// Quotes of B, C and E against waits of 720, 60 and 1800 s.
		errs := []float64{720 - float64(b.QuotedWaitSeconds), 59, 1799}
		var abs, within float64
		for _, x := range errs {
			abs += max(x, -x)
			if max(x, -x) <= 300 {
				within++
			}
		}
		if k.Quotes != 3 || f64(k.QuoteMAESeconds) != float64(int(abs/3+0.5)) || float64(k.QuotesWithin) != within {
			t.Errorf("quotes: got %d, MAE %v, %d within; want 3, %v, %v", k.Quotes, f64(k.QuoteMAESeconds), k.QuotesWithin, float64(int(abs/3+0.5)), within)
		}
		if len(got.Periods) != 2 || got.Periods[0].Label != "2026-11-23" || got.Periods[0].Issued != 4 || got.Periods[1].Issued != 2 ||
			got.Periods[1].Served != 1 || f64(got.Periods[1].ServiceLevel) != 0 {
			t.Errorf("days: got %+v", got.Periods)
		}
		if len(got.Services) != 2 || got.Services[0].ServiceCode != allowance || got.Services[0].Issued != 2 ||
			got.Services[1].ServiceCode != pension || got.Services[1].Issued != 4 || f64(got.Services[1].ServiceAvgSeconds) != 360 {
			t.Errorf("services: got %+v", got.Services)
		}
		if len(got.Operators) != 1 || got.Operators[0].Name != "op000" || got.Operators[0].Called != 4 || got.Operators[0].Served != 3 ||
			got.Operators[0].NoShows != 1 || got.Operators[0].Ratings != 2 || got.Operators[0].Issued != 0 {
			t.Errorf("operators: got %+v", got.Operators)
		}
		if l := got.Live; l == nil || l.Waiting != 1 || l.LongestWaitSeconds != 300 || l.OpenCounters != 1 || l.Serving != 0 {
			t.Errorf("live: got %+v, want 1 waiting for 300 s, 1 open counter", l)
		}

		t.Run("ByWeek", func(t *testing.T) {
			got, err := kpis.QueueKPIs(admin, dost.QueueKPIFilter{CentreID: f.centre.ID, From: mon.AddDate(0, 0, -3), To: tue, By: dost.KPIByWeek})
			ok(t, err)
			if len(got.Periods) != 2 || got.Periods[0].Label != "2026-W47" || got.Periods[0].Issued != 0 || got.Periods[0].WaitAvgSeconds != nil ||
				got.Periods[1].Label != "2026-W48" || got.Periods[1].Start != mon || got.Periods[1].End != tue || got.Periods[1].Issued != 6 {
				t.Errorf("weeks: got %+v %+v", got.Periods[0], got.Periods[len(got.Periods)-1])
			}
		})
		t.Run("PastRangeHasNoLive", func(t *testing.T) {
			got, err := kpis.QueueKPIs(admin, dost.QueueKPIFilter{CentreID: f.centre.ID, From: mon, To: mon})
			ok(t, err)
			if got.Live != nil || got.Total.Issued != 4 || got.By != dost.KPIByDay {
				t.Errorf("Monday alone: got live %+v, issued %d, by %q", got.Live, got.Total.Issued, got.By)
			}
		})
		t.Run("Access", func(t *testing.T) {
			fl := dost.QueueKPIFilter{CentreID: f.centre.ID, From: mon, To: tue}
			sup := &dost.User{ID: 900, Roles: []dost.Role{dost.RoleSupervisor}, CentreIDs: []int64{f.centre.ID}}
			_, err := kpis.QueueKPIs(as(sup), fl)
			ok(t, err)
			other := &dost.User{ID: 901, Roles: []dost.Role{dost.RoleSupervisor}, CentreIDs: []int64{f.centre2.ID}}
			_, err = kpis.QueueKPIs(as(other), fl)
			mustCode(t, err, dost.EFORBIDDEN, "")
			_, err = kpis.QueueKPIs(op, fl)
			mustCode(t, err, dost.EFORBIDDEN, "")
			_, err = kpis.QueueKPIs(ctx, fl)
			mustCode(t, err, dost.EUNAUTHORIZED, "")
			_, err = kpis.QueueKPIs(admin, dost.QueueKPIFilter{CentreID: 999999, From: mon, To: tue})
			mustCode(t, err, dost.ENOTFOUND, "")
		})
		t.Run("BadFilter", func(t *testing.T) {
			_, err := kpis.QueueKPIs(admin, dost.QueueKPIFilter{CentreID: f.centre.ID, From: tue, To: mon})
			mustCode(t, err, dost.EINVALID, "kpi.range")
			_, err = kpis.QueueKPIs(admin, dost.QueueKPIFilter{CentreID: f.centre.ID, From: mon, To: mon.AddDate(1, 0, 1)})
			mustCode(t, err, dost.EINVALID, "kpi.range_too_long")
			_, err = kpis.QueueKPIs(admin, dost.QueueKPIFilter{CentreID: f.centre.ID, From: mon, To: tue, By: "month"})
			mustCode(t, err, dost.EINVALID, "kpi.by")
		})
	})
}

// TestComputeKPIs_Sessions checks what the log alone decides: a service
// parked and resumed is one visit of two sessions, a transfer's sessions
// count for each service and operator, and an appointment's ticket checked
// in early waits from its slot.
func TestComputeKPIs_Sessions(t *testing.T) {
	day := kpiMonday
	slot := at(day, 10, 0)
	ev := func(id int64, kind dost.QueueEventKind, hh, mm int, op int64, svc string) hall.KPIEvent {
		return hall.KPIEvent{TicketID: id, Day: day, Kind: kind, At: at(day, hh, mm), OperatorID: op, ServiceCode: svc}
	}
	data := &hall.KPIData{Operators: map[int64]string{7: "Aysel", 8: "Murad"}, Events: []hall.KPIEvent{
		ev(1, dost.QueueIssued, 9, 0, 0, pension),
		ev(1, dost.QueueCalled, 9, 2, 7, pension),
		ev(1, dost.QueueStarted, 9, 3, 7, pension),
		ev(1, dost.QueueParked, 9, 6, 7, pension), // 3 min
		ev(1, dost.QueueCalled, 9, 20, 7, pension),
		ev(1, dost.QueueStarted, 9, 21, 7, pension),
		ev(1, dost.QueueTransferred, 9, 23, 7, disability), // 2 min
		ev(1, dost.QueueCalled, 9, 30, 8, disability),
		ev(1, dost.QueueStarted, 9, 30, 8, disability),
		ev(1, dost.QueueFinished, 9, 40, 8, disability), // 10 min
		ev(2, dost.QueueIssued, 9, 40, 0, pension),
		ev(2, dost.QueueCalled, 10, 5, 8, pension), // 5 min after its slot
	}}
	data.Events[10].AppointmentAt = &slot
	got := hall.ComputeKPIs(dost.QueueKPIFilter{CentreID: 1, From: day, To: day}, 15, data, at(day.AddDate(0, 0, 7), 12, 0))
	k := got.Total
	if k.Issued != 2 || k.Called != 2 || k.Served != 1 || f64(k.WaitAvgSeconds) != 210 || k.ServiceCount != 3 || f64(k.ServiceAvgSeconds) != 300 {
		t.Errorf("total: got issued %d called %d served %d wait %v sessions %d avg %v; want 2 2 1 210 3 300",
			k.Issued, k.Called, k.Served, f64(k.WaitAvgSeconds), k.ServiceCount, f64(k.ServiceAvgSeconds))
	}
	if len(got.Services) != 2 || got.Services[0].ServiceCode != disability || got.Services[0].ServiceCount != 1 ||
		f64(got.Services[0].ServiceAvgSeconds) != 600 || got.Services[0].Issued != 0 ||
		got.Services[1].ServiceCount != 2 || got.Services[1].Issued != 2 || got.Services[1].Served != 1 {
		t.Errorf("services: got %+v %+v", got.Services[0], got.Services[len(got.Services)-1])
	}
	if len(got.Operators) != 2 || got.Operators[0].Name != "Aysel" || got.Operators[0].ServiceCount != 2 || got.Operators[0].Called != 1 ||
		got.Operators[1].Name != "Murad" || got.Operators[1].Served != 1 || got.Operators[1].Called != 1 {
		t.Errorf("operators: got %+v %+v", got.Operators[0], got.Operators[len(got.Operators)-1])
	}
	if got.Live != nil {
		t.Errorf("live for a past day: got %+v", got.Live)
	}
}
