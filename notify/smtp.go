package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// SMTP is a dost.Sender of e-mail through an SMTP relay. Each Send opens
// one connection, upgrades it with STARTTLS when the server offers it,
// authenticates if Username is set, and sends one plain-text UTF-8 message
// (quoted-printable) whose Message-ID header carries the notification's
// MessageID, so that a message sent twice after an unacknowledged try can
// be recognised. It is safe for concurrent use; set the fields before the
// first Send and do not change them after.
//
// E-mail is delivered at least once, not exactly once: SMTP servers do not
// drop a message whose Message-ID they have seen, so if the process stops
// between the server's acceptance and the outbox marking the notification
// sent (or the acceptance is lost on the way back), the retry sends the
// e-mail a second time. The Message-ID only lets the recipient's client
// or a reader of the logs recognise the copy.
type SMTP struct {
	// Addr is the relay's host:port.
	Addr string
	// From is the sender, e.g. "DOST <noreply@dost.gov.az>".
	From string
	// Username and Password, when Username is set, authenticate with
	// PLAIN, which net/smtp allows only over TLS or to localhost.
	Username, Password string
	// RequireTLS refuses to send when the server does not offer
	// STARTTLS, instead of sending in clear.
	RequireTLS bool
	// TLSConfig is used for STARTTLS; nil verifies the server's
	// certificate for Addr's host against the system's roots.
	TLSConfig *tls.Config
	// Hostname is announced in EHLO; "" means "localhost".
	Hostname string
	// Timeout bounds one Send, from dialling to QUIT; 0 means 30 s.
	Timeout time.Duration
}

var _ dost.Sender = (*SMTP)(nil)

// Channel returns dost.NotifyEmail.
func (s *SMTP) Channel() dost.NotificationChannel { return dost.NotifyEmail }

// Send delivers n by e-mail to n.To. Errors wrap ErrPermanent when
// retrying cannot help: a bad recipient, sender or MessageID, or a 5xx
// reply of the server; a 4xx reply, a network or TLS failure is
// retryable. Once the server has accepted the message, Send returns nil
// even if the goodbye fails.
func (s *SMTP) Send(ctx context.Context, n *dost.Notification) error {
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("smtp: sender %q: %w: %w", s.From, err, ErrPermanent)
	}
	to, err := mail.ParseAddress(n.To)
	if err != nil {
		return fmt.Errorf("smtp: notification %q: bad recipient: %w", n.MessageID, ErrPermanent)
	}
	msg, err := message(from, to, n, time.Now())
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: address %q: %w: %w", s.Addr, err, ErrPermanent)
	}

	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) }) // on cancel
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return smtpError(ctx, err)
	}
	defer c.Close()
	hostname := s.Hostname
	if hostname == "" {
		hostname = "localhost"
	}
	if err := c.Hello(hostname); err != nil {
		return smtpError(ctx, err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := &tls.Config{}
		if s.TLSConfig != nil {
			cfg = s.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		if err := c.StartTLS(cfg); err != nil {
			return smtpError(ctx, err)
		}
	} else if s.RequireTLS {
		return fmt.Errorf("smtp: %s does not offer STARTTLS", s.Addr)
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return smtpError(ctx, err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return smtpError(ctx, err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return smtpError(ctx, err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpError(ctx, err)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpError(ctx, err)
	}
	if err := w.Close(); err != nil { // the server's verdict on the message
		return smtpError(ctx, err)
	}
	c.Quit() // the message is accepted; a failed goodbye changes nothing
	return nil
}

// smtpError wraps err, marking 5xx replies permanent and naming the
// context's error when it cut the exchange short.
func smtpError(ctx context.Context, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return fmt.Errorf("smtp: %w: %w", err, ErrPermanent)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("smtp: %w: %w", ctx.Err(), err)
	}
	return fmt.Errorf("smtp: %w", err)
}

// message returns the RFC 5322 message of n: headers, a blank line and the
// quoted-printable body, with CRLF line ends.
func message(from, to *mail.Address, n *dost.Notification, now time.Time) ([]byte, error) {
	id := n.MessageID
	if id == "" || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r > '~' || r == '<' || r == '>' }) {
		return nil, fmt.Errorf("smtp: notification %d: message ID %q is not usable: %w", n.ID, id, ErrPermanent)
	}
	if !strings.Contains(id, "@") {
		_, domain, _ := strings.Cut(from.Address, "@")
		id += "@" + domain
	}
	subject := strings.Join(strings.Fields(n.Subject), " ") // no line breaks in a header

	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", (&mail.Address{Address: to.Address}).String())
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+id+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	if n.Language != "" && dost.ValidLanguage(n.Language) {
		header("Content-Language", n.Language)
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(n.Body, "\r\n", "\n"))); err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	return b.Bytes(), nil
}
