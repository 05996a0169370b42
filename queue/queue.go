// Package queue is the computation behind a centre's hall queue, with no
// I/O: the call-next policy that chooses the next ticket for an operator
// and explains why, and the wait estimate that simulates that policy over
// the current queue. The QueueService's storage calls it inside its
// transaction; tests call it directly.
//
// # The call-next policy
//
// Every waiting ticket has an effective issue time:
//
//	effective = base − head start
//	base      = the appointment's slot start − AppointmentLead, for a ticket
//	            checked in for an appointment; else the ticket's IssuedAt
//	head start = HeadStart for a ticket in a priority group, else 0
//
// Call-next chooses, among the tickets the operator may serve, the one with
// the earliest effective issue time, that is the longest effective wait
// across all services: ties go to the earlier IssuedAt, then the lower
// ticket ID, so the choice never depends on the order of the input. An
// operator may serve a ticket when they are certified for its service's
// category (or for the service itself), their counter serves its queue
// group (a counter with no groups serves all), and the ticket was not
// transferred to another counter.
//
// A priority ticket thus gets a fixed head start, not absolute precedence:
// a ticket issued at T goes before every ticket whose effective issue is
// later, which includes every priority ticket issued after T + HeadStart,
// so however steady the stream of priority tickets, each ticket is called
// once the finitely many tickets ahead of it are served. An appointment
// enters the queue as if its holder had arrived AppointmentLead before the
// slot: ahead of the walk-ins who came later, behind those who came
// earlier, whatever the time of check-in.
//
// Because the effective issue time does not depend on the clock, the
// policy is a fixed order of the waiting tickets; time only ages them all
// alike. Knobs and defaults (QueueSettings stores a centre's own):
//
//	HeadStart        10 min  (dost.DefaultHeadStartMinutes)
//	AppointmentLead  10 min  (dost.DefaultAppointmentLeadMinutes)
//
// # The wait estimate
//
// Estimate replays the policy over the waiting tickets with the open
// counters: the counter that is free first takes the ticket Choose would
// give it and is busy for that service's average time, until no counter
// has a ticket left. A ticket's estimate is when it would be called, minus
// now. A service's estimate is the wait of a new ordinary ticket issued
// now. Averages are exponentially weighted moving averages of recent
// service times (EWMA, alpha DefaultAlpha = 0.2), seeded from the service
// passport's front-office minutes.
package queue

import (
	"sort"
	"time"

	"github.com/dost-az/dost"
)

// Policy holds the call-next policy's knobs. The zero Policy has no head
// start and no lead: pure longest wait first.
type Policy struct {
	// HeadStart is how much earlier than its base a priority ticket
	// counts as issued.
	HeadStart time.Duration
	// AppointmentLead is how long before its slot an appointment's ticket
	// counts as issued.
	AppointmentLead time.Duration
}

// DefaultPolicy returns the policy with dost's default knobs.
func DefaultPolicy() Policy {
	return PolicyFor(dost.DefaultQueueSettings(0))
}

// PolicyFor returns a centre's policy from its queue settings.
func PolicyFor(s *dost.QueueSettings) Policy {
	return Policy{
		HeadStart:       time.Duration(s.HeadStartMinutes) * time.Minute,
		AppointmentLead: time.Duration(s.AppointmentLeadMinutes) * time.Minute,
	}
}

// Operator is who calls at a counter, as the policy sees them.
type Operator struct {
	CounterID int64
	// Categories and Services are what the operator is certified for
	// today: a ticket's service qualifies if its category is among
	// Categories or its code among Services.
	Categories []dost.Category
	Services   []string
	// Groups are the queue groups the counter serves; empty means all.
	Groups []string
}

// Effective returns the time t counts as issued under p (see the package
// comment).
func (p Policy) Effective(t *dost.Ticket) time.Time {
	base := t.IssuedAt
	if t.AppointmentAt != nil {
		base = t.AppointmentAt.Add(-p.AppointmentLead)
	}
	if t.Priority != dost.PriorityNone {
		base = base.Add(-p.HeadStart)
	}
	return base
}

// entry is a waiting ticket with what the policy needs precomputed.
type entry struct {
	t      *dost.Ticket
	eff    int64 // effective issue, Unix nanoseconds
	issued int64 // IssuedAt, Unix nanoseconds
	cat    int   // category index 0..9, -1 for a malformed code
}

func (p Policy) entryOf(t *dost.Ticket) entry {
	return entry{t: t, eff: p.Effective(t).UnixNano(), issued: t.IssuedAt.UnixNano(), cat: categoryIndex(t.ServiceCode)}
}

// mayEntry returns t's entry if m's operator may serve it; it computes the
// times only then, as most tickets of a big queue are not the operator's.
func (p Policy) mayEntry(m *matcher, t *dost.Ticket) (entry, bool) {
	e := entry{t: t, cat: categoryIndex(t.ServiceCode)}
	if !m.may(&e) {
		return e, false
	}
	e.eff, e.issued = p.Effective(t).UnixNano(), t.IssuedAt.UnixNano()
	return e, true
}

// before reports whether a goes before b: earlier effective issue, then
// earlier IssuedAt, then lower ID.
func (a *entry) before(b *entry) bool {
	if a.eff != b.eff {
		return a.eff < b.eff
	}
	if a.issued != b.issued {
		return a.issued < b.issued
	}
	return a.t.ID < b.t.ID
}

