package dost

import (
	"context"
	"io"
	"time"
)

// CycleStatus is a payroll cycle's state:
//
//	preparing → prepared → approved → exported → reconciled
//	               ↓  ↑
//	             rejected (corrected, then prepared again)
//
// A cycle is frozen once approved: its payments change only by the bank's
// reports.
type CycleStatus string

// Cycle statuses.
const (
	CyclePreparing  CycleStatus = "preparing"  // shard jobs are computing its payments
	CyclePrepared   CycleStatus = "prepared"   // ready for a second person's review
	CycleRejected   CycleStatus = "rejected"   // returned for correction, with a reason
	CycleApproved   CycleStatus = "approved"   // frozen, ready to export
	CycleExported   CycleStatus = "exported"   // bank files written; its payments are sent
	CycleReconciled CycleStatus = "reconciled" // every payment paid, failed or returned
)

// Cycle is one month's payments for one programme, or for all programmes
// (Programme ""): prepared from the active awards, approved by a second
// person, exported as ISO 20022 pain.001 files and reconciled with the
// bank's reports. There is one cycle per programme and period.
//
// Count and Total are the control sums of its payments (arrears included),
// kept on the cycle when preparing ends and checked against the payments
// on approval and export.
type Cycle struct {
	ID        int64       `json:"id"`
	Programme string      `json:"programme,omitempty"` // "" for every programme
	Period    Month       `json:"period"`
	Status    CycleStatus `json:"status"`

	Count        int   `json:"count"`
	Total        Money `json:"total"`
	ArrearsCount int   `json:"arrears_count"` // payments for months before Period
	ArrearsTotal Money `json:"arrears_total"`
	// Held counts the awards that could not be paid (no IBAN, an unknown
	// bank): they are on the correction list, not in the bank files.
	Held int `json:"held"`
	// Review counts the active awards the rules no longer pay for the
	// month (not eligible, or a zero amount) or whose beneficiary or payee
	// was not alive at its start: no payment is made for them; a case
	// worker should look at the award. It counts too the corrected
	// payments left out of the cycle (not re-attached) because their award
	// is suspended or ended before their month, or their payee died
	// before it.
	Review int `json:"review"`
	// BeyondBackPay counts the months the active awards are owed that lie
	// before their programme's back-pay window (BackPayMonths): they are
	// not paid by the cycle, and counted so that nobody is forgotten
	// unnoticed; BeyondBackPayAwards counts the awards they belong to.
	BeyondBackPay       int `json:"beyond_back_pay"`
	BeyondBackPayAwards int `json:"beyond_back_pay_awards"`

	// Shards of the preparation: total and done. Run counts the
	// preparations (1 for the first; each re-preparation adds one): the
	// jobs of an earlier run change nothing. Error says why the latest
	// preparation failed for good; preparing the cycle again restarts it.
	ShardsTotal int    `json:"shards_total"`
	ShardsDone  int    `json:"shards_done"`
	Run         int    `json:"run"`
	Error       string `json:"error,omitempty"`

	PreparedBy   int64      `json:"prepared_by,omitempty"` // 0: dost itself (a schedule)
	PreparedAt   time.Time  `json:"prepared_at"`
	ApprovedBy   int64      `json:"approved_by,omitempty"`
	ApprovedAt   *time.Time `json:"approved_at,omitempty"`
	RejectedBy   int64      `json:"rejected_by,omitempty"`
	RejectedAt   *time.Time `json:"rejected_at,omitempty"`
	RejectReason string     `json:"reject_reason,omitempty"`
	ExportedAt   *time.Time `json:"exported_at,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// PaymentStatus is a payment's state.
//
//	pending → sent → paid
//	            ↘ failed | returned → corrected → pending (in a later cycle)
//	held (no account to pay to) → corrected → pending (in a later cycle)
type PaymentStatus string

// Payment statuses.
const (
	PaymentPending   PaymentStatus = "pending"   // in a cycle not yet exported
	PaymentSent      PaymentStatus = "sent"      // in an exported bank file
	PaymentPaid      PaymentStatus = "paid"      // the bank settled it
	PaymentFailed    PaymentStatus = "failed"    // the bank rejected it (ReasonCode)
	PaymentReturned  PaymentStatus = "returned"  // paid, then returned by the beneficiary's bank
	PaymentHeld      PaymentStatus = "held"      // not sent: no IBAN or an unknown bank
	PaymentCorrected PaymentStatus = "corrected" // on the correction list, fixed, waiting for the next cycle
)

// Open reports whether a payment in status s still waits to reach its
// payee: on the correction list or in a cycle.
func (s PaymentStatus) Open() bool {
	switch s {
	case PaymentPaid:
		return false
	}
	return true
}

// Payment is one transfer to one account for one award and one month. It
// is unique per (award, period): however many times a cycle is prepared,
// or by how many nodes at once, there is never a second payment for an
// award's month. A payment that fails is corrected and paid by a later
// cycle as the same payment (CycleID then names the latest cycle; its
// history keeps the earlier ones).
type Payment struct {
	ID        int64  `json:"id"`
	CycleID   int64  `json:"cycle_id"`
	AwardID   int64  `json:"award_id"`
	Programme string `json:"programme"`
	// Period is the month paid for: the cycle's, or an earlier one for
	// arrears (back pay within the programme's limit, a resumed award).
	Period  Month `json:"period"`
	PayeeID int64 `json:"payee_id"`
	Amount  Money `json:"amount"`
	// IBAN and Bank (the IBAN's 4-letter bank code) are the payee's
	// account when the payment was prepared or corrected.
	IBAN string `json:"iban,omitempty"`
	Bank string `json:"bank,omitempty"`
	// Reference is the payment's end-to-end identification in the bank
	// files (unique, at most 35 characters).
	Reference  string        `json:"reference"`
	Status     PaymentStatus `json:"status"`
	ReasonCode string        `json:"reason_code,omitempty"` // the bank's (e.g. AC01) or dost's (no_iban)
	Reason     string        `json:"reason,omitempty"`
	Attempts   int           `json:"attempts"` // cycles it was in
	PaidOn     Date          `json:"paid_on,omitzero"`
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
}

// PaymentEvent is one step of a payment's history: created, sent, paid,
// failed, returned, held, corrected; with the cycle it was in and, for the
// bank's reports, the import that said so.
type PaymentEvent struct {
	PaymentID  int64         `json:"payment_id"`
	CycleID    int64         `json:"cycle_id"`
	Status     PaymentStatus `json:"status"`
	ReasonCode string        `json:"reason_code,omitempty"`
	Reason     string        `json:"reason,omitempty"`
	ImportID   int64         `json:"import_id,omitempty"`
	ActorID    int64         `json:"actor_id,omitempty"` // 0: dost or the bank
	// IBAN is the account of the step: the one the money was sent to (sent),
	// or the payment's new one (corrected). MessageID and Reference name
	// the bank file and end-to-end ID a sent step went out with.
	IBAN      string    `json:"iban,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	Reference string    `json:"reference,omitempty"`
	At        time.Time `json:"at"`
}

