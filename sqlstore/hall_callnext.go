package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/queue"
)

// caller is an operator at a counter, checked for CallNext and CallTicket.
type caller struct {
	centre int64
	op     queue.Operator
	policy queue.Policy
}

// checkCaller checks that operatorID is signed in at counterID, that the
// counter holds no ticket and that the operator is certified today, and
// returns what the policy needs, in one statement. settings caches queue
// settings by centre within a transaction (nil: no cache).
func checkCaller(ctx context.Context, tx *Tx, counterID, operatorID int64, settings map[int64]*dost.QueueSettings) (*caller, error) {
	var centre int64
	var groups, inHand, certified string
	var signedIn bool
	agg := `group_concat(DISTINCT c.category)`
	if tx.db.dialect == DialectPostgres {
		agg = `string_agg(DISTINCT c.category, ',')`
	}
	err := tx.QueryRowContext(ctx, `SELECT k.centre_id, k.queue_groups,
		EXISTS (SELECT 1 FROM counter_sign_ins s WHERE s.counter_id = k.id AND s.operator_id = $2 AND s.signed_out_at IS NULL),
		COALESCE((SELECT t.number FROM tickets t WHERE t.counter_id = k.id AND t.status IN ('called', 'serving')), ''),
		COALESCE((SELECT `+agg+` FROM certifications c WHERE c.operator_id = $2 AND c.valid_from <= $3
			AND c.valid_until >= $3), '')
		FROM counters k WHERE k.id = $1`, counterID, operatorID, civilDate(tx.now)).Scan(&centre, &groups, &signedIn, &inHand, &certified)
	if isNoRows(err) {
		return nil, fieldErr(dost.ENOTFOUND, "counter_id", "counter.unknown", "Counter %d not found.", counterID)
	} else if err != nil {
		return nil, err
	}
	if !signedIn {
		return nil, fieldErr(dost.EFORBIDDEN, "counter_id", "counter.not_signed_in", "You are not signed in at counter %d.", counterID)
	}
	if inHand != "" {
		return nil, fieldErr(dost.ECONFLICT, "counter_id", "counter.busy", "Counter %d has ticket %s in hand: finish, park or transfer it first.", counterID, inHand)
	}
	// The categories in the order of dost.Categories, as certifiedCategories.
	have := strings.Split(certified, ",")
	cats := []dost.Category{}
	for _, c := range dost.Categories {
		if slices.Contains(have, string(c)) {
			cats = append(cats, c)
		}
	}
	if len(cats) == 0 {
		return nil, fieldErr(dost.EFORBIDDEN, "operator_id", "certification.missing", "You are certified for no service today.")
	}
	qs := settings[centre]
	if qs == nil {
		if qs, err = findQueueSettings(ctx, tx, centre); err != nil {
			return nil, err
		}
		if settings != nil {
			settings[centre] = qs
		}
	}
	op := queue.Operator{CounterID: counterID, Categories: cats}
	if groups != "" {
		op.Groups = strings.Split(groups, ",")
	}
	return &caller{centre: centre, op: op, policy: queue.PolicyFor(qs)}, nil
}

// CallNext chooses and calls the next ticket. See hall.Store. On SQLite
// calls arriving together share one transaction and one commit
// (writeBatcher), and the waiting tickets are read once for all of them.
func (s *HallStore) CallNext(ctx context.Context, counterID, operatorID int64) (*dost.Ticket, *dost.CallReason, error) {
	var t *dost.Ticket
	var why *dost.CallReason
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) (err error) {
		t, why, err = callNext(ctx, tx, counterID, operatorID, sc)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("call next at counter %d: %w", counterID, err)
	}
	return t, why, nil
}

