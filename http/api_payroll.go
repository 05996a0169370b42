package http

import (
	"archive/zip"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// Roles of the payroll's rows in the route table.
var (
	// payrollOfficers prepare, approve, reject and export cycles, import
	// the banks' reports and correct payments. The service itself keeps
	// the four eyes: the one who prepared a cycle does not approve it.
	payrollOfficers = []dost.Role{dost.RolePayroll}
	// payrollReaders read cycles, payments and imports: the payroll staff
	// and those who oversee them.
	payrollReaders = []dost.Role{dost.RolePayroll, dost.RoleSupervisor, dost.RoleAdmin, dost.RoleAuditor}
	// paymentReaders read payments: payrollReaders, and citizens, whom
	// the service shows only the payments to themselves.
	paymentReaders = []dost.Role{dost.RolePayroll, dost.RoleSupervisor, dost.RoleAdmin, dost.RoleAuditor, dost.RoleCitizen}
)

// DefaultMaxStatusFileBytes is the largest bank report (pain.002 or
// camt.054) the API and the cycle page accept unless
// Server.MaxStatusFileBytes says otherwise: 4 GiB, the payroll service's
// own limit (payroll.MaxReportBytes); a million-entry camt.054 is about
// 0.4–1.5 GB. The file is streamed from the request body into the
// service, never held in memory.
const DefaultMaxStatusFileBytes = 4 << 30

// maxStatusFileBytes returns the limit on a bank report's upload.
func (s *Server) maxStatusFileBytes() int64 {
	if s.MaxStatusFileBytes > 0 {
		return s.MaxStatusFileBytes
	}
	return DefaultMaxStatusFileBytes
}

// payrollRoutes returns the payroll's rows of the route table: cycles,
// bank files, the banks' reports, payments and banks.
func (s *Server) payrollRoutes() []Route {
	return []Route{
		{Pattern: "GET /api/v1/payroll/cycles", Access: ByRole, Roles: payrollReaders, Handler: s.handleCycleList},
		{Pattern: "POST /api/v1/payroll/cycles", Access: ByRole, Roles: payrollOfficers, Handler: s.handleCyclePrepare},
		{Pattern: "GET /api/v1/payroll/cycles/{id}", Access: ByRole, Roles: payrollReaders, Handler: s.handleCycleGet},
		{Pattern: "POST /api/v1/payroll/cycles/{id}/approve", Access: ByRole, Roles: payrollOfficers, Handler: s.handleCycleApprove},
		{Pattern: "POST /api/v1/payroll/cycles/{id}/reject", Access: ByRole, Roles: payrollOfficers, Handler: s.handleCycleReject},
		{Pattern: "GET /api/v1/payroll/cycles/{id}/compare", Access: ByRole, Roles: payrollReaders, Handler: s.handleCycleCompare},
		{Pattern: "GET /api/v1/payroll/cycles/{id}/files", Access: ByRole, Roles: payrollReaders, Handler: s.handleCycleFiles},
		{Pattern: "POST /api/v1/payroll/cycles/{id}/export", Access: ByRole, Roles: payrollOfficers, Handler: s.handleCycleExport},
		{Pattern: "GET /api/v1/payroll/cycles/{id}/imports", Access: ByRole, Roles: payrollReaders, Handler: s.handleImportList},
		{Pattern: "POST /api/v1/payroll/cycles/{id}/imports", Access: ByRole, Roles: payrollOfficers, Handler: s.handleImportCreate},
		{Pattern: "GET /api/v1/payroll/payments", Access: ByRole, Roles: paymentReaders, Handler: s.handlePaymentList},
		{Pattern: "GET /api/v1/payroll/payments/{id}", Access: ByRole, Roles: paymentReaders, Handler: s.handlePaymentGet},
		{Pattern: "POST /api/v1/payroll/payments/{id}/correct", Access: ByRole, Roles: payrollOfficers, Handler: s.handlePaymentCorrect},
		{Pattern: "GET /api/v1/payroll/banks", Access: ByRole, Roles: payrollReaders, Handler: s.handleBankList},
	}
}

// errNoPayroll answers the payroll's routes on a server without a
// PayrollService.
var errNoPayroll = dost.Errorf(dost.ENOTFOUND, "The payroll is not available on this server.")

// payroll returns the PayrollService, or answers 404 and returns nil when
// the server has none.
func (s *Server) payroll(w http.ResponseWriter, r *http.Request) dost.PayrollService {
	if s.Payroll == nil {
		s.Error(w, r, errNoPayroll)
		return nil
	}
	return s.Payroll
}

// payrollID returns the payroll service and the ID in the request's path
// value name, or writes the error (a bad ID first, then no payroll) and
// returns ok false.
func (s *Server) payrollID(w http.ResponseWriter, r *http.Request, name string) (svc dost.PayrollService, id int64, ok bool) {
	id, err := pathID(r, name)
	if err != nil {
		s.Error(w, r, err)
		return nil, 0, false
	}
	svc = s.payroll(w, r)
	return svc, id, svc != nil
}

// cycleStatuses and paymentStatuses are the statuses, for checking
// filters.
var (
	cycleStatuses = []dost.CycleStatus{dost.CyclePreparing, dost.CyclePrepared, dost.CycleRejected,
		dost.CycleApproved, dost.CycleExported, dost.CycleReconciled}
	paymentStatuses = []dost.PaymentStatus{dost.PaymentPending, dost.PaymentSent, dost.PaymentPaid, dost.PaymentFailed,
		dost.PaymentReturned, dost.PaymentHeld, dost.PaymentCorrected}
)

// cycleFilter reads the filters of a cycle list: programme ("" for the
// cycles of every programme together; absent for any), period and status
// (repeatable: any of), with the paging.
func cycleFilter(q url.Values, v *dost.Validation) dost.CycleFilter {
	var f dost.CycleFilter
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 200); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	if q.Has("programme") {
		p := strings.TrimSpace(q.Get("programme"))
		f.Programme = &p
	}
	if p := q.Get("period"); p != "" {
		if f.Period, err = dost.ParseMonth(p); err != nil {
			v.Add("period", "month.invalid", "A period is a month, YYYY-MM.")
		}
	}
	for _, st := range q["status"] {
		if !slices.Contains(cycleStatuses, dost.CycleStatus(st)) {
			v.Add("status", "cycle_status.invalid", "Unknown status %q: preparing, prepared, rejected, approved, exported or reconciled.", st)
		}
		f.Statuses = append(f.Statuses, dost.CycleStatus(st))
	}
	return f
}