// Bank is a bank dost pays through: its 4-letter code (the IBAN's), name
// and BIC. A payee whose IBAN names a bank dost does not know is held.
type Bank struct {
	Code string `json:"code"` // e.g. "AIIB"
	Name string `json:"name"`
	BIC  string `json:"bic"` // e.g. "AIIBAZ2X"
}

// StatusImportKind names the bank report an import read.
type StatusImportKind string

// Bank reports.
const (
	ImportPain002 StatusImportKind = "pain.002" // payment status report
	ImportCamt054 StatusImportKind = "camt.054" // debit/credit notification
)

// StatusImport is one bank report read into a cycle: the same file (by its
// SHA-256) is imported once; a second import changes nothing. Unknown
// references and mismatched amounts are reported in Problems, never
// guessed.
type StatusImport struct {
	ID        int64            `json:"id"`
	CycleID   int64            `json:"cycle_id"`
	Kind      StatusImportKind `json:"kind"`
	MessageID string           `json:"message_id"` // the report's own
	SHA256    string           `json:"sha256"`
	Entries   int              `json:"entries"`
	Paid      int              `json:"paid"`
	Failed    int              `json:"failed"`
	Returned  int              `json:"returned"`
	Pending   int              `json:"pending"`
	// Repeated counts the entries that changed nothing because they
	// repeat: a payment the report lists again, or a status the payment
	// has already from an earlier report.
	Repeated int `json:"repeated"`
	// OtherCycles counts the entries of a camt.054 notification about
	// another payroll cycle's payments (its file or its reference), each
	// with a note naming that cycle: they change nothing here. Each entry
	// is counted once: Entries = Paid + Failed + Returned + Pending +
	// Repeated + OtherCycles.
	OtherCycles int `json:"other_cycles"`
	// Problems of a stored import are notes on its repeated entries (the
	// first payroll.MaxProblems); the problems of a report not applied
	// come with its EINVALID error instead.
	Problems []ImportProblem `json:"problems,omitempty"`
	ActorID  int64           `json:"actor_id,omitempty"`
	At       time.Time       `json:"at"`
}

