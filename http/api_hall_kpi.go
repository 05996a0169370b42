package http

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/dost-az/dost"
)

// hallSupervisors may see a centre's dashboard: its supervisors and the
// administrators (the service checks the centre).
var hallSupervisors = []dost.Role{dost.RoleSupervisor, dost.RoleAdmin}

// Export formats of the KPIs.
const (
	mimeCSV  = "text/csv"
	mimeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// hallKPIRoutes returns the supervisor dashboard's rows of the route
// table: its API and its pages.
func (s *Server) hallKPIRoutes() []Route {
	return []Route{
		{Pattern: "GET /api/v1/centres/{code}/kpis", Access: ByRole, Roles: hallSupervisors, Handler: s.handleKPIs},
		{Pattern: "GET /dashboard", Access: ByRole, Roles: hallSupervisors, Handler: s.handleDashboardIndex},
		{Pattern: "GET /centres/{code}/dashboard", Access: ByRole, Roles: hallSupervisors, Handler: s.handleDashboardPage},
	}
}

// errNoKPIs answers the dashboard's routes on a server without a
// QueueKPIService.
var errNoKPIs = dost.Errorf(dost.ENOTFOUND, "The dashboard is not available on this server.")

// kpiRequest reads a KPI request of the centre in the path: from and to
// (YYYY-MM-DD, default the last seven days to today) and by (day or week,
// default day). Bad parameters are EINVALID with field errors.
func (s *Server) kpiRequest(r *http.Request) (*dost.Centre, dost.QueueKPIFilter, error) {
	q := r.URL.Query()
	var v dost.Validation
	today := dost.Today(s.Clock)
	to := queryDay(q, "to", today, &v)
	from := queryDay(q, "from", to.AddDate(0, 0, -6), &v)
	f := dost.QueueKPIFilter{From: from, To: to, By: dost.KPIPeriod(q.Get("by"))}
	if err := v.Err("The KPI request has errors."); err != nil {
		return nil, f, err
	}
	c, err := s.centreOfPath(r)
	if err != nil {
		return nil, f, err
	}
	f.CentreID = c.ID
	if err := f.Validate(); err != nil {
		return nil, f, err
	}
	return c, f, nil
}

// kpiFormat returns the export format asked for: the format parameter
// (json, csv or xlsx) or else the Accept header; "" is JSON.
func kpiFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "json":
		return "", nil
	case "csv", "xlsx":
		return f, nil
	case "":
	default:
		return "", dost.FieldErr("format", "format.invalid", "The format is json, csv or xlsx, not %q.", f)
	}
	accept := r.Header.Get("Accept")
	switch {
	case strings.Contains(accept, mimeXLSX):
		return "xlsx", nil
	case strings.Contains(accept, mimeCSV):
		return "csv", nil
	}
	return "", nil
}

