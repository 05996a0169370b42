package http_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestUIDeadlinesHolidaysMissing: the supervisor's deadline view warns
// while this year or next has only the fixed holidays (as seeded), in the
// page's language, until an administrator enters a moving holiday.
func TestUIDeadlinesHolidaysMissing(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ts := dosttest.NewServer(t, dialect)
			y := dost.Today(ts.Server.Clock).Year()
			both := fmt.Sprintf("%d, %d", y, y+1)
			uiCase{role: dost.RoleSupervisor, path: "/deadlines?lang=en", status: 200,
				want: []string{`id="deadlines-holidays"`, "no moving holidays for " + both, "PUT /api/v1/holidays/{date}"}}.run(t, ts)
			uiCase{role: dost.RoleSupervisor, path: "/deadlines?lang=az", status: 200, want: []string{both + " üçün dəyişən bayramlar yoxdur"}}.run(t, ts)
			uiCase{role: dost.RoleSupervisor, path: "/deadlines?lang=ru", status: 200, want: []string{"нет переходящих праздников на " + both}}.run(t, ts)

			// Gurban Bayram entered for this year: only next year is missing.
			name := map[string]any{"name": map[string]string{"az": "Qurban bayramı", "en": "Gurban Bayram", "ru": "Гурбан байрамы"}}
			if r := call(t, ts, dost.RoleAdmin, "PUT", fmt.Sprintf("/api/v1/holidays/%d-05-27", y), name); r.Status != http.StatusOK {
				t.Fatalf("put holiday: %d %s", r.Status, r.Body)
			}
			uiCase{role: dost.RoleSupervisor, path: "/deadlines?lang=en", status: 200,
				want: []string{fmt.Sprintf("no moving holidays for %d:", y+1)}}.run(t, ts)
			if r := call(t, ts, dost.RoleAdmin, "PUT", fmt.Sprintf("/api/v1/holidays/%d-03-10", y+1), name); r.Status != http.StatusOK {
				t.Fatalf("put holiday: %d %s", r.Status, r.Body)
			}
			uiCase{role: dost.RoleSupervisor, path: "/deadlines?lang=en", status: 200, notWant: []string{`id="deadlines-holidays"`}}.run(t, ts)
		})
	}
}
