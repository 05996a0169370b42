package notify_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/notify"
)

// smtpServer is a tiny SMTP server on loopback speaking the real protocol,
// enough for net/smtp: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
type smtpServer struct {
	ln        net.Listener
	tlsConfig *tls.Config // nil: STARTTLS is not offered
	auth      string      // "user:password" to offer AUTH PLAIN, "" for none
	rcptReply string      // e.g. "550 5.1.1 no such user"; "" accepts
	wg        sync.WaitGroup

	mu       sync.Mutex // mu guards received
	received []*smtpMessage
}

// smtpMessage is what the server saw in one transaction.
type smtpMessage struct {
	From, To string
	TLS      bool
	AuthUser string
	Data     []byte
}

func newSMTPServer(t *testing.T, configure func(*smtpServer)) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	if configure != nil {
		configure(s)
	}
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.serve(t, conn) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *smtpServer) Addr() string { return s.ln.Addr().String() }

func (s *smtpServer) messages() []*smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*smtpMessage(nil), s.received...)
}

func (s *smtpServer) serve(t *testing.T, conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(conn)
	secure := false
	var m smtpMessage
	reply := func(line string) { tp.PrintfLine("%s", line) }
	reply("220 dost-test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			lines := []string{"dost-test greets " + arg}
			if s.tlsConfig != nil && !secure {
				lines = append(lines, "STARTTLS")
			}
			if s.auth != "" {
				lines = append(lines, "AUTH PLAIN")
			}
			lines = append(lines, "HELP")
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				reply("250" + sep + l)
			}
		case "STARTTLS":
			if s.tlsConfig == nil || secure {
				reply("502 5.5.1 not offered")
				continue
			}
			reply("220 2.0.0 ready to start TLS")
			tc := tls.Server(conn, s.tlsConfig)
			if err := tc.Handshake(); err != nil {
				return
			}
			tp, secure = textproto.NewConn(tc), true
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			b, _ := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(b), "\x00")
			if mech != "PLAIN" || len(parts) != 3 || parts[1]+":"+parts[2] != s.auth {
				reply("535 5.7.8 authentication failed")
				continue
			}
			m.AuthUser = parts[1]
			reply("235 2.7.0 authenticated")
		case "MAIL":
			m.From = strings.TrimSuffix(strings.TrimPrefix(strings.Fields(arg)[0], "FROM:<"), ">")
			reply("250 2.1.0 ok")
		case "RCPT":
			if s.rcptReply != "" {
				reply(s.rcptReply)
				continue
			}
			m.To = strings.TrimSuffix(strings.TrimPrefix(arg, "TO:<"), ">")
			reply("250 2.1.5 ok")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			got := m
			got.Data, got.TLS = data, secure
			s.mu.Lock()
			s.received = append(s.received, &got)
			s.mu.Unlock()
			m = smtpMessage{AuthUser: m.AuthUser}
			reply("250 2.0.0 queued")
		case "RSET", "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 unknown command")
		}
	}
}

// selfSigned returns a server certificate for 127.0.0.1 and a pool
// trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "dost-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func emailNotification() *dost.Notification {
	return &dost.Notification{
		ID: 7, MessageID: "n-7-award.made", PersonID: 42, Channel: dost.NotifyEmail,
		To: "leyla.mammadova@example.az", Language: "az", Topic: "award.made",
		Subject: "Qərar: müraciətiniz təsdiq edildi",
		Body: "Hörmətli Leyla Məmmədova,\n.a line starting with a dot\n" +
			strings.Repeat("Təyinat ", 20) + "\nSalamlarla, DOST\n",
	}
}

