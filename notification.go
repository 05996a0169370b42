package dost

import (
	"context"
	"io"
	"time"
)

// NotificationChannel is how a notification reaches a person.
type NotificationChannel string

// Notification channels.
const (
	NotifySMS   NotificationChannel = "sms"
	NotifyEmail NotificationChannel = "email"
)

// NotificationStatus is where a notification is in the outbox.
type NotificationStatus string

// Notification statuses.
const (
	NotificationPending NotificationStatus = "pending" // waiting for (another) attempt
	NotificationSent    NotificationStatus = "sent"
	NotificationFailed  NotificationStatus = "failed" // gave up after the last attempt
)

// Notification is a message to a person in the outbox. It is written in the
// same transaction as what it announces, so nothing is announced that did
// not happen and nothing that happened goes unannounced; a delivery worker
// sends it later, retrying with back-off. MessageID is unique: senders pass
// it to the gateway so a retry after an unacknowledged send is not
// delivered twice.
type Notification struct {
	ID            int64               `json:"id"`
	MessageID     string              `json:"message_id"`
	PersonID      int64               `json:"person_id,omitempty"`
	UserID        int64               `json:"user_id,omitempty"` // staff recipients (escalations)
	Channel       NotificationChannel `json:"channel"`
	To            string              `json:"to"` // phone number or e-mail address
	Language      string              `json:"language"`
	Topic         string              `json:"topic"` // e.g. "award.made", "decision.refused", "application.late"
	Subject       string              `json:"subject,omitempty"`
	Body          string              `json:"body"`
	Status        NotificationStatus  `json:"status"`
	Attempts      int                 `json:"attempts"`
	NextAttemptAt time.Time           `json:"next_attempt_at"`
	LastError     string              `json:"last_error,omitempty"`
	SentAt        *time.Time          `json:"sent_at,omitempty"`
	CreatedAt     time.Time           `json:"created_at"`
}

// Sender delivers notifications of one channel. Send must be safe to call
// again for the same MessageID after an error (the outbox retries).
type Sender interface {
	Channel() NotificationChannel
	Send(ctx context.Context, n *Notification) error
}

// NotificationFilter selects notifications; zero fields do not filter.
type NotificationFilter struct {
	PersonID int64
	Topic    string
	Statuses []NotificationStatus
	Offset   int
	Limit    int
}

// NotificationService reads the outbox (the notifications log).
type NotificationService interface {
	// FindNotifications returns the notifications matching f (PersonID:
	// the person notified), newest first, one page of them (f.Offset,
	// f.Limit), and the total count of matches. It does not check
	// permissions: the caller lets only the notifications log's readers
	// see them, masked. None match is an empty slice, not an error.
	FindNotifications(ctx context.Context, f NotificationFilter) ([]*Notification, int, error)
}

// FileStore keeps the content of uploaded files under keys dost chooses.
// The default stores them on disk; an S3-compatible store can replace it.
type FileStore interface {
	// Put stores r's content under key, replacing nothing: ECONFLICT if the
	// key exists. The content is durable when Put returns.
	Put(ctx context.Context, key string, r io.Reader) error
	// Open returns the content under key. ENOTFOUND if there is none.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Walk calls fn with every stored key and the time its content was
	// stored (a file's modification time, an object's LastModified), in
	// no particular order: every key stored when Walk starts and not
	// deleted before it is reached is visited once; keys stored or deleted
	// meanwhile may or may not be. fn may Delete the keys it was given. Walk
	// stops at the first error of fn or ctx and returns it. Content that
	// is not a key (a Put in progress) is never visited.
	Walk(ctx context.Context, fn func(key string, modTime time.Time) error) error
}
