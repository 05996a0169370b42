package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dost-az/dost"
)

// HallHistoryDays is how many days before today the demo's hall history
// covers, so that the supervisor dashboard opens on numbers.
const HallHistoryDays = 14

// HallHistoryStore stores past visits (sqlstore.HallStore implements it).
type HallHistoryStore interface {
	// SeedQueueHistory stores finished, no-show and cancelled tickets of
	// past days with the queue events their times imply and their
	// ratings (ratings[i] rates tickets[i], 0: none), unless the centre
	// of the first already has tickets on any of their days; it returns
	// how many it stored.
	SeedQueueHistory(ctx context.Context, tickets []*dost.Ticket, ratings []int) (int, error)
}

// HallHistory returns HallHistoryDays working days (Monday to Saturday)
// of visits at centre c before today, served by operator at the centre's
// first counter, for the services given: a one-counter queue simulated
// from random arrivals (every 4 to 16 minutes from 09:00 to 17:00) and
// service times (3 to 12 minutes), with the wait each visitor was quoted,
// one no-show in ten, a visitor in thirty leaving after a long wait, and
// two ratings in five of the finished visits. The same seed gives the
// same history.
func HallHistory(c *dost.Centre, services []*dost.Service, operatorID int64, today dost.Date, seed int64) ([]*dost.Ticket, []int) {
	if len(services) == 0 || len(c.Counters) == 0 {
		return nil, nil
	}
	r := rand.New(rand.NewPCG(uint64(seed), 5))
	counter := c.Counters[0].ID
	var tickets []*dost.Ticket
	var ratings []int
	for back := HallHistoryDays; back >= 1; back-- {
		day := today.AddDate(0, 0, -back)
		if day.Time().Weekday() == time.Sunday {
			continue
		}
		at := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, dost.Baku)
		closes := at.Add(8 * time.Hour)
		free := at // when the counter is next free
		seq := map[string]int{}
		var queueEnds []time.Time // when each visitor ahead will have been called
		for at = at.Add(time.Duration(r.IntN(10)) * time.Minute); at.Before(closes); at = at.Add(time.Duration(4+r.IntN(13)) * time.Minute) {
			svc := services[r.IntN(len(services))]
			seq[svc.QueueGroup]++
			t := &dost.Ticket{CentreID: c.ID, Day: day, Group: svc.QueueGroup, Sequence: seq[svc.QueueGroup],
				Number: dost.TicketNumber(svc.QueueGroup, seq[svc.QueueGroup]), ServiceCode: svc.Code, Language: "az",
				IssuedAt: at, CounterID: counter, OperatorID: operatorID}
			// The quote: the visitors still ahead at the counter's pace,
			// the estimate's error being how that pace varies.
			queueEnds = slices.DeleteFunc(queueEnds, func(e time.Time) bool { return !e.After(at) })
			quote := max(free.Sub(at), 0) + time.Duration(len(queueEnds))*7*time.Minute/2
			t.QuotedWaitSeconds = max(int(quote/time.Second), 1)
			called := maxTime(at, free)
			if r.IntN(30) == 0 && called.Sub(at) > 5*time.Minute {
				left := at.Add(called.Sub(at) / 2)
				t.Status, t.FinishedAt = dost.TicketCancelled, &left
				t.CounterID, t.OperatorID = 0, 0
				tickets, ratings = append(tickets, t), append(ratings, 0)
				continue
			}
			t.CalledAt = &called
			if r.IntN(10) == 0 {
				gone := called.Add(2 * time.Minute)
				t.Status, t.FinishedAt = dost.TicketNoShow, &gone
				free = gone
			} else {
				start := called.Add(time.Duration(30+r.IntN(60)) * time.Second)
				end := start.Add(time.Duration(180+r.IntN(540)) * time.Second)
				t.Status, t.StartedAt, t.FinishedAt, t.ServicesDone = dost.TicketFinished, &start, &end, []string{svc.Code}
				free = end
			}
			queueEnds = append(queueEnds, called)
			rating := 0
			if t.Status == dost.TicketFinished && r.IntN(5) < 2 {
				rating = []int{5, 5, 5, 4, 4, 3, 2}[r.IntN(7)]
			}
			tickets, ratings = append(tickets, t), append(ratings, rating)
		}
	}
	return tickets, ratings
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// seedHall stores the hall history of the first demo centre, served by the
// demo operator, if st has a Hall store.
func seedHall(ctx context.Context, st Stores, today dost.Date) error {
	if st.Hall == nil {
		return nil
	}
	c, err := st.Centres.FindCentreByCode(ctx, CentreBaku3)
	if err != nil {
		return fmt.Errorf("demo: hall history: %w", err)
	}
	op, err := st.Users.FindUserByUsername(ctx, "operator")
	if err != nil {
		return fmt.Errorf("demo: hall history: %w", err)
	}
	var services []*dost.Service
	for _, code := range c.Services {
		s, err := st.Catalogue.FindServiceByCode(ctx, code)
		if err != nil {
			return fmt.Errorf("demo: hall history: %w", err)
		}
		if s.Category == dost.CategoryPensionsBenefits || s.Category == dost.CategoryDisability {
			services = append(services, s)
		}
		if len(services) == 6 {
			break
		}
	}
	tickets, ratings := HallHistory(c, services, op.ID, today, 1)
	if len(tickets) == 0 {
		return nil
	}
	if _, err := st.Hall.SeedQueueHistory(ctx, tickets, ratings); err != nil {
		return fmt.Errorf("demo: hall history: %w", err)
	}
	return nil
}
