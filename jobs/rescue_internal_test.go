package jobs

import (
	"testing"
	"time"
)

// TestTimeoutWithin: the default rescue time leaves every time limit as
// it is; a shorter one cuts the limits to half of it.
func TestTimeoutWithin(t *testing.T) {
	for _, c := range []struct{ def, rescue, want time.Duration }{
		{JobTimeout, RescueStuckJobsAfter, JobTimeout},
		{ScanShardTimeout, RescueStuckJobsAfter, ScanShardTimeout},
		{PayrollShardTimeout, time.Hour, PayrollShardTimeout},
		{ScanShardTimeout, 10 * time.Second, 5 * time.Second},
		{JobTimeout, 2 * time.Second, time.Second},
	} {
		if got := timeoutWithin(c.def, c.rescue); got != c.want {
			t.Errorf("timeoutWithin(%s, %s) = %s, want %s", c.def, c.rescue, got, c.want)
		}
	}
}
