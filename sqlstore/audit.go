package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dost-az/dost"
)

// AuditStore keeps the audit trail (dost.AuditService) in the tables of
// migration 00017_audit: audit_events, append-only by triggers, and
// audit_chain, the chain's one-row head.
//
// Appends are serialised so that the chain never forks: every append's
// transaction reads the head (FOR UPDATE on PostgreSQL, which orders the
// appends of every node; SQLite's single writer orders them there), inserts
// its events after it and moves it. Appends that arrive while one is being
// written are gathered into the next transaction (group commit): one head
// read, one INSERT of all of them and one commit, every caller answered
// after that commit. It is safe for concurrent use.
type AuditStore struct {
	db *DB

	mu       sync.Mutex   // guards pending and flushing
	pending  []*auditCall // appends waiting for the next transaction
	flushing bool         // a caller is writing a batch (the leader)
}

var _ dost.AuditService = (*AuditStore)(nil)

// NewAuditStore returns an AuditStore over db.
func NewAuditStore(db *DB) *AuditStore { return &AuditStore{db: db} }

// maxAuditBatch is the most events one append transaction writes.
const maxAuditBatch = 200

// auditCall is one caller of Record waiting for its event's commit. res
// receives either the outcome or, with lead set, the turn to write the
// next batch.
type auditCall struct {
	e   *dost.AuditEvent
	res chan auditResult
}

type auditResult struct {
	err  error
	lead bool
}

// Record appends e. See dost.AuditService.
func (s *AuditStore) Record(ctx context.Context, e *dost.AuditEvent) error {
	if err := e.Validate(); err != nil {
		return err
	}
	e.Normalize()
	c := &auditCall{e: e, res: make(chan auditResult, 1)}
	s.mu.Lock()
	s.pending = append(s.pending, c)
	lead := !s.flushing
	s.flushing = true
	s.mu.Unlock()
	if !lead {
		r := <-c.res
		if !r.lead {
			return r.err
		}
	}
	// This caller writes the pending events, its own among them, then
	// hands the turn to the first caller still waiting, so no caller
	// writes for others for long.
	s.mu.Lock()
	batch := s.pending
	if len(batch) > maxAuditBatch {
		batch = batch[:maxAuditBatch]
	}
	s.pending = s.pending[len(batch):]
	s.mu.Unlock()
	// Without the caller's cancellation: the batch holds others' events.
	// A panic fails the batch instead of leaving every later caller
	// waiting for a turn that never comes.
	err := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("append audit events: panic: %v", v)
			}
		}()
		return s.appendBatch(context.WithoutCancel(ctx), batch)
	}()
	for _, b := range batch {
		b.res <- auditResult{err: err}
	}
	s.mu.Lock()
	if len(s.pending) > 0 {
		s.pending[0].res <- auditResult{lead: true}
	} else {
		s.flushing = false
	}
	s.mu.Unlock()
	return (<-c.res).err
}

// auditColumns are the columns of audit_events in scanAuditEvent's order.
const auditColumns = `seq, at, actor_id, actor_name, actor_roles, actor_centres, action, object_kind, object_id,
	person_id, ip, request_id, route, reason, detail, prev_hash, hash`

