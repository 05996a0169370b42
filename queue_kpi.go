package dost

import (
	"context"
	"fmt"
	"time"
)

// KPIPeriod is the length of the periods a dashboard splits a range into.
type KPIPeriod string

// KPI periods. A week is an ISO week, Monday to Sunday.
const (
	KPIByDay  KPIPeriod = "day"
	KPIByWeek KPIPeriod = "week"
)

// MaxKPIDays is the longest range of days one QueueKPIs call covers.
const MaxKPIDays = 366

// QuoteTolerance is how far from the actual wait a quoted wait may be and
// still count as accurate (QueueKPI.QuotesWithin).
const QuoteTolerance = 5 * time.Minute

// QueueKPIFilter asks for the KPIs of a centre's tickets issued on the
// days From to To (both inclusive, in Baku), split by day or by ISO week.
type QueueKPIFilter struct {
	CentreID int64
	From, To Date
	By       KPIPeriod
}

// Validate checks the filter: a centre, both days, From not after To, at
// most MaxKPIDays days, By day or week (empty means day).
func (f *QueueKPIFilter) Validate() error {
	var v Validation
	if f.CentreID <= 0 {
		v.Add("centre_id", "required", "Centre is required.")
	}
	if f.From.IsZero() {
		v.Add("from", "required", "The first day is required.")
	}
	if f.To.IsZero() {
		v.Add("to", "required", "The last day is required.")
	}
	if !f.From.IsZero() && !f.To.IsZero() {
		if f.To.Before(f.From) {
			v.Add("to", "kpi.range", "The last day is before the first.")
		} else if f.From.AddDate(0, 0, MaxKPIDays-1).Before(f.To) {
			v.Add("to", "kpi.range_too_long", "A range has at most %d days.", MaxKPIDays)
		}
	}
	switch f.By {
	case "", KPIByDay, KPIByWeek:
	default:
		v.Add("by", "kpi.by", "Split by day or week, not %q.", f.By)
	}
	return v.Err("The KPI request has errors.")
}

// QueueKPI is what a dashboard measures of a set of tickets, all computed
// from the queue's event log (QueueEvent) and the visitors' ratings:
//
//   - a ticket's wait runs from its issue (for an appointment's ticket
//     checked in early: from the booked slot's start) to its first call;
//   - a service time runs from a started event to the ticket's next
//     finished, parked or transferred event, and is counted for the
//     service and the operator of the started event;
//   - the service level is the share of tickets called within the
//     centre's target (QueueSettings.ServiceLevelMinutes) among those
//     called plus those that left (cancelled) after waiting longer;
//   - a quote is the wait told at the kiosk (Ticket.QuotedWaitSeconds,
//     0: none), compared with the actual wait of the tickets called.
//
// Averages and shares are nil when nothing was measured; shares are 0 to
// 1. Tickets are counted in the period of their issue day.
type QueueKPI struct {
	Issued    int `json:"issued"`
	Called    int `json:"called"`   // called at least once: their wait is measured
	Served    int `json:"served"`   // finished
	NoShows   int `json:"no_shows"` // marked no-show
	Cancelled int `json:"cancelled"`
	// ClosedAtDayEnd were still open when the day ended and closed by the
	// day-end job (dost.ReasonDayEnd): apart from Cancelled, and not
	// counted in MissedTarget.
	ClosedAtDayEnd int `json:"closed_at_day_end"`

	WaitAvgSeconds *float64 `json:"wait_avg_seconds"`
	WaitP90Seconds *float64 `json:"wait_p90_seconds"`
	WaitMaxSeconds *float64 `json:"wait_max_seconds"`
	// WithinTarget were called within the service-level target;
	// MissedTarget were called later or left after waiting longer.
	WithinTarget int      `json:"within_target"`
	MissedTarget int      `json:"missed_target"`
	ServiceLevel *float64 `json:"service_level"`

	ServiceCount      int      `json:"service_count"` // service times measured
	ServiceAvgSeconds *float64 `json:"service_avg_seconds"`
	ServiceP90Seconds *float64 `json:"service_p90_seconds"`

	Ratings   int      `json:"ratings"`
	RatingAvg *float64 `json:"rating_avg"`

	// Quotes is how many called tickets had a wait quoted; QuoteMAESeconds
	// the mean absolute error of those quotes, QuoteBiasSeconds the mean
	// of actual minus quoted (positive: visitors waited longer than told),
	// QuotesWithin how many were within QuoteTolerance and QuoteAccuracy
	// their share.
	Quotes           int      `json:"quotes"`
	QuoteMAESeconds  *float64 `json:"quote_mae_seconds"`
	QuoteBiasSeconds *float64 `json:"quote_bias_seconds"`
	QuotesWithin     int      `json:"quotes_within"`
	QuoteAccuracy    *float64 `json:"quote_accuracy"`
}

