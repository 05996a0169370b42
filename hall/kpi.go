package hall

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/dost-az/dost"
)

// KPIEvent is a queue event as the KPIs read it, with its ticket's issue
// day and booked slot (nil unless the ticket came from an appointment).
type KPIEvent struct {
	TicketID          int64
	Day               dost.Date
	Kind              dost.QueueEventKind
	At                time.Time
	OperatorID        int64
	ServiceCode       string // the ticket's service after the event
	QuotedWaitSeconds int    // issued events
	AppointmentAt     *time.Time
	// Reason is the event's reason code (dost.CallReason.Code) of a
	// cancelled event: dost.ReasonDayEnd for the day-end job's close.
	Reason dost.CallReasonCode
}

// KPIRating is a visitor's rating with its ticket's issue day.
type KPIRating struct {
	TicketID    int64
	Day         dost.Date
	ServiceCode string
	OperatorID  int64
	Rating      int
}

// KPIData is what the KPIs of a centre over a range of days are computed
// from (ComputeKPIs), read in one transaction.
type KPIData struct {
	// Events are those of the tickets issued on the range's days,
	// ordered by ticket and then by the ticket's version.
	Events []KPIEvent
	// Ratings are those of the same tickets.
	Ratings []KPIRating
	// Operators names the operators of Events and Ratings by user ID.
	Operators map[int64]string
	// OpenCounters is how many operators are signed in now.
	OpenCounters int
}

// KPIReceiver takes the events and ratings a KPIStore reads, one at a
// time; it must not keep the pointers. KPIBuilder is one.
type KPIReceiver interface {
	Event(e *KPIEvent)
	Rating(r *KPIRating)
}

// KPIStore is the storage the KPIs read; sqlstore.HallStore implements
// it. Implementations are safe for concurrent use.
type KPIStore interface {
	// ScanKPIData passes to rcv, in one read transaction, the events of
	// the tickets the centre issued on the days from to to (inclusive),
	// ordered by ticket and then by version, and then their ratings; it
	// returns the names of the operators in them by user ID and how many
	// operators are signed in now. ENOTFOUND for an unknown centre.
	ScanKPIData(ctx context.Context, centreID int64, from, to dost.Date, rcv KPIReceiver) (operators map[int64]string, openCounters int, err error)

	// FindQueueSettings returns a centre's settings, or
	// dost.DefaultQueueSettings if it saved none. ENOTFOUND for an
	// unknown centre.
	FindQueueSettings(ctx context.Context, centreID int64) (*dost.QueueSettings, error)
}

// KPIService computes the supervisor dashboard's KPIs from the queue's
// event log (dost.QueueKPIService). It is safe for concurrent use; create
// it with NewKPIService.
type KPIService struct {
	store KPIStore
	clock dost.Clock
}

var _ dost.QueueKPIService = (*KPIService)(nil)

// NewKPIService returns a KPIService over store; a nil clock is the
// system clock.
func NewKPIService(store KPIStore, clock dost.Clock) (*KPIService, error) {
	if store == nil {
		return nil, errors.New("hall: KPI service needs a store")
	}
	if clock == nil {
		clock = dost.SystemClock{}
	}
	return &KPIService{store: store, clock: clock}, nil
}