// categoryIndex returns the index in dost.Categories of a service code's
// category ("05-…" is 4), or -1 if the code does not start with 01 to 10
// and a dash. It does what dost.CategoryOfCode does for well-formed codes,
// without a regular expression: it runs for every waiting ticket.
func categoryIndex(code string) int {
	if len(code) < 3 || code[2] != '-' || code[0] < '0' || code[0] > '1' || code[1] < '0' || code[1] > '9' {
		return -1
	}
	n := int(code[0]-'0')*10 + int(code[1]-'0')
	if n < 1 || n > len(dost.Categories) {
		return -1
	}
	return n - 1
}

// matcher answers "may this operator serve this ticket" quickly.
type matcher struct {
	counter  int64
	cats     uint16 // bit i: certified for dost.Categories[i]
	services map[string]bool
	groups   []string
}

func newMatcher(op *Operator) *matcher {
	m := &matcher{counter: op.CounterID, groups: op.Groups}
	for _, c := range op.Categories {
		for i, k := range dost.Categories {
			if k == c {
				m.cats |= 1 << i
			}
		}
	}
	if len(op.Services) > 0 {
		m.services = make(map[string]bool, len(op.Services))
		for _, s := range op.Services {
			m.services[s] = true
		}
	}
	return m
}

// certified reports whether the operator is certified for a service whose
// category index is cat.
func (m *matcher) certified(code string, cat int) bool {
	return (cat >= 0 && m.cats&(1<<cat) != 0) || m.services[code]
}

// serves reports whether the counter serves queue group g.
func (m *matcher) serves(g string) bool {
	if len(m.groups) == 0 {
		return true
	}
	for _, x := range m.groups {
		if x == g {
			return true
		}
	}
	return false
}

func (m *matcher) may(e *entry) bool {
	t := e.t
	return t.Status == dost.TicketWaiting &&
		(t.DirectedCounterID == 0 || t.DirectedCounterID == m.counter) &&
		m.certified(t.ServiceCode, e.cat) && m.serves(t.Group)
}

// May reports whether op may be offered ticket t: it waits, it was not
// transferred to another counter, op is certified for its service and the
// counter serves its group.
func May(op Operator, t *dost.Ticket) bool {
	e := entry{t: t, cat: categoryIndex(t.ServiceCode)}
	return newMatcher(&op).may(&e)
}

// Choose returns the ticket of waiting the policy gives op at now, and why;
// ok is false when op may serve none of them. Tickets that are not waiting
// are ignored. Choose does not change its arguments and is safe for
// concurrent use.
func (p Policy) Choose(waiting []*dost.Ticket, op Operator, now time.Time) (t *dost.Ticket, why *dost.CallReason, ok bool) {
	m := newMatcher(&op)
	var best entry
	found := false
	for _, t := range waiting {
		e, ok := p.mayEntry(m, t)
		if !ok {
			continue
		}
		if !found || e.before(&best) {
			best, found = e, true
		}
	}
	if !found {
		return nil, nil, false
	}
	return best.t, p.explain(waiting, m, &best, now), true
}

// explain builds the reason best was chosen among waiting.
func (p Policy) explain(waiting []*dost.Ticket, m *matcher, best *entry, now time.Time) *dost.CallReason {
	t := best.t
	r := &dost.CallReason{Code: dost.ReasonLongestWait, WaitedSeconds: int64(now.Sub(t.IssuedAt) / time.Second)}
	var services []string
	for _, x := range waiting {
		e, ok := p.mayEntry(m, x)
		if !ok {
			continue
		}
		r.Waiting++
		if !contains(services, x.ServiceCode) {
			services = append(services, x.ServiceCode)
		}
		// Passed counts the tickets issued earlier that best went ahead
		// of, leaving out appointments that are not yet due (their own
		// slot, not best's head start, puts them behind).
		if e.t != t && e.issued < best.issued && !(x.AppointmentAt != nil && e.eff+p.headStart(x) > e.issued) {
			r.Passed++
		}
	}
	r.Services = len(services)
	if r.Passed > 0 {
		switch {
		case t.AppointmentAt != nil && t.AppointmentAt.Add(-p.AppointmentLead).Before(t.IssuedAt):
			r.Code = dost.ReasonAppointment
		case t.Priority != dost.PriorityNone && p.HeadStart > 0:
			r.Code = dost.ReasonPriority
		}
	}
	if t.Priority != dost.PriorityNone {
		r.Priority = t.Priority
		r.HeadStartSeconds = int64(p.HeadStart / time.Second)
	}
	if t.AppointmentAt != nil {
		at := *t.AppointmentAt
		r.AppointmentAt = &at
		r.AppointmentLeadSeconds = int64(p.AppointmentLead / time.Second)
	}
	return r
}

func (p Policy) headStart(t *dost.Ticket) int64 {
	if t.Priority != dost.PriorityNone {
		return int64(p.HeadStart)
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Order returns the waiting tickets of list in the policy's order (the
// order a single operator certified for everything would call them).
func (p Policy) Order(list []*dost.Ticket) []*dost.Ticket {
	es := p.sorted(list)
	out := make([]*dost.Ticket, len(es))
	for i := range es {
		out[i] = es[i].t
	}
	return out
}

// sorted returns the waiting tickets of list as entries in policy order.
func (p Policy) sorted(list []*dost.Ticket) []entry {
	es := make([]entry, 0, len(list))
	for _, t := range list {
		if t.Status == dost.TicketWaiting {
			es = append(es, p.entryOf(t))
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].before(&es[j]) })
	return es
}