// callNext calls the next ticket for operatorID at counterID in tx,
// taking the queue from sc (reading it into sc if neither this batch nor
// the one before, when nothing else wrote since, has). A ticket of the
// list that is no longer waiting (called by number, cancelled, by another
// node on PostgreSQL) is skipped by the UPDATE's status check.
func callNext(ctx context.Context, tx *Tx, counterID, operatorID int64, sc *callScope) (*dost.Ticket, *dost.CallReason, error) {
	c, err := checkCaller(ctx, tx, counterID, operatorID, sc.settings)
	if err != nil {
		return nil, nil, err
	}
	waiting, found := sc.waiting[c.centre]
	// load reads the candidates, with only what the policy reads.
	load := func() error {
		waiting = nil
		return each(ctx, tx, `SELECT id, service_code, queue_group, priority, directed_counter_id, issued_at, appointment_at
			FROM tickets WHERE centre_id = $1 AND day = $2 AND status = 'waiting'`,
			[]any{c.centre, civilDate(tx.now)}, func(rows *sql.Rows) error {
				w := &dost.Ticket{Status: dost.TicketWaiting}
				waiting = append(waiting, w)
				return rows.Scan(&w.ID, &w.ServiceCode, &w.Group, &w.Priority, &w.DirectedCounterID,
					scanTime(&w.IssuedAt), scanNullTime(&w.AppointmentAt))
			})
	}
	fresh := !found // waiting read by this call, not kept from before
	if !found {
		if err := load(); err != nil {
			return nil, nil, err
		}
	}
	defer func() { sc.waiting[c.centre] = waiting }()
	// drop makes a new list: the batch keeps the old one to restore
	// after a failed request.
	drop := func(pick *dost.Ticket) {
		waiting = slices.DeleteFunc(slices.Clone(waiting), func(x *dost.Ticket) bool { return x == pick })
	}
	for {
		pick, reason, ok := c.policy.Choose(waiting, c.op, tx.now)
		if !ok {
			return nil, nil, fieldErr(dost.ENOTFOUND, "counter_id", "queue.empty", "No ticket waits that you may serve.")
		}
		if tx.db.dialect == DialectPostgres {
			// Lock the chosen ticket; one another caller holds is
			// skipped, not waited for: it is theirs.
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM tickets WHERE id = $1 AND status = 'waiting' FOR UPDATE SKIP LOCKED`,
				pick.ID).Scan(&id)
			if isNoRows(err) {
				drop(pick)
				continue
			} else if err != nil {
				return nil, nil, err
			}
		}
		// The guard checks what the policy chose by as well as the
		// status: a kept list (see callScope) that missed a change made
		// elsewhere must not call a ticket the operator may not serve.
		t, version, err := scanTicket(tx.QueryRowContext(ctx, `UPDATE tickets SET status = 'called', counter_id = $1,
			operator_id = $2, called_at = COALESCE(called_at, $3), version = version + 1, updated_at = $3
			WHERE id = $4 AND status = 'waiting' AND service_code = $5 AND queue_group = $6 AND priority = $7
			AND directed_counter_id = $8 RETURNING `+strings.TrimSuffix(ticketColumns, " FROM tickets"),
			counterID, operatorID, tx.ts(tx.now), pick.ID, pick.ServiceCode, pick.Group, pick.Priority, pick.DirectedCounterID))
		if isNoRows(err) {
			if !fresh {
				// The kept list is stale: read the queue again.
				if err := load(); err != nil {
					return nil, nil, err
				}
				fresh = true
				continue
			}
			drop(pick) // called or changed meanwhile (PostgreSQL: committed before our lock)
			continue
		} else if isUnique(err) {
			return nil, nil, fieldErr(dost.ECONFLICT, "counter_id", "counter.busy", "The counter has another ticket in hand.")
		} else if err != nil {
			return nil, nil, err
		}
		if err := insertQueueEvent(ctx, tx, t, version, &dost.QueueEvent{Kind: dost.QueueCalled, CounterID: counterID,
			OperatorID: operatorID, Reason: reason}); err != nil {
			return nil, nil, err
		}
		drop(pick)
		return t, reason, nil
	}
}