// handleCycleList handles "GET /api/v1/payroll/cycles": a page of payroll
// cycles, newest period first, filtered by programme ("" for the cycles
// of all programmes), period and status (repeatable: any of).
func (s *Server) handleCycleList(w http.ResponseWriter, r *http.Request) {
	var v dost.Validation
	f := cycleFilter(r.URL.Query(), &v)
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	cycles, total, err := svc.FindCycles(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(cycles, total, f.Offset, f.Limit))
}

// prepareInput is the body of "POST /api/v1/payroll/cycles".
type prepareInput struct {
	Programme string     `json:"programme"`
	Period    dost.Month `json:"period"`
}

// cyclePath returns the API path of a cycle.
func cyclePath(id int64) string { return "/api/v1/payroll/cycles/" + strconv.FormatInt(id, 10) }

// handleCyclePrepare handles "POST /api/v1/payroll/cycles": prepares the
// cycle of a programme ("" for all) and period, or prepares an existing
// prepared or rejected one again. 202 with the cycle while it is being
// prepared in the background, 200 when it is prepared already; Location
// names the cycle. 409 for a cycle approved or later.
func (s *Server) handleCyclePrepare(w http.ResponseWriter, r *http.Request) {
	var in prepareInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	c, err := svc.PrepareCycle(r.Context(), strings.TrimSpace(in.Programme), in.Period)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", cyclePath(c.ID))
	status := http.StatusOK
	if c.Status == dost.CyclePreparing {
		status = http.StatusAccepted
	}
	writeJSON(w, status, c)
}

// cycleOfPath returns the cycle named by the {id} path value.
func (s *Server) cycleOfPath(r *http.Request, svc dost.PayrollService) (*dost.Cycle, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return svc.FindCycleByID(r.Context(), id)
}