// appendBatch writes the events of batch after the chain's head in one
// transaction.
func (s *AuditStore) appendBatch(ctx context.Context, batch []*auditCall) error {
	err := s.db.update(ctx, func(tx *Tx) error {
		var seq int64
		var hash string
		if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_chain WHERE id = 1`+tx.forUpdate("")).
			Scan(&seq, &hash); err != nil {
			return fmt.Errorf("read chain head: %w", err)
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_events (` + auditColumns + `) VALUES `)
		a := make([]any, 0, 17*len(batch))
		for i, c := range batch {
			e := c.e
			if e.Time.IsZero() {
				e.Time = tx.now.Truncate(time.Microsecond)
			}
			seq++
			e.Seq, e.PrevHash = seq, hash
			e.Hash = e.ChainHash(hash)
			hash = e.Hash
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for j := range 17 {
				if j > 0 {
					q.WriteString(", ")
				}
				q.WriteString(s.db.placeholder(len(a) + j + 1))
			}
			q.WriteByte(')')
			a = append(a, e.Seq, tx.ts(e.Time), e.ActorID, e.ActorName, joinRoles(e.ActorRoles), joinIDs(e.ActorCentreIDs),
				string(e.Action), e.ObjectKind, e.ObjectID, e.PersonID, e.IP, e.RequestID, e.Route, e.Reason, e.Detail,
				e.PrevHash, e.Hash)
		}
		if _, err := tx.ExecContext(ctx, q.String(), a...); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE audit_chain SET seq = $1, hash = $2, updated_at = $3 WHERE id = 1`,
			seq, hash, tx.ts(tx.now))
		return err
	})
	if err != nil {
		return fmt.Errorf("append audit events: %w", err)
	}
	return nil
}

// joinRoles and joinIDs write the comma-separated lists of a stored event.
func joinRoles(rs []dost.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

func joinIDs(ids []int64) string {
	ss := make([]string, len(ids))
	for i, id := range ids {
		ss[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(ss, ",")
}

// scanAuditEvent scans the auditColumns of a row.
func scanAuditEvent(row interface{ Scan(...any) error }) (*dost.AuditEvent, error) {
	e := &dost.AuditEvent{}
	var roles, centres, action string
	err := row.Scan(&e.Seq, scanTime(&e.Time), &e.ActorID, &e.ActorName, &roles, &centres, &action, &e.ObjectKind,
		&e.ObjectID, &e.PersonID, &e.IP, &e.RequestID, &e.Route, &e.Reason, &e.Detail, &e.PrevHash, &e.Hash)
	if err != nil {
		return nil, err
	}
	e.Action = dost.AuditAction(action)
	e.ActorRoles = []dost.Role{}
	for r := range strings.SplitSeq(roles, ",") {
		if r != "" {
			e.ActorRoles = append(e.ActorRoles, dost.Role(r))
		}
	}
	e.ActorCentreIDs = []int64{}
	for c := range strings.SplitSeq(centres, ",") {
		if c == "" {
			continue
		}
		id, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			// Kept as it is stored would change the hash; a bad list is
			// what Verify reports, so keep a marker that never matches.
			id = -1
		}
		e.ActorCentreIDs = append(e.ActorCentreIDs, id)
	}
	return e, nil
}

// FindAuditEvents returns matching events, newest first. See
// dost.AuditService.
func (s *AuditStore) FindAuditEvents(ctx context.Context, f dost.AuditFilter) ([]*dost.AuditEvent, int, error) {
	out := []*dost.AuditEvent{}
	var total int
	if !storable(strOf(f.PersonFIN)) {
		return out, 0, nil
	}
	err := s.db.view(ctx, func(tx *Tx) error {
		var a args
		var conds []string
		if f.PersonID != nil {
			conds = append(conds, "person_id = "+a.add(*f.PersonID))
		}
		if f.PersonFIN != nil {
			conds = append(conds, "person_id = (SELECT id FROM persons WHERE fin = "+a.add(string(*f.PersonFIN))+")")
		}
		if f.ActorID != nil {
			conds = append(conds, "actor_id = "+a.add(*f.ActorID))
		}
		if f.Action != nil {
			conds = append(conds, "action = "+a.add(string(*f.Action)))
		}
		if f.From != nil {
			conds = append(conds, "at >= "+a.add(tx.ts(*f.From)))
		}
		if f.To != nil {
			conds = append(conds, "at < "+a.add(tx.ts(*f.To)))
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM audit_events`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+auditColumns+` FROM audit_events`+where(conds)+` ORDER BY seq DESC`+page(f.Offset, f.Limit), a,
			func(rows *sql.Rows) error {
				e, err := scanAuditEvent(rows)
				if err == nil {
					out = append(out, e)
				}
				return err
			})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find audit events: %w", err)
	}
	return out, total, nil
}

// ViewsOfPerson returns the staff reads of a person's record. See
// dost.AuditService.
func (s *AuditStore) ViewsOfPerson(ctx context.Context, personID int64, offset, limit int) ([]*dost.AuditEvent, int, error) {
	read := dost.AuditRead
	return s.FindAuditEvents(ctx, dost.AuditFilter{PersonID: &personID, Action: &read, Offset: offset, Limit: limit})
}

// Verify walks the chain. See dost.AuditService.
func (s *AuditStore) Verify(ctx context.Context) (*dost.AuditCheck, error) {
	check := &dost.AuditCheck{}
	err := s.db.view(ctx, func(tx *Tx) error {
		// The head first: every event up to its seq was committed with it,
		// and appends after this read are beyond it.
		if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_chain WHERE id = 1`).
			Scan(&check.HeadSeq, &check.HeadHash); err != nil {
			return fmt.Errorf("read chain head: %w", err)
		}
		prevSeq, prevHash := int64(0), dost.GenesisHash
		rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE seq <= $1 ORDER BY seq`, check.HeadSeq)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanAuditEvent(rows)
			if err != nil {
				return err
			}
			check.Count++
			if b := verifyLink(e, prevSeq, prevHash); b != nil {
				check.Broken = b
				return nil
			}
			prevSeq, prevHash = e.Seq, e.Hash
		}
		if err := rows.Err(); err != nil {
			return err
		}
		switch {
		case prevSeq < check.HeadSeq:
			check.Broken = &dost.AuditBreak{Seq: prevSeq + 1, Reason: fmt.Sprintf(
				"seq %d is missing: the chain ends at seq %d but its head is at seq %d", prevSeq+1, prevSeq, check.HeadSeq)}
		case prevHash != check.HeadHash:
			check.Broken = &dost.AuditBreak{Seq: prevSeq, Reason: fmt.Sprintf(
				"the hash of seq %d differs from the chain head's", prevSeq)}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify audit trail: %w", err)
	}
	return check, nil
}

