package payroll

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/iso20022"
)

// MaxReportBytes is the largest bank report ImportStatus reads: a
// million-entry camt.054 is about 1.5 GB at most.
const MaxReportBytes = 4 << 30

// MaxProblems is how many problems an ImportError lists; Count says how
// many there were.
const MaxProblems = 1000

// ImportError is the EINVALID error of a bank report dost did not apply
// (ImportStatus): the first MaxProblems problems found with it, and how
// many there were. Unwrap gives the *dost.Error, whose Fields carry the
// listed problems too (Field the payment's reference, or "file"), so that
// any caller rendering dost errors shows them.
type ImportError struct {
	Problems []dost.ImportProblem
	Count    int
	err      *dost.Error
}

// Error returns the message and the first problems.
func (e *ImportError) Error() string { return e.err.Error() }

// Unwrap returns the EINVALID *dost.Error.
func (e *ImportError) Unwrap() error { return e.err }

// problems collects the problems of a report.
type problems struct {
	list  []dost.ImportProblem
	count int
}

func (p *problems) add(ref, code, format string, args ...any) {
	p.count++
	if len(p.list) < MaxProblems {
		p.list = append(p.list, dost.ImportProblem{Reference: ref, Code: code, Message: fmt.Sprintf(format, args...)})
	}
}

// err returns the ImportError of the problems, or nil when there are none.
func (p *problems) err(name string) error {
	if p.count == 0 {
		return nil
	}
	msg := fmt.Sprintf("The %s was not applied: %d problem", name, p.count)
	if p.count != 1 {
		msg += "s"
	}
	msg += "; nothing was changed."
	if p.count > len(p.list) {
		msg += fmt.Sprintf(" The first %d are listed.", len(p.list))
	}
	de := &dost.Error{Code: dost.EINVALID, Message: msg}
	for _, pr := range p.list {
		field := pr.Reference
		if field == "" {
			field = "file"
		}
		de.Fields = append(de.Fields, dost.FieldError{Field: field, Code: pr.Code, Message: pr.Message})
	}
	return &ImportError{Problems: p.list, Count: p.count, err: de}
}

// GuessKind tells a bank report's kind from its first bytes (its root
// element or namespace); ok is false when they are neither a pain.002 nor
// a camt.054.
func GuessKind(head []byte) (kind dost.StatusImportKind, ok bool) {
	pain := max(bytes.Index(head, []byte("CstmrPmtStsRpt")), bytes.Index(head, []byte("pain.002.")))
	camt := max(bytes.Index(head, []byte("BkToCstmrDbtCdtNtfctn")), bytes.Index(head, []byte("camt.054.")))
	switch {
	case pain >= 0 && camt < 0:
		return dost.ImportPain002, true
	case camt >= 0 && pain < 0:
		return dost.ImportCamt054, true
	}
	return "", false
}

// reasonTexts explain the ISO reason codes banks give most for credit
// transfers, for a report that gives a code without text.
var reasonTexts = map[string]string{
	"AC01": "Incorrect account number.",
	"AC04": "Closed account number.",
	"AC06": "Blocked account.",
	"AC13": "Invalid debtor account type.",
	"AG01": "Transaction forbidden on this account.",
	"AM04": "Insufficient funds.",
	"AM05": "Duplication.",
	"BE04": "Missing creditor address.",
	"MD07": "End customer deceased.",
	"MS02": "Not specified reason by the customer.",
	"MS03": "Not specified reason by the agent.",
	"RC01": "Bank identifier incorrect.",
	"RR01": "Missing debtor account or identification.",
}