// QueueKPIs returns a centre's KPIs. See dost.QueueKPIService.
func (s *KPIService) QueueKPIs(ctx context.Context, f dost.QueueKPIFilter) (*dost.QueueKPIs, error) {
	u := dost.UserFromContext(ctx)
	if u == nil {
		return nil, dost.Errorf(dost.EUNAUTHORIZED, "Sign in first.")
	}
	if !(u.HasRole(dost.RoleAdmin) || u.HasRole(dost.RoleSupervisor) && u.InCentre(f.CentreID)) {
		return nil, dost.Errorf(dost.EFORBIDDEN, "Only the centre's supervisors and administrators see its dashboard.")
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if f.By == "" {
		f.By = dost.KPIByDay
	}
	qs, err := s.store.FindQueueSettings(ctx, f.CentreID)
	if err != nil {
		return nil, err
	}
	// The events stream through the builder: a year's log is never held
	// in memory, only a number or two per ticket for the percentiles.
	b := NewKPIBuilder(f, qs.ServiceLevelMinutes, s.clock.Now())
	ops, open, err := s.store.ScanKPIData(ctx, f.CentreID, f.From, f.To, b)
	if err != nil {
		return nil, err
	}
	return b.Result(ops, open), nil
}

// acc collects the samples of one QueueKPI.
type acc struct {
	k         dost.QueueKPI
	waits     []float64
	services  []float64
	ratingSum int
	quoteAbs  float64
	quoteBias float64
}

// ticketRun is one ticket's life read from its events.
type ticketRun struct {
	id         int64
	day        dost.Date
	service    string // at issue
	issuedAt   time.Time
	waitFrom   time.Time
	quoted     int
	calledAt   time.Time // first call; zero if never
	calledBy   int64
	status     dost.TicketStatus
	started    time.Time // the open service session's start
	startedBy  int64
	startedFor string
}

// ComputeKPIs computes the KPIs of f from data, with a service-level
// target of targetMinutes, at now (the hall now is given when f's range
// includes now's day in Baku). It does not change data.
//
// A ticket's wait counts once it is first called; one cancelled uncalled
// after waiting longer than the target counts as missing it (the visitor
// left). One closed by the day-end job (dost.ReasonDayEnd) counts in
// ClosedAtDayEnd only: neither as cancelled nor against the service
// level. Quote accuracy counts called tickets only: a ticket never
// called (cancelled, closed at day end) has no actual wait to compare
// its quote with, so quotes of visitors who left are not measured.
func ComputeKPIs(f dost.QueueKPIFilter, targetMinutes int, data *KPIData, now time.Time) *dost.QueueKPIs {
	b := NewKPIBuilder(f, targetMinutes, now)
	for i := range data.Events {
		b.Event(&data.Events[i])
	}
	for i := range data.Ratings {
		b.Rating(&data.Ratings[i])
	}
	return b.Result(data.Operators, data.OpenCounters)
}

// KPIBuilder computes QueueKPIs from events given in ticket order and
// then ratings (a KPIReceiver). Create it with NewKPIBuilder; it is not
// safe for concurrent use.
type KPIBuilder struct {
	f       dost.QueueKPIFilter
	target  float64 // seconds
	now     time.Time
	today   dost.Date
	total   acc
	periods map[string]*acc
	order   []*dost.QueueKPIPeriod
	// services and operators hold the groups by code and by user ID.
	services  map[string]*acc
	operators map[int64]*acc
	live      *dost.QueueLive // nil unless the range includes today
	t         *ticketRun      // the ticket whose events are arriving
}

// NewKPIBuilder returns a builder of f's KPIs with a service-level target
// of targetMinutes, at now.
func NewKPIBuilder(f dost.QueueKPIFilter, targetMinutes int, now time.Time) *KPIBuilder {
	if f.By == "" {
		f.By = dost.KPIByDay
	}
	b := &KPIBuilder{f: f, target: float64(targetMinutes * 60), now: now, today: dost.DateOf(now.In(dost.Baku)),
		periods: map[string]*acc{}, services: map[string]*acc{}, operators: map[int64]*acc{}}
	for d := f.From; !d.After(f.To); d = d.AddDate(0, 0, 1) {
		start, end, label := dost.KPIPeriodOf(f.By, d, f.From, f.To)
		if b.periods[label] == nil {
			b.periods[label] = &acc{}
			b.order = append(b.order, &dost.QueueKPIPeriod{Start: start, End: end, Label: label})
		}
	}
	if !b.today.Before(f.From) && !b.today.After(f.To) {
		b.live = &dost.QueueLive{}
	}
	return b
}

// operator returns the accumulator of operator id, nil for none.
func (b *KPIBuilder) operator(id int64) *acc {
	if id == 0 {
		return nil
	}
	if b.operators[id] == nil {
		b.operators[id] = &acc{}
	}
	return b.operators[id]
}

// each applies fn to every accumulator a ticket of day d and service code
// counts in: the total, its period, its service, and op if not nil.
func (b *KPIBuilder) each(d dost.Date, code string, op *acc, fn func(a *acc)) {
	fn(&b.total)
	_, _, label := dost.KPIPeriodOf(b.f.By, d, b.f.From, b.f.To)
	if p := b.periods[label]; p != nil {
		fn(p)
	}
	if b.services[code] == nil {
		b.services[code] = &acc{}
	}
	fn(b.services[code])
	if op != nil {
		fn(op)
	}
}

// finish counts the wait, quote and live state of the ticket whose events
// have all arrived.
func (b *KPIBuilder) finish() {
	t := b.t
	if t == nil {
		return
	}
	b.t = nil
	if !t.calledAt.IsZero() {
		wait := max(t.calledAt.Sub(t.waitFrom).Seconds(), 0)
		b.each(t.day, t.service, b.operator(t.calledBy), func(a *acc) {
			a.k.Called++
			a.waits = append(a.waits, wait)
			if wait <= b.target {
				a.k.WithinTarget++
			} else {
				a.k.MissedTarget++
			}
			if t.quoted > 0 {
				e := t.calledAt.Sub(t.issuedAt).Seconds() - float64(t.quoted)
				a.k.Quotes++
				a.quoteAbs += math.Abs(e)
				a.quoteBias += e
				if math.Abs(e) <= dost.QuoteTolerance.Seconds() {
					a.k.QuotesWithin++
				}
			}
		})
	}
	if l := b.live; l != nil && t.day == b.today {
		switch t.status {
		case dost.TicketWaiting:
			l.Waiting++
			l.LongestWaitSeconds = max(l.LongestWaitSeconds, int(b.now.Sub(t.waitFrom)/time.Second))
		case dost.TicketCalled:
			l.Called++
		case dost.TicketServing:
			l.Serving++
		case dost.TicketParked:
			l.Parked++
		}
	}
}

// closeSession ends the ticket's open service session at the event e.
func (b *KPIBuilder) closeSession(e *KPIEvent) {
	t := b.t
	if t.started.IsZero() {
		return
	}
	d := max(e.At.Sub(t.started).Seconds(), 0)
	b.each(t.day, t.startedFor, b.operator(t.startedBy), func(a *acc) {
		a.k.ServiceCount++
		a.services = append(a.services, d)
	})
	t.started = time.Time{}
}

// Event takes the next event; a ticket's events come together, in order.
func (b *KPIBuilder) Event(e *KPIEvent) {
	if b.t == nil || b.t.id != e.TicketID {
		b.finish()
		b.t = &ticketRun{id: e.TicketID, day: e.Day, service: e.ServiceCode, issuedAt: e.At, waitFrom: e.At, status: dost.TicketWaiting}
		if e.AppointmentAt != nil && e.AppointmentAt.After(e.At) {
			b.t.waitFrom = *e.AppointmentAt
		}
	}
	t := b.t
	switch e.Kind {
	case dost.QueueIssued:
		t.quoted = e.QuotedWaitSeconds
		b.each(t.day, t.service, nil, func(a *acc) { a.k.Issued++ })
	case dost.QueueCalled, dost.QueueRecalled:
		if t.calledAt.IsZero() {
			t.calledAt, t.calledBy = e.At, e.OperatorID
		}
		t.status = dost.TicketCalled
	case dost.QueueStarted:
		t.started, t.startedBy, t.startedFor = e.At, e.OperatorID, e.ServiceCode
		t.status = dost.TicketServing
	case dost.QueueParked:
		b.closeSession(e)
		t.status = dost.TicketParked
	case dost.QueueTransferred:
		b.closeSession(e)
		t.status = dost.TicketWaiting
	case dost.QueueFinished:
		b.closeSession(e)
		t.status = dost.TicketFinished
		b.each(t.day, t.service, b.operator(e.OperatorID), func(a *acc) { a.k.Served++ })
	case dost.QueueNoShow:
		t.status = dost.TicketNoShow
		b.each(t.day, t.service, b.operator(e.OperatorID), func(a *acc) { a.k.NoShows++ })
	case dost.QueueCancelled:
		t.status = dost.TicketCancelled
		if e.Reason == dost.ReasonDayEnd {
			// Closed by the day-end job, not left by the visitor.
			b.each(t.day, t.service, nil, func(a *acc) { a.k.ClosedAtDayEnd++ })
			break
		}
		left := t.calledAt.IsZero() && e.At.Sub(t.waitFrom).Seconds() > b.target
		b.each(t.day, t.service, nil, func(a *acc) {
			a.k.Cancelled++
			if left {
				a.k.MissedTarget++
			}
		})
	}
}

// Rating takes a rating; ratings come after the events.
func (b *KPIBuilder) Rating(r *KPIRating) {
	b.finish()
	b.each(r.Day, r.ServiceCode, b.operator(r.OperatorID), func(a *acc) {
		a.k.Ratings++
		a.ratingSum += r.Rating
	})
}

// Result finishes the KPIs, naming operators from operators and giving the
// hall now openCounters. Call it once, after the last event and rating.
func (b *KPIBuilder) Result(operators map[int64]string, openCounters int) *dost.QueueKPIs {
	b.finish()
	out := &dost.QueueKPIs{CentreID: b.f.CentreID, From: b.f.From, To: b.f.To, By: b.f.By, ServiceLevelMinutes: int(b.target / 60),
		AsOf: b.now, Total: b.total.kpi(), Periods: []*dost.QueueKPIPeriod{}, Services: []*dost.QueueKPIGroup{}, Operators: []*dost.QueueKPIGroup{}}
	for _, p := range b.order {
		p.QueueKPI = b.periods[p.Label].kpi()
		out.Periods = append(out.Periods, p)
	}
	for code, a := range b.services {
		out.Services = append(out.Services, &dost.QueueKPIGroup{ServiceCode: code, QueueKPI: a.kpi()})
	}
	slices.SortFunc(out.Services, func(a, b *dost.QueueKPIGroup) int { return cmp.Compare(a.ServiceCode, b.ServiceCode) })
	for id, a := range b.operators {
		g := &dost.QueueKPIGroup{OperatorID: id, Name: operators[id], QueueKPI: a.kpi()}
		g.Issued, g.Cancelled = 0, 0
		out.Operators = append(out.Operators, g)
	}
	slices.SortFunc(out.Operators, func(a, b *dost.QueueKPIGroup) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.OperatorID, b.OperatorID))
	})
	if b.live != nil {
		l := *b.live
		l.OpenCounters = openCounters
		out.Live = &l
	}
	return out
}

