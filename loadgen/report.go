package loadgen

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Report prints the result as Markdown: a line of totals, the table of
// endpoints (requests, per second, p50, p99, max, errors, statuses), the
// hall's and the payroll's outcome, and the failures.
func Report(w io.Writer, r *Result) {
	sc := r.Scenario
	sec := r.Elapsed.Seconds()
	var total, errs int64
	eps := r.Stats.Endpoints()
	for _, e := range eps {
		total += e.Latency.Count() + e.Transport
		errs += e.Errors()
	}
	fmt.Fprintf(w, "%d node(s), %s: %d requests in %s, %.0f req/s, %d errors; visits %.1f/s asked, portal %.1f/s, events %.1f/s, seed %d\n\n",
		len(sc.Targets), strings.Join(sc.Targets, " "), total, r.Elapsed.Round(time.Millisecond), float64(total)/sec, errs,
		sc.VisitRate, sc.PortalRate, sc.EventRate, sc.Seed)
	fmt.Fprintln(w, "| endpoint | requests | req/s | p50 | p99 | max | errors | statuses |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---|")
	for _, e := range eps {
		var st []string
		codes := make([]int, 0, len(e.Statuses))
		for c := range e.Statuses {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			st = append(st, fmt.Sprintf("%d×%d", c, e.Statuses[c]))
		}
		n := e.Latency.Count() + e.Transport
		fmt.Fprintf(w, "| `%s` | %d | %.1f | %s | %s | %s | %d | %s |\n", e.Name, n, float64(n)/sec,
			ms(e.Latency.Percentile(0.50)), ms(e.Latency.Percentile(0.99)), ms(e.Latency.Max()), e.Errors(), strings.Join(st, " "))
	}
	fmt.Fprintf(w, "\nhall: %d tickets issued (%.1f/s), %d served, %d no-shows, %d still waiting or at a counter at the end; wait from issue to call p50 %s, p99 %s; %d arrivals dropped (more than %d requests in flight)\n",
		r.Visits, float64(r.Visits)/sec, r.Served, r.NoShow, r.Visits-r.Served-r.NoShow, ms(r.Wait.Percentile(0.5)), ms(r.Wait.Percentile(0.99)),
		r.Dropped, sc.MaxInFlight)
	if sc.Payroll {
		p := r.Payroll
		switch {
		case p.Err != "":
			fmt.Fprintf(w, "payroll: cycle %d of %s: %s\n", p.CycleID, p.Period, p.Err)
		default:
			fmt.Fprintf(w, "payroll: cycle %d of %s (%d payments) prepared by the nodes' jobs in %s under the load, approved %v\n",
				p.CycleID, p.Period, p.Count, p.Prepared.Round(10*time.Millisecond), p.Approved)
		}
	}
	if r.Failed() {
		fmt.Fprintln(w, "\nFAILED:")
		for _, f := range r.Failures {
			fmt.Fprintln(w, "  -", f)
		}
	}
}

// ms formats a latency in milliseconds, to 0.1 ms below 100 ms.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	if f < 100 {
		return fmt.Sprintf("%.1f ms", f)
	}
	return fmt.Sprintf("%.0f ms", f)
}
