package main

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// warnMissingHolidays logs a warning at start-up when the holiday calendar
// has no moving holidays (Ramadan, Gurban Bayram, days off moved by the
// Cabinet of Ministers) for this year or next: only the fixed ones are
// seeded and dost has no source for the others, so an administrator must
// enter them (PUT /api/v1/holidays/{date}) or deadlines count those days
// as working days. The supervisor's /deadlines page says the same. An
// error reading the calendar is logged, not returned: it does not stop
// dost.
func warnMissingHolidays(ctx context.Context, hs dost.HolidayService, clock dost.Clock, logger *slog.Logger) {
	if hs == nil {
		return
	}
	y := dost.Today(clock).Year()
	years, err := dost.YearsWithoutMovingHolidays(ctx, hs, y, y+1)
	if err != nil {
		logger.Warn("could not check the holiday calendar", "error", err)
		return
	}
	if len(years) == 0 {
		return
	}
	names := make([]string, len(years))
	for i, y := range years {
		names[i] = strconv.Itoa(y)
	}
	logger.Warn("the holiday calendar has no moving holidays (Ramadan, Gurban Bayram, days off moved by the Cabinet) for "+
		strings.Join(names, ", ")+"; deadlines count those days as working days: enter them with PUT /api/v1/holidays/{date}",
		"years", years)
}