// reasonText returns the bank's text, else the code's meaning.
func reasonText(code, text string) string {
	if text = strings.TrimSpace(text); text != "" {
		return truncate(text, maxReason)
	}
	return reasonTexts[code]
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// ImportStatus implements dost.PayrollService (the payroll role; a
// cycle exported or reconciled, else ECONFLICT; kind pain.002 or
// camt.054, else EINVALID on field "kind").
//
// The report is copied to a temporary file while its SHA-256 is computed;
// a file the cycle has imported already returns that import and changes
// nothing. It is then read twice. The first reading checks all of it:
// the file must parse; the pain.001 it is about (pain.002's
// OrgnlMsgId, camt.054's Refs/MsgId where given) must be one of the
// cycle's files (MessageID); every status must name a payment of that
// file by its reference, with its amount and currency (AZN) when the
// bank echoes them, and be one the payment can take. Any problem makes it
// an *ImportError (EINVALID) listing them, and nothing is stored: a wrong
// file is for the bank and the agency to sort out, never guessed. Then all
// the changes are applied in one transaction with the import's record
// (Store.ApplyStatusImport):
//
//   - settled (pain.002 ACSC/ACCC; a booked camt.054 debit): sent → paid,
//     PaidOn the settlement or booking date (else the acceptance or
//     report date);
//   - rejected (RJCT/CANC): sent → failed, with the bank's reason code and
//     text (onto the correction list);
//   - returned (camt.054 return information): sent or paid → returned;
//   - accepted or pending: no change, counted in Pending.
//
// A status a payment has already (a pain.002 then a camt.054 both
// settling it) changes nothing; one that contradicts it (settled after
// rejected) is a problem. A status for a whole file (pain.002 GrpSts
// RJCT) or payment information block (PmtInfSts ACSC/RJCT) applies to
// each of its payments the report does not list on its own. A payment
// listed more than once moves once, to its last status. camt.054 entries
// without an end-to-end reference (fees, other transfers) are not ours
// and are skipped; one on another account than the debtor's is a problem.
// When no payment of the cycle is pending or sent any more, it becomes
// reconciled.
func (s *Service) ImportStatus(ctx context.Context, cycleID int64, kind dost.StatusImportKind, r io.Reader) (*dost.StatusImport, error) {
	actorID, err := mayPay(ctx)
	if err != nil {
		return nil, err
	}
	if kind != dost.ImportPain002 && kind != dost.ImportCamt054 {
		return nil, dost.FieldErr("kind", "kind.invalid", "A bank report is a %s or a %s.", dost.ImportPain002, dost.ImportCamt054)
	}
	c, err := s.store.FindCycleByID(ctx, cycleID)
	if err != nil {
		return nil, err
	}
	if c.Status != dost.CycleExported && c.Status != dost.CycleReconciled {
		return nil, dost.Errorf(dost.ECONFLICT, "Payroll cycle %d is %s: bank reports are read into exported cycles only.", c.ID, c.Status)
	}
	f, sum, err := spool(r)
	if err != nil {
		return nil, err
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	if imp, err := s.store.FindStatusImportBySHA256(ctx, cycleID, sum); err == nil {
		return imp, nil
	} else if dost.ErrorCode(err) != dost.ENOTFOUND {
		return nil, err
	}
	rec, err := s.newReconciliation(ctx, c)
	if err != nil {
		return nil, err
	}
	imp := &dost.StatusImport{CycleID: cycleID, Kind: kind, SHA256: sum, ActorID: actorID}
	br := bufio.NewReaderSize(f, 1<<16)
	if kind == dost.ImportPain002 {
		err = rec.readPain002(br, imp)
	} else {
		err = rec.readCamt054(br, imp)
	}
	if err != nil {
		return nil, err
	}
	return s.store.ApplyStatusImport(ctx, imp, rec.moves())
}

// spool copies r to a temporary file, rewound, and returns it with the
// hex SHA-256 of its content. EINVALID for an empty or too large report.
func spool(r io.Reader) (*os.File, string, error) {
	f, err := os.CreateTemp("", "dost-report-*.xml")
	if err != nil {
		return nil, "", fmt.Errorf("spool report: %w", err)
	}
	fail := func(err error) (*os.File, string, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, MaxReportBytes+1))
	switch {
	case err != nil:
		return fail(fmt.Errorf("spool report: %w", err))
	case n == 0:
		return fail(dost.FieldErr("file", "required", "The report is empty."))
	case n > MaxReportBytes:
		return fail(dost.FieldErr("file", "file.too_large", "The report is larger than %d MB.", MaxReportBytes>>20))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("spool report: %w", err))
	}
	return f, hex.EncodeToString(h.Sum(nil)), nil
}

