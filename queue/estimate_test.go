package queue_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/queue"
)

func passports() []*dost.Service {
	return []*dost.Service{
		{Code: pension, QueueGroup: "P", FrontOfficeMinutes: 5},
		{Code: allowance, QueueGroup: "P", FrontOfficeMinutes: 8},
		{Code: disability, QueueGroup: "D", FrontOfficeMinutes: 12},
		{Code: assistance, QueueGroup: "S"}, // no minutes: DefaultServiceTime
	}
}

func TestEWMA(t *testing.T) {
	e := queue.NewEWMA(0.5, 10*time.Minute)
	e.Add(6 * time.Minute)
	e.Add(0) // ignored
	e.Add(4 * time.Minute)
	if e.Mean != 6*time.Minute || e.Samples != 2 {
		t.Errorf("got %v after %d samples, want 6m0s after 2", e.Mean, e.Samples)
	}
	if d := queue.NewEWMA(0, time.Minute); d.Alpha != queue.DefaultAlpha {
		t.Errorf("alpha 0: got %v, want DefaultAlpha", d.Alpha)
	}
	st := queue.NewServiceTimes(queue.DefaultAlpha, passports())
	if got := st.Mean(disability); got != 12*time.Minute {
		t.Errorf("seeded: got %v, want 12m", got)
	}
	if got := st.Mean(assistance); got != queue.DefaultServiceTime {
		t.Errorf("no passport minutes: got %v, want %v", got, queue.DefaultServiceTime)
	}
	st.Observe(pension, 10*time.Minute)
	if got := st.Mean(pension); got != 6*time.Minute {
		t.Errorf("5m + 0.2·(10m − 5m): got %v, want 6m", got)
	}
	st.Observe("09-01-01-00", 20*time.Minute)
	if got := st.Mean("09-01-01-00"); got != 12*time.Minute {
		t.Errorf("unknown service: got %v, want 10m + 0.2·10m = 12m", got)
	}
}

func TestEstimate(t *testing.T) {
	p := queue.DefaultPolicy()
	times := queue.NewServiceTimes(queue.DefaultAlpha, passports())
	now := minute(30)
	t.Run("OneCounter", func(t *testing.T) {
		w := []*dost.Ticket{ticket(1, pension, minute(1)), ticket(2, disability, minute(2)), ticket(3, pension, minute(3))}
		c := []queue.Counter{{Operator: all, Busy: allowance, Since: minute(27)}} // 5 of 8 min left
		est := p.Estimate(now, w, c, times, passports())
		want := map[int64]time.Duration{1: 5 * time.Minute, 2: 10 * time.Minute, 3: 22 * time.Minute}
		if !reflect.DeepEqual(est.Tickets, want) || len(est.Unserved) != 0 {
			t.Errorf("tickets: got %v unserved %v, want %v", est.Tickets, est.Unserved, want)
		}
		// A new ticket of any service comes after all three.
		for _, s := range passports() {
			if got := est.Services[s.Code]; got != 27*time.Minute {
				t.Errorf("service %s: got %v, want 27m", s.Code, got)
			}
		}
	})
	t.Run("CertificationsAndGroups", func(t *testing.T) {
		w := []*dost.Ticket{ticket(1, disability, minute(1)), ticket(2, pension, minute(2)), ticket(3, assistance, minute(3)), ticket(4, pension, minute(4))}
		c := []queue.Counter{
			{Operator: queue.Operator{CounterID: 1, Categories: []dost.Category{dost.CategoryPensionsBenefits}}},
			{Operator: queue.Operator{CounterID: 2, Categories: []dost.Category{dost.CategoryPensionsBenefits, dost.CategoryDisability}, Groups: []string{"D"}}},
		}
		est := p.Estimate(now, w, c, times, passports())
		want := map[int64]time.Duration{1: 0, 2: 0, 4: 5 * time.Minute}
		if !reflect.DeepEqual(est.Tickets, want) || !slices.Equal(est.Unserved, []int64{3}) {
			t.Errorf("tickets: got %v unserved %v, want %v unserved [3]", est.Tickets, est.Unserved, want)
		}
		wantS := map[string]time.Duration{pension: 10 * time.Minute, allowance: 10 * time.Minute, disability: 12 * time.Minute}
		if !reflect.DeepEqual(est.Services, wantS) {
			t.Errorf("services: got %v, want %v", est.Services, wantS)
		}
	})
	t.Run("FutureAppointmentAfterNewTicket", func(t *testing.T) {
		slot := minute(60)
		a := ticket(1, pension, minute(29))
		a.AppointmentAt = &slot
		w := []*dost.Ticket{a, ticket(2, pension, minute(10))}
		est := p.Estimate(now, w, []queue.Counter{{Operator: all}}, times, passports()[:1])
		// The walk-in first, then a new ticket would go before the
		// appointment (it counts from 09:50).
		if est.Tickets[2] != 0 || est.Tickets[1] != 5*time.Minute || est.Services[pension] != 5*time.Minute {
			t.Errorf("got %v %v, want 2 at 0, 1 at 5m, a new ticket at 5m", est.Tickets, est.Services)
		}
	})
	t.Run("NoCounters", func(t *testing.T) {
		est := p.Estimate(now, []*dost.Ticket{ticket(1, pension, minute(1))}, nil, times, passports())
		if len(est.Tickets) != 0 || !slices.Equal(est.Unserved, []int64{1}) || len(est.Services) != 0 {
			t.Errorf("got %+v, want everything unknown", est)
		}
	})
}

