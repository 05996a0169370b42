package notify

import (
	"context"
	"log/slog"
	"unicode/utf8"

	"github.com/dost-az/dost"
)

// Log is a dost.Sender that only logs: one slog line per notification at
// level Info, with the recipient masked and neither the subject nor the
// body (they may name the person or their FIN), only the body's length. It
// stands in for a real channel in development and tests; it never fails
// unless the context is done.
type Log struct {
	channel dost.NotificationChannel
	logger  *slog.Logger
}

var _ dost.Sender = (*Log)(nil)

// NewLog returns a Log sender for channel ch writing to logger
// (slog.Default() if nil).
func NewLog(ch dost.NotificationChannel, logger *slog.Logger) *Log {
	if logger == nil {
		logger = slog.Default()
	}
	return &Log{channel: ch, logger: logger}
}

// Channel returns the channel the Log was made for.
func (l *Log) Channel() dost.NotificationChannel { return l.channel }

// Send logs n.
func (l *Log) Send(ctx context.Context, n *dost.Notification) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.logger.LogAttrs(ctx, slog.LevelInfo, "notification sent to the log",
		slog.String("message_id", n.MessageID),
		slog.String("channel", string(l.channel)),
		slog.String("to", MaskRecipient(n.To)),
		slog.Int64("person_id", n.PersonID),
		slog.String("topic", n.Topic),
		slog.String("language", n.Language),
		slog.Int("body_chars", utf8.RuneCountInString(n.Body)),
	)
	return nil
}