// ImportProblem is an entry of a bank report that dost did not apply:
// an unknown reference, an amount or currency that does not match, a
// status for a payment not sent.
type ImportProblem struct {
	Reference string `json:"reference"`
	Code      string `json:"code"` // e.g. "reference.unknown", "amount.mismatch"
	Message   string `json:"message"`
}

// ExportFile is one bank's pain.001 file of a cycle: its message ID and
// creation time (the same however many times it is exported), control
// sums, and once first written, when, by whom and its SHA-256 (hex): an
// export again writes exactly those bytes.
type ExportFile struct {
	Bank       Bank       `json:"bank"`
	MessageID  string     `json:"message_id"`
	CreatedAt  time.Time  `json:"created_at"`
	Count      int        `json:"count"`
	Total      Money      `json:"total"`
	SHA256     string     `json:"sha256,omitempty"`
	ExportedBy int64      `json:"exported_by,omitempty"`
	ExportedAt *time.Time `json:"exported_at,omitempty"`
}

// CycleFilter selects cycles; zero fields do not filter.
type CycleFilter struct {
	Programme *string
	Period    Month
	Statuses  []CycleStatus
	Offset    int
	Limit     int
}

// PaymentFilter selects payments; zero fields do not filter.
type PaymentFilter struct {
	CycleID  int64
	PayeeID  int64
	AwardID  int64
	Statuses []PaymentStatus
	Bank     string
	Offset   int
	Limit    int
}

// CycleDifference compares a cycle with the same programme's previous
// month: who is new, who is no longer paid, whose amount changed.
type CycleDifference struct {
	Previous     int64 `json:"previous_cycle_id,omitempty"`
	Count        int   `json:"count"`
	Total        Money `json:"total"`
	Added        int   `json:"added"`   // awards paid now and not then
	Removed      int   `json:"removed"` // awards paid then and not now
	Changed      int   `json:"changed"` // paid both times, another amount
	ChangedTotal Money `json:"changed_total"`
}

