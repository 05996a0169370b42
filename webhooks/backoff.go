package webhooks

import (
	"math/rand/v2"
	"time"
)

// backoff is the wait after each failed attempt, before jitter: 30 s,
// 2 min, 10 min, 1 h, 6 h, 16 h; after the last, MaxAttempts is reached
// about 24 hours after the first attempt and the delivery fails for good.
var backoff = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour, 16 * time.Hour}

// MaxAttempts is how many attempts a delivery gets.
var MaxAttempts = len(backoff) + 1

// Backoff returns the wait after failed attempt n (1 is the first), with
// ±20 % jitter so that the deliveries of one outage do not all come back
// at the same second. It is the last wait for n beyond the schedule.
func Backoff(n int) time.Duration {
	d := backoff[min(max(n, 1), len(backoff))-1]
	j := time.Duration(rand.Int64N(int64(d)*2/5+1)) - d/5
	return d + j
}
