package queue

import (
	"math"
	"time"

	"github.com/dost-az/dost"
)

// DefaultAlpha is the weight of a new service time in the moving average:
// 0.2 makes the last nine or so services (2/α − 1) carry most of it, so
// the average follows a slower or faster morning within the hour without
// jumping at one long visit.
const DefaultAlpha = 0.2

// DefaultServiceTime is the average assumed for a service whose passport
// gives no front-office minutes and that has no samples yet.
const DefaultServiceTime = 10 * time.Minute

// EWMA is an exponentially weighted moving average of durations: each
// sample x moves the mean m to m + Alpha·(x − m). Mean starts at a seed
// (the passport's minutes), which the samples wash out. The zero EWMA has
// Alpha 0 and never moves; use NewEWMA. An EWMA is not safe for concurrent
// use.
type EWMA struct {
	Alpha   float64
	Mean    time.Duration
	Samples int
}

// NewEWMA returns an average with weight alpha (0 < alpha ≤ 1; otherwise
// DefaultAlpha) starting at seed.
func NewEWMA(alpha float64, seed time.Duration) *EWMA {
	if !(alpha > 0 && alpha <= 1) {
		alpha = DefaultAlpha
	}
	return &EWMA{Alpha: alpha, Mean: seed}
}

// Add takes one sample. Samples of zero or less are ignored (a service
// finished in the same instant it started says nothing about its length).
func (e *EWMA) Add(d time.Duration) {
	if d <= 0 {
		return
	}
	e.Mean += time.Duration(math.Round(e.Alpha * float64(d-e.Mean)))
	e.Samples++
}

// ServiceTimes holds the moving average of each service's time at the
// counter (from start to finish). It is not safe for concurrent use: its
// owner (one per centre) guards it.
type ServiceTimes struct {
	alpha float64
	m     map[string]*EWMA
}

// NewServiceTimes returns averages with weight alpha, each service seeded
// with its passport's front-office minutes (DefaultServiceTime when 0).
func NewServiceTimes(alpha float64, services []*dost.Service) *ServiceTimes {
	st := &ServiceTimes{alpha: alpha, m: make(map[string]*EWMA, len(services))}
	for _, s := range services {
		seed := time.Duration(s.FrontOfficeMinutes) * time.Minute
		if seed <= 0 {
			seed = DefaultServiceTime
		}
		st.m[s.Code] = NewEWMA(alpha, seed)
	}
	return st
}

// Observe adds a service time of service code; an unknown service starts
// at DefaultServiceTime.
func (st *ServiceTimes) Observe(code string, d time.Duration) {
	e := st.m[code]
	if e == nil {
		e = NewEWMA(st.alpha, DefaultServiceTime)
		st.m[code] = e
	}
	e.Add(d)
}

// Mean returns the average time of service code, DefaultServiceTime for a
// service never seen.
func (st *ServiceTimes) Mean(code string) time.Duration {
	if e := st.m[code]; e != nil {
		return e.Mean
	}
	return DefaultServiceTime
}

// Counter is an open counter for the estimate: its operator and the ticket
// it has in hand, if any.
type Counter struct {
	Operator Operator
	// Busy is the service of the ticket the counter has called or is
	// serving ("" when free); Since is when it was called.
	Busy  string
	Since time.Time
}

// Estimate is the wait estimate of a queue at one moment.
type Estimate struct {
	// Tickets maps each waiting ticket's ID to its estimated wait from
	// now until it is called.
	Tickets map[int64]time.Duration
	// Unserved lists the waiting tickets no open counter may serve, in
	// policy order: their wait is unknown.
	Unserved []int64
	// Services maps each service code asked about to the estimated wait
	// of an ordinary ticket issued now; a service no open counter serves
	// is missing.
	Services map[string]time.Duration
}

// counterState is a counter during the simulation.
type counterState struct {
	m      *matcher
	id     int64
	free   int64 // when it is next free, Unix nanoseconds
	cursor int   // the tickets before it in policy order are taken or not its
	done   bool
	// newAt is when it would first reach a ticket issued now (or run
	// dry), -1 until then.
	newAt int64
}

// Estimate simulates p over the waiting tickets with the open counters and
// the service times: which counter calls which ticket when (see the package
// comment). services are those to estimate a new ticket's wait for (the
// centre's). It does not change its arguments; its cost grows with
// tickets × counters (BenchmarkEstimate500x20).
func (p Policy) Estimate(now time.Time, waiting []*dost.Ticket, counters []Counter, times *ServiceTimes, services []*dost.Service) *Estimate {
	es := p.sorted(waiting)
	nowNs := now.UnixNano()
	cs := make([]*counterState, len(counters))
	for i := range counters {
		c := &counters[i]
		free := nowNs
		if c.Busy != "" {
			if left := times.Mean(c.Busy) - now.Sub(c.Since); left > 0 {
				free += int64(left)
			}
		}
		cs[i] = &counterState{m: newMatcher(&c.Operator), id: c.Operator.CounterID, free: free, newAt: -1}
	}
	// A new ordinary ticket issued now would have this entry; it goes
	// after every ticket with an effective issue up to now.
	fresh := entry{t: &dost.Ticket{ID: math.MaxInt64}, eff: nowNs, issued: nowNs}
	taken := make([]bool, len(es))
	est := &Estimate{Tickets: make(map[int64]time.Duration, len(es)), Services: map[string]time.Duration{}}
	for {
		// The counter free first takes its next ticket; ties go to the
		// counter listed first, so the run is deterministic.
		var c *counterState
		for _, x := range cs {
			if !x.done && (c == nil || x.free < c.free) {
				c = x
			}
		}
		if c == nil {
			break
		}
		for c.cursor < len(es) && (taken[c.cursor] || !c.m.may(&es[c.cursor])) {
			c.cursor++
		}
		if c.cursor == len(es) {
			c.done = true
			if c.newAt < 0 {
				c.newAt = c.free
			}
			continue
		}
		e := &es[c.cursor]
		if c.newAt < 0 && fresh.before(e) {
			c.newAt = c.free
		}
		taken[c.cursor] = true
		est.Tickets[e.t.ID] = time.Duration(c.free - nowNs)
		c.free += int64(times.Mean(e.t.ServiceCode))
	}
	for i := range es {
		if !taken[i] {
			est.Unserved = append(est.Unserved, es[i].t.ID)
		}
	}
	for _, s := range services {
		t := entry{t: &dost.Ticket{Status: dost.TicketWaiting, ServiceCode: s.Code, Group: s.QueueGroup}, cat: categoryIndex(s.Code)}
		best := int64(-1)
		for _, c := range cs {
			if c.m.may(&t) && (best < 0 || c.newAt < best) {
				best = c.newAt
			}
		}
		if best >= 0 {
			est.Services[s.Code] = time.Duration(best - nowNs)
		}
	}
	return est
}