// verifyLink checks event e after the event prevSeq with hash prevHash
// and returns the broken link, or nil.
func verifyLink(e *dost.AuditEvent, prevSeq int64, prevHash string) *dost.AuditBreak {
	switch {
	case e.Seq != prevSeq+1:
		return &dost.AuditBreak{Seq: prevSeq + 1, Reason: fmt.Sprintf(
			"seq %d is missing: seq %d follows seq %d", prevSeq+1, e.Seq, prevSeq)}
	case e.PrevHash != prevHash:
		return &dost.AuditBreak{Seq: e.Seq, Reason: fmt.Sprintf(
			"its prev_hash differs from the hash of seq %d: seq %d was rewritten, or this link", prevSeq, prevSeq)}
	case e.ChainHash(e.PrevHash) != e.Hash:
		return &dost.AuditBreak{Seq: e.Seq, Reason: "its hash differs from the hash of its fields: the event was changed"}
	}
	return nil
}

// personScopeSQL computes, for the person row p, whether the person is of
// one of the centres listed in the IN list %[1]s (see
// dost.PersonOfCentres).
const personScopeSQL = `(EXISTS (SELECT 1 FROM centres c WHERE c.id IN (%[1]s) AND c.district <> ''
		AND c.region = p.region AND c.district = p.district)
	OR EXISTS (SELECT 1 FROM applications a WHERE a.person_id = p.id AND a.centre_id IN (%[1]s))
	OR EXISTS (SELECT 1 FROM appointments ap WHERE ap.person_id = p.id AND ap.centre_id IN (%[1]s)))`

// scope runs a person-scope query: from is the FROM and WHERE clause
// naming the person row p, with its one argument.
func (s *AuditStore) scope(ctx context.Context, from string, arg any, centreIDs []int64) (int64, bool, error) {
	var personID int64
	of := true
	err := s.db.view(ctx, func(tx *Tx) error {
		a := args{arg}
		test := "1 = 1"
		if len(centreIDs) > 0 {
			ps := make([]string, len(centreIDs))
			for i, c := range centreIDs {
				ps[i] = a.add(c)
			}
			test = fmt.Sprintf(personScopeSQL, strings.Join(ps, ", "))
		}
		err := tx.QueryRowContext(ctx, `SELECT p.id, `+test+` FROM `+from, a...).Scan(&personID, &of)
		if isNoRows(err) {
			personID, of = 0, true
			return nil
		}
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("person scope: %w", err)
	}
	return personID, of, nil
}

// PersonScope answers whether the person is of the centres. See
// dost.AuditService.
func (s *AuditStore) PersonScope(ctx context.Context, fin dost.FIN, centreIDs []int64) (int64, bool, error) {
	if !storable(string(fin)) {
		return 0, true, nil
	}
	return s.scope(ctx, `persons p WHERE p.fin = $1`, string(fin), centreIDs)
}

// ApplicationScope is PersonScope for an application's person. See
// dost.AuditService.
func (s *AuditStore) ApplicationScope(ctx context.Context, applicationID int64, centreIDs []int64) (int64, bool, error) {
	return s.scope(ctx, `applications x JOIN persons p ON p.id = x.person_id WHERE x.id = $1`, applicationID, centreIDs)
}

// RecentReason returns a reason given lately. See dost.AuditService.
func (s *AuditStore) RecentReason(ctx context.Context, actorID, personID int64, window time.Duration) (string, error) {
	var reason string
	err := s.db.view(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT reason FROM audit_events WHERE person_id = $1 AND action = 'read'
			AND actor_id = $2 AND reason <> '' AND at >= $3 ORDER BY seq DESC LIMIT 1`,
			personID, actorID, tx.ts(tx.now.Add(-window))).Scan(&reason)
		if isNoRows(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("recent reason: %w", err)
	}
	return reason, nil
}
