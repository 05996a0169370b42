package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/notify"
)

func smsNotification() *dost.Notification {
	return &dost.Notification{
		ID: 9, MessageID: "n-9-decision.refused", PersonID: 42, Channel: dost.NotifySMS,
		To: "+994501234567", Language: "az", Topic: "decision.refused",
		Body: "Müraciətiniz A-2026-0000042 rədd edildi. Qərar: dost.gov.az/v/ABCD-EFGH",
	}
}

// gateway is an SMS gateway answering with status, recording requests.
type gateway struct {
	mu       sync.Mutex // mu guards requests
	requests []gatewayRequest
}

type gatewayRequest struct {
	Method, Auth, IdempotencyKey, ContentType string
	Body                                      map[string]string
}

func newGateway(t *testing.T, status int) (*gateway, *httptest.Server) {
	t.Helper()
	g := &gateway{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		g.requests = append(g.requests, gatewayRequest{r.Method, r.Header.Get("Authorization"),
			r.Header.Get("Idempotency-Key"), r.Header.Get("Content-Type"), body})
		g.mu.Unlock()
		w.WriteHeader(status)
		// Gateways quote the number they refused.
		w.Write([]byte("gateway says:\nanswer from gateway for " + body["to"] + "\x00"))
	}))
	t.Cleanup(srv.Close)
	return g, srv
}

func TestHTTPSMS(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		g, srv := newGateway(t, http.StatusAccepted)
		s := &notify.HTTPSMS{URL: srv.URL + "/send", Token: "tok-123"}
		if ch := s.Channel(); ch != dost.NotifySMS {
			t.Errorf("Channel() = %q, want %q", ch, dost.NotifySMS)
		}
		n := smsNotification()
		if err := s.Send(ctx, n); err != nil {
			t.Fatal(err)
		}
		if len(g.requests) != 1 {
			t.Fatalf("gateway got %d requests, want 1", len(g.requests))
		}
		r := g.requests[0]
		want := gatewayRequest{"POST", "Bearer tok-123", n.MessageID, "application/json",
			map[string]string{"to": n.To, "text": n.Body, "message_id": n.MessageID}}
		if r.Method != want.Method || r.Auth != want.Auth || r.IdempotencyKey != want.IdempotencyKey ||
			r.ContentType != want.ContentType || len(r.Body) != 3 || r.Body["to"] != n.To ||
			r.Body["text"] != n.Body || r.Body["message_id"] != n.MessageID {
			t.Errorf("request = %+v, want %+v", r, want)
		}
	})

	for _, tt := range []struct {
		status    int
		permanent bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusUnprocessableEntity, true},
		{http.StatusRequestTimeout, false},
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
	} {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			_, srv := newGateway(t, tt.status)
			s := &notify.HTTPSMS{URL: srv.URL, Token: "tok"}
			err := s.Send(ctx, smsNotification())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if got := errors.Is(err, notify.ErrPermanent); got != tt.permanent {
				t.Errorf("Send = %v; permanent %v, want %v", err, got, tt.permanent)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, "+994501234567") ||
				!strings.Contains(msg, "answer from gateway for +994*******67") {
				t.Errorf("error %q: want one line with the gateway's answer and without the phone", msg)
			}
		})
	}

	t.Run("ErrNetwork", func(t *testing.T) {
		_, srv := newGateway(t, http.StatusOK)
		srv.Close()
		s := &notify.HTTPSMS{URL: srv.URL, Token: "tok"}
		if err := s.Send(ctx, smsNotification()); err == nil || errors.Is(err, notify.ErrPermanent) {
			t.Errorf("Send = %v, want a retryable error", err)
		}
	})

	t.Run("ErrTimeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer srv.Close()
		defer close(release)
		s := &notify.HTTPSMS{URL: srv.URL, Token: "tok", Client: &http.Client{Timeout: 50 * time.Millisecond}}
		if err := s.Send(ctx, smsNotification()); err == nil || errors.Is(err, notify.ErrPermanent) {
			t.Errorf("Send = %v, want a retryable error", err)
		}
	})

	t.Run("ErrIncomplete", func(t *testing.T) {
		g, srv := newGateway(t, http.StatusOK)
		s := &notify.HTTPSMS{URL: srv.URL, Token: "tok"}
		for _, change := range []func(*dost.Notification){
			func(n *dost.Notification) { n.To = "" },
			func(n *dost.Notification) { n.Body = "" },
			func(n *dost.Notification) { n.MessageID = "" },
		} {
			n := smsNotification()
			change(n)
			if err := s.Send(ctx, n); !errors.Is(err, notify.ErrPermanent) {
				t.Errorf("Send = %v, want ErrPermanent", err)
			}
		}
		if len(g.requests) != 0 {
			t.Errorf("gateway got %d requests, want 0", len(g.requests))
		}
	})
}
