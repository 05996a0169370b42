package payroll

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
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
// cycle's files that was exported (ExportStore's record; for a cycle
// exported before files were recorded, a bank of its payments sent);
// every status must name a payment of that file by its reference, with
// its amount and currency (AZN) when the bank echoes them (a camt.054
// transaction must: one without an amount, an end-to-end reference or on
// another account than the agency's is a problem), and be one the
// payment can take. Any problem makes it
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
// RJCT) or payment information block (PmtInfSts ACSC/RJCT; its payments
// those the export recorded in it) applies to each of its payments the
// report does not list on its own. A payment listed more than once moves
// once, to its last status.
//
// Each payment the report has a status for is counted once, in Paid,
// Failed, Returned or Pending; an entry that changes nothing because it
// repeats (the payment listed again, or a status it has already from an
// earlier report) is counted in Repeated, with a note in Problems (the
// first MaxProblems). An entry for an earlier attempt of a payment
// corrected since (ReportStore.EarlierAttempts) changes nothing and is
// counted in Repeated too (earlierEntry): with a note, or, when it says
// the attempt was settled after all, an alert first in Problems. When no payment of the cycle is pending or sent
// any more, it becomes reconciled.
func (s *Service) ImportStatus(ctx context.Context, cycleID int64, kind dost.StatusImportKind, r io.Reader) (*dost.StatusImport, error) {
	actorID, err := mayPay(ctx)
	if err != nil {
		return nil, err
	}
	if kind != dost.ImportPain002 && kind != dost.ImportCamt054 {
		return nil, dost.FieldErr("kind", "kind.invalid", "A bank report is a %s or a %s.", dost.ImportPain002, dost.ImportCamt054)
	}
	if kind == dost.ImportCamt054 && s.debtor.IBAN == "" {
		return nil, dost.Errorf(dost.EINTERNAL, "The paying agency's account is not configured.")
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
		err = rec.readPain002(ctx, br, imp)
	} else {
		err = rec.readCamt054(ctx, br, imp)
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
	st     pst // its status now, in the database
	// dest is what the report says, 0 ("") until it says something
	// decisive; outcome then indexes rec.outcomes.
	dest            pst
	outcome         int32
	bank, programme uint16 // indexes into rec.names
	listed          bool   // the report has a status of its own for it
	seen            bool   // the report has a status for it, its own or its block's
}

// pst is a payment status in a byte: the reading holds two per payment.
type pst uint8

// psts are the statuses a pst stands for; 0 is "" (none, or one unknown).
var psts = [...]dost.PaymentStatus{"", dost.PaymentPending, dost.PaymentSent, dost.PaymentPaid, dost.PaymentFailed,
	dost.PaymentReturned, dost.PaymentHeld, dost.PaymentCorrected}

func pstOf(s dost.PaymentStatus) pst {
	for i, v := range psts {
		if v == s {
			return pst(i)
		}
	}
	return 0
}

// status returns the payment's status in the database; target what the
// report says of it, "" if nothing decisive.
func (p *reported) status() dost.PaymentStatus { return psts[p.st] }
func (p *reported) target() dost.PaymentStatus { return psts[p.dest] }

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
	files    map[string]string // message ID → bank, of the files exported
	msgIDs   map[string]string // bank → message ID
	// batches are the programmes of each bank's file, in the order of its
	// payment information blocks, for a cycle exported before its files
	// were recorded.
	batches map[string][]string
	// recorded: the export recorded the cycle's files and blocks
	// (ExportStore), which say what a report may name.
	recorded bool
	probs    problems
	// notes are the entries that changed nothing and are counted in
	// Repeated or OtherCycles: stored with the import, never a reason to
	// refuse it.
	notes problems
	// blocks: a whole file's or block's decisive status, applied at the
	// end to its payments not listed on their own.
	blocks []blockStatus
	// earlier are the earlier attempts the cycle's files carried, of
	// payments corrected since (ReportStore.EarlierAttempts), by the
	// attempt's reference.
	earlier map[string]*EarlierAttempt
	// alerts are the entries that change nothing in the cycle but need
	// the officer (an earlier attempt settled after all): stored with the
	// import before the notes, never a reason to refuse it.
	alerts problems
	// strangers are a camt.054's entries that are not of the cycle: of a
	// file it did not export, or (without a file) with a reference none of
	// its payments has. Another cycle's are counted in OtherCycles with a
	// note; the others are problems (resolveStrangers).
	strangers []stranger
	camt      bool
}

