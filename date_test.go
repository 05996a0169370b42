package dost_test

import (
	"testing"
	"time"

	"github.com/dost-az/dost"
)

// clockAt is a dost.Clock that shows t.
type clockAt time.Time

func (c clockAt) Now() time.Time { return time.Time(c) }

func TestToday(t *testing.T) {
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 11, 16, 19, 59, 0, 0, time.UTC), "2026-11-16"},
		{time.Date(2026, 11, 16, 20, 0, 0, 0, time.UTC), "2026-11-17"}, // midnight in Baku
		{time.Date(2026, 7, 1, 20, 30, 0, 0, time.UTC), "2026-07-02"},  // no summer time
		{time.Date(2026, 11, 17, 1, 0, 0, 0, time.FixedZone("EST", -5*60*60)), "2026-11-17"},
	} {
		if got := dost.Today(clockAt(c.now)); got != dost.MustDate(c.want) {
			t.Errorf("Today at %s: got %s, want %s", c.now, got, c.want)
		}
	}
}
