package http_test

import (
	"net/http"
	"testing"

	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestCancelByCodeRateLimited: cancelling a booking by code checks a
// second factor (phone or FIN), so the API and the form share the sign-in
// limiter, not the looser public one.
func TestCancelByCodeRateLimited(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite", func(s *dosthttp.Server) {
		s.SignInLimit = dosthttp.RateLimit{Rate: 0.001, Burst: 3}
		s.PublicLimit = dosthttp.RateLimit{Rate: 0.001, Burst: 100}
	})
	guess := map[string]string{"code": "ABCD2345", "phone": "0501234567"}
	for i := range 3 {
		if r := call(t, ts, nobody, "POST", "/api/v1/appointments/cancel", guess); r.Status == http.StatusTooManyRequests {
			t.Fatalf("guess %d: got 429 already", i+1)
		}
	}
	if r := call(t, ts, nobody, "POST", "/api/v1/appointments/cancel", guess); r.Status != http.StatusTooManyRequests {
		t.Fatalf("4th guess: got %d %s, want 429", r.Status, r.Body)
	}
	// The page's form shares the bucket; its GET does not use it.
	if r := send(t, ts, http.DefaultClient, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "POST", "/appointments/cancel", nil); r.Status != http.StatusTooManyRequests {
		t.Errorf("POST /appointments/cancel after the API's guesses: got %d, want 429", r.Status)
	}
	if r := send(t, ts, http.DefaultClient, nil, "GET", "/appointments/cancel", nil); r.Status != http.StatusOK {
		t.Errorf("GET /appointments/cancel: got %d, want 200", r.Status)
	}
}