// stranger is an entry of a camt.054 that is not about the cycle read.
type stranger struct {
	line       int
	ref, msgID string
}

// EarlierAttempt is an earlier attempt of a payment that a cycle's bank
// file carried, the payment having been corrected since (its failed or
// returned attempt kept in its history).
type EarlierAttempt struct {
	PaymentID int64
	// Reference and MessageID are the attempt's end-to-end reference and
	// the bank file that carried it.
	Reference, MessageID string
	// Step is the bank step kept for the attempt (failed, returned; ""
	// if none), ReasonCode its reason.
	Step       dost.PaymentStatus
	ReasonCode string
	// Now is the payment now: ID, CycleID, Reference, Status, Amount and
	// Attempts.
	Now *dost.Payment
}

type blockStatus struct {
	bank, programme string // programme "" for every one of the bank
	// ids are a recorded block's payments (ExportStore.PaymentsOfBlock),
	// in place of bank and programme.
	ids        []int64
	st         iso20022.Status
	code, text string
	paidOn     dost.Date
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
		byRef: map[string]int32{}, nameIdx: map[string]uint16{}, outIdx: map[outcome]int32{}, files: map[string]string{},
		msgIDs: map[string]string{}}
	// The files the cycle's export recorded and wrote: a report may be
	// about those only.
	files, err := s.store.ExportFiles(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if len(files) > 0 {
		rec.recorded = true
		for _, f := range files {
			if f.ExportedAt == nil {
				continue // recorded, never written
			}
			rec.files[f.MessageID], rec.msgIDs[f.Bank.Code] = f.Bank.Code, f.MessageID
		}
	}
	err = s.store.ReportPayments(ctx, c.ID, func(p *dost.Payment) error {
		i := int32(len(rec.payments))
		if k, ok := refKey(p.Reference); ok {
			rec.byKey[k] = i
		} else {
			rec.byRef[p.Reference] = i
		}
		if len(rec.names) >= 1<<16-2 {
			return fmt.Errorf("cycle %d: too many banks and programmes", c.ID)
		}
		rec.payments = append(rec.payments, reported{id: p.ID, amount: p.Amount, st: pstOf(p.Status), bank: rec.name(p.Bank),
			programme: rec.name(p.Programme)})
		// A cycle exported before its files were recorded: the banks of
		// the payments that were in its files. A payment corrected since
		// may have a bank whose file was never written.
		if !rec.recorded && p.Bank != "" && inFile(p.Status) && rec.msgIDs[p.Bank] == "" {
			rec.files[MessageID(c.ID, p.Bank)], rec.msgIDs[p.Bank] = p.Bank, MessageID(c.ID, p.Bank)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The attempts of payments corrected since: a report may name them
	// again.
	err = s.store.EarlierAttempts(ctx, c.ID, func(a *EarlierAttempt) error {
		if rec.earlier == nil {
			rec.earlier = map[string]*EarlierAttempt{}
		}
		rec.earlier[a.Reference] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rec.recorded {
		return rec, nil
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

// inFile reports whether a payment of an exported cycle in status st was
// in one of its bank files.
func inFile(st dost.PaymentStatus) bool {
	switch st {
	case dost.PaymentSent, dost.PaymentPaid, dost.PaymentFailed, dost.PaymentReturned:
		return true
	}
	return false
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

// resolveStrangers looks up the cycle of each entry that is not of
// rec's (rec.strangers): by its file's message ID, else by its reference.
// One of another cycle is counted in OtherCycles with a note naming that
// cycle; one of no cycle is a problem (message.other for a file dost did
// not export, reference.unknown for a reference no payment has).
func (rec *reconciliation) resolveStrangers(ctx context.Context, imp *dost.StatusImport) error {
	if len(rec.strangers) == 0 {
		return nil
	}
	var msgIDs, refs []string
	seenMsg, seenRef := map[string]bool{}, map[string]bool{}
	for _, st := range rec.strangers {
		switch {
		case st.msgID != "" && !seenMsg[st.msgID]:
			seenMsg[st.msgID] = true
			msgIDs = append(msgIDs, st.msgID)
		case st.msgID == "" && !seenRef[st.ref]:
			seenRef[st.ref] = true
			refs = append(refs, st.ref)
		}
	}
	byFile, err := rec.s.store.CyclesOfFiles(ctx, msgIDs)
	if err != nil {
		return err
	}
	byRef, err := rec.s.store.CyclesOfReferences(ctx, refs)
	if err != nil {
		return err
	}
	for _, st := range rec.strangers {
		cycle, found := byRef[st.ref]
		if st.msgID != "" {
			cycle, found = byFile[st.msgID]
		}
		switch {
		case found && cycle != rec.c.ID:
			imp.OtherCycles++
			rec.notes.add(st.ref, "entry.other_cycle", "%sThe entry is about payroll cycle %d's payment: it changes nothing here. "+
				"Read this notification into payroll cycle %d too.", lineOf(st.line), cycle, cycle)
		case st.msgID != "":
			rec.probs.add(st.ref, "message.other", "%sThe report is about file %q, which is not a bank file exported for payroll cycle %d "+
				"nor for any other.", lineOf(st.line), st.msgID, rec.c.ID)
		default:
			rec.probs.add(st.ref, "reference.unknown", "%sNo payment of payroll cycle %d, nor of any other, has the reference %q.",
				lineOf(st.line), rec.c.ID, st.ref)
		}
	}
	return nil
}

// cycleFile checks that msgID names one of the cycle's files and returns
// its bank, or adds a problem and returns "".
func (rec *reconciliation) cycleFile(ref, msgID string) string {
	if bank, ok := rec.files[msgID]; ok {
		return bank
	}
	rec.probs.add(ref, "message.other", "The report is about file %q, which is not a bank file exported for payroll cycle %d.",
		msgID, rec.c.ID)
	return ""
}

// entry applies what the report says of the payment with reference ref
// in the file msgID (with the amount when currency is not "").
func (rec *reconciliation) entry(imp *dost.StatusImport, line int, ref, msgID string, amount dost.Money, currency string,
	st iso20022.Status, code, text string, paidOn dost.Date) {
	imp.Entries++
	if ref == "" {
		rec.probs.add("", "reference.missing", "An entry has no end-to-end reference.")
		return
	}
	if a := rec.earlier[ref]; a != nil {
		rec.earlierEntry(imp, line, a, msgID, amount, currency, st)
		return
	}
	p := rec.lookup(ref)
	if p == nil && rec.camt && msgID == "" {
		// Perhaps another cycle's: a notification covers the account's day.
		rec.strangers = append(rec.strangers, stranger{line: line, ref: ref})
		return
	}
	if p == nil {
		rec.probs.add(ref, "reference.unknown", "No payment of payroll cycle %d has the reference %q.", rec.c.ID, ref)
		return
	}
	if file := rec.msgIDs[rec.names[p.bank]]; msgID != "" && msgID != file {
		if file == "" {
			rec.probs.add(ref, "message.mismatch", "The payment was in no bank file of the cycle, the report says %s.", msgID)
		} else {
			rec.probs.add(ref, "message.mismatch", "The payment was in file %s, not %s.", file, msgID)
		}
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
	if p.listed {
		// Counted once; the last status stands (apply still refuses one
		// that contradicts an earlier).
		imp.Repeated++
		rec.notes.add(ref, "entry.repeated", "%sThe report lists the payment again.", lineOf(line))
	}
	p.listed = true
	rec.apply(p, ref, st, code, text, paidOn)
}

// earlierEntry applies what the report says of an earlier attempt of a
// payment corrected since (rec.earlier): it changes nothing, the attempt
// having its bank step already and the payment a new account. It must be
// of the attempt's file, amount and currency, else it is a problem like
// any entry's. A status that repeats the step kept, or says no more than
// it (accepted, pending; rejected for one returned) is counted in
// Repeated with a note. Settled contradicts it: the money did arrive, and
// the corrected payment would pay the payee again. That is counted in
// Repeated too, but with an alert first in the import's problems naming
// the correction, the payment's cycle and attempt now, and telling the
// officer to stop that payment: the rest of the report applies. The
// import does not hold the payment itself: it is in another cycle (its
// control sums approved, perhaps exported), which a report of this one
// does not change.
func (rec *reconciliation) earlierEntry(imp *dost.StatusImport, line int, a *EarlierAttempt, msgID string, amount dost.Money,
	currency string, st iso20022.Status) {
	ref := a.Reference
	switch {
	case msgID != "" && msgID != a.MessageID:
		rec.probs.add(ref, "message.mismatch", "The payment's attempt %s was in file %s, not %s.", ref, a.MessageID, msgID)
		return
	case currency != "" && currency != "AZN":
		rec.probs.add(ref, "currency.mismatch", "The payment is in AZN, the report says %s.", currency)
		return
	case currency != "" && amount != a.Now.Amount:
		rec.probs.add(ref, "amount.mismatch", "The payment is %s AZN, the report says %s.", a.Now.Amount, amount)
		return
	}
	imp.Repeated++
	step := string(a.Step)
	if step == "" {
		step = "not paid"
	}
	if a.ReasonCode != "" {
		step += " (" + a.ReasonCode + ")"
	}
	now := fmt.Sprintf("it has not been paid again yet (%s, in payroll cycle %d): hold it before a cycle pays it", a.Now.Status, a.Now.CycleID)
	if a.Now.CycleID != rec.c.ID || a.Now.Reference != ref {
		now = fmt.Sprintf("it is now attempt %d in payroll cycle %d, reference %s, %s", a.Now.Attempts, a.Now.CycleID,
			a.Now.Reference, a.Now.Status)
		if a.Now.Status == dost.PaymentPending || a.Now.Status == dost.PaymentHeld {
			now += ": hold it before that cycle's file is exported"
		} else {
			now += ": ask the bank to stop or return that payment"
		}
	}
	if st == iso20022.StatusSettled {
		rec.alerts.add(ref, "attempt.settled", "%sThe report says the payment's attempt %s (file %s) was settled: the money did arrive. "+
			"dost had it %s and the payment was corrected since; %s, so that the payee is not paid twice.",
			lineOf(line), ref, a.MessageID, step, now)
		return
	}
	rec.notes.add(ref, "attempt.earlier", "%sThe report says %s of the payment's attempt %s (file %s), which was %s; "+
		"the payment was corrected since and nothing changes (%s).", lineOf(line), st, ref, a.MessageID, step, strings.SplitN(now, ":", 2)[0])
}

// lineOf returns "Line n: " or "" for line 0.
func lineOf(line int) string {
	if line <= 0 {
		return ""
	}
	return fmt.Sprintf("Line %d: ", line)
}

// apply moves p (in the reading) by status st, or adds the problem;
// tally counts it.
func (rec *reconciliation) apply(p *reported, ref string, st iso20022.Status, code, text string, paidOn dost.Date) {
	p.seen = true
	cur := p.status()
	if p.target() != "" {
		cur = p.target()
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
	if to == "" || to == cur {
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
	p.dest, p.outcome = pstOf(to), i
}

// finish applies the file's and blocks' own statuses to their payments
// not listed on their own; each such payment counts as one entry, however
// many of those statuses cover it.
func (rec *reconciliation) finish(imp *dost.StatusImport) {
	do := func(p *reported, b *blockStatus) {
		if p.listed || !inFile(p.status()) {
			return
		}
		if !p.seen {
			imp.Entries++
		}
		rec.apply(p, "", b.st, b.code, b.text, b.paidOn)
	}
	for _, b := range rec.blocks {
		if b.ids != nil {
			for _, id := range b.ids {
				// The payments are in ID order (ReportPayments).
				i, found := slices.BinarySearchFunc(rec.payments, id, func(p reported, id int64) int { return cmp.Compare(p.id, id) })
				if found {
					do(&rec.payments[i], &b)
				}
			}
			continue
		}
		for i := range rec.payments {
			p := &rec.payments[i]
			if rec.names[p.bank] == b.bank && (b.programme == "" || rec.names[p.programme] == b.programme) {
				do(p, &b)
			}
		}
	}
}

// tally counts each payment the report has a status for once, by what
// the import does with it: paid, failed, returned; pending when the
// report leaves a sent payment as it is; repeated (with a note) when the
// payment has that status already, from an earlier report. Then every
// entry is counted once: Entries = Paid + Failed + Returned + Pending +
// Repeated + OtherCycles (resolveStrangers).
func (rec *reconciliation) tally(imp *dost.StatusImport) {
	var already []int32 // the first MaxProblems, for their notes
	for i := range rec.payments {
		p := &rec.payments[i]
		if !p.seen {
			continue
		}
		switch {
		case p.target() != "" && p.target() != p.status():
			switch p.target() {
			case dost.PaymentPaid:
				imp.Paid++
			case dost.PaymentFailed:
				imp.Failed++
			case dost.PaymentReturned:
				imp.Returned++
			}
		case p.target() == "" && p.status() == dost.PaymentSent:
			imp.Pending++
		default:
			imp.Repeated++
			if len(already) < MaxProblems {
				already = append(already, int32(i))
			}
		}
	}
	refs := rec.references(already)
	for _, i := range already {
		rec.notes.add(refs[i], "status.already", "The payment is %s already: an earlier report said so.", rec.payments[i].status())
	}
	imp.Problems = append(rec.alerts.list, rec.notes.list...)
}

// references returns the references of the payments at the indexes,
// found in one pass over the lookup maps (the reading keeps no text per
// payment).
func (rec *reconciliation) references(idx []int32) map[int32]string {
	out := make(map[int32]string, len(idx))
	if len(idx) == 0 {
		return out
	}
	for _, i := range idx {
		out[i] = ""
	}
	for k, i := range rec.byKey {
		if _, ok := out[i]; ok {
			m := int(k >> 8 & 0xffff)
			out[i] = Reference(int64(k>>24), dost.Month{Year: 1900 + m/12, Month: time.Month(m%12 + 1)}, int(k&0xff))
		}
	}
	for ref, i := range rec.byRef {
		if _, ok := out[i]; ok {
			out[i] = ref
		}
	}
	return out
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
		if p.target() == "" || p.target() == p.status() {
			continue
		}
		k := key{p.status(), p.target(), p.outcome}
		m := byKey[k]
		if m == nil {
			o := rec.outcomes[p.outcome]
			m = &StatusMove{From: p.status(), To: p.target(), ReasonCode: o.code, Reason: o.reason, PaidOn: o.paidOn}
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
func (rec *reconciliation) readPain002(ctx context.Context, r io.Reader, imp *dost.StatusImport) error {
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
			b, err := rec.block(ctx, bank, h.OriginalMessageID, ts.PaymentInformationID)
			if err != nil {
				return err
			}
			if b == nil {
				rec.probs.add("", "block.unknown", "Line %d: the payment information block %q is not one of file %s.",
					ts.Line, ts.PaymentInformationID, h.OriginalMessageID)
				continue
			}
			b.st, b.code, b.text, b.paidOn = ts.Status, ts.ReasonCode, ts.ReasonText, paidOn
			rec.blocks = append(rec.blocks, *b)
			continue
		}
		rec.entry(imp, ts.Line, ts.EndToEndID, ts.OriginalMessageID, ts.Amount, ts.Currency, ts.Status, ts.ReasonCode, ts.ReasonText, paidOn)
	}
	rec.finish(imp)
	if err := rec.probs.err(name); err != nil {
		return err
	}
	rec.tally(imp)
	return nil
}

// block returns the payments of a payment information block of bank's
// file msgID, or nil for a block the file does not have. A recorded
// block's are the payments the file carried that are still in it
// (ExportStore.PaymentsOfBlock). For a cycle exported before its blocks
// were recorded, PmtInfId "<message ID>-<n>" is the n-th programme of
// the bank's payments in the order the export writes them.
func (rec *reconciliation) block(ctx context.Context, bank, msgID, pmtInfID string) (*blockStatus, error) {
	if rec.recorded {
		_, _, ids, err := rec.s.store.PaymentsOfBlock(ctx, msgID, pmtInfID)
		if dost.ErrorCode(err) == dost.ENOTFOUND {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		if ids == nil {
			ids = []int64{}
		}
		return &blockStatus{bank: bank, ids: ids}, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(pmtInfID, msgID+"-"))
	if err != nil || !strings.HasPrefix(pmtInfID, msgID+"-") || n < 1 {
		return nil, nil
	}
	programmes := rec.batches[bank]
	if n > len(programmes) {
		return nil, nil
	}
	return &blockStatus{bank: bank, programme: programmes[n-1]}, nil
}

// normIBAN returns an account identifier as an IBAN is compared: without
// spaces (the paper form groups it by four) and in capitals. A camt.054
// naming the account in Acct/Id/Othr/Id (et.Account either way) matches
// when it holds the IBAN.
func normIBAN(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// readCamt054 reads a camt.054 notification into rec. A notification is
// the agency account's day at the bank, so it may hold entries of other
// cycles: those (by their file, or by their reference when they name no
// file) change nothing here and are counted in OtherCycles, each with a
// note naming its cycle, into which the same file is read too.
func (rec *reconciliation) readCamt054(ctx context.Context, r io.Reader, imp *dost.StatusImport) error {
	const name = "debit/credit notification"
	rec.camt = true
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
		switch {
		case et.Account == "":
			imp.Entries++
			rec.probs.add(et.EndToEndID, "account.missing", "Line %d: the entry names no account.", et.Line)
			continue
		case normIBAN(et.Account) != normIBAN(rec.s.debtor.IBAN):
			imp.Entries++
			rec.probs.add(et.EndToEndID, "account.other", "Line %d: the entry is on account %s, not the agency's (%s).", et.Line,
				et.Account, rec.s.debtor.IBAN)
			continue
		case et.EndToEndID == "":
			imp.Entries++
			rec.probs.add("", "reference.missing", "Line %d: the entry has no end-to-end reference (Refs/EndToEndId): "+
				"dost cannot tell which payment it is. A notification read into a cycle holds its payments only.", et.Line)
			continue
		case et.Currency == "":
			imp.Entries++
			rec.probs.add(et.EndToEndID, "amount.missing", "Line %d: the transaction has no amount (TxDtls/Amt): "+
				"dost checks every payment's amount.", et.Line)
			continue
		}
		if et.OriginalMessageID != "" {
			if _, ours := rec.files[et.OriginalMessageID]; !ours {
				imp.Entries++
				rec.strangers = append(rec.strangers, stranger{line: et.Line, ref: et.EndToEndID, msgID: et.OriginalMessageID})
				continue
			}
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
		rec.entry(imp, et.Line, et.EndToEndID, et.OriginalMessageID, et.Amount, et.Currency, st, et.ReturnReasonCode, et.ReturnReasonText, paidOn)
	}
	if err := rec.resolveStrangers(ctx, imp); err != nil {
		return err
	}
	if err := rec.probs.err(name); err != nil {
		return err
	}
	rec.tally(imp)
	return nil
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