func TestSMTP(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		srv := newSMTPServer(t, nil)
		s := &notify.SMTP{Addr: srv.Addr(), From: "DOST Mərkəzi <noreply@dost.gov.az>"}
		if ch := s.Channel(); ch != dost.NotifyEmail {
			t.Errorf("Channel() = %q, want %q", ch, dost.NotifyEmail)
		}
		n := emailNotification()
		if err := s.Send(ctx, n); err != nil {
			t.Fatal(err)
		}
		msgs := srv.messages()
		if len(msgs) != 1 {
			t.Fatalf("server received %d messages, want 1", len(msgs))
		}
		m := msgs[0]
		if m.From != "noreply@dost.gov.az" || m.To != n.To {
			t.Errorf("envelope = %q → %q, want noreply@dost.gov.az → %q", m.From, m.To, n.To)
		}
		if m.TLS {
			t.Error("TLS used, but the server did not offer it")
		}
		checkMessage(t, m.Data, n)
	})

	t.Run("STARTTLS", func(t *testing.T) {
		cert, pool := selfSigned(t)
		srv := newSMTPServer(t, func(s *smtpServer) {
			s.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
			s.auth = "dost:s3cret"
		})
		s := &notify.SMTP{Addr: srv.Addr(), From: "noreply@dost.gov.az", Username: "dost", Password: "s3cret",
			RequireTLS: true, TLSConfig: &tls.Config{RootCAs: pool}}
		n := emailNotification()
		if err := s.Send(ctx, n); err != nil {
			t.Fatal(err)
		}
		msgs := srv.messages()
		if len(msgs) != 1 {
			t.Fatalf("server received %d messages, want 1", len(msgs))
		}
		if !msgs[0].TLS || msgs[0].AuthUser != "dost" {
			t.Errorf("TLS %v, user %q; want TLS and user dost", msgs[0].TLS, msgs[0].AuthUser)
		}
		checkMessage(t, msgs[0].Data, n)
	})

	t.Run("ErrUntrustedCertificate", func(t *testing.T) {
		cert, _ := selfSigned(t)
		srv := newSMTPServer(t, func(s *smtpServer) { s.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}} })
		s := &notify.SMTP{Addr: srv.Addr(), From: "noreply@dost.gov.az"} // system roots
		err := s.Send(ctx, emailNotification())
		if err == nil || errors.Is(err, notify.ErrPermanent) {
			t.Errorf("Send = %v, want a retryable TLS error", err)
		}
		if n := len(srv.messages()); n != 0 {
			t.Errorf("server received %d messages, want 0", n)
		}
	})

	t.Run("ErrRequireTLS", func(t *testing.T) {
		srv := newSMTPServer(t, nil)
		s := &notify.SMTP{Addr: srv.Addr(), From: "noreply@dost.gov.az", RequireTLS: true}
		if err := s.Send(ctx, emailNotification()); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("Send = %v, want an error naming STARTTLS", err)
		}
		if n := len(srv.messages()); n != 0 {
			t.Errorf("server received %d messages, want 0", n)
		}
	})

	t.Run("ErrRecipientRefused", func(t *testing.T) {
		srv := newSMTPServer(t, func(s *smtpServer) { s.rcptReply = "550 5.1.1 no such mailbox" })
		s := &notify.SMTP{Addr: srv.Addr(), From: "noreply@dost.gov.az"}
		if err := s.Send(ctx, emailNotification()); !errors.Is(err, notify.ErrPermanent) {
			t.Errorf("Send = %v, want ErrPermanent", err)
		}
	})

	t.Run("ErrMailboxBusy", func(t *testing.T) {
		srv := newSMTPServer(t, func(s *smtpServer) { s.rcptReply = "450 4.2.1 mailbox busy, try later" })
		s := &notify.SMTP{Addr: srv.Addr(), From: "noreply@dost.gov.az"}
		if err := s.Send(ctx, emailNotification()); err == nil || errors.Is(err, notify.ErrPermanent) {
			t.Errorf("Send = %v, want a retryable error", err)
		}
	})

	t.Run("ErrBadRecipient", func(t *testing.T) {
		srv := newSMTPServer(t, nil)
		s := &notify.SMTP{Addr: srv.Addr(), From: "noreply@dost.gov.az"}
		for _, to := range []string{"", "not an address", "a@b.az\r\nBcc: x@evil.example"} {
			n := emailNotification()
			n.To = to
			if err := s.Send(ctx, n); !errors.Is(err, notify.ErrPermanent) {
				t.Errorf("Send to %q = %v, want ErrPermanent", to, err)
			}
		}
		if n := len(srv.messages()); n != 0 {
			t.Errorf("server received %d messages, want 0", n)
		}
	})

	t.Run("ErrServerDown", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		s := &notify.SMTP{Addr: addr, From: "noreply@dost.gov.az", Timeout: 2 * time.Second}
		if err := s.Send(ctx, emailNotification()); err == nil || errors.Is(err, notify.ErrPermanent) {
			t.Errorf("Send = %v, want a retryable error", err)
		}
	})
}

// checkMessage parses data as an e-mail and checks it carries n.
func checkMessage(t *testing.T, data []byte, n *dost.Notification) {
	t.Helper()
	msg, err := mail.ReadMessage(bufio.NewReader(strings.NewReader(string(data))))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	h := msg.Header
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"Message-ID", h.Get("Message-ID"), "<n-7-award.made@dost.gov.az>"},
		{"To", h.Get("To"), "<leyla.mammadova@example.az>"},
		{"Subject", subject, n.Subject},
		{"Content-Type", h.Get("Content-Type"), "text/plain; charset=utf-8"},
		{"Content-Language", h.Get("Content-Language"), "az"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Address != "noreply@dost.gov.az" {
		t.Errorf("From = %q (%v), want noreply@dost.gov.az", h.Get("From"), err)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != n.Body {
		t.Errorf("body = %q, want %q", got, n.Body)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if len(line) > 78 {
			t.Errorf("line %d is %d bytes long, want at most 78", i+1, len(line))
		}
	}
}
