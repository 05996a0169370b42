package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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

// callerRow is what the caller check reads of one counter and operator.
type callerRow struct {
	centre                    int64
	groups, inHand, certified string
	signedIn                  bool
}

// callerCheckColumns are the columns of callerRow, for the counter k and
// the operator $op on the day $day. agg aggregates the categories.
func callerCheckColumns(agg, op, day string) string {
	return `k.centre_id, k.queue_groups,
		EXISTS (SELECT 1 FROM counter_sign_ins s WHERE s.counter_id = k.id AND s.operator_id = ` + op + ` AND s.signed_out_at IS NULL),
		COALESCE((SELECT t.number FROM tickets t WHERE t.counter_id = k.id AND t.status IN ('called', 'serving')), ''),
		COALESCE((SELECT ` + agg + ` FROM certifications c WHERE c.operator_id = ` + op + ` AND c.valid_from <= ` + day + `
			AND c.valid_until >= ` + day + `), '')`
}

// checkCaller checks that operatorID is signed in at counterID, that the
// counter holds no ticket and that the operator is certified today, and
// returns what the policy needs, in one statement. settings caches queue
// settings by centre within a transaction (nil: no cache).
func checkCaller(ctx context.Context, tx *Tx, counterID, operatorID int64, settings map[int64]*dost.QueueSettings) (*caller, error) {
	agg := `group_concat(DISTINCT c.category)`
	if tx.db.dialect == DialectPostgres {
		agg = `string_agg(DISTINCT c.category, ',')`
	}
	var r callerRow
	err := tx.QueryRowContext(ctx, `SELECT `+callerCheckColumns(agg, "$2", "$3")+` FROM counters k WHERE k.id = $1`,
		counterID, operatorID, civilDate(tx.now)).Scan(&r.centre, &r.groups, &r.signedIn, &r.inHand, &r.certified)
	if isNoRows(err) {
		return nil, errCounterUnknown(counterID)
	} else if err != nil {
		return nil, err
	}
	return r.caller(ctx, tx, counterID, settings)
}

func errCounterUnknown(counterID int64) error {
	return fieldErr(dost.ENOTFOUND, "counter_id", "counter.unknown", "Counter %d not found.", counterID)
}

func errCounterBusy(counterID int64, inHand string) error {
	return fieldErr(dost.ECONFLICT, "counter_id", "counter.busy", "Counter %d has ticket %s in hand: finish, park or transfer it first.", counterID, inHand)
}

func errQueueEmpty() error {
	return fieldErr(dost.ENOTFOUND, "counter_id", "queue.empty", "No ticket waits that you may serve.")
}

// caller checks r for the operator at counterID and returns the caller,
// reading the centre's queue settings unless settings has them.
func (r *callerRow) caller(ctx context.Context, tx *Tx, counterID int64, settings map[int64]*dost.QueueSettings) (*caller, error) {
	if !r.signedIn {
		return nil, fieldErr(dost.EFORBIDDEN, "counter_id", "counter.not_signed_in", "You are not signed in at counter %d.", counterID)
	}
	if r.inHand != "" {
		return nil, errCounterBusy(counterID, r.inHand)
	}
	// The categories in the order of dost.Categories, as certifiedCategories.
	have := strings.Split(r.certified, ",")
	cats := []dost.Category{}
	for _, c := range dost.Categories {
		if slices.Contains(have, string(c)) {
			cats = append(cats, c)
		}
	}
	if len(cats) == 0 {
		return nil, fieldErr(dost.EFORBIDDEN, "operator_id", "certification.missing", "You are certified for no service today.")
	}
	qs := settings[r.centre]
	if qs == nil {
		var err error
		if qs, err = findQueueSettings(ctx, tx, r.centre); err != nil {
			return nil, err
		}
		if settings != nil {
			settings[r.centre] = qs
		}
	}
	op := queue.Operator{CounterID: counterID, Categories: cats}
	if r.groups != "" {
		op.Groups = strings.Split(r.groups, ",")
	}
	return &caller{centre: r.centre, op: op, policy: queue.PolicyFor(qs)}, nil
}

