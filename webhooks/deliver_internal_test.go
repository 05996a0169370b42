package webhooks

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestDeliverDueLeaseTimeout checks that a lease, the default one
// included, not longer than the client's timeout is refused before
// anything is claimed (Store is nil: a claim would panic).
func TestDeliverDueLeaseTimeout(t *testing.T) {
	for _, w := range []*Deliverer{
		{Client: &Client{Timeout: DefaultLease}},
		{Client: &Client{Timeout: 3 * time.Minute}},
		{Client: &Client{Timeout: time.Minute}, Lease: time.Minute},
	} {
		if _, err := w.DeliverDue(context.Background()); err == nil || !strings.Contains(err.Error(), "must exceed the timeout") {
			t.Errorf("lease %v, timeout %v: got %v", w.Lease, w.Client.Timeout, err)
		}
	}
}
