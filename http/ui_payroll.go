package http

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// CyclesPerPage and PaymentsPerPage are the rows on one page of the
// payroll cycles and of the payment search and correction list.
const (
	CyclesPerPage   = 20
	PaymentsPerPage = 20
)

// BankSumsUpTo is the largest cycle whose sums per bank the cycle page
// adds up from its payments; a larger cycle shows the counts per bank
// only (the bank files carry their own control sums).
const BankSumsUpTo = 20000

// payrollPageRoutes returns the payroll pages' rows of the route table.
// Roles are the API's for the same work.
func (s *Server) payrollPageRoutes() []Route {
	return []Route{
		{Pattern: "GET /payroll", Access: ByRole, Roles: payrollReaders, Handler: s.handlePayrollPage},
		{Pattern: "POST /payroll/cycles", Access: ByRole, Roles: payrollOfficers, Handler: s.handlePrepareForm},
		{Pattern: "GET /payroll/cycles/{id}", Access: ByRole, Roles: payrollReaders, Handler: s.handleCyclePage},
		{Pattern: "POST /payroll/cycles/{id}/approve", Access: ByRole, Roles: payrollOfficers, Handler: s.handleApproveForm},
		{Pattern: "POST /payroll/cycles/{id}/reject", Access: ByRole, Roles: payrollOfficers, Handler: s.handleRejectForm},
		{Pattern: "POST /payroll/cycles/{id}/export", Access: ByRole, Roles: payrollOfficers, Handler: s.handleExportForm},
		{Pattern: "POST /payroll/cycles/{id}/imports", Access: ByRole, Roles: payrollOfficers, Handler: s.handleImportForm},
		{Pattern: "GET /payroll/payments", Access: ByRole, Roles: payrollReaders, Handler: s.handlePaymentsPage},
		{Pattern: "GET /payroll/corrections", Access: ByRole, Roles: payrollReaders, Handler: s.handleCorrectionsPage},
		{Pattern: "POST /payroll/payments/{id}/correct", Access: ByRole, Roles: payrollOfficers, Handler: s.handleCorrectForm},
	}
}

// programmeOpt is a programme in a select or a list.
type programmeOpt struct {
	Code     string
	Name     dost.Text
	Selected bool
}

// programmeNamer names programmes by code; "" is every programme.
type programmeNamer map[string]dost.Text

// programmeNames returns the names of Server.Programmes by code.
func (s *Server) programmeNames() programmeNamer {
	out := programmeNamer{}
	for _, p := range s.Programmes {
		out[p.Code] = p.Name
	}
	return out
}

// cycleRow is a cycle in the list.
type cycleRow struct {
	Cycle     *dost.Cycle
	Programme dost.Text // empty for every programme or an unknown code
	StatusKey string
}

// payrollPage is the cycles page: the filter, the list and the form to
// prepare a cycle (nil for readers).
type payrollPage struct {
	Programme  string // the filter; "*" any
	Status     string
	Programmes []programmeOpt
	Statuses   []statusOpt
	Rows       []cycleRow
	Total      int
	From, To   int
	PrevURL    string
	NextURL    string
	Prepare    *prepareForm
}

// statusOpt is a status in a select.
type statusOpt struct {
	Value, Key string
	Selected   bool
}

// prepareForm is the form to prepare a cycle.
type prepareForm struct {
	Programmes []programmeOpt
	Programme  string
	Period     string
	Errors     map[string]string
	Alert      string
}

// cycleStatusKey and paymentStatusKey return the message keys of
// statuses.
func cycleStatusKey(st dost.CycleStatus) string     { return "payroll.cycle_status." + string(st) }
func paymentStatusKey(st dost.PaymentStatus) string { return "payroll.payment_status." + string(st) }

// mayPay reports whether the request's user may change the payroll.
func mayPay(r *http.Request) bool {
	return hasAnyRole(dost.UserFromContext(r.Context()), payrollOfficers)
}

// handlePayrollPage handles "GET /payroll": the payroll cycles, newest
// first, filtered by programme and status, CyclesPerPage at a time
// (?page=), with the form to prepare a cycle for payroll staff.
func (s *Server) handlePayrollPage(w http.ResponseWriter, r *http.Request) {
	s.renderPayroll(w, r, http.StatusOK, nil)
}

