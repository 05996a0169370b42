package loadgen

import (
	"context"
	"slices"
	"sync"
	"time"
)

// centreQueue is what the generator knows of a centre's waiting tickets:
// how many it issued per queue group and no operator has called yet. It
// keeps operators from asking for the next ticket when none of their
// groups has one, and from all asking at once for the same one.
type centreQueue struct {
	mu      sync.Mutex
	waiting map[string]int
	wake    chan struct{} // closed and replaced when a ticket is added
}

func newCentreQueue() *centreQueue {
	return &centreQueue{waiting: map[string]int{}, wake: make(chan struct{})}
}

// add notes a ticket issued in group g.
func (q *centreQueue) add(g string) {
	q.mu.Lock()
	q.waiting[g]++
	close(q.wake)
	q.wake = make(chan struct{})
	q.mu.Unlock()
}

// take waits until a ticket waits in one of groups (none: any group),
// claims it and returns its group, or returns "" and false after a
// 5 seconds without one (the operator then asks anyway, for tickets the
// counts missed) or at the deadline.
func (q *centreQueue) take(ctx context.Context, groups []string, deadline time.Time) (string, bool) {
	limit := time.Now().Add(5 * time.Second)
	for {
		q.mu.Lock()
		for g, n := range q.waiting {
			if n > 0 && (len(groups) == 0 || slices.Contains(groups, g)) {
				q.waiting[g]--
				q.mu.Unlock()
				return g, true
			}
		}
		wake := q.wake
		q.mu.Unlock()
		end := limit
		if deadline.Before(end) {
			end = deadline
		}
		wait := time.Until(end)
		if wait <= 0 {
			return "", false
		}
		select {
		case <-wake:
		case <-time.After(wait):
		case <-ctx.Done():
			return "", false
		}
	}
}

// called notes that the claim of group claimed (or none) ended with a
// ticket of group got called.
func (q *centreQueue) called(claimed, got string) {
	if claimed == got {
		return
	}
	q.mu.Lock()
	if claimed != "" {
		q.waiting[claimed]++
	}
	q.waiting[got]--
	q.mu.Unlock()
}