// kpi finishes the averages, percentiles and shares of a.
func (a *acc) kpi() dost.QueueKPI {
	k := a.k
	k.WaitAvgSeconds, k.WaitP90Seconds, k.WaitMaxSeconds = mean(a.waits), percentile(a.waits, 0.9), percentile(a.waits, 1)
	k.ServiceAvgSeconds, k.ServiceP90Seconds = mean(a.services), percentile(a.services, 0.9)
	k.ServiceLevel = share(k.WithinTarget, k.WithinTarget+k.MissedTarget)
	if k.Ratings > 0 {
		k.RatingAvg = ptr(round2(float64(a.ratingSum) / float64(k.Ratings)))
	}
	if k.Quotes > 0 {
		k.QuoteMAESeconds = ptr(math.Round(a.quoteAbs / float64(k.Quotes)))
		k.QuoteBiasSeconds = ptr(math.Round(a.quoteBias / float64(k.Quotes)))
	}
	k.QuoteAccuracy = share(k.QuotesWithin, k.Quotes)
	return k
}

func ptr(x float64) *float64 { return &x }

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// mean returns the average of xs in whole seconds, nil for none.
func mean(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return ptr(math.Round(s / float64(len(xs))))
}

// percentile returns the nearest-rank p-th percentile of xs (0 < p ≤ 1)
// in whole seconds, nil for none. It sorts xs.
func percentile(xs []float64, p float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	i := int(math.Ceil(p*float64(len(xs)))) - 1
	return ptr(math.Round(xs[max(i, 0)]))
}

// share returns n/of rounded to four places, nil when of is 0.
func share(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	return ptr(math.Round(float64(n)/float64(of)*10000) / 10000)
}
