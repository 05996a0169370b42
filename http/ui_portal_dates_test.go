package http_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestPortal_BakuDates checks that the application page shows the days
// things happened in Baku: an application submitted and reviewed at 01:30
// Baku (21:30 UTC the day before) shows that Baku day, not the UTC one.
func TestPortal_BakuDates(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			f := newPortalFixture(t, dialect)
			clock := dosttest.ClockOf(t, f.ts.DB)
			at := time.Date(2026, 11, 16, 1, 30, 0, 0, dost.Baku) // 2026-11-15 21:30 UTC
			clock.Set(at)
			a := f.openApplication(t, f.ts.Fixtures.Child, "baku-dates")
			page := f.get(t, f.me, idPath("/my/applications/", a.ID)+"?lang=en")
			page.want(t, 200, "<dd>2026-11-16</dd>", `">2026-11-16</time>`, `datetime="2026-11-16T01:30:00`)
			if strings.Contains(page.Body, "2026-11-15") {
				t.Errorf("the page shows the UTC day 2026-11-15:\n%s", excerpt(page.Body))
			}
		})
	}
}