// PayrollService prepares, approves and pays cycles. Staff with the
// payroll roles call it; a citizen reads only their own payments.
//
// Errors: EINVALID for bad input (field errors), ENOTFOUND, ECONFLICT when
// a cycle's status does not allow the step (or changed meanwhile),
// EFORBIDDEN for four-eyes violations and citizens.
type PayrollService interface {
	// PrepareCycle creates the cycle of a programme ("" all) and period,
	// or returns the existing one, and starts preparing it in the
	// background (sharded jobs). Preparing a prepared or rejected cycle
	// again recomputes its pending payments; an approved cycle is frozen
	// (ECONFLICT).
	PrepareCycle(ctx context.Context, programme string, period Month) (*Cycle, error)
	// ApproveCycle freezes a prepared cycle after checking its control
	// sums. run names the preparation the approver reviewed (Cycle.Run):
	// ECONFLICT when the cycle was prepared again since (or is no longer
	// prepared). EFORBIDDEN for the person who prepared it.
	ApproveCycle(ctx context.Context, id int64, run int) (*Cycle, error)
	// RejectCycle returns a prepared cycle for correction; reason required.
	RejectCycle(ctx context.Context, id int64, reason string) (*Cycle, error)
	FindCycleByID(ctx context.Context, id int64) (*Cycle, error)
	FindCycles(ctx context.Context, f CycleFilter) ([]*Cycle, int, error)
	// CompareCycle sets a cycle beside its programme's previous month.
	CompareCycle(ctx context.Context, id int64) (*CycleDifference, error)

	// CycleFiles returns the bank files recorded at a cycle's first export,
	// one per bank (their banks with names), in bank order: each with its
	// message ID, count and total, and once written its SHA-256, when and
	// by whom. None before the first export.
	CycleFiles(ctx context.Context, id int64) ([]*ExportFile, error)
	// ExportCycle writes an approved cycle's bank files, one pain.001 per
	// bank, each streamed to the writer open returns for it (closed when
	// written), as ExportBankFile writes each.
	ExportCycle(ctx context.Context, id int64, open func(*Bank) (io.WriteCloser, error)) ([]*ExportFile, error)
	// ExportBankFile writes one bank's pain.001 file of an approved cycle
	// to w. The cycle's files are fixed at its first export (message ID,
	// creation time, payment information blocks, payments); a file's first
	// export marks that bank's payments sent (the others stay pending
	// until their file is exported) and the cycle exported. Exporting a
	// file again writes the same bytes, payments corrected since included
	// with the account they were sent to, and changes nothing; corrected
	// payments are paid by the next cycle, never added to a file.
	// ECONFLICT for a cycle not approved, or a file that would differ from
	// the one first written; ENOTFOUND for a bank with no payment in the
	// cycle.
	ExportBankFile(ctx context.Context, id int64, bank string, w io.Writer) (*ExportFile, error)
	// ImportStatus reads a bank report (pain.002 or camt.054) on cycle id's
	// payments: each moves sent → paid, failed or returned with the bank's
	// reason. A report that does not parse or is for another cycle is
	// EINVALID and changes nothing; the same file again returns the first
	// import and changes nothing.
	ImportStatus(ctx context.Context, cycleID int64, kind StatusImportKind, r io.Reader) (*StatusImport, error)
	// FindStatusImports returns a cycle's imports, oldest first.
	FindStatusImports(ctx context.Context, cycleID int64) ([]*StatusImport, error)

	FindPaymentByID(ctx context.Context, id int64) (*Payment, error)
	// FindPayments returns matching payments and the total count; a
	// citizen finds only payments to themselves.
	FindPayments(ctx context.Context, f PaymentFilter) ([]*Payment, int, error)
	// FindPaymentEvents returns a payment's history, oldest first.
	FindPaymentEvents(ctx context.Context, paymentID int64) ([]*PaymentEvent, error)
	// CorrectPayment puts a held, failed or returned payment back for the
	// next cycle, with the payee's account as the registry has it now
	// (EINVALID if it still has none, or the same one that failed unless
	// confirmed). The reason says what was corrected.
	CorrectPayment(ctx context.Context, id int64, reason string, sameAccount bool) (*Payment, error)
	// FindBanks returns the banks dost pays through.
	FindBanks(ctx context.Context) ([]*Bank, error)
}