// handleCycleGet handles "GET /api/v1/payroll/cycles/{id}": a cycle with
// its control sums and, while it is prepared, its shards' progress.
func (s *Server) handleCycleGet(w http.ResponseWriter, r *http.Request) {
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	c, err := s.cycleOfPath(r, svc)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// handleCycleFiles handles "GET /api/v1/payroll/cycles/{id}/files": the
// bank files recorded at the cycle's first export (an empty list before).
func (s *Server) handleCycleFiles(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.payrollID(w, r, "id")
	if !ok {
		return
	}
	files, err := svc.CycleFiles(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if files == nil {
		files = []*dost.ExportFile{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": files})
}

// approveInput is the body of "POST /api/v1/payroll/cycles/{id}/approve":
// the preparation (the cycle's run) the approver reviewed.
type approveInput struct {
	Run int `json:"run"`
}

// handleCycleApprove handles "POST /api/v1/payroll/cycles/{id}/approve":
// freezes a prepared cycle after checking its control sums. The body
// names the run reviewed ({"run": n}; 400 without). 403 for the person
// who prepared it (four eyes); 409 for a cycle not prepared, or prepared
// again since that run (its totals are the cycle's GET).
func (s *Server) handleCycleApprove(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in approveInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	c, err := svc.ApproveCycle(r.Context(), id, in.Run)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// reasonInput is the body of "POST /api/v1/payroll/cycles/{id}/reject".
type reasonInput struct {
	Reason string `json:"reason"`
}

// handleCycleReject handles "POST /api/v1/payroll/cycles/{id}/reject":
// returns a prepared cycle for correction with a reason (required). 409
// for a cycle not prepared.
func (s *Server) handleCycleReject(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in reasonInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	c, err := svc.RejectCycle(r.Context(), id, in.Reason)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// handleCycleCompare handles "GET /api/v1/payroll/cycles/{id}/compare": the
// cycle beside its programme's previous month (who is new, who is no
// longer paid, whose amount changed).
func (s *Server) handleCycleCompare(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.payrollID(w, r, "id")
	if !ok {
		return
	}
	d, err := svc.CompareCycle(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// exportedStatuses are the statuses of the payments a bank file holds.
var exportedStatuses = []dost.PaymentStatus{dost.PaymentPending, dost.PaymentSent, dost.PaymentPaid,
	dost.PaymentFailed, dost.PaymentReturned}

// exportFileName returns the name of a bank file: its message ID and
// ".xml".
func exportFileName(cycleID int64, bank string) string {
	return "DOST-" + strconv.FormatInt(cycleID, 10) + "-" + bank + ".xml"
}

// handleCycleExport handles "POST /api/v1/payroll/cycles/{id}/export": an
// approved cycle's bank files. With ?bank=<code> the answer is that
// bank's pain.001.001.09 file (application/xml); without, a zip of every
// bank's file, each named by its message ID. Either is streamed as the
// service writes it. A file's first export marks its bank's payments
// sent (one bank's file: that bank's only) and the cycle exported; later
// ones write the same bytes and change nothing (ExportBankFile). 400 for
// an unknown bank, 404 for a bank with no payment in the cycle, 409 for a
// cycle not approved. An error after the file has started is not
// reported in the body: the connection is cut, so a client never takes
// half a file for a whole one.
func (s *Server) handleCycleExport(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.payrollID(w, r, "id")
	if !ok {
		return
	}
	bank := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("bank")))
	if r.URL.Query().Has("bank") {
		if err := s.checkExportBank(r, svc, id, bank); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	s.writeExport(w, r, svc, id, bank)
}

// writeExport streams cycle id's bank file of bank, or a zip of every
// bank's file when bank is "", as handleCycleExport describes.
func (s *Server) writeExport(w http.ResponseWriter, r *http.Request, svc dost.PayrollService, id int64, bank string) {
	if bank != "" {
		// Only that bank's file is written, and only its payments are
		// marked sent. The answer starts with the file's first bytes.
		out := &lazyResponse{w: w, start: func() {
			h := w.Header()
			h.Set("Content-Type", "application/xml")
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": exportFileName(id, bank)}))
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
		}}
		_, err := svc.ExportBankFile(r.Context(), id, bank, out)
		switch {
		case err != nil && out.started:
			s.logger().Error("export cycle", "cycle", id, "bank", bank, "err", err)
			panic(http.ErrAbortHandler)
		case err != nil:
			s.Error(w, r, err)
		}
		return
	}
	started := false
	var zw *zip.Writer
	open := func(b *dost.Bank) (io.WriteCloser, error) {
		if zw == nil {
			h := w.Header()
			h.Set("Content-Type", "application/zip")
			h.Set("Content-Disposition", mime.FormatMediaType("attachment",
				map[string]string{"filename": "DOST-" + strconv.FormatInt(id, 10) + ".zip"}))
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
			started = true
			zw = zip.NewWriter(w)
		}
		f, err := zw.Create(exportFileName(id, b.Code))
		if err != nil {
			return nil, err
		}
		return nopWriteCloser{f}, nil
	}
	files, err := svc.ExportCycle(r.Context(), id, open)
	if err == nil && zw != nil {
		err = zw.Close()
	}
	switch {
	case err != nil && started:
		s.logger().Error("export cycle", "cycle", id, "err", err)
		panic(http.ErrAbortHandler)
	case err != nil:
		s.Error(w, r, err)
	case !started && len(files) == 0:
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "Payroll cycle %d has no payment to export.", id))
	}
}

// lazyResponse writes to w, calling start before the first byte.
type lazyResponse struct {
	w       io.Writer
	start   func()
	started bool
}

// Write implements io.Writer.
func (l *lazyResponse) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.start()
	}
	return l.w.Write(p)
}

// checkExportBank checks the bank of a one-bank export before anything is
// written: a known bank (EINVALID, field "bank") with payments in the
// cycle (ENOTFOUND). The cycle itself is checked too (ENOTFOUND).
func (s *Server) checkExportBank(r *http.Request, svc dost.PayrollService, cycleID int64, bank string) error {
	ctx := r.Context()
	if _, err := svc.FindCycleByID(ctx, cycleID); err != nil {
		return err
	}
	banks, err := svc.FindBanks(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(banks, func(b *dost.Bank) bool { return b.Code == bank }) {
		return dost.FieldErr("bank", "bank.unknown", "There is no bank %q: give a bank's 4-letter code (GET /api/v1/payroll/banks).", bank)
	}
	_, n, err := svc.FindPayments(ctx, dost.PaymentFilter{CycleID: cycleID, Bank: bank, Statuses: exportedStatuses, Limit: 1})
	if err != nil {
		return err
	}
	if n == 0 {
		return dost.Errorf(dost.ENOTFOUND, "Payroll cycle %d has no payment to bank %s.", cycleID, bank)
	}
	return nil
}

// nopWriteCloser is a writer whose Close does nothing: the response, or
// a file of a zip that the next file or the zip's Close ends.
type nopWriteCloser struct{ io.Writer }

// Close implements io.Closer.
func (nopWriteCloser) Close() error { return nil }

// handleImportList handles "GET /api/v1/payroll/cycles/{id}/imports": the
// bank reports read into a cycle, oldest first.
func (s *Server) handleImportList(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.payrollID(w, r, "id")
	if !ok {
		return
	}
	imports, err := svc.FindStatusImports(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if imports == nil {
		imports = []*dost.StatusImport{}
	}
	writeJSON(w, http.StatusOK, imports)
}

// handleImportCreate handles "POST /api/v1/payroll/cycles/{id}/imports":
// reads a bank report into the cycle (readStatusFile says how it is
// sent). 200 with the import (the same file again answers the first
// import and changes nothing); its problems note the entries that
// repeated (counted in repeated, not applied).
// A report that does not parse, is for another cycle or does not match
// is 400 with the problems in the errors list, and changes nothing.
func (s *Server) handleImportCreate(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.payrollID(w, r, "id")
	if !ok {
		return
	}
	imp, err := s.importStatusFile(w, r, svc, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, imp)
}

// statusKinds are the bank reports dost reads.
var statusKinds = []dost.StatusImportKind{dost.ImportPain002, dost.ImportCamt054}

// statusKind checks a report kind; EINVALID with field "kind".
func statusKind(s string) (dost.StatusImportKind, error) {
	k := dost.StatusImportKind(strings.TrimSpace(s))
	switch {
	case k == "":
		return "", dost.FieldErr("kind", "required", "Say which report the file is: kind pain.002 or camt.054.")
	case !slices.Contains(statusKinds, k):
		return "", dost.FieldErr("kind", "kind.invalid", "Unknown kind %q: pain.002 or camt.054.", s)
	}
	return k, nil
}

// importStatusFile reads a bank report from r into cycle id, streaming it
// into the service. The body is the file itself with ?kind=pain.002 or
// camt.054, or multipart/form-data with a "kind" field (or ?kind=) and a
// "file" part after it. At most Server.MaxStatusFileBytes are read: a
// longer file is EINVALID (field "file", file.too_large), as is a missing
// file or kind. The server's ReadTimeout bounds the whole of other
// requests; an upload may take longer, as long as its client keeps
// sending: each read extends the deadline by ReadTimeout.
func (s *Server) importStatusFile(w http.ResponseWriter, r *http.Request, svc dost.PayrollService, id int64) (*dost.StatusImport, error) {
	limit := s.maxStatusFileBytes()
	body := &limitedBody{r: http.MaxBytesReader(w, r.Body, limit), limit: limit, rc: http.NewResponseController(w)}
	kindValue := r.URL.Query().Get("kind")
	if !isMultipart(r) {
		kind, err := statusKind(kindValue)
		if err != nil {
			return nil, err
		}
		return body.result(svc.ImportStatus(r.Context(), id, kind, body))
	}
	r.Body = io.NopCloser(body)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, dost.Errorf(dost.EINVALID, "The multipart body could not be read.")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, body.err(bodyError(err, limit))
		}
		switch name := part.FormName(); name {
		case "kind":
			b, err := io.ReadAll(io.LimitReader(part, 64))
			if err != nil {
				return nil, body.err(bodyError(err, limit))
			}
			kindValue = string(b)
		case "file":
			kind, err := statusKind(kindValue)
			if err != nil {
				return nil, err
			}
			imp, err := svc.ImportStatus(r.Context(), id, kind, part)
			return body.result(imp, err)
		default:
			return nil, dost.FieldErr(name, "part.unknown", "Unknown part %q: expected kind and file.", name)
		}
		part.Close()
	}
	if _, err := statusKind(kindValue); err != nil {
		return nil, err
	}
	return nil, dost.FieldErr("file", "required", "The file part is required.")
}

// limitedBody is a request body read through http.MaxBytesReader that
// remembers whether the limit was reached, so that a service's error on
// a cut-off file is reported as the file's size; while it is read, it
// keeps moving the connection's read deadline ReadTimeout ahead.
type limitedBody struct {
	r        io.Reader
	limit    int64
	rc       *http.ResponseController
	deadline time.Time // the read deadline last set
	tooLarge bool
}

// Read implements io.Reader.
func (b *limitedBody) Read(p []byte) (int, error) {
	if now := time.Now(); b.rc != nil && now.Add(ReadTimeout-time.Second).After(b.deadline) {
		// Best effort: a connection that cannot (HTTP/2 without support)
		// keeps the server's deadline.
		if b.rc.SetReadDeadline(now.Add(ReadTimeout)) == nil {
			b.deadline = now.Add(ReadTimeout)
		} else {
			b.rc = nil
		}
	}
	n, err := b.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		b.tooLarge = true
	}
	return n, err
}

// tooLargeErr is the error of a bank report over the limit.
func (b *limitedBody) tooLargeErr() error {
	return dost.FieldErr("file", "file.too_large", "The file is larger than %d MiB.", b.limit>>20)
}

// err returns the file.too_large error when the limit was reached, else
// err.
func (b *limitedBody) err(err error) error {
	if b.tooLarge {
		return b.tooLargeErr()
	}
	return err
}

// result returns the service's answer, or the file.too_large error when
// the limit was reached.
func (b *limitedBody) result(imp *dost.StatusImport, err error) (*dost.StatusImport, error) {
	if b.tooLarge {
		return nil, b.tooLargeErr()
	}
	return imp, err
}

// paymentFilter reads the filters of a payment list, except fin: cycle,
// person (an id), status (repeatable: any of), bank, with the paging.
func paymentFilter(q url.Values, v *dost.Validation) dost.PaymentFilter {
	var f dost.PaymentFilter
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 200); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	for _, p := range []struct {
		name string
		id   *int64
	}{{"cycle", &f.CycleID}, {"person", &f.PayeeID}, {"award", &f.AwardID}} {
		if str := q.Get(p.name); str != "" {
			if *p.id, err = strconv.ParseInt(str, 10, 64); err != nil || *p.id < 1 {
				v.Add(p.name, "id.invalid", "A %s id is a positive whole number.", p.name)
			}
		}
	}
	for _, st := range q["status"] {
		if !slices.Contains(paymentStatuses, dost.PaymentStatus(st)) {
			v.Add("status", "payment_status.invalid", "Unknown status %q: pending, sent, paid, failed, returned, held or corrected.", st)
		}
		f.Statuses = append(f.Statuses, dost.PaymentStatus(st))
	}
	if b := q.Get("bank"); b != "" {
		f.Bank = strings.ToUpper(strings.TrimSpace(b))
		if len(f.Bank) != 4 {
			v.Add("bank", "bank.invalid", "A bank is its 4-letter code, e.g. AIIB.")
		}
	}
	return f
}

// handlePaymentList handles "GET /api/v1/payroll/payments": a page of
// payments filtered by cycle, payee (fin, or person by id), award, status
// (repeatable: any of) and bank. A citizen finds only the payments to
// themselves (the service narrows the search).
func (s *Server) handlePaymentList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v dost.Validation
	f := paymentFilter(q, &v)
	var fin dost.FIN
	var err error
	if q.Has("fin") {
		if fin, err = dost.ParseFIN(q.Get("fin")); err != nil {
			v.Fields = append(v.Fields, dost.ErrorFields(err)...)
		}
	}
	if fin != "" && f.PayeeID != 0 {
		v.Add("person", "filter.conflict", "Give the payee by fin or by person, not both.")
	}
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	if !s.filterByFIN(w, r, fin, &f.PayeeID, f.Offset, f.Limit) {
		return
	}
	payments, total, err := svc.FindPayments(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(payments, total, f.Offset, f.Limit))
}

