package http

import (
	"fmt"
	"math"
	"net/http"
	"net/url"

	"github.com/dost-az/dost"
)

// dashboardPage is a centre's supervisor dashboard: the hall now, the
// range's KPIs as tiles and tables, and the URLs hall_dashboard.js draws
// its charts from and the exports download.
type dashboardPage struct {
	Centre  *dost.Centre
	Centres []*dost.Centre // those the user may open, for the switcher
	From    string
	To      string
	By      string
	Errors  map[string]string // field → message key
	KPIs    *dost.QueueKPIs
	Live    *dost.QueueLive
	Total   kpiRow
	Periods []kpiRow
	// Services and Operators are the range's groups.
	Services  []kpiRow
	Operators []kpiRow
	APIURL    string // the JSON the charts read
	CSVURL    string
	XLSXURL   string
	// LongestWait is the live longest wait as m:ss.
	LongestWait string
}

// kpiRow is a QueueKPI as the page shows it: counts, and durations (m:ss),
// shares (%) and ratings formatted, "–" when nothing was measured.
type kpiRow struct {
	Label                                               string
	Issued, Called, Served, NoShows, Cancelled, Ratings int
	WaitAvg, WaitP90, ServiceLevel, ServiceAvg          string
	ServiceP90, RatingAvg, QuoteMAE, QuoteAccuracy      string
	ServiceCount, Quotes                                int
	ClosedAtDayEnd                                      int // not "left": closed by the day-end job
}

// noValue is shown for a KPI nothing was measured for.
const noValue = "–"

// mmss formats seconds as minutes and seconds, "4:05".
func mmss(p *float64) string {
	if p == nil {
		return noValue
	}
	s := int(math.Round(*p))
	sign := ""
	if s < 0 {
		sign, s = "-", -s
	}
	return fmt.Sprintf("%s%d:%02d", sign, s/60, s%60)
}

// percent formats a share as a whole percentage, "60%".
func percent(p *float64) string {
	if p == nil {
		return noValue
	}
	return fmt.Sprintf("%.0f%%", *p*100)
}

// newKPIRow formats k under label.
func newKPIRow(label string, k *dost.QueueKPI) kpiRow {
	r := kpiRow{Label: label, Issued: k.Issued, Called: k.Called, Served: k.Served, NoShows: k.NoShows, Cancelled: k.Cancelled,
		Ratings: k.Ratings, ServiceCount: k.ServiceCount, Quotes: k.Quotes, ClosedAtDayEnd: k.ClosedAtDayEnd,
		WaitAvg: mmss(k.WaitAvgSeconds), WaitP90: mmss(k.WaitP90Seconds), ServiceLevel: percent(k.ServiceLevel),
		ServiceAvg: mmss(k.ServiceAvgSeconds), ServiceP90: mmss(k.ServiceP90Seconds), RatingAvg: noValue,
		QuoteMAE: mmss(k.QuoteMAESeconds), QuoteAccuracy: percent(k.QuoteAccuracy)}
	if k.RatingAvg != nil {
		r.RatingAvg = fmt.Sprintf("%.1f", *k.RatingAvg)
	}
	return r
}

// dashboardErrors maps the field error codes of a KPI request to the
// page's messages.
var dashboardErrors = map[string]string{
	"date.invalid": "dashboard.error.date", "kpi.range": "dashboard.error.range",
	"kpi.range_too_long": "dashboard.error.too_long", "kpi.by": "dashboard.error.by",
}

// dashboardCentres returns the centres u may open the dashboard of.
func (s *Server) dashboardCentres(r *http.Request, u *dost.User) ([]*dost.Centre, error) {
	cs, _, err := s.CentreService.FindCentres(r.Context(), dost.CentreFilter{Limit: 1000})
	if err != nil {
		return nil, err
	}
	var out []*dost.Centre
	for _, c := range cs {
		if u.HasRole(dost.RoleAdmin) || u.InCentre(c.ID) {
			out = append(out, c)
		}
	}
	return out, nil
}