// reported is a payment of the cycle as a report finds it, small: a
// million-entry report holds a million of them.
type reported struct {
	id     int64
	amount dost.Money
	status dost.PaymentStatus // now, in the database
	// to is what the report says, "" until it says something decisive;
	// outcome then indexes rec.outcomes.
	to              dost.PaymentStatus
	outcome         int32
	bank, programme uint16 // indexes into rec.names
	listed          bool   // the report has a status of its own for it
}

// outcome is the reason (failed, returned) or the date paid of a move.
type outcome struct {
	code, reason string
	paidOn       dost.Date
}

// reconciliation is the first reading of a report: the cycle's payments
// by reference, the outcome of each and the problems.
type reconciliation struct {
	s        *Service
	c        *dost.Cycle
	payments []reported
	byKey    map[uint64]int32 // references of dost's form (refKey)
	byRef    map[string]int32 // any other
	names    []string         // banks and programmes
	nameIdx  map[string]uint16
	outcomes []outcome
	outIdx   map[outcome]int32
	files    map[string]string // message ID → bank
	// batches are the programmes of each bank's file, in the order of its
	// payment information blocks.
	batches map[string][]string
	probs   problems
	// blocks: a whole file's or block's decisive status, applied at the
	// end to its payments not listed on their own.
	blocks []blockStatus
}

type blockStatus struct {
	bank, programme string // programme "" for every one of the bank
	st              iso20022.Status
	code, text      string
	paidOn          dost.Date
}

// refKey packs a reference of dost's form (Reference: award, month,
// attempt) into a number; ok is false for any other reference.
func refKey(ref string) (key uint64, ok bool) {
	rest, found := strings.CutPrefix(ref, "DOST-")
	if !found {
		return 0, false
	}
	award, rest, found := strings.Cut(rest, "-")
	if !found || len(rest) < 6 {
		return 0, false
	}
	id, err := strconv.ParseUint(award, 10, 40)
	if err != nil {
		return 0, false
	}
	ym, err := strconv.Atoi(rest[:6])
	if err != nil || ym < 100001 {
		return 0, false
	}
	m := dost.Month{Year: ym / 100, Month: time.Month(ym % 100)}
	attempt := 1
	if rest = rest[6:]; rest != "" {
		a, found := strings.CutPrefix(rest, "-A")
		n, err := strconv.Atoi(a)
		if !found || err != nil || n < 2 || n > 255 {
			return 0, false
		}
		attempt = n
	}
	// The month takes 16 bits: years 1900–2999 only, so that no two
	// references share a key (any other is looked up by its text).
	if m.Month < 1 || m.Month > 12 || m.Year < 1900 || m.Year > 2999 || Reference(int64(id), m, attempt) != ref {
		return 0, false
	}
	return id<<24 | uint64((m.Year-1900)*12+int(m.Month)-1)<<8 | uint64(attempt), true
}

// name returns the index of a bank or programme name.
func (rec *reconciliation) name(v string) uint16 {
	if i, ok := rec.nameIdx[v]; ok {
		return i
	}
	i := uint16(len(rec.names))
	rec.names = append(rec.names, v)
	rec.nameIdx[v] = i
	return i
}

// lookup returns the payment with reference ref, or nil.
func (rec *reconciliation) lookup(ref string) *reported {
	i, ok := int32(0), false
	if k, isKey := refKey(ref); isKey {
		i, ok = rec.byKey[k]
	} else {
		i, ok = rec.byRef[ref]
	}
	if !ok {
		return nil
	}
	return &rec.payments[i]
}