// paymentDetail is a payment with its history: the answer of "GET
// /api/v1/payroll/payments/{id}".
type paymentDetail struct {
	*dost.Payment
	Events []*dost.PaymentEvent `json:"events"`
}

// handlePaymentGet handles "GET /api/v1/payroll/payments/{id}": a payment
// with its history, oldest first. A citizen gets 404 for a payment to
// anyone else.
func (s *Server) handlePaymentGet(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.payrollID(w, r, "id")
	if !ok {
		return
	}
	p, err := svc.FindPaymentByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	events, err := svc.FindPaymentEvents(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if events == nil {
		events = []*dost.PaymentEvent{}
	}
	writeJSON(w, http.StatusOK, paymentDetail{Payment: p, Events: events})
}

// correctInput is the body of "POST /api/v1/payroll/payments/{id}/correct".
type correctInput struct {
	Reason      string `json:"reason"`
	SameAccount bool   `json:"same_account"`
}

// handlePaymentCorrect handles "POST /api/v1/payroll/payments/{id}/correct":
// puts a held, failed or returned payment back for the next cycle with
// the payee's account as the registry has it now. reason is required;
// same_account confirms paying again the account the bank refused. 400
// (field iban) when the payee still has no valid account, 409 for a
// payment in another status.
func (s *Server) handlePaymentCorrect(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in correctInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	p, err := svc.CorrectPayment(r.Context(), id, in.Reason, in.SameAccount)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// handleBankList handles "GET /api/v1/payroll/banks": the banks dost pays
// through.
func (s *Server) handleBankList(w http.ResponseWriter, r *http.Request) {
	svc := s.payroll(w, r)
	if svc == nil {
		return
	}
	banks, err := svc.FindBanks(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if banks == nil {
		banks = []*dost.Bank{}
	}
	writeJSON(w, http.StatusOK, banks)
}