// CallNext chooses and calls the next ticket. See hall.Store. On SQLite
// calls arriving together share one transaction and one commit
// (writeBatcher) and are decided and written together (callNextBatch).
func (s *HallStore) CallNext(ctx context.Context, counterID, operatorID int64) (*dost.Ticket, *dost.CallReason, error) {
	c := &callRequest{counterID: counterID, operatorID: operatorID}
	fn := func(ctx context.Context, tx *Tx, sc *callScope) (err error) {
		c.t, c.why, err = callNext(ctx, tx, counterID, operatorID, sc)
		return err
	}
	var err error
	if s.batch != nil {
		err = s.batch.do(&writeRequest{ctx: ctx, fn: fn, call: c})
	} else {
		err = s.write(ctx, fn)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("call next at counter %d: %w", counterID, err)
	}
	return c.t, c.why, nil
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
	load := func() (err error) {
		waiting, err = loadWaiting(ctx, tx, c.centre)
		return err
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
			return nil, nil, errQueueEmpty()
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

// callRequest is one call-next of a batch (SQLite) and its outcome.
type callRequest struct {
	counterID, operatorID int64
	t                     *dost.Ticket
	why                   *dost.CallReason
	err                   error // this call's refusal; nil if called
	grouped               bool  // decided by callNextBatch, not alone
}

// errStaleQueue is callNextBatch's when a ticket it chose from a kept
// queue was not as the queue said: the batch is rolled back and its calls
// run one by one, each reading the queue again if need be.
var errStaleQueue = errors.New("kept queue is stale")

// callNextBatch decides and writes calls together in tx (SQLite): one
// statement checks every caller (checkCallers), the policy chooses for
// each in turn over the centre's queue from which the tickets already
// handed out are removed (so each call sees what it would have seen
// after the ones before it, and no two get one ticket), one UPDATE calls
// every chosen ticket, with the same guard as callNext's, and one INSERT
// writes their queue events with the reasons. A call refused (not signed
// in, counter busy, no ticket it may serve...) gets its error in its
// request and writes nothing. An error returned, or errStaleQueue when a
// guard missed, means the batch may have written part and must be rolled
// back.
func callNextBatch(ctx context.Context, tx *Tx, sc *callScope, calls []*callRequest) error {
	for _, c := range calls {
		c.t, c.why, c.err = nil, nil, nil
	}
	callers, err := checkCallers(ctx, tx, calls, sc.settings)
	if err != nil {
		return err
	}
	type choice struct {
		c      *callRequest
		pick   *dost.Ticket
		reason *dost.CallReason
	}
	var chosen []choice
	lists := map[int64][]*dost.Ticket{} // centre: its queue less the tickets chosen
	taken := map[int64]string{}         // counter: the number it was given
	for i, c := range calls {
		k := callers[i]
		if c.err != nil {
			continue
		}
		if n, ok := taken[c.counterID]; ok {
			c.err = errCounterBusy(c.counterID, n)
			continue
		}
		waiting, ok := lists[k.centre]
		if !ok {
			if waiting, ok = sc.waiting[k.centre]; !ok {
				if waiting, err = loadWaiting(ctx, tx, k.centre); err != nil {
					return err
				}
			}
			// A copy: the batch's scope keeps the old list to restore
			// if the batch is rolled back.
			waiting = slices.Clone(waiting)
		}
		pick, reason, ok := k.policy.Choose(waiting, k.op, tx.now)
		if !ok {
			c.err = errQueueEmpty()
			lists[k.centre] = waiting
			continue
		}
		lists[k.centre] = slices.DeleteFunc(waiting, func(x *dost.Ticket) bool { return x == pick })
		taken[c.counterID] = pick.Number
		chosen = append(chosen, choice{c, pick, reason})
	}
	if len(chosen) > 0 {
		// The guard checks what the policy chose by as well as the
		// status, as callNext's.
		called := make(map[int64]*dost.Ticket, len(chosen))
		versions := make(map[int64]int, len(chosen))
		for rest := chosen; len(rest) > 0; {
			size := valuesRows(len(rest))
			part := rest[:min(size, len(rest))]
			rest = rest[len(part):]
			args := make([]any, 0, 7*size+2)
			for _, ch := range part {
				p := ch.pick
				args = append(args, p.ID, ch.c.counterID, ch.c.operatorID, p.ServiceCode, p.Group, p.Priority, p.DirectedCounterID)
			}
			for range size - len(part) {
				args = append(args, nil, nil, nil, nil, nil, nil, nil) // matches no ticket
			}
			args = append(args, tx.ts(tx.now), tx.ts(tx.now))
			err = each(ctx, tx, callUpdateQuery(size),
				args, func(rows *sql.Rows) error {
					t, v, err := scanTicket(rows)
					called[t.ID], versions[t.ID] = t, v
					return err
				})
			if err != nil {
				return err
			}
		}
		if len(called) != len(chosen) {
			return errStaleQueue
		}
		for rest := chosen; len(rest) > 0; {
			size := valuesRows(len(rest))
			part := rest[:min(size, len(rest))]
			rest = rest[len(part):]
			args := make([]any, 0, 9*size+2)
			for _, ch := range part {
				t := called[ch.pick.ID]
				reason, err := json.Marshal(ch.reason)
				if err != nil {
					return fmt.Errorf("call reason: %w", err)
				}
				args = append(args, t.CentreID, t.ID, versions[t.ID], t.Number, ch.c.counterID, ch.c.operatorID, t.ServiceCode,
					t.Priority, string(reason))
			}
			for range size - len(part) {
				args = append(args, nil, nil, nil, nil, nil, nil, nil, nil, nil) // not inserted
			}
			args = append(args, dost.QueueCalled, tx.ts(tx.now))
			// As insertQueueEvent writes a call's event.
			_, err = tx.ExecContext(ctx, callEventsQuery(size), args...)
			if isUnique(err) {
				return errStaleQueue
			} else if err != nil {
				return err
			}
		}
		for _, ch := range chosen {
			ch.c.t, ch.c.why = called[ch.pick.ID], ch.reason
		}
	}
	maps.Copy(sc.waiting, lists)
	return nil
}

// checkCallers is checkCaller for every call of a batch in one
// statement (SQLite). A call that fails its check gets its error; its
// caller is nil.
func checkCallers(ctx context.Context, tx *Tx, calls []*callRequest, settings map[int64]*dost.QueueSettings) ([]*caller, error) {
	pairs := make([][2]int64, len(calls))
	for i, c := range calls {
		pairs[i] = [2]int64{c.counterID, c.operatorID}
	}
	arg, err := json.Marshal(pairs)
	if err != nil {
		return nil, err
	}
	found := make([]*callerRow, len(calls))
	err = each(ctx, tx, `SELECT v.key, `+callerCheckColumns(`group_concat(DISTINCT c.category)`, "v.operator_id", "$2")+`
		FROM (SELECT key, json_extract(value, '$[0]') AS counter_id, json_extract(value, '$[1]') AS operator_id
			FROM json_each($1)) AS v JOIN counters k ON k.id = v.counter_id`,
		[]any{string(arg), civilDate(tx.now)}, func(rows *sql.Rows) error {
			var i int
			r := &callerRow{}
			if err := rows.Scan(&i, &r.centre, &r.groups, &r.signedIn, &r.inHand, &r.certified); err != nil {
				return err
			}
			if i < 0 || i >= len(found) {
				return fmt.Errorf("check callers: row %d of %d", i, len(found))
			}
			found[i] = r
			return nil
		})
	if err != nil {
		return nil, err
	}
	callers := make([]*caller, len(calls))
	for i, c := range calls {
		if found[i] == nil {
			c.err = errCounterUnknown(c.counterID)
			continue
		}
		callers[i], c.err = found[i].caller(ctx, tx, c.counterID, settings)
		if c.err != nil && !isRefusal(c.err) {
			return nil, c.err // reading the settings failed
		}
	}
	return callers, nil
}

// isRefusal tells whether err is a call refused (a *dost.Error), not a
// failed statement.
func isRefusal(err error) bool {
	var e *dost.Error
	return errors.As(err, &e)
}

// loadWaiting reads a centre's waiting tickets of today, with only what
// the policy reads.
func loadWaiting(ctx context.Context, tx *Tx, centre int64) ([]*dost.Ticket, error) {
	var waiting []*dost.Ticket
	err := each(ctx, tx, `SELECT id, service_code, queue_group, priority, directed_counter_id, issued_at, appointment_at
		FROM tickets WHERE centre_id = $1 AND day = $2 AND status = 'waiting'`,
		[]any{centre, civilDate(tx.now)}, func(rows *sql.Rows) error {
			w := &dost.Ticket{Status: dost.TicketWaiting}
			waiting = append(waiting, w)
			return rows.Scan(&w.ID, &w.ServiceCode, &w.Group, &w.Priority, &w.DirectedCounterID,
				scanTime(&w.IssuedAt), scanNullTime(&w.AppointmentAt))
		})
	return waiting, err
}

// maxValuesRows bounds the rows of one VALUES list of callNextBatch, so
// that its statement stays short enough for the statement cache
// (stmtCacheMaxQuery).
const maxValuesRows = 64

// valuesRows is the number of rows of the next VALUES list for n rows:
// the next power of two up to maxValuesRows, so that a few statements,
// each prepared once (stmtCache), serve every batch; the rows beyond n
// are NULLs.
func valuesRows(n int) int {
	size := 1
	for size < n && size < maxValuesRows {
		size *= 2
	}
	return size
}

// callUpdateQuery is the UPDATE of callNextBatch for rows calls: each
// row of VALUES is a ticket's ID, the counter and operator, and what the
// policy chose it by (the guard, as callNext's); then the time twice. It
// returns every ticket it called.
func callUpdateQuery(rows int) string {
	return `WITH j (j_id, j_counter, j_operator, j_service, j_group, j_priority, j_directed) AS (VALUES ` +
		valuesList(7, rows) + `) UPDATE tickets SET status = 'called', counter_id = j.j_counter, operator_id = j.j_operator,
		called_at = COALESCE(called_at, ?), version = version + 1, updated_at = ?
		FROM j WHERE tickets.id = j.j_id AND status = 'waiting' AND service_code = j.j_service AND queue_group = j.j_group
		AND priority = j.j_priority AND directed_counter_id = j.j_directed
		RETURNING ` + strings.TrimSuffix(ticketColumns, " FROM tickets")
}

// callEventsQuery is the INSERT of callNextBatch's queue events, as
// insertQueueEvent writes a call's: each row of VALUES is the centre,
// ticket, seq, number, counter, operator, service, priority and reason
// (rows with a NULL ticket are not written); then the kind and time.
func callEventsQuery(rows int) string {
	return `WITH e (centre_id, ticket_id, seq, number, counter_id, operator_id, service_code, priority, reason) AS (VALUES ` +
		valuesList(9, rows) + `) INSERT INTO queue_events (centre_id, ticket_id, seq, number, kind, at, counter_id,
		operator_id, service_code, from_service_code, priority, reason, services_done, quoted_wait_seconds)
		SELECT centre_id, ticket_id, seq, number, ?, ?, counter_id, operator_id, service_code, '', priority, reason, '', 0
		FROM e WHERE ticket_id IS NOT NULL`
}

// valuesList returns rows rows of cols anonymous placeholders each:
// "(?,?),(?,?)".
func valuesList(cols, rows int) string {
	row := "(" + strings.Repeat("?,", cols-1) + "?)"
	return strings.Repeat(row+",", rows-1) + row
}