// renderPayroll renders the cycles page with status; form, when set, is
// the prepare form as sent.
func (s *Server) renderPayroll(w http.ResponseWriter, r *http.Request, status int, form *prepareForm) {
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	q := r.URL.Query()
	names := s.programmeNames()
	v := payrollPage{Programme: q.Get("programme"), Status: q.Get("status")}
	if !q.Has("programme") {
		v.Programme = "*"
	}
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	f := dost.CycleFilter{Offset: (page - 1) * CyclesPerPage, Limit: CyclesPerPage}
	if v.Programme != "*" {
		p := v.Programme
		f.Programme = &p
	}
	for _, st := range cycleStatuses {
		if string(st) == v.Status {
			f.Statuses = []dost.CycleStatus{st}
		}
		v.Statuses = append(v.Statuses, statusOpt{Value: string(st), Key: cycleStatusKey(st), Selected: string(st) == v.Status})
	}
	for _, p := range s.Programmes {
		v.Programmes = append(v.Programmes, programmeOpt{Code: p.Code, Name: p.Name, Selected: p.Code == v.Programme})
	}
	cycles, total, err := svc.FindCycles(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, c := range cycles {
		v.Rows = append(v.Rows, cycleRow{Cycle: c, Programme: names[c.Programme], StatusKey: cycleStatusKey(c.Status)})
	}
	v.Total, v.From, v.To = total, f.Offset+1, f.Offset+len(cycles)
	pageURL := func(n int) string {
		pq := url.Values{}
		for _, k := range []string{"programme", "status"} {
			if q.Has(k) {
				pq.Set(k, q.Get(k))
			}
		}
		if n > 1 {
			pq.Set("page", strconv.Itoa(n))
		}
		return "/payroll?" + pq.Encode()
	}
	if page > 1 {
		v.PrevURL = pageURL(page - 1)
	}
	if f.Offset+len(cycles) < total {
		v.NextURL = pageURL(page + 1)
	}
	if mayPay(r) {
		if form == nil {
			form = &prepareForm{Period: dost.MonthOf(dost.Today(s.Clock)).String()}
		}
		for _, p := range s.Programmes {
			form.Programmes = append(form.Programmes, programmeOpt{Code: p.Code, Name: p.Name, Selected: p.Code == form.Programme})
		}
		v.Prepare = form
	}
	s.render(w, r, status, "payroll", "payroll", v)
}

// cyclePagePath returns the page of a cycle.
func cyclePagePath(id int64) string { return "/payroll/cycles/" + strconv.FormatInt(id, 10) }

// handlePrepareForm handles "POST /payroll/cycles": prepares the cycle of
// the form's programme ("" for all) and period, or an existing prepared
// or rejected one again, and redirects to its page. An error re-renders
// the cycles page with the messages by the fields.
func (s *Server) handlePrepareForm(w http.ResponseWriter, r *http.Request) {
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	form := &prepareForm{Programme: strings.TrimSpace(r.PostFormValue("programme")), Period: strings.TrimSpace(r.PostFormValue("period"))}
	period, err := dost.ParseMonth(form.Period)
	if err != nil {
		err = dost.FieldErr("period", "month.invalid", "A period is a month, YYYY-MM.")
	} else {
		var c *dost.Cycle
		if c, err = svc.PrepareCycle(r.Context(), form.Programme, period); err == nil {
			http.Redirect(w, r, cyclePagePath(c.ID), http.StatusSeeOther)
			return
		}
	}
	if form.Alert = payrollAlertKey(err); form.Alert == "" {
		s.Error(w, r, err)
		return
	}
	form.Errors = payrollFieldErrors(err)
	s.renderPayroll(w, r, ErrorStatus(err), form)
}

// payrollAlertKey returns the message key of the alert above a payroll
// form that the service refused with err, or "" when err is not the
// user's to fix (the caller shows the error page).
func payrollAlertKey(err error) string {
	switch dost.ErrorCode(err) {
	case dost.EINVALID:
		return "form.alert.invalid"
	case dost.ECONFLICT:
		return "payroll.alert.conflict"
	case dost.EFORBIDDEN:
		return "payroll.alert.forbidden"
	}
	return ""
}

// payrollErrorCodes are the field error codes of the payroll that the
// catalogue explains ("payroll.error.<code>"); others show the general
// "form.error.invalid".
var payrollErrorCodes = []string{"required", "programme.unknown", "period.future", "month.invalid", "text.invalid",
	"text.too_long", "iban.missing", "iban.invalid", "iban.same", "bank.unknown", "kind.invalid", "file.too_large"}

// payrollFieldErrors maps the field errors of err to message keys by
// field.
func payrollFieldErrors(err error) map[string]string {
	out := map[string]string{}
	for _, f := range dost.ErrorFields(err) {
		if _, seen := out[f.Field]; seen {
			continue
		}
		key := "form.error.invalid"
		for _, c := range payrollErrorCodes {
			if c == f.Code {
				key = "payroll.error." + c
			}
		}
		out[f.Field] = key
	}
	return out
}

// cyclePage is the page of one cycle.
type cyclePage struct {
	Cycle      *dost.Cycle
	Programme  dost.Text
	StatusKey  string
	PreparedBy string
	ApprovedBy string
	RejectedBy string
	Preparing  bool
	Progress   int // per cent of the shards done
	Diff       *dost.CycleDifference
	Banks      []bankRow
	BankSums   bool // the sums per bank are added up (BankSumsUpTo)
	Imports    []importRow
	MayPay     bool
	// Approvable: the cycle is prepared; OwnCycle: the user prepared it,
	// so another officer approves it.
	Approvable, OwnCycle bool
	Exportable           bool
	Importable           bool
	Preparable           bool
	Reason               string
	ReasonError          string
	Kind                 string
	Errors               map[string]string
	Alert                string
	Problems             []dost.FieldError // of a refused import
}

// bankRow is one bank's payments in a cycle.
type bankRow struct {
	Bank  *dost.Bank
	Count int
	Total dost.Money
	// File is the bank's file as recorded at the cycle's first export
	// (nil before it); ExportedAt is when it was first written.
	File       *dost.ExportFile
	ExportedAt string
}

// importRow is a bank report read into the cycle.
type importRow struct {
	Import *dost.StatusImport
	At     string
	Actor  string
}

// handleCyclePage handles "GET /payroll/cycles/{id}": a cycle with its
// totals, arrears, the differences from the previous month, its payments
// by bank, the imports of the banks' reports and, for payroll staff, the
// forms of the next step.
func (s *Server) handleCyclePage(w http.ResponseWriter, r *http.Request) {
	s.renderCycle(w, r, http.StatusOK, nil)
}

// renderCycle renders a cycle's page with status; change, when set,
// changes the view before it is rendered (a form's errors).
func (s *Server) renderCycle(w http.ResponseWriter, r *http.Request, status int, change func(*cyclePage)) {
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	ctx := r.Context()
	c, err := s.cycleOfPath(r, svc)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	u := dost.UserFromContext(ctx)
	name := s.userNames(ctx)
	v := &cyclePage{Cycle: c, Programme: s.programmeNames()[c.Programme], StatusKey: cycleStatusKey(c.Status),
		PreparedBy: name(c.PreparedBy), ApprovedBy: name(c.ApprovedBy), RejectedBy: name(c.RejectedBy),
		Preparing: c.Status == dost.CyclePreparing, MayPay: mayPay(r)}
	if c.ShardsTotal > 0 {
		v.Progress = c.ShardsDone * 100 / c.ShardsTotal
	}
	v.Approvable = c.Status == dost.CyclePrepared
	v.OwnCycle = u != nil && c.PreparedBy == u.ID
	v.Preparable = c.Status == dost.CyclePrepared || c.Status == dost.CycleRejected
	v.Exportable = c.Status == dost.CycleApproved || c.Status == dost.CycleExported || c.Status == dost.CycleReconciled
	v.Importable = c.Status == dost.CycleExported || c.Status == dost.CycleReconciled
	if !v.Preparing {
		if v.Diff, err = svc.CompareCycle(ctx, c.ID); err != nil {
			s.Error(w, r, err)
			return
		}
		if v.Banks, v.BankSums, err = s.bankRows(ctx, svc, c); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	imports, err := svc.FindStatusImports(ctx, c.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, imp := range imports {
		v.Imports = append(v.Imports, importRow{Import: imp, At: clockTime(imp.At), Actor: name(imp.ActorID)})
	}
	if change != nil {
		change(v)
	}
	s.render(w, r, status, "payroll_cycle", "payroll", v)
}

// bankRows returns a cycle's payments (those in its bank files) per bank:
// once the cycle has been exported, its recorded files with their control
// sums; before, their count and, for a cycle of at most BankSumsUpTo
// payments, their sum (sums reports whether they were added up).
func (s *Server) bankRows(ctx context.Context, svc dost.PayrollService, c *dost.Cycle) (rows []bankRow, sums bool, err error) {
	files, err := svc.CycleFiles(ctx, c.ID)
	if err != nil {
		return nil, false, err
	}
	if len(files) > 0 {
		// The files fixed at the first export carry their own sums.
		for _, f := range files {
			row := bankRow{Bank: &f.Bank, Count: f.Count, Total: f.Total, File: f}
			if f.ExportedAt != nil {
				row.ExportedAt = clockTime(*f.ExportedAt)
			}
			rows = append(rows, row)
		}
		return rows, true, nil
	}
	banks, err := svc.FindBanks(ctx)
	if err != nil {
		return nil, false, err
	}
	for _, b := range banks {
		_, n, err := svc.FindPayments(ctx, dost.PaymentFilter{CycleID: c.ID, Bank: b.Code, Statuses: exportedStatuses, Limit: 1})
		if err != nil {
			return nil, false, err
		}
		if n > 0 {
			rows = append(rows, bankRow{Bank: b, Count: n})
		}
	}
	if c.Count > BankSumsUpTo {
		return rows, false, nil
	}
	for i := range rows {
		f := dost.PaymentFilter{CycleID: c.ID, Bank: rows[i].Bank.Code, Statuses: exportedStatuses, Limit: 1000}
		for f.Offset < rows[i].Count {
			ps, _, err := svc.FindPayments(ctx, f)
			if err != nil {
				return nil, false, err
			}
			if len(ps) == 0 {
				break
			}
			for _, p := range ps {
				rows[i].Total += p.Amount
			}
			f.Offset += len(ps)
		}
	}
	return rows, true, nil
}

// cycleFormID returns the {id} of a cycle form's path, or answers 400
// and returns 0.
func (s *Server) cycleFormID(w http.ResponseWriter, r *http.Request) int64 {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return 0
	}
	return id
}

// handleApproveForm handles "POST /payroll/cycles/{id}/approve": approves
// a prepared cycle and redirects back to its page. The officer who
// prepared it is refused (403) with the page and a message saying that a
// second officer approves it.
func (s *Server) handleApproveForm(w http.ResponseWriter, r *http.Request) {
	svc := s.payroll(w, r)
	id := s.cycleFormID(w, r)
	if svc == nil || id == 0 {
		return
	}
	run, _ := strconv.Atoi(r.PostFormValue("run"))
	_, err := svc.ApproveCycle(r.Context(), id, run)
	s.afterCycleForm(w, r, id, err, func(v *cyclePage) {
		if dost.ErrorCode(err) == dost.ECONFLICT && v.Cycle.Status == dost.CyclePrepared && v.Cycle.Run != run {
			v.Alert = "payroll.alert.approve_stale"
		}
	})
}

// afterCycleForm ends a cycle form: success redirects to the cycle's
// page; an error the user can fix re-renders it with the alert and
// change applied; any other error is the error page.
func (s *Server) afterCycleForm(w http.ResponseWriter, r *http.Request, id int64, err error, change func(*cyclePage)) {
	if err == nil {
		http.Redirect(w, r, cyclePagePath(id), http.StatusSeeOther)
		return
	}
	alert := payrollAlertKey(err)
	if alert == "" || dost.ErrorCode(err) == dost.ENOTFOUND {
		s.Error(w, r, err)
		return
	}
	s.renderCycle(w, r, ErrorStatus(err), func(v *cyclePage) {
		v.Alert = alert
		if dost.ErrorCode(err) == dost.EFORBIDDEN && v.OwnCycle {
			v.Alert = "payroll.alert.four_eyes"
		}
		v.Errors = payrollFieldErrors(err)
		if change != nil {
			change(v)
		}
	})
}

// handleRejectForm handles "POST /payroll/cycles/{id}/reject": returns a
// prepared cycle for correction with the form's reason (required).
func (s *Server) handleRejectForm(w http.ResponseWriter, r *http.Request) {
	svc := s.payroll(w, r)
	id := s.cycleFormID(w, r)
	if svc == nil || id == 0 {
		return
	}
	reason := r.PostFormValue("reason")
	_, err := svc.RejectCycle(r.Context(), id, reason)
	s.afterCycleForm(w, r, id, err, func(v *cyclePage) { v.Reason = reason })
}

// handleExportForm handles "POST /payroll/cycles/{id}/export": the bank
// file of the form's bank, or every bank's in a zip when bank is empty,
// as the API's export writes them (handleCycleExport).
func (s *Server) handleExportForm(w http.ResponseWriter, r *http.Request) {
	svc := s.payroll(w, r)
	id := s.cycleFormID(w, r)
	if svc == nil || id == 0 {
		return
	}
	bank := strings.ToUpper(strings.TrimSpace(r.PostFormValue("bank")))
	if bank != "" {
		if err := s.checkExportBank(r, svc, id, bank); err != nil {
			s.afterCycleForm(w, r, id, err, nil)
			return
		}
	}
	s.writeExport(w, r, svc, id, bank)
}

// handleImportForm handles "POST /payroll/cycles/{id}/imports": reads the
// uploaded bank report (multipart: kind, then file) into the cycle and
// redirects back to its page, which lists the import. A refused report
// re-renders the page (400) with its problems listed.
func (s *Server) handleImportForm(w http.ResponseWriter, r *http.Request) {
	svc := s.payroll(w, r)
	id := s.cycleFormID(w, r)
	if svc == nil || id == 0 {
		return
	}
	if !isMultipart(r) {
		s.afterCycleForm(w, r, id, dost.FieldErr("file", "required", "Choose the bank's report file."), nil)
		return
	}
	_, err := s.importStatusFile(w, r, svc, id)
	if err == nil {
		http.Redirect(w, r, cyclePagePath(id)+"#imports", http.StatusSeeOther)
		return
	}
	s.afterCycleForm(w, r, id, err, func(v *cyclePage) {
		v.Problems = dost.ErrorFields(err)
		v.Alert = "payroll.alert.import_refused"
	})
}

// paymentRow is a payment in a list, with its history on the payments
// page.
type paymentRow struct {
	Payment   *dost.Payment
	Payee     *dost.Person // nil when not found
	Programme dost.Text
	StatusKey string
	Events    []eventRow
}

// eventRow is one step of a payment's history.
type eventRow struct {
	Event     *dost.PaymentEvent
	StatusKey string
	At        string
	Actor     string
}

// paymentsPage is the payment search (by FIN) and the correction list.
type paymentsPage struct {
	FIN      string
	Error    string
	Searched bool
	Rows     []paymentRow
	Total    int
	From, To int
	PrevURL  string
	NextURL  string
	MayPay   bool
	// Correction: the id of the payment whose correction was refused,
	// with the form's values and the message key.
	Correction      int64
	Reason          string
	SameAccount     bool
	CorrectionError string
	Alert           string
}

// handlePaymentsPage handles "GET /payroll/payments": the payments to a
// person found by FIN, newest first, each with its history,
// PaymentsPerPage at a time (?page=).
func (s *Server) handlePaymentsPage(w http.ResponseWriter, r *http.Request) {
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	v := paymentsPage{FIN: strings.TrimSpace(q.Get("fin"))}
	if v.FIN != "" {
		fin, err := dost.ParseFIN(v.FIN)
		if err != nil {
			v.Error = "payroll.error.fin"
			s.render(w, r, http.StatusBadRequest, "payroll_payments", "payroll", v)
			return
		}
		v.Searched = true
		p, err := s.PersonService.FindPersonByFIN(ctx, fin)
		switch {
		case dost.ErrorCode(err) == dost.ENOTFOUND:
		case err != nil:
			s.Error(w, r, err)
			return
		default:
			page, _ := strconv.Atoi(q.Get("page"))
			page = max(page, 1)
			f := dost.PaymentFilter{PayeeID: p.ID, Offset: (page - 1) * PaymentsPerPage, Limit: PaymentsPerPage}
			if err := s.paymentRows(ctx, svc, &v, f, true, "/payroll/payments?fin="+url.QueryEscape(v.FIN), page); err != nil {
				s.Error(w, r, err)
				return
			}
		}
	}
	s.render(w, r, http.StatusOK, "payroll_payments", "payroll", v)
}

// paymentRows fills v with the payments f selects (with their history
// when history is set) and the pager links of base.
func (s *Server) paymentRows(ctx context.Context, svc dost.PayrollService, v *paymentsPage, f dost.PaymentFilter, history bool, base string, page int) error {
	payments, total, err := svc.FindPayments(ctx, f)
	if err != nil {
		return err
	}
	names, users := s.programmeNames(), s.userNames(ctx)
	persons := map[int64]*dost.Person{}
	for _, p := range payments {
		row := paymentRow{Payment: p, Programme: names[p.Programme], StatusKey: paymentStatusKey(p.Status)}
		if _, ok := persons[p.PayeeID]; !ok {
			payee, err := s.PersonService.FindPersonByID(ctx, p.PayeeID)
			if err != nil && dost.ErrorCode(err) != dost.ENOTFOUND {
				return err
			}
			persons[p.PayeeID] = payee
		}
		row.Payee = persons[p.PayeeID]
		if history {
			events, err := svc.FindPaymentEvents(ctx, p.ID)
			if err != nil {
				return err
			}
			for _, e := range events {
				row.Events = append(row.Events, eventRow{Event: e, StatusKey: paymentStatusKey(e.Status), At: clockTime(e.At), Actor: users(e.ActorID)})
			}
		}
		v.Rows = append(v.Rows, row)
	}
	v.Total, v.From, v.To = total, f.Offset+1, f.Offset+len(payments)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	if page > 1 {
		v.PrevURL = base + sep + "page=" + strconv.Itoa(page-1)
	}
	if f.Offset+len(payments) < total {
		v.NextURL = base + sep + "page=" + strconv.Itoa(page+1)
	}
	return nil
}

// correctionStatuses are the statuses of the payments on the correction
// list.
var correctionStatuses = []dost.PaymentStatus{dost.PaymentHeld, dost.PaymentFailed, dost.PaymentReturned}

// handleCorrectionsPage handles "GET /payroll/corrections": the
// correction list, payments held, failed or returned, PaymentsPerPage at
// a time (?page=), each with the form to correct it for payroll staff.
func (s *Server) handleCorrectionsPage(w http.ResponseWriter, r *http.Request) {
	s.renderCorrections(w, r, http.StatusOK, nil)
}

// renderCorrections renders the correction list with status; change,
// when set, changes the view (a refused correction).
func (s *Server) renderCorrections(w http.ResponseWriter, r *http.Request, status int, change func(*paymentsPage)) {
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	v := paymentsPage{MayPay: mayPay(r)}
	f := dost.PaymentFilter{Statuses: correctionStatuses, Offset: (page - 1) * PaymentsPerPage, Limit: PaymentsPerPage}
	if err := s.paymentRows(r.Context(), svc, &v, f, false, "/payroll/corrections", page); err != nil {
		s.Error(w, r, err)
		return
	}
	if change != nil {
		change(&v)
	}
	s.render(w, r, status, "payroll_corrections", "payroll", v)
}

// handleCorrectForm handles "POST /payroll/payments/{id}/correct": puts a
// payment of the correction list back for the next cycle (form fields
// reason and same_account) and redirects back to the list; an error
// re-renders the list with the message by the payment's form.
func (s *Server) handleCorrectForm(w http.ResponseWriter, r *http.Request) {
	svc := s.payroll(w, r)
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if svc == nil {
		return
	}
	reason, same := r.PostFormValue("reason"), r.PostFormValue("same_account") != ""
	if _, err = svc.CorrectPayment(r.Context(), id, reason, same); err == nil {
		http.Redirect(w, r, "/payroll/corrections", http.StatusSeeOther)
		return
	}
	alert := payrollAlertKey(err)
	if alert == "" || dost.ErrorCode(err) == dost.ENOTFOUND {
		s.Error(w, r, err)
		return
	}
	errs := payrollFieldErrors(err)
	s.renderCorrections(w, r, ErrorStatus(err), func(v *paymentsPage) {
		v.Alert, v.Correction, v.Reason, v.SameAccount = alert, id, reason, same
		for _, k := range []string{"reason", "iban"} {
			if e := errs[k]; e != "" && v.CorrectionError == "" {
				v.CorrectionError = e
			}
		}
	})
}