// newReconciliation reads the cycle's payments.
func (s *Service) newReconciliation(ctx context.Context, c *dost.Cycle) (*reconciliation, error) {
	n := c.Count + c.Held
	rec := &reconciliation{s: s, c: c, payments: make([]reported, 0, n), byKey: make(map[uint64]int32, n),
		byRef: map[string]int32{}, nameIdx: map[string]uint16{}, outIdx: map[outcome]int32{}, files: map[string]string{}}
	err := s.store.ReportPayments(ctx, c.ID, func(p *dost.Payment) error {
		i := int32(len(rec.payments))
		if k, ok := refKey(p.Reference); ok {
			rec.byKey[k] = i
		} else {
			rec.byRef[p.Reference] = i
		}
		if len(rec.names) >= 1<<16-2 {
			return fmt.Errorf("cycle %d: too many banks and programmes", c.ID)
		}
		rec.payments = append(rec.payments, reported{id: p.ID, amount: p.Amount, status: p.Status, bank: rec.name(p.Bank),
			programme: rec.name(p.Programme)})
		if p.Bank != "" && p.Status != dost.PaymentHeld {
			rec.files[MessageID(c.ID, p.Bank)] = p.Bank
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	groups, err := s.store.ExportGroups(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	rec.batches = map[string][]string{}
	for _, g := range groups {
		rec.batches[g.Bank] = append(rec.batches[g.Bank], g.Programme)
	}
	return rec, nil
}

// fileErr adds the reader's error as a problem and returns the
// ImportError; an error that is not the file's is returned as it is.
func (rec *reconciliation) fileErr(err error, name string) error {
	var fe *iso20022.FileError
	if !errors.As(err, &fe) {
		return fmt.Errorf("read %s: %w", name, err)
	}
	rec.probs.add("", "file.invalid", "%s", fe.Error())
	return rec.probs.err(name)
}

// cycleFile checks that msgID names one of the cycle's files and returns
// its bank, or adds a problem and returns "".
func (rec *reconciliation) cycleFile(ref, msgID string) string {
	if bank, ok := rec.files[msgID]; ok {
		return bank
	}
	rec.probs.add(ref, "message.other", "The report is about file %q, which is not one of payroll cycle %d's (%s).",
		msgID, rec.c.ID, MessageID(rec.c.ID, "<bank>"))
	return ""
}

// entry applies what the report says of the payment with reference ref
// in the file msgID (with the amount when currency is not "").
func (rec *reconciliation) entry(imp *dost.StatusImport, ref, msgID string, amount dost.Money, currency string,
	st iso20022.Status, code, text string, paidOn dost.Date) {
	imp.Entries++
	if ref == "" {
		rec.probs.add("", "reference.missing", "An entry has no end-to-end reference.")
		return
	}
	p := rec.lookup(ref)
	if p == nil {
		rec.probs.add(ref, "reference.unknown", "No payment of payroll cycle %d has the reference %q.", rec.c.ID, ref)
		return
	}
	if bank := rec.names[p.bank]; msgID != "" && msgID != MessageID(rec.c.ID, bank) {
		rec.probs.add(ref, "message.mismatch", "The payment was in file %s, not %s.", MessageID(rec.c.ID, bank), msgID)
		return
	}
	if currency != "" && currency != "AZN" {
		rec.probs.add(ref, "currency.mismatch", "The payment is in AZN, the report says %s.", currency)
		return
	}
	if currency != "" && amount != p.amount {
		rec.probs.add(ref, "amount.mismatch", "The payment is %s AZN, the report says %s.", p.amount, amount)
		return
	}
	p.listed = true
	rec.apply(imp, p, ref, st, code, text, paidOn)
}

// apply moves p (in the reading) by status st, counting it, or adds the
// problem.
func (rec *reconciliation) apply(imp *dost.StatusImport, p *reported, ref string, st iso20022.Status, code, text string, paidOn dost.Date) {
	cur := p.status
	if p.to != "" {
		cur = p.to
	}
	var to dost.PaymentStatus
	switch st {
	case iso20022.StatusSettled:
		to = dost.PaymentPaid
	case iso20022.StatusRejected:
		to = dost.PaymentFailed
	case iso20022.StatusReturned:
		to = dost.PaymentReturned
	}
	switch cur {
	case dost.PaymentSent, dost.PaymentPaid, dost.PaymentFailed, dost.PaymentReturned:
	default:
		rec.probs.add(ref, "payment.not_sent", "The payment is %s: it was not in a bank file.", cur)
		return
	}
	ok := to == "" || to == cur || cur == dost.PaymentSent || cur == dost.PaymentPaid && to == dost.PaymentReturned
	if !ok {
		rec.probs.add(ref, "status.conflict", "The payment is %s; the report says %s.", cur, st)
		return
	}
	switch to {
	case "":
		imp.Pending++
		return
	case dost.PaymentPaid:
		imp.Paid++
	case dost.PaymentFailed:
		imp.Failed++
	case dost.PaymentReturned:
		imp.Returned++
	}
	if to == cur {
		return
	}
	o := outcome{code: truncate(code, 35), reason: reasonText(code, text)}
	if to == dost.PaymentPaid {
		o = outcome{paidOn: paidOn}
	}
	i, ok := rec.outIdx[o]
	if !ok {
		i = int32(len(rec.outcomes))
		rec.outcomes = append(rec.outcomes, o)
		rec.outIdx[o] = i
	}
	p.to, p.outcome = to, i
}

// finish applies the file's and blocks' own statuses to their payments
// not listed on their own.
func (rec *reconciliation) finish(imp *dost.StatusImport) {
	for _, b := range rec.blocks {
		for i := range rec.payments {
			p := &rec.payments[i]
			if p.listed || rec.names[p.bank] != b.bank || b.programme != "" && rec.names[p.programme] != b.programme || p.status == dost.PaymentHeld ||
				p.status == dost.PaymentCorrected || p.status == dost.PaymentPending {
				continue
			}
			imp.Entries++
			rec.apply(imp, p, "", b.st, b.code, b.text, b.paidOn)
		}
	}
}

// moves returns the moves of the reading, alike payments together.
func (rec *reconciliation) moves() []*StatusMove {
	type key struct {
		from, to dost.PaymentStatus
		outcome  int32
	}
	byKey := map[key]*StatusMove{}
	var out []*StatusMove
	for i := range rec.payments {
		p := &rec.payments[i]
		if p.to == "" || p.to == p.status {
			continue
		}
		k := key{p.status, p.to, p.outcome}
		m := byKey[k]
		if m == nil {
			o := rec.outcomes[p.outcome]
			m = &StatusMove{From: p.status, To: p.to, ReasonCode: o.code, Reason: o.reason, PaidOn: o.paidOn}
			byKey[k] = m
			out = append(out, m)
		}
		m.PaymentIDs = append(m.PaymentIDs, p.id)
	}
	return out
}

// decisive reports whether a status moves payments.
func decisive(st iso20022.Status) bool {
	return st == iso20022.StatusSettled || st == iso20022.StatusRejected || st == iso20022.StatusReturned
}

// bakuDate is t's date in Baku, or zero.
func bakuDate(t time.Time) dost.Date {
	if t.IsZero() {
		return dost.Date{}
	}
	return dost.DateOf(t.In(dost.Baku))
}

// readPain002 reads a pain.002 status report into rec.
func (rec *reconciliation) readPain002(r io.Reader, imp *dost.StatusImport) error {
	const name = "payment status report"
	sr, err := iso20022.NewStatusReportReader(r)
	if err != nil {
		return rec.fileErr(err, name)
	}
	h := sr.Header()
	imp.MessageID = h.MessageID
	bank := rec.cycleFile("", h.OriginalMessageID)
	if bank == "" {
		return rec.probs.err(name)
	}
	reportDate := bakuDate(h.CreatedAt)
	if decisive(h.GroupStatus) {
		rec.blocks = append(rec.blocks, blockStatus{bank: bank, st: h.GroupStatus, code: h.GroupReasonCode, text: h.GroupReasonText, paidOn: reportDate})
	}
	for {
		ts, err := sr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return rec.fileErr(err, name)
		}
		paidOn := ts.SettlementDate
		if paidOn.IsZero() {
			paidOn = bakuDate(ts.AcceptedAt)
		}
		if paidOn.IsZero() {
			paidOn = reportDate
		}
		if ts.Block {
			if !decisive(ts.Status) {
				continue
			}
			programme, ok := rec.block(bank, h.OriginalMessageID, ts.PaymentInformationID)
			if !ok {
				rec.probs.add("", "block.unknown", "Line %d: the payment information block %q is not one of file %s.",
					ts.Line, ts.PaymentInformationID, h.OriginalMessageID)
				continue
			}
			rec.blocks = append(rec.blocks, blockStatus{bank: bank, programme: programme, st: ts.Status, code: ts.ReasonCode,
				text: ts.ReasonText, paidOn: paidOn})
			continue
		}
		rec.entry(imp, ts.EndToEndID, ts.OriginalMessageID, ts.Amount, ts.Currency, ts.Status, ts.ReasonCode, ts.ReasonText, paidOn)
	}
	rec.finish(imp)
	return rec.probs.err(name)
}

// block returns the programme of a payment information block of bank's
// file: "<message ID>-<n>", the n-th programme of the bank's payments in
// the order the export writes them.
func (rec *reconciliation) block(bank, msgID, pmtInfID string) (string, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(pmtInfID, msgID+"-"))
	if err != nil || !strings.HasPrefix(pmtInfID, msgID+"-") || n < 1 {
		return "", false
	}
	programmes := rec.batches[bank]
	if n > len(programmes) {
		return "", false
	}
	return programmes[n-1], true
}

// readCamt054 reads a camt.054 notification into rec.
func (rec *reconciliation) readCamt054(r io.Reader, imp *dost.StatusImport) error {
	const name = "debit/credit notification"
	nr, err := iso20022.NewNotificationReader(r)
	if err != nil {
		return rec.fileErr(err, name)
	}
	imp.MessageID = nr.Header().MessageID
	reportDate := bakuDate(nr.Header().CreatedAt)
	for {
		et, err := nr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return rec.fileErr(err, name)
		}
		if et.EndToEndID == "" {
			continue // not a payment of ours
		}
		if et.Account != "" && rec.s.debtor.IBAN != "" && et.Account != rec.s.debtor.IBAN {
			imp.Entries++
			rec.probs.add(et.EndToEndID, "account.other", "Line %d: the entry is on account %s, not the agency's.", et.Line, et.Account)
			continue
		}
		if et.OriginalMessageID != "" && rec.cycleFile(et.EndToEndID, et.OriginalMessageID) == "" {
			imp.Entries++
			continue
		}
		st := et.Status
		switch {
		case et.Reversal && st != iso20022.StatusReturned:
			imp.Entries++
			rec.probs.add(et.EndToEndID, "entry.reversal", "Line %d: the entry reverses an earlier one; dost does not guess what it undoes.", et.Line)
			continue
		case st == iso20022.StatusSettled && et.CreditDebit != iso20022.Debit:
			imp.Entries++
			rec.probs.add(et.EndToEndID, "entry.credit", "Line %d: a booked credit without return information.", et.Line)
			continue
		}
		paidOn := et.BookingDate
		if paidOn.IsZero() {
			paidOn = et.ValueDate
		}
		if paidOn.IsZero() {
			paidOn = reportDate
		}
		rec.entry(imp, et.EndToEndID, et.OriginalMessageID, et.Amount, et.Currency, st, et.ReturnReasonCode, et.ReturnReasonText, paidOn)
	}
	return rec.probs.err(name)
}

// FindStatusImports implements dost.PayrollService: a cycle's imports,
// oldest first (staff; ENOTFOUND for an unknown cycle).
func (s *Service) FindStatusImports(ctx context.Context, cycleID int64) ([]*dost.StatusImport, error) {
	if err := mayReadCycles(ctx); err != nil {
		return nil, err
	}
	if _, err := s.store.FindCycleByID(ctx, cycleID); err != nil {
		return nil, err
	}
	return s.store.FindStatusImports(ctx, cycleID)
}