// handleKPIs handles "GET /api/v1/centres/{code}/kpis": the centre's
// queue KPIs from its event log over from..to split by day or week, as
// JSON, or as a CSV or XLSX file (format=csv|xlsx or the Accept header).
// Service names in the groups are in lang (az, en or ru; default en). 400
// with field errors for bad parameters, 403 for a supervisor of another
// centre, 404 for an unknown centre.
func (s *Server) handleKPIs(w http.ResponseWriter, r *http.Request) {
	format, err := kpiFormat(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c, f, err := s.kpiRequest(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if s.QueueKPIs == nil {
		s.Error(w, r, errNoKPIs)
		return
	}
	k, err := s.QueueKPIs.QueueKPIs(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := r.URL.Query().Get("lang")
	if !dost.ValidLanguage(lang) {
		lang = "en"
	}
	s.nameServices(r, k, lang)
	name := fmt.Sprintf("kpis-%s-%s-%s", c.Code, f.From, f.To)
	switch format {
	case "csv":
		w.Header().Set("Content-Type", mimeCSV+"; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		if err := writeKPICSV(w, k); err != nil {
			s.logger().Error("write kpi csv", "err", err)
		}
	case "xlsx":
		b, err := kpiXLSX(k)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		w.Header().Set("Content-Type", mimeXLSX)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b)
	default:
		writeJSON(w, http.StatusOK, k)
	}
}

// nameServices names k's services in lang from the catalogue (a service
// the catalogue lacks keeps its code).
func (s *Server) nameServices(r *http.Request, k *dost.QueueKPIs, lang string) {
	for _, g := range k.Services {
		if s.CatalogueService == nil {
			return
		}
		if svc, err := s.CatalogueService.FindServiceByCode(r.Context(), g.ServiceCode); err == nil {
			g.Name = svc.Name.In(lang)
		}
	}
}

// kpiColumns are the export's columns after section, key, name, start and
// end: one per QueueKPI field, named as in the JSON.
var kpiColumns = []string{"issued", "called", "served", "no_shows", "cancelled",
	"wait_avg_seconds", "wait_p90_seconds", "wait_max_seconds", "within_target", "missed_target", "service_level",
	"service_count", "service_avg_seconds", "service_p90_seconds", "ratings", "rating_avg",
	"quotes", "quote_mae_seconds", "quote_bias_seconds", "quotes_within", "quote_accuracy", "closed_at_day_end"}

// kpiValues returns k's values in the order of kpiColumns: ints, float64s
// and nil for nothing measured.
func kpiValues(k *dost.QueueKPI) []any {
	f := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	return []any{k.Issued, k.Called, k.Served, k.NoShows, k.Cancelled,
		f(k.WaitAvgSeconds), f(k.WaitP90Seconds), f(k.WaitMaxSeconds), k.WithinTarget, k.MissedTarget, f(k.ServiceLevel),
		k.ServiceCount, f(k.ServiceAvgSeconds), f(k.ServiceP90Seconds), k.Ratings, f(k.RatingAvg),
		k.Quotes, f(k.QuoteMAESeconds), f(k.QuoteBiasSeconds), k.QuotesWithin, f(k.QuoteAccuracy), k.ClosedAtDayEnd}
}

// kpiRows returns the export's rows, header first: the total, each
// period, each service and each operator.
func kpiRows(k *dost.QueueKPIs) [][]any {
	head := []any{"section", "key", "name", "start", "end"}
	for _, c := range kpiColumns {
		head = append(head, c)
	}
	rows := [][]any{head}
	add := func(section, key, name string, start, end dost.Date, v *dost.QueueKPI) {
		rows = append(rows, append([]any{section, key, name, start.String(), end.String()}, kpiValues(v)...))
	}
	add("total", "", "", k.From, k.To, &k.Total)
	for _, p := range k.Periods {
		add(string(k.By), p.Label, "", p.Start, p.End, &p.QueueKPI)
	}
	for _, g := range k.Services {
		add("service", g.ServiceCode, g.Name, k.From, k.To, &g.QueueKPI)
	}
	for _, g := range k.Operators {
		add("operator", strconv.FormatInt(g.OperatorID, 10), g.Name, k.From, k.To, &g.QueueKPI)
	}
	return rows
}

// safeCell keeps a text cell from being read as a formula by a
// spreadsheet (CSV injection): one starting with = + - @ or a control
// character gets a leading apostrophe.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeKPICSV writes k as CSV (RFC 4180, header row first).
func writeKPICSV(w http.ResponseWriter, k *dost.QueueKPIs) error {
	cw := csv.NewWriter(w)
	for _, row := range kpiRows(k) {
		rec := make([]string, len(row))
		for i, v := range row {
			switch x := v.(type) {
			case nil:
			case string:
				rec[i] = safeCell(x)
			case int:
				rec[i] = strconv.Itoa(x)
			case float64:
				rec[i] = strconv.FormatFloat(x, 'f', -1, 64)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// kpiXLSX returns k as a workbook of one sheet "KPIs" with kpiRows,
// numbers as numbers and empty cells for nothing measured.
func kpiXLSX(k *dost.QueueKPIs) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "KPIs"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	for i, row := range kpiRows(k) {
		for j, v := range row {
			if s, ok := v.(string); ok {
				row[j] = safeCell(s)
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return nil, err
		}
		if err := x.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	if err := x.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
