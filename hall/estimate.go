package hall

import (
	"context"
	"slices"
	"sync"
	"time"

	dost "github.com/dost-az/dost"
	"github.com/dost-az/dost/queue"
)

// estimateSamples bounds the finished services of each service an
// estimate reads: a moving average weighs a sample by (1-alpha)^n after n
// newer ones of its service, so with alpha 0.2 what lies beyond the last
// 64 weighs nothing (0.8^64 < 1e-6), and an estimate costs the same at
// 17:00 as at 09:00.
const estimateSamples = 64

// servicesTTL is how long an estimate reuses a centre's services (their
// passport minutes seed the averages): they change by an administrator's
// hand, a kiosk issues a ticket every few seconds.
const servicesTTL = time.Minute

// samplesTTL is how long an estimate reuses a centre's recent service
// times: a moving average over dozens of services moves little in a few
// seconds, and a busy hall's kiosks ask for one at every ticket.
const samplesTTL = 5 * time.Second

// ServiceTime is one finished service: the sample of the estimate's
// moving average of its service.
type ServiceTime struct {
	ServiceCode string
	Duration    time.Duration
}

// servicesCache keeps each centre's services for servicesTTL and its
// recent service times for samplesTTL.
type servicesCache struct {
	mu       sync.Mutex
	byCentre map[int64]cachedServices
	samples  map[int64]cachedSamples
}

type cachedSamples struct {
	day       dost.Date
	samples   []ServiceTime
	certified map[int64][]dost.Category // by operator signed in at the centre
	at        time.Time
}

type cachedServices struct {
	centre   *dost.Centre
	services []*dost.Service
	at       time.Time
}

// centreServices returns a centre and the services offered there, read
// at most once per servicesTTL. A caller that finds something missing (a
// counter, a service) reads afresh with fresh set.
func (s *Service) centreServices(ctx context.Context, centreID int64, now time.Time, fresh bool) (*dost.Centre, []*dost.Service, error) {
	c := &s.services
	c.mu.Lock()
	hit, ok := c.byCentre[centreID]
	c.mu.Unlock()
	if !fresh && ok && now.Sub(hit.at) >= 0 && now.Sub(hit.at) < servicesTTL {
		return hit.centre, hit.services, nil
	}
	centre, err := s.centres.FindCentreByID(ctx, centreID)
	if err != nil {
		return nil, nil, err
	}
	services, _, err := s.catalogue.FindServices(ctx, dost.ServiceFilter{CentreID: &centreID})
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	if c.byCentre == nil {
		c.byCentre = map[int64]cachedServices{}
	}
	c.byCentre[centreID] = cachedServices{centre: centre, services: services, at: now}
	c.mu.Unlock()
	return centre, services, nil
}

// recentServiceTimes returns the centre's recent service times of day
// and the categories each operator signed in there is certified for that
// day, read at most once per samplesTTL, and again as soon as an operator
// signs in whom the last read did not see.
func (s *Service) recentServiceTimes(ctx context.Context, centreID int64, day dost.Date, now time.Time, signIns []*dost.CounterSignIn) ([]ServiceTime, map[int64][]dost.Category, error) {
	c := &s.services
	c.mu.Lock()
	hit, ok := c.samples[centreID]
	c.mu.Unlock()
	if ok && hit.day == day && now.Sub(hit.at) >= 0 && now.Sub(hit.at) < samplesTTL && knows(hit.certified, signIns) {
		return hit.samples, hit.certified, nil
	}
	samples, err := s.store.RecentServiceTimes(ctx, centreID, day, estimateSamples)
	if err != nil {
		return nil, nil, err
	}
	certified, err := s.store.CertifiedAtCentre(ctx, centreID, day) // one read for every counter
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	if c.samples == nil {
		c.samples = map[int64]cachedSamples{}
	}
	c.samples[centreID] = cachedSamples{day: day, samples: samples, certified: certified, at: now}
	c.mu.Unlock()
	return samples, certified, nil
}

// hasCounters reports whether c has every counter signed in at.
func hasCounters(c *dost.Centre, signIns []*dost.CounterSignIn) bool {
	for _, si := range signIns {
		if !slices.ContainsFunc(c.Counters, func(k *dost.Counter) bool { return k.ID == si.CounterID }) {
			return false
		}
	}
	return true
}

// knows reports whether certified has an entry for every operator signed in.
func knows(certified map[int64][]dost.Category, signIns []*dost.CounterSignIn) bool {
	for _, si := range signIns {
		if _, ok := certified[si.OperatorID]; !ok {
			return false
		}
	}
	return true
}

// Estimate returns the wait estimate of a centre's queue now: the waiting
// tickets of today, the open counters with their groups (read at most
// every servicesTTL) and their operators' certifications (at most every
// samplesTTL) and the ticket each has in hand, and service times averaged
// over today's last finished services of each (estimateSamples, at most
// every samplesTTL), seeded with the passports' minutes. It reads what is
// in the hall, not the whole day, so its cost does not grow as the day
// goes on; what it keeps is read again at once when an operator signs in
// at a counter or for an operator it has not seen.
func (s *Service) Estimate(ctx context.Context, centreID int64) (*queue.Estimate, error) {
	now := s.clock.Now()
	today := dost.DateOf(now.In(dost.Baku))
	qs, err := s.store.FindQueueSettings(ctx, centreID)
	if err != nil {
		return nil, err
	}
	tickets, _, err := s.store.FindTickets(ctx, dost.TicketFilter{CentreID: centreID, Day: today,
		Statuses: []dost.TicketStatus{dost.TicketWaiting, dost.TicketCalled, dost.TicketServing}})
	if err != nil {
		return nil, err
	}
	signIns, err := s.store.FindSignIns(ctx, centreID)
	if err != nil {
		return nil, err
	}
	c, services, err := s.centreServices(ctx, centreID, now, false)
	if err != nil {
		return nil, err
	}
	if !hasCounters(c, signIns) {
		if c, services, err = s.centreServices(ctx, centreID, now, true); err != nil {
			return nil, err
		}
	}
	samples, certified, err := s.recentServiceTimes(ctx, centreID, today, now, signIns)
	if err != nil {
		return nil, err
	}
	times := queue.NewServiceTimes(queue.DefaultAlpha, services)
	for _, st := range samples {
		times.Observe(st.ServiceCode, st.Duration)
	}
	var waiting []*dost.Ticket
	inHand := map[int64]*dost.Ticket{}
	for _, t := range tickets {
		if t.Status == dost.TicketWaiting {
			waiting = append(waiting, t)
		} else {
			inHand[t.CounterID] = t
		}
	}
	groups := map[int64][]string{}
	for _, k := range c.Counters {
		groups[k.ID] = k.Groups
	}
	var counters []queue.Counter
	for _, si := range signIns {
		k := queue.Counter{Operator: queue.Operator{CounterID: si.CounterID, Categories: certified[si.OperatorID], Groups: groups[si.CounterID]}}
		if t := inHand[si.CounterID]; t != nil {
			k.Busy, k.Since = t.ServiceCode, t.LastCalledAt()
		}
		counters = append(counters, k)
	}
	return queue.PolicyFor(qs).Estimate(now, waiting, counters, times, services), nil
}
