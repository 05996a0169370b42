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

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, dost.Baku)

// Services of three categories in two queue groups.
const (
	pension    = "05-01-01-00" // pensions_benefits, group P
	allowance  = "05-04-02-00" // pensions_benefits, group P
	disability = "03-01-01-00" // disability, group D
	assistance = "06-01-01-00" // targeted_assistance, group S
)

var groupOf = map[string]string{pension: "P", allowance: "P", disability: "D", assistance: "S"}

func ticket(id int64, service string, issued time.Time) *dost.Ticket {
	return &dost.Ticket{ID: id, ServiceCode: service, Group: groupOf[service], Status: dost.TicketWaiting, IssuedAt: issued}
}

func minute(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

var all = queue.Operator{CounterID: 1, Categories: dost.Categories}

func TestChoose(t *testing.T) {
	p := queue.DefaultPolicy()
	t.Run("LongestWaitAcrossServices", func(t *testing.T) {
		w := []*dost.Ticket{ticket(1, pension, minute(5)), ticket(2, disability, minute(2)), ticket(3, assistance, minute(8))}
		got, why, ok := p.Choose(w, all, minute(14))
		if !ok || got.ID != 2 {
			t.Fatalf("got %v, want ticket 2", got)
		}
		want := dost.CallReason{Code: dost.ReasonLongestWait, WaitedSeconds: 12 * 60, Waiting: 3, Services: 3}
		if *why != want {
			t.Errorf("reason: got %+v, want %+v", *why, want)
		}
		if s, w := why.String(), "waited 12 min, the longest among 3 services you are certified for"; s != w {
			t.Errorf("String: got %q, want %q", s, w)
		}
	})
	t.Run("PriorityHeadStart", func(t *testing.T) {
		w := []*dost.Ticket{ticket(1, pension, minute(0)), ticket(2, pension, minute(5))}
		w[1].Priority = dost.PriorityDisability
		got, why, _ := p.Choose(w, all, minute(17))
		if got.ID != 2 || why.Code != dost.ReasonPriority || why.Passed != 1 || why.HeadStartSeconds != 600 || why.WaitedSeconds != 12*60 {
			t.Fatalf("got %d %+v, want ticket 2 by priority", got.ID, why)
		}
		if s, w := why.String(), "priority group disability (+10 min), waited 12 min, ahead of 1 issued earlier, the longest among 1 service you are certified for"; s != w {
			t.Errorf("String: got %q, want %q", s, w)
		}
		// Issued more than the head start later, it waits its turn.
		w[1].IssuedAt = minute(11)
		if got, _, _ := p.Choose(w, all, minute(17)); got.ID != 1 {
			t.Errorf("got %d, want 1: the head start is 10 min, not precedence", got.ID)
		}
	})
	t.Run("OnlyCertifiedAndServedGroups", func(t *testing.T) {
		w := []*dost.Ticket{ticket(1, disability, minute(0)), ticket(2, pension, minute(3)), ticket(3, assistance, minute(1))}
		op := queue.Operator{CounterID: 4, Categories: []dost.Category{dost.CategoryPensionsBenefits, dost.CategoryTargetedAssistance}, Groups: []string{"P"}}
		got, why, ok := p.Choose(w, op, minute(10))
		if !ok || got.ID != 2 || why.Waiting != 1 || why.Services != 1 {
			t.Fatalf("got %v %+v, want ticket 2 alone", got, why)
		}
		op.Groups = nil
		op.Categories = nil
		op.Services = []string{disability}
		if got, _, _ := p.Choose(w, op, minute(10)); got.ID != 1 {
			t.Errorf("certified for the service itself: got %d, want 1", got.ID)
		}
	})
	t.Run("DirectedToAnotherCounter", func(t *testing.T) {
		w := []*dost.Ticket{ticket(1, pension, minute(0)), ticket(2, pension, minute(3))}
		w[0].DirectedCounterID = 9
		if got, _, _ := p.Choose(w, all, minute(10)); got.ID != 2 {
			t.Errorf("counter 1: got %d, want 2", got.ID)
		}
		op := all
		op.CounterID = 9
		if got, _, _ := p.Choose(w, op, minute(10)); got.ID != 1 {
			t.Errorf("counter 9: got %d, want 1", got.ID)
		}
	})
	t.Run("NoneWaiting", func(t *testing.T) {
		w := []*dost.Ticket{ticket(1, disability, minute(0)), ticket(2, pension, minute(1))}
		w[1].Status = dost.TicketCalled
		op := queue.Operator{CounterID: 1, Categories: []dost.Category{dost.CategoryPensionsBenefits}}
		if got, why, ok := p.Choose(w, op, minute(5)); ok || got != nil || why != nil {
			t.Errorf("got %v %v %v, want nothing", got, why, ok)
		}
	})
	t.Run("TieBreaks", func(t *testing.T) {
		// Same effective issue (a priority ticket 10 min later): the
		// earlier IssuedAt wins; same IssuedAt: the lower ID.
		w := []*dost.Ticket{ticket(7, pension, minute(10)), ticket(3, pension, minute(0)), ticket(5, pension, minute(0))}
		w[0].Priority = dost.PriorityPregnant
		if got, _, _ := p.Choose(w, all, minute(20)); got.ID != 3 {
			t.Errorf("got %d, want 3", got.ID)
		}
	})
	t.Run("Appointment", func(t *testing.T) {
		slot := minute(30)
		a := ticket(9, pension, minute(5)) // checked in 25 min early
		a.AppointmentAt = &slot
		w := []*dost.Ticket{ticket(1, pension, minute(10)), a, ticket(2, pension, minute(21))}
		// At 09:12 the appointment is not near: walk-ins first.
		if got, _, _ := p.Choose(w, all, minute(12)); got.ID != 1 {
			t.Fatalf("09:12: got %d, want 1", got.ID)
		}
		w = w[1:]
		got, why, _ := p.Choose(w, all, minute(29))
		if got.ID != 9 || why.Code != dost.ReasonLongestWait || why.AppointmentAt == nil || why.AppointmentLeadSeconds != 600 {
			t.Fatalf("09:29: got %d %+v, want the appointment", got.ID, why)
		}
		// Checked in late, it still counts from its slot − lead.
		late := minute(38)
		b := ticket(10, pension, late)
		b.AppointmentAt = &slot
		got, why, _ = p.Choose([]*dost.Ticket{ticket(3, pension, minute(25)), b}, all, minute(39))
		if got.ID != 10 || why.Code != dost.ReasonAppointment || why.Passed != 1 {
			t.Errorf("late check-in: got %d %+v, want the appointment ahead of 1", got.ID, why)
		}
	})
}

// randomQueue makes n waiting tickets over the last two hours with random
// services, priorities, appointments and directed counters.
func randomQueue(r *rand.Rand, n int, now time.Time) []*dost.Ticket {
	services := []string{pension, allowance, disability, assistance}
	out := make([]*dost.Ticket, n)
	for i := range out {
		t := ticket(int64(i+1), services[r.IntN(len(services))], now.Add(-time.Duration(r.IntN(7200))*time.Second))
		if r.IntN(5) == 0 {
			t.Priority = dost.PriorityGroups[r.IntN(len(dost.PriorityGroups))]
		}
		if r.IntN(8) == 0 {
			at := t.IssuedAt.Add(time.Duration(r.IntN(40)-10) * time.Minute)
			t.AppointmentAt = &at
		}
		if r.IntN(20) == 0 {
			t.DirectedCounterID = int64(1 + r.IntN(3))
		}
		out[i] = t
	}
	return out
}

func randomOperator(r *rand.Rand) queue.Operator {
	op := queue.Operator{CounterID: int64(1 + r.IntN(3))}
	for _, c := range []dost.Category{dost.CategoryPensionsBenefits, dost.CategoryDisability, dost.CategoryTargetedAssistance} {
		if r.IntN(2) == 0 {
			op.Categories = append(op.Categories, c)
		}
	}
	if r.IntN(3) == 0 {
		op.Services = []string{allowance}
	}
	if r.IntN(3) == 0 {
		op.Groups = []string{"P", "S"}
	}
	return op
}

// TestChoose_Properties checks, over random queues and operators, that the
// choice is a ticket the operator may serve, that no such ticket goes
// before it, and that it does not depend on the order of the input.
func TestChoose_Properties(t *testing.T) {
	p := queue.DefaultPolicy()
	r := rand.New(rand.NewPCG(1, 2))
	now := minute(120)
	for i := range 500 {
		w := randomQueue(r, 1+r.IntN(60), now)
		op := randomOperator(r)
		got, why, ok := p.Choose(w, op, now)
		var may []*dost.Ticket
		for _, x := range w {
			if queue.May(op, x) {
				may = append(may, x)
			}
		}
		if ok != (len(may) > 0) {
			t.Fatalf("case %d: ok = %v with %d tickets the operator may serve", i, ok, len(may))
		}
		if !ok {
			continue
		}
		if !queue.May(op, got) {
			t.Fatalf("case %d: chose ticket %d (%s) the operator %+v may not serve", i, got.ID, got.ServiceCode, op)
		}
		if want := p.Order(may)[0]; want != got {
			t.Fatalf("case %d: got ticket %d, want %d, the first in policy order", i, got.ID, want.ID)
		}
		if why.Waiting != len(may) {
			t.Fatalf("case %d: reason counts %d waiting, want %d", i, why.Waiting, len(may))
		}
		shuffled := slices.Clone(w)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got2, why2, _ := p.Choose(shuffled, op, now)
		if got2 != got || !reflect.DeepEqual(why2, why) {
			t.Fatalf("case %d: shuffled input chose %d %+v, want %d %+v", i, got2.ID, why2, got.ID, why)
		}
	}
}

// TestChoose_NoStarvation runs one counter under a steady stream of
// priority tickets, more than it can serve, and checks that an ordinary
// ticket is still called within the bound the head start gives: it waits
// for the backlog before it and for the priority tickets issued within
// HeadStart after it, no more. With absolute precedence (an unbounded head
// start) it would never be called, which the test checks too.
func TestChoose_NoStarvation(t *testing.T) {
	const (
		service = 5 * time.Minute // each visit
		every   = 2 * time.Minute // a priority ticket arrives
		horizon = 8 * time.Hour
		backlog = 4 // ordinary tickets ahead of ours
	)
	run := func(p queue.Policy) (time.Duration, bool) {
		var w []*dost.Ticket
		for i := range backlog {
			w = append(w, ticket(int64(i+1), pension, t0.Add(-time.Duration(backlog-i)*time.Minute)))
		}
		ours := ticket(100, pension, t0)
		w = append(w, ours)
		id, next := int64(1000), t0
		for now := t0; now.Sub(t0) < horizon; now = now.Add(service) {
			for ; !next.After(now); next = next.Add(every) {
				pt := ticket(id, allowance, next)
				pt.Priority = dost.PriorityAged65
				w = append(w, pt)
				id++
			}
			got, _, ok := p.Choose(w, all, now)
			if !ok {
				t.Fatal("queue ran dry")
			}
			if got == ours {
				return now.Sub(t0), true
			}
			got.Status = dost.TicketCalled
		}
		return 0, false
	}
	p := queue.DefaultPolicy()
	waited, called := run(p)
	// Ahead of ours: the backlog and the priority tickets issued up to
	// HeadStart after it (one every 2 min from t0: HeadStart/every + 1).
	bound := time.Duration(backlog+int(p.HeadStart/every)+1) * service
	if !called || waited > bound {
		t.Errorf("ordinary ticket called after %v (called %v), want within %v", waited, called, bound)
	}
	p.HeadStart = 100 * time.Hour
	if _, called := run(p); called {
		t.Errorf("with absolute precedence the ordinary ticket was called: the test cannot tell")
	}
}

// TestChoose_AppointmentsNearTheirTime checks over random queues that an
// appointment's ticket is called ahead of every ordinary ticket issued
// after its slot − lead, and behind every one issued before it.
func TestChoose_AppointmentsNearTheirTime(t *testing.T) {
	p := queue.DefaultPolicy()
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		slot := minute(60 + r.IntN(60))
		now := slot.Add(time.Duration(r.IntN(11)-5) * time.Minute)
		a := ticket(1, pension, slot.Add(-time.Duration(r.IntN(40)-10)*time.Minute))
		a.AppointmentAt = &slot
		if a.IssuedAt.After(now) {
			a.IssuedAt = now
		}
		w := []*dost.Ticket{a}
		earlier := false
		for j := range 1 + r.IntN(30) {
			x := ticket(int64(j+2), []string{pension, disability, assistance}[r.IntN(3)], now.Add(-time.Duration(r.IntN(1800))*time.Second))
			earlier = earlier || !x.IssuedAt.After(slot.Add(-p.AppointmentLead))
			w = append(w, x)
		}
		got, _, _ := p.Choose(w, all, now)
		if (got == a) == earlier {
			t.Fatalf("case %d: chose %d (appointment first: %v) with a walk-in issued by slot − lead: %v", i, got.ID, got == a, earlier)
		}
	}
}

func TestPolicyFor(t *testing.T) {
	s := dost.DefaultQueueSettings(1)
	s.HeadStartMinutes, s.AppointmentLeadMinutes = 7, 3
	if got, want := queue.PolicyFor(s), (queue.Policy{HeadStart: 7 * time.Minute, AppointmentLead: 3 * time.Minute}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := queue.DefaultPolicy(); got.HeadStart != 10*time.Minute || got.AppointmentLead != 10*time.Minute {
		t.Errorf("DefaultPolicy: got %+v, want 10 min each", got)
	}
}

func TestMay_MalformedCode(t *testing.T) {
	for _, code := range []string{"", "5", "00-01-01-00", "11-01-01-00", "a5-01-01-00", "0501"} {
		x := ticket(1, code, t0)
		if queue.May(all, x) {
			t.Errorf("May(%q) = true, want false", code)
		}
	}
}