// TestEstimate_FollowsChoose replays Estimate's simulation with Choose: each
// ticket's estimate must be when the counter free first, choosing by the
// policy, would call it. It also checks that the estimate does not depend
// on the order of the tickets.
func TestEstimate_FollowsChoose(t *testing.T) {
	p := queue.DefaultPolicy()
	times := queue.NewServiceTimes(queue.DefaultAlpha, passports())
	r := rand.New(rand.NewPCG(5, 6))
	now := minute(120)
	for i := range 200 {
		w := randomQueue(r, 1+r.IntN(80), now)
		var cs []queue.Counter
		for k := range 1 + r.IntN(4) {
			op := randomOperator(r)
			op.CounterID = int64(k + 1)
			cs = append(cs, queue.Counter{Operator: op})
		}
		est := p.Estimate(now, w, cs, times, nil)

		free := make([]time.Time, len(cs))
		done := make([]bool, len(cs))
		left := slices.Clone(w)
		want := map[int64]time.Duration{}
		for {
			k := -1
			for j := range cs {
				if !done[j] && (k < 0 || free[j].Before(free[k])) {
					k = j
				}
			}
			if k < 0 {
				break
			}
			at := now
			if !free[k].IsZero() {
				at = free[k]
			}
			got, _, ok := p.Choose(left, cs[k].Operator, at)
			if !ok {
				done[k] = true
				continue
			}
			want[got.ID] = at.Sub(now)
			free[k] = at.Add(times.Mean(got.ServiceCode))
			left = slices.DeleteFunc(left, func(x *dost.Ticket) bool { return x == got })
		}
		if !reflect.DeepEqual(est.Tickets, want) {
			t.Fatalf("case %d: estimate %v, replay %v", i, est.Tickets, want)
		}
		if len(est.Tickets)+len(est.Unserved) != len(w) {
			t.Fatalf("case %d: %d estimated + %d unserved, want %d", i, len(est.Tickets), len(est.Unserved), len(w))
		}
		shuffled := slices.Clone(w)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if est2 := p.Estimate(now, shuffled, cs, times, nil); !reflect.DeepEqual(est2, est) {
			t.Fatalf("case %d: shuffled input changed the estimate", i)
		}
	}
}

// bigQueue is n waiting tickets and k counters of operators certified for
// two or three of the four services' categories.
func bigQueue(n, k int) ([]*dost.Ticket, []queue.Counter) {
	r := rand.New(rand.NewPCG(7, 8))
	now := minute(120)
	w := randomQueue(r, n, now)
	cats := []dost.Category{dost.CategoryPensionsBenefits, dost.CategoryDisability, dost.CategoryTargetedAssistance}
	cs := make([]queue.Counter, k)
	for i := range cs {
		op := queue.Operator{CounterID: int64(i + 1), Categories: []dost.Category{cats[i%3], cats[(i+1)%3]}}
		if i%4 == 0 {
			op.Categories = cats
		}
		cs[i] = queue.Counter{Operator: op, Busy: pension, Since: now.Add(-time.Duration(i) * time.Minute)}
	}
	return w, cs
}

func BenchmarkChoose500(b *testing.B) {
	p := queue.DefaultPolicy()
	w, cs := bigQueue(500, 20)
	now := minute(120)
	op := cs[1].Operator
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := p.Choose(w, op, now); !ok {
			b.Fatal("nothing chosen")
		}
	}
}

func BenchmarkEstimate500x20(b *testing.B) {
	p := queue.DefaultPolicy()
	w, cs := bigQueue(500, 20)
	times := queue.NewServiceTimes(queue.DefaultAlpha, passports())
	now := minute(120)
	b.ReportAllocs()
	for b.Loop() {
		if est := p.Estimate(now, w, cs, times, passports()); len(est.Tickets) == 0 {
			b.Fatal("nothing estimated")
		}
	}
}
