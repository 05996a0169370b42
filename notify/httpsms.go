package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/dost-az/dost"
)

// HTTPSMS is a dost.Sender of SMS through an HTTP gateway. Send POSTs
//
//	{"to": "+994501234567", "text": "…", "message_id": "…"}
//
// as JSON to URL with "Authorization: Bearer <Token>" and
// "Idempotency-Key: <MessageID>", so that the gateway delivers a message
// once however often it is retried. It is safe for concurrent use; set the
// fields before the first Send and do not change them after.
type HTTPSMS struct {
	URL   string
	Token string
	// Client sends the requests; nil means a client with a 30 s timeout.
	Client *http.Client
}

var _ dost.Sender = (*HTTPSMS)(nil)

var defaultClient = &http.Client{Timeout: 30 * time.Second}

// Channel returns dost.NotifySMS.
func (s *HTTPSMS) Channel() dost.NotificationChannel { return dost.NotifySMS }

// Send posts n to the gateway. A 2xx answer means sent. A 4xx answer other
// than 408 and 429, or a notification without recipient, text or
// MessageID, is an error wrapping ErrPermanent; any other answer or a
// network error is a retryable error. Errors name the status and the first
// 200 bytes of the gateway's answer; they do not quote the notification.
func (s *HTTPSMS) Send(ctx context.Context, n *dost.Notification) error {
	if n.To == "" || n.Body == "" || n.MessageID == "" {
		return fmt.Errorf("sms: notification %q lacks a recipient, a text or a message ID: %w", n.MessageID, ErrPermanent)
	}
	body, err := json.Marshal(struct {
		To        string `json:"to"`
		Text      string `json:"text"`
		MessageID string `json:"message_id"`
	}{n.To, n.Body, n.MessageID})
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms: %w: %w", err, ErrPermanent) // a bad URL: configuration
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Idempotency-Key", n.MessageID)

	client := s.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error names the URL, which carries no secret (the token
		// travels in a header).
		return fmt.Errorf("sms: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // let the connection be reused

	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return fmt.Errorf("sms gateway: %s: %s: %w", resp.Status, Redact(printable(answer)), ErrPermanent)
	default:
		return fmt.Errorf("sms gateway: %s: %s", resp.Status, Redact(printable(answer)))
	}
}

// printable returns b as one line of text for an error message.
func printable(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, strings.ToValidUTF8(string(b), "?"))
	if s = strings.TrimSpace(s); s == "" {
		return "(no answer)"
	}
	return s
}
