package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dost-az/dost"
)

// Outbox is the delivery side of the notifications outbox (the table
// notifications, filled by CaseStore in the transactions of what the
// notifications announce): it claims due notifications for a sender under
// a lease and records how each attempt ended. It implements
// jobs.OutboxStore and is safe for concurrent use by many goroutines and
// many nodes sharing one database.
//
// A claim leases a notification by moving its next_attempt_at to the end
// of the lease, so no other claim takes it before then, and the lease
// needs no column of its own: a node that dies holding a claim leaves the
// notification pending and due again when the lease ends. On PostgreSQL
// concurrent claims skip each other's rows (FOR UPDATE SKIP LOCKED); on
// SQLite write transactions are serialised (one writer connection, BEGIN
// IMMEDIATE), so a conditional update is enough.
type Outbox struct {
	db *DB
}

// NewOutbox returns the outbox of db.
func NewOutbox(db *DB) *Outbox { return &Outbox{db: db} }

// maxErrorRunes bounds the length of a stored last_error.
const maxErrorRunes = 1000

// notificationColumns are the columns scanNotification reads, in order.
const notificationColumns = `id, message_id, person_id, user_id, channel, recipient, language, topic,
	subject, body, status, attempts, next_attempt_at, last_error, sent_at, created_at`

// scanNotification scans the notificationColumns of one row.
func scanNotification(row interface{ Scan(...any) error }) (*dost.Notification, error) {
	n := &dost.Notification{}
	err := row.Scan(&n.ID, &n.MessageID, &n.PersonID, &n.UserID, &n.Channel, &n.To, &n.Language,
		&n.Topic, &n.Subject, &n.Body, &n.Status, &n.Attempts, scanTime(&n.NextAttemptAt),
		&n.LastError, scanNullTime(&n.SentAt), scanTime(&n.CreatedAt))
	return n, err
}

// CreateNotifications puts notifications into the outbox on their own, for
// messages that announce nothing stored in the same transaction (domain
// writes put theirs in with casework.Effects). It sets each one's ID,
// CreatedAt, and when unset Status pending and NextAttemptAt now; a
// MessageID already in the outbox is skipped, leaving that ID 0. EINVALID
// for a notification without a MessageID; nothing is stored then.
func (o *Outbox) CreateNotifications(ctx context.Context, ns []*dost.Notification) error {
	err := o.db.update(ctx, func(tx *Tx) error {
		for _, n := range ns {
			if err := insertNotification(ctx, tx, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create notifications: %w", err)
	}
	return nil
}

// ClaimNotifications leases up to limit pending notifications due at now
// (next_attempt_at <= now), oldest due first, for lease: until now+lease no
// other claim returns them. It returns them by ID, with NextAttemptAt set
// to the end of the lease and Attempts the number of attempts made so far;
// none is not an error. The caller ends each claim with
// MarkNotificationSent, MarkNotificationRetry, MarkNotificationFailed or
// ReleaseNotifications; a claim never ended expires with its lease.
func (o *Outbox) ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*dost.Notification, error) {
	if limit <= 0 {
		return []*dost.Notification{}, nil
	}
	lock := ""
	if o.db.dialect == DialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var ns []*dost.Notification
	err := o.db.update(ctx, func(tx *Tx) error {
		ns = []*dost.Notification{}
		return each(ctx, tx, `UPDATE notifications SET next_attempt_at = $1
			WHERE id IN (SELECT id FROM notifications WHERE status = $2 AND next_attempt_at <= $3
				ORDER BY next_attempt_at, id LIMIT $4`+lock+`)
			RETURNING `+notificationColumns,
			[]any{tx.ts(now.Add(lease)), dost.NotificationPending, tx.ts(now), limit},
			func(rows *sql.Rows) error {
				n, err := scanNotification(rows)
				ns = append(ns, n)
				return err
			})
	})
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	slices.SortFunc(ns, func(a, b *dost.Notification) int { return cmp.Compare(a.ID, b.ID) })
	return ns, nil
}

// MarkNotificationSent records that notification id was handed to its
// gateway at now: status sent, one more attempt. A notification that is
// no longer pending (sent or failed already) is left as it is. ENOTFOUND
// if there is no notification id.
func (o *Outbox) MarkNotificationSent(ctx context.Context, id int64, now time.Time) error {
	return o.mark(ctx, "mark notification sent", id, func(tx *Tx) (string, []any) {
		return `status = $3, attempts = attempts + 1, sent_at = $4, last_error = ''`,
			[]any{dost.NotificationSent, tx.ts(now)}
	})
}

// MarkNotificationRetry records a failed attempt of notification id with
// its error: one more attempt, and the next one due at next. A
// notification that is no longer pending is left as it is. ENOTFOUND if
// there is no notification id.
func (o *Outbox) MarkNotificationRetry(ctx context.Context, id int64, next time.Time, lastErr string) error {
	return o.mark(ctx, "mark notification for retry", id, func(tx *Tx) (string, []any) {
		return `attempts = attempts + 1, next_attempt_at = $3, last_error = $4`,
			[]any{tx.ts(next), errorText(lastErr)}
	})
}

// MarkNotificationFailed records the last, failed attempt of notification
// id with its error: status failed, one more attempt; no more attempts are
// made. A notification that is no longer pending is left as it is.
// ENOTFOUND if there is no notification id.
func (o *Outbox) MarkNotificationFailed(ctx context.Context, id int64, lastErr string) error {
	return o.mark(ctx, "mark notification failed", id, func(tx *Tx) (string, []any) {
		return `status = $3, attempts = attempts + 1, last_error = $4`,
			[]any{dost.NotificationFailed, errorText(lastErr)}
	})
}

// mark updates notification id if it is pending, with the SET clause and
// arguments ($3 on) set returns. The transaction's rows are checked so
// that a notification no longer pending is not an error but a missing one
// is.
func (o *Outbox) mark(ctx context.Context, what string, id int64, set func(tx *Tx) (string, []any)) error {
	err := o.db.update(ctx, func(tx *Tx) error {
		clause, a := set(tx)
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET `+clause+` WHERE id = $1 AND status = $2`,
			append([]any{id, dost.NotificationPending}, a...)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var found int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE id = $1`, id).Scan(&found); err != nil {
			return err
		}
		if found == 0 {
			return dost.Errorf(dost.ENOTFOUND, "Notification %d not found.", id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// ReleaseNotifications ends the claims of notifications that were claimed
// but not tried (the worker was stopped): those still pending are due
// again at now, their attempts unchanged. Unknown IDs are ignored.
func (o *Outbox) ReleaseNotifications(ctx context.Context, ids []int64, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := o.db.update(ctx, func(tx *Tx) error {
		a := args{tx.ts(now), dost.NotificationPending}
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET next_attempt_at = $1
			WHERE status = $2 AND id IN (`+addList(&a, ids)+`)`, a...)
		return err
	})
	if err != nil {
		return fmt.Errorf("release notifications: %w", err)
	}
	return nil
}

// errorText makes a send error storable in both dialects and bounds its
// length.
func errorText(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if utf8.RuneCountInString(s) > maxErrorRunes {
		s = string([]rune(s)[:maxErrorRunes]) + "…"
	}
	return s
}