// handleDashboardIndex handles "GET /dashboard": it redirects to the
// dashboard of the centre chosen (centre=code, the page's switcher) or
// else of the first centre the user may open, keeping from, to and by.
func (s *Server) handleDashboardIndex(w http.ResponseWriter, r *http.Request) {
	u := dost.UserFromContext(r.Context())
	cs, err := s.dashboardCentres(r, u)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	code := q.Get("centre")
	var to *dost.Centre
	for _, c := range cs {
		if to == nil && code == "" || c.Code == code {
			to = c
		}
	}
	if to == nil {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "No dashboard of centre %q for you.", code))
		return
	}
	keep := url.Values{}
	for _, k := range []string{"from", "to", "by"} {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	target := "/centres/" + url.PathEscape(to.Code) + "/dashboard"
	if len(keep) > 0 {
		target += "?" + keep.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// handleDashboardPage handles "GET /centres/{code}/dashboard": the
// supervisor dashboard of a centre over from..to (default the last seven
// days) by day or week. Tables carry every number; hall_dashboard.js draws
// the charts from the KPI API and refreshes the hall now every 30 s. 400
// with the form's errors for bad parameters; 403 for a supervisor of
// another centre.
func (s *Server) handleDashboardPage(w http.ResponseWriter, r *http.Request) {
	if s.QueueKPIs == nil {
		s.Error(w, r, errNoKPIs)
		return
	}
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	u := dost.UserFromContext(r.Context())
	if !u.HasRole(dost.RoleAdmin) && !u.InCentre(c.ID) {
		s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "Only the centre's supervisors and administrators see its dashboard."))
		return
	}
	q := r.URL.Query()
	v := dashboardPage{Centre: c, From: q.Get("from"), To: q.Get("to"), By: q.Get("by")}
	if v.By == "" {
		v.By = string(dost.KPIByDay)
	}
	if v.Centres, err = s.dashboardCentres(r, u); err != nil {
		s.Error(w, r, err)
		return
	}
	_, f, err := s.kpiRequest(r)
	if dost.ErrorCode(err) == dost.EINVALID {
		v.Errors = map[string]string{}
		for _, fe := range dost.ErrorFields(err) {
			if key, ok := dashboardErrors[fe.Code]; ok {
				v.Errors[fe.Field] = key
			} else {
				v.Errors[fe.Field] = "dashboard.error.date"
			}
		}
		s.render(w, r, http.StatusBadRequest, "hall_dashboard", "dashboard", v)
		return
	} else if err != nil {
		s.Error(w, r, err)
		return
	}
	k, err := s.QueueKPIs.QueueKPIs(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := s.requestLang(w, r)
	s.nameServices(r, k, lang)
	v.KPIs, v.Live, v.From, v.To, v.By = k, k.Live, k.From.String(), k.To.String(), string(k.By)
	if k.Live != nil {
		secs := float64(k.Live.LongestWaitSeconds)
		v.LongestWait = mmss(&secs)
	}
	v.Total = newKPIRow("", &k.Total)
	for _, p := range k.Periods {
		v.Periods = append(v.Periods, newKPIRow(p.Label, &p.QueueKPI))
	}
	for _, g := range k.Services {
		v.Services = append(v.Services, newKPIRow(g.ServiceCode+" "+g.Name, &g.QueueKPI))
	}
	for _, g := range k.Operators {
		v.Operators = append(v.Operators, newKPIRow(g.Name, &g.QueueKPI))
	}
	params := url.Values{"from": {v.From}, "to": {v.To}, "by": {v.By}, "lang": {lang}}
	base := "/api/v1/centres/" + url.PathEscape(c.Code) + "/kpis?"
	v.APIURL = base + params.Encode()
	params.Set("format", "csv")
	v.CSVURL = base + params.Encode()
	params.Set("format", "xlsx")
	v.XLSXURL = base + params.Encode()
	s.render(w, r, http.StatusOK, "hall_dashboard", "dashboard", v)
}
