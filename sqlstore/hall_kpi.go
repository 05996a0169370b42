package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/hall"
)

var _ hall.KPIStore = (*HallStore)(nil)

// kpiCollector is a hall.KPIReceiver that keeps what it is given.
type kpiCollector struct{ data *hall.KPIData }

func (c kpiCollector) Event(e *hall.KPIEvent)   { c.data.Events = append(c.data.Events, *e) }
func (c kpiCollector) Rating(r *hall.KPIRating) { c.data.Ratings = append(c.data.Ratings, *r) }

// FindKPIData returns what ScanKPIData reads, held in memory: for tests
// and small ranges (hall.ComputeKPIs).
func (s *HallStore) FindKPIData(ctx context.Context, centreID int64, from, to dost.Date) (*hall.KPIData, error) {
	data := &hall.KPIData{Events: []hall.KPIEvent{}, Ratings: []hall.KPIRating{}}
	var err error
	data.Operators, data.OpenCounters, err = s.ScanKPIData(ctx, centreID, from, to, kpiCollector{data})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// ScanKPIData passes the events and then the ratings of the tickets a
// centre issued on the days from to to to rcv and returns the names of
// their operators and how many operators are signed in now, in one read
// transaction. See hall.KPIStore. An operator without a name is named by
// their username. The tickets are found by tickets_centre_day_status and
// their events by queue_events_ticket_seq, so the cost follows the tickets
// of the range, not the log's length; the rows stream, none are held.
func (s *HallStore) ScanKPIData(ctx context.Context, centreID int64, from, to dost.Date, rcv hall.KPIReceiver) (map[int64]string, int, error) {
	names := map[int64]string{}
	var open int
	err := s.db.view(ctx, func(tx *Tx) error {
		if _, err := centreOf(ctx, tx, centreID); err != nil {
			return err
		}
		ops := map[int64]bool{}
		var e hall.KPIEvent
		var reason string
		err := each(ctx, tx, `SELECT e.ticket_id, t.day, e.kind, e.at, e.operator_id, e.service_code, e.quoted_wait_seconds, t.appointment_at,
			CASE WHEN e.kind = 'cancelled' THEN COALESCE(CAST(e.reason AS TEXT), '') ELSE '' END
			FROM tickets t JOIN queue_events e ON e.ticket_id = t.id
			WHERE t.centre_id = $1 AND t.day >= $2 AND t.day <= $3 ORDER BY e.ticket_id, e.seq`,
			[]any{centreID, from, to}, func(rows *sql.Rows) error {
				e.AppointmentAt = nil
				if err := rows.Scan(&e.TicketID, &e.Day, &e.Kind, scanTime(&e.At), &e.OperatorID, &e.ServiceCode,
					&e.QuotedWaitSeconds, scanNullTime(&e.AppointmentAt), &reason); err != nil {
					return err
				}
				e.Reason = reasonCode(reason) // hall_visit.go
				if e.OperatorID != 0 {
					ops[e.OperatorID] = true
				}
				rcv.Event(&e)
				return nil
			})
		if err != nil {
			return err
		}
		var r hall.KPIRating
		err = each(ctx, tx, `SELECT f.ticket_id, t.day, f.service_code, f.operator_id, f.rating
			FROM tickets t JOIN feedback f ON f.ticket_id = t.id
			WHERE t.centre_id = $1 AND t.day >= $2 AND t.day <= $3 ORDER BY f.ticket_id`,
			[]any{centreID, from, to}, func(rows *sql.Rows) error {
				if err := rows.Scan(&r.TicketID, &r.Day, &r.ServiceCode, &r.OperatorID, &r.Rating); err != nil {
					return err
				}
				if r.OperatorID != 0 {
					ops[r.OperatorID] = true
				}
				rcv.Rating(&r)
				return nil
			})
		if err != nil {
			return err
		}
		if len(ops) > 0 {
			var a args
			ids := slices.Sorted(maps.Keys(ops))
			err = each(ctx, tx, `SELECT id, COALESCE(NULLIF(name, ''), username) FROM users WHERE id IN (`+addList(&a, ids)+`)`, a,
				func(rows *sql.Rows) error {
					var id int64
					var name string
					if err := rows.Scan(&id, &name); err != nil {
						return err
					}
					names[id] = name
					return nil
				})
			if err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM counter_sign_ins WHERE centre_id = $1 AND signed_out_at IS NULL`,
			centreID).Scan(&open)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("scan kpi data: %w", err)
	}
	return names, open, nil
}

// SeedQueueHistory stores past tickets with the queue events their times
// imply and their ratings, for the demo (demo.HallHistoryStore): issued at
// IssuedAt with the quote; then cancelled at FinishedAt, or called at
// CalledAt (at CounterID by OperatorID) and either marked no-show at
// FinishedAt or started at StartedAt and finished at FinishedAt. It stores
// nothing when the centre of the first ticket has tickets on any of their
// days already, and returns how many it stored; all or nothing.
func (s *HallStore) SeedQueueHistory(ctx context.Context, tickets []*dost.Ticket, ratings []int) (int, error) {
	if len(tickets) == 0 {
		return 0, nil
	}
	if len(ratings) != len(tickets) {
		return 0, errors.New("seed queue history: one rating (or 0) per ticket")
	}
	var n int
	err := s.write(ctx, func(ctx context.Context, tx *Tx, _ *callScope) error {
		n = 0
		centre := tickets[0].CentreID
		days := map[string]dost.Date{}
		for _, t := range tickets {
			days[t.Day.String()] = t.Day
		}
		var a args
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tickets WHERE centre_id = `+a.add(centre)+
			` AND day IN (`+addList(&a, slices.Collect(maps.Values(days)))+`)`, a...).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return nil
		}
		for i, t := range tickets {
			if err := seedTicket(ctx, tx, t, ratings[i]); err != nil {
				return fmt.Errorf("ticket %s of %s: %w", t.Number, t.Day, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("seed queue history: %w", err)
	}
	return n, nil
}

// seedTicket stores one past ticket of SeedQueueHistory, its events and
// its rating (0: none).
func seedTicket(ctx context.Context, tx *Tx, t *dost.Ticket, rating int) error {
	type event struct {
		kind     dost.QueueEventKind
		at       time.Time
		counter  int64
		operator int64
		quote    int
		done     []string
	}
	events := []event{{kind: dost.QueueIssued, at: t.IssuedAt, quote: t.QuotedWaitSeconds}}
	end := t.IssuedAt
	if t.FinishedAt != nil {
		end = *t.FinishedAt
	}
	switch {
	case t.CalledAt == nil:
		events = append(events, event{kind: dost.QueueCancelled, at: end})
	case t.StartedAt == nil:
		events = append(events, event{dost.QueueCalled, *t.CalledAt, t.CounterID, t.OperatorID, 0, nil},
			event{dost.QueueNoShow, end, t.CounterID, t.OperatorID, 0, nil})
	default:
		events = append(events, event{dost.QueueCalled, *t.CalledAt, t.CounterID, t.OperatorID, 0, nil},
			event{dost.QueueStarted, *t.StartedAt, t.CounterID, t.OperatorID, 0, nil},
			event{dost.QueueFinished, end, t.CounterID, t.OperatorID, 0, t.ServicesDone})
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO tickets (centre_id, day, prefix, sequence, number, queue_group, service_code,
		priority, language, status, counter_id, operator_id, issued_at, called_at, started_at, finished_at, services_done,
		quoted_wait_seconds, version, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id`,
		t.CentreID, t.Day, t.Group, t.Sequence, t.Number, t.Group, t.ServiceCode, t.Priority, t.Language, t.Status,
		t.CounterID, t.OperatorID, tx.ts(t.IssuedAt), tx.nts(t.CalledAt), tx.nts(t.StartedAt), tx.nts(t.FinishedAt),
		strings.Join(t.ServicesDone, ","), t.QuotedWaitSeconds, len(events), tx.ts(end)).Scan(&t.ID)
	if err != nil {
		return err
	}
	for i, e := range events {
		if _, err := tx.ExecContext(ctx, `INSERT INTO queue_events (centre_id, ticket_id, seq, number, kind, at, counter_id,
			operator_id, service_code, priority, services_done, quoted_wait_seconds)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			t.CentreID, t.ID, i+1, t.Number, e.kind, tx.ts(e.at), e.counter, e.operator, t.ServiceCode, t.Priority,
			strings.Join(e.done, ","), e.quote); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_sequences (centre_id, prefix, day, last) VALUES ($1, $2, $3, $4)
		ON CONFLICT (centre_id, prefix, day) DO UPDATE SET last = CASE WHEN ticket_sequences.last > excluded.last
		THEN ticket_sequences.last ELSE excluded.last END`, t.CentreID, t.Group, t.Day, t.Sequence); err != nil {
		return err
	}
	if rating > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO feedback (centre_id, ticket_id, service_code, operator_id, rating, channel, created_at)
			VALUES ($1, $2, $3, $4, $5, 'tablet', $6)`, t.CentreID, t.ID, t.ServiceCode, t.OperatorID, rating, tx.ts(end.Add(time.Minute))); err != nil {
			return err
		}
	}
	return nil
}
