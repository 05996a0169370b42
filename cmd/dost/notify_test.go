package main_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	main "github.com/dost-az/dost/cmd/dost"
	"github.com/dost-az/dost/notify"
)

// TestNotifyFlags checks that the notification flags and environment
// choose the senders, that the secrets come from the environment only, and
// that a combination that cannot send stops the start.
func TestNotifyFlags(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	parse := func(t *testing.T, args ...string) (*main.Main, error) {
		t.Helper()
		m := main.NewMain(io.Discard, io.Discard)
		return m, m.ParseFlags(context.Background(), args)
	}
	senders := func(t *testing.T, m *main.Main) (sms, email dost.Sender) {
		t.Helper()
		for _, s := range m.Config.Notify.Senders(logger) {
			switch s.Channel() {
			case dost.NotifySMS:
				sms = s
			case dost.NotifyEmail:
				email = s
			}
		}
		if sms == nil || email == nil {
			t.Fatalf("got sms %v, email %v, want a sender of each", sms, email)
		}
		return sms, email
	}

	t.Run("OK/LogByDefault", func(t *testing.T) {
		m, err := parse(t)
		if err != nil {
			t.Fatal(err)
		}
		sms, email := senders(t, m)
		if _, ok := sms.(*notify.HTTPSMS); ok {
			t.Errorf("sms: got %T, want the log sender", sms)
		}
		if _, ok := email.(*notify.SMTP); ok {
			t.Errorf("email: got %T, want the log sender", email)
		}
	})

	t.Run("OK/Flags", func(t *testing.T) {
		t.Setenv("DOST_SMTP_PASSWORD", "smtp-secret")
		t.Setenv("DOST_SMS_GATEWAY_TOKEN", "sms-secret")
		m, err := parse(t, "--smtp-addr", "mail.example.az:587", "--smtp-from", "DOST <noreply@dost.gov.az>",
			"--smtp-username", "dost", "--sms-gateway-url", "https://sms.example.az/send")
		if err != nil {
			t.Fatal(err)
		}
		sms, email := senders(t, m)
		s, ok := email.(*notify.SMTP)
		if !ok {
			t.Fatalf("email: got %T, want *notify.SMTP", email)
		}
		if s.Addr != "mail.example.az:587" || s.From != "DOST <noreply@dost.gov.az>" || s.Username != "dost" || s.Password != "smtp-secret" {
			t.Errorf("smtp: got %+v", s)
		}
		h, ok := sms.(*notify.HTTPSMS)
		if !ok {
			t.Fatalf("sms: got %T, want *notify.HTTPSMS", sms)
		}
		if h.URL != "https://sms.example.az/send" || h.Token != "sms-secret" {
			t.Errorf("sms: got %+v", h)
		}
		if r := m.Config.Redacted(); strings.Contains(r, "secret") {
			t.Errorf("config dump shows a secret: %s", r)
		}
	})

	t.Run("OK/Environment", func(t *testing.T) {
		t.Setenv("DOST_SMTP_ADDR", "127.0.0.1:25")
		t.Setenv("DOST_SMTP_FROM", "noreply@dost.gov.az")
		t.Setenv("DOST_SMS_GATEWAY_URL", "http://127.0.0.1:9000/sms")
		m, err := parse(t)
		if err != nil {
			t.Fatal(err)
		}
		sms, email := senders(t, m)
		if s, ok := email.(*notify.SMTP); !ok || s.Addr != "127.0.0.1:25" || s.From != "noreply@dost.gov.az" {
			t.Errorf("email: got %#v, want SMTP to 127.0.0.1:25", email)
		}
		if h, ok := sms.(*notify.HTTPSMS); !ok || h.URL != "http://127.0.0.1:9000/sms" {
			t.Errorf("sms: got %#v, want the gateway", sms)
		}
	})

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrSMTPWithoutFrom", []string{"--smtp-addr", "mail.example.az:587"}, "--smtp-from"},
		{"ErrSMTPAddrNoPort", []string{"--smtp-addr", "mail.example.az", "--smtp-from", "noreply@dost.gov.az"}, "host:port"},
		{"ErrSMTPFromInvalid", []string{"--smtp-addr", "mail.example.az:25", "--smtp-from", "not an address"}, "--smtp-from"},
		{"ErrGatewayScheme", []string{"--sms-gateway-url", "ftp://sms.example.az/send"}, "http"},
		{"ErrGatewayNoHost", []string{"--sms-gateway-url", "sms.example.az/send"}, "http"},
		{"ErrPasswordFlag", []string{"--smtp-password", "x"}, "not defined"},
		{"ErrTokenFlag", []string{"--sms-gateway-token", "x"}, "not defined"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
