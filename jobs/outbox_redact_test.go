package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/notify"
	"github.com/dost-az/dost/sqlstore"
)

// syncBuffer is a bytes.Buffer safe for the worker's and the test's
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex // mu guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestOutbox_RedactsErrors checks that a delivery error quoting the
// recipient is neither logged nor stored with the phone number or e-mail
// address in it, after a retryable and after a permanent error.
func TestOutbox_RedactsErrors(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		var logs syncBuffer
		gw := newGateway()
		cfg := config(t, db)
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		cfg.Senders = senders(gw, func(_ context.Context, n *dost.Notification) error {
			if n.Channel == dost.NotifyEmail {
				return fmt.Errorf("550 5.1.1 <%s>: recipient address rejected: %w", n.To, notify.ErrPermanent)
			}
			return fmt.Errorf("gateway: number %s unreachable", n.To)
		})
		cfg.OutboxEvery = 100 * time.Millisecond
		start(t, cfg)
		ids := enqueue(t, db, "redact", 2) // an SMS and an e-mail
		eventually(t, "both tried", func() bool {
			st := outbox(t, db)
			return st[ids[0]].Attempts == 1 && st[ids[1]].Status == dost.NotificationFailed
		})
		st := outbox(t, db)
		for _, id := range ids {
			n := st[id]
			if n.LastError == "" || strings.Contains(n.LastError, n.To) || !strings.Contains(n.LastError, notify.MaskRecipient(n.To)) {
				t.Errorf("%s: got last error %q, want %s masked as %s", id, n.LastError, n.To, notify.MaskRecipient(n.To))
			}
			if strings.Contains(logs.String(), n.To) {
				t.Errorf("log names %s:\n%s", n.To, logs.String())
			}
		}
	})
}
