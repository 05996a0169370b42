package http

import "testing"

// TestQueueWork: the operators' queue work is left to the queue's own log;
// a person's record, the hall's bookings and its administration are not.
func TestQueueWork(t *testing.T) {
	for pattern, want := range map[string]bool{
		"POST /api/v1/counters/{counter}/call-next":  true,
		"POST /api/v1/counters/{counter}/sign-in":    true,
		"POST /api/v1/tickets/{id}/actions":          true,
		"POST /api/v1/tickets":                       true,
		"POST /hall/counters/{counter}/tickets/{id}": true,
		"POST /hall/counters/{counter}/call-next":    true,
		"PATCH /api/v1/persons/{fin}":                false,
		"POST /api/v1/appointments":                  false,
		"POST /api/v1/certifications/{id}/revoke":    false,
		"GET /api/v1/persons/{fin}":                  false,
	} {
		if got := queueWork(pattern); got != want {
			t.Errorf("queueWork(%q) = %v, want %v", pattern, got, want)
		}
	}
}