// QueueKPIPeriod is one day or ISO week of a range: its first and last day
// within the range, a label ("2026-11-27" or "2026-W48") and its KPIs.
type QueueKPIPeriod struct {
	Start Date   `json:"start"`
	End   Date   `json:"end"`
	Label string `json:"label"`
	QueueKPI
}

// QueueKPIGroup is the KPIs of one service (ServiceCode) or one operator
// (OperatorID, Name) over the whole range. A service's counts are of the
// tickets issued for it; an operator's are of what they did: tickets
// first called to them (Called, waits, quotes), finished (Served), marked
// no-show, served (service times) and rated; Issued and Cancelled are 0.
type QueueKPIGroup struct {
	ServiceCode string `json:"service_code,omitempty"`
	OperatorID  int64  `json:"operator_id,omitempty"`
	Name        string `json:"name,omitempty"`
	QueueKPI
}

// QueueLive is a centre's hall now, from today's event log.
type QueueLive struct {
	Waiting            int `json:"waiting"`
	Called             int `json:"called"` // called, not yet started
	Serving            int `json:"serving"`
	Parked             int `json:"parked"`
	LongestWaitSeconds int `json:"longest_wait_seconds"` // of the tickets waiting
	OpenCounters       int `json:"open_counters"`        // operators signed in
}

// QueueKPIs is a centre's dashboard over a range of days: the total, each
// day or week (every one in the range, empty ones too, oldest first), each
// service and each operator (by code and by name), and the hall now when
// the range includes today.
type QueueKPIs struct {
	CentreID            int64             `json:"centre_id"`
	From                Date              `json:"from"`
	To                  Date              `json:"to"`
	By                  KPIPeriod         `json:"by"`
	ServiceLevelMinutes int               `json:"service_level_minutes"`
	AsOf                time.Time         `json:"as_of"`
	Live                *QueueLive        `json:"live,omitempty"`
	Total               QueueKPI          `json:"total"`
	Periods             []*QueueKPIPeriod `json:"periods"`
	Services            []*QueueKPIGroup  `json:"services"`
	Operators           []*QueueKPIGroup  `json:"operators"`
}

// KPIPeriodOf returns the period of by that day d falls in, clipped to
// [from, to]: its first and last day and its label.
func KPIPeriodOf(by KPIPeriod, d, from, to Date) (start, end Date, label string) {
	if by != KPIByWeek {
		return d, d, d.String()
	}
	wd := (int(d.Time().Weekday()) + 6) % 7 // Monday 0
	start, end = d.AddDate(0, 0, -wd), d.AddDate(0, 0, 6-wd)
	y, w := start.Time().ISOWeek()
	if start.Before(from) {
		start = from
	}
	if end.After(to) {
		end = to
	}
	return start, end, fmt.Sprintf("%04d-W%02d", y, w)
}

// QueueKPIService computes a centre's queue KPIs from its event log; none
// are kept as counters.
type QueueKPIService interface {
	// QueueKPIs validates f and returns the centre's KPIs. The centre's
	// supervisors and administrators may call it: EFORBIDDEN for anyone
	// else (EUNAUTHORIZED without a user); EINVALID for a bad filter;
	// ENOTFOUND for an unknown centre.
	QueueKPIs(ctx context.Context, f QueueKPIFilter) (*QueueKPIs, error)
}
