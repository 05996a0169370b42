package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/notify"
)

func TestLog(t *testing.T) {
	for _, tt := range []struct {
		name string
		n    *dost.Notification
		to   string
	}{
		{"SMS", smsNotification(), "+994*******67"},
		{"Email", emailNotification(), "l***@example.az"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := notify.NewLog(tt.n.Channel, slog.New(slog.NewJSONHandler(&buf, nil)))
			if ch := l.Channel(); ch != tt.n.Channel {
				t.Errorf("Channel() = %q, want %q", ch, tt.n.Channel)
			}
			tt.n.Body += " FIN 5ZK1R2A"
			if err := l.Send(context.Background(), tt.n); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("logged %d lines, want 1", len(lines))
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
				t.Fatal(err)
			}
			if rec["to"] != tt.to || rec["message_id"] != tt.n.MessageID || rec["topic"] != tt.n.Topic {
				t.Errorf("logged %s, want to %q, message_id %q, topic %q", lines[0], tt.to, tt.n.MessageID, tt.n.Topic)
			}
			for _, secret := range []string{tt.n.To, "5ZK1R2A", "Leyla", "rədd", tt.n.Subject} {
				if secret != "" && strings.Contains(lines[0], secret) {
					t.Errorf("logged %s, which contains %q", lines[0], secret)
				}
			}
		})
	}

	t.Run("ErrCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var buf bytes.Buffer
		l := notify.NewLog(dost.NotifySMS, slog.New(slog.NewJSONHandler(&buf, nil)))
		if err := l.Send(ctx, smsNotification()); !errors.Is(err, context.Canceled) {
			t.Errorf("Send = %v, want context.Canceled", err)
		}
		if buf.Len() != 0 {
			t.Errorf("logged %q, want nothing", buf.String())
		}
	})
}

func TestBackoff(t *testing.T) {
	nominal := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour, time.Hour}
	for i, want := range nominal {
		attempt := i + 1
		seen := map[time.Duration]bool{}
		for range 50 {
			d := notify.Backoff(attempt)
			if d < want/2 || d > want {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", attempt, d, want/2, want)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("Backoff(%d) gave %d distinct values in 50 calls, want jitter", attempt, len(seen))
		}
	}
	for _, attempt := range []int{-1, 0, 1000, 1 << 62} {
		if d := notify.Backoff(attempt); d <= 0 || d > time.Hour {
			t.Errorf("Backoff(%d) = %v, want within (0, 1h]", attempt, d)
		}
	}
	if notify.MaxAttempts < 2 {
		t.Errorf("MaxAttempts = %d, want retries", notify.MaxAttempts)
	}
}

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"550 5.1.1 <leyla.m@example.az>: Recipient address rejected",
			"550 5.1.1 <l***@example.az>: Recipient address rejected"},
		{"invalid number +994501234567, try again", "invalid number +994*******67, try again"},
		{"number 0501234567 blocked", "number ********67 blocked"},
		{"to a@b.az and x_y+tag@mail.example.com", "to a***@b.az and x***@mail.example.com"},
		{"451 4.3.0 try again in 300 seconds (id 123456)", "451 4.3.0 try again in 300 seconds (id 123456)"},
		{"ref 12345678901234567890", "ref ******************90"},
	} {
		got := notify.Redact(tt.in)
		if got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := notify.Redact(got); again != got {
			t.Errorf("Redact(%q) = %q, want it unchanged", got, again)
		}
	}
}
