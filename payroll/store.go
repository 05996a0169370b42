package payroll

import (
	"context"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rulesrun"
)

// Store is the storage payroll needs; sqlstore.PayrollStore implements it.
// Every method is one transaction. Implementations are safe for
// concurrent use by many goroutines and by the nodes sharing one
// database: the unique constraints on cycles (programme, period) and
// payments (award, period; reference) are the last line against a second
// cycle or payment.
type Store interface {
	// StartCycle creates the cycle of programme ("" all) and period,
	// status preparing, run 1, prepared by actorID, or starts preparing
	// the existing one again: a prepared or rejected cycle, or a preparing
	// one whose preparation failed (Error set), gets run+1, its shards
	// forgotten, its control sums zeroed and status preparing; a cycle
	// preparing without an error is returned as it is. Of concurrent calls
	// exactly one creates or restarts. ECONFLICT for an approved, exported
	// or reconciled cycle.
	StartCycle(ctx context.Context, programme string, period dost.Month, actorID int64) (*dost.Cycle, error)
	// PlanCycle records the shards of run of a preparing cycle, unless it
	// has some already (a coordinator run twice), and returns those
	// recorded. With no shards (an empty registry) the cycle is prepared
	// at once, with zero sums. ECONFLICT if the cycle is not preparing run
	// (prepared again meanwhile, or done); ENOTFOUND for an unknown cycle.
	PlanCycle(ctx context.Context, cycleID int64, run int, shards []rulesrun.Shard) ([]rulesrun.Shard, error)
	// ShardAwards returns the awards of shard sh that cycle c may pay:
	// of c's programme (all if ""), active, or ended on or after the first
	// day of month from; the beneficiary is a person of the shard (a
	// household member's person award is in its household's shard) or a
	// household of its range. Each comes with its payee's IBAN and death
	// date and the months from `from` on already paid or being paid,
	// leaving out c's own pending and held payments of its first attempt.
	// Of the award, only what a preparation reads is set: ID, Programme,
	// PersonID, HouseholdID, PayeeID, Kind, Amount, Period, Start, End
	// and Status.
	ShardAwards(ctx context.Context, c *dost.Cycle, sh rulesrun.Shard, from dost.Month) ([]*ShardAward, error)
	// WriteShard records shard sh of c's run as prepared, once, in one
	// transaction: it attaches the shard's corrected payments of periods
	// up to c's to c (status pending, attempts+1, a new reference),
	// inserts payments skipping any whose award and period (or reference)
	// exist, records the first event of those held (a pending payment's
	// creation is its row: FindPaymentEvents shows it), adds review to
	// the cycle's count and counts the shard done. The shard that
	// completes the count computes the control sums from the payments and
	// sets the cycle prepared, in the same transaction, and WriteShard
	// reports true for it only. A shard recorded already changes nothing
	// (false, nil). ECONFLICT when c is no longer preparing this run;
	// ENOTFOUND for a shard not planned.
	WriteShard(ctx context.Context, c *dost.Cycle, sh rulesrun.Shard, payments []*dost.Payment, review int) (bool, error)
	// FailCycle records why the preparation of run failed, if the cycle is
	// still preparing it; the cycle stays preparing until prepared again.
	FailCycle(ctx context.Context, cycleID int64, run int, reason string) error

	// FindCycleByID returns a cycle. ENOTFOUND if there is none.
	FindCycleByID(ctx context.Context, id int64) (*dost.Cycle, error)
	// FindCycles returns matching cycles, newest period first, and the
	// total count.
	FindCycles(ctx context.Context, f dost.CycleFilter) ([]*dost.Cycle, int, error)
	// ApproveCycle sets a prepared cycle of run run approved by actorID
	// after checking, in the same transaction, that its control sums are
	// those of its payments. EFORBIDDEN when actorID prepared it;
	// ECONFLICT when it is not prepared, is of another run (prepared again
	// since the approver looked) or its sums do not match; ENOTFOUND.
	ApproveCycle(ctx context.Context, id, actorID int64, run int) (*dost.Cycle, error)
	// RejectCycle sets a prepared cycle rejected by actorID with reason.
	// ECONFLICT when it is not prepared; ENOTFOUND.
	RejectCycle(ctx context.Context, id, actorID int64, reason string) (*dost.Cycle, error)
	// CompareCycle sets a cycle's payments (held ones left out) beside
	// those of the same programme's cycle of the month before, per award.
	// ENOTFOUND for an unknown cycle.
	CompareCycle(ctx context.Context, id int64) (*dost.CycleDifference, error)

	// FindPaymentByID returns a payment. ENOTFOUND if there is none.
	FindPaymentByID(ctx context.Context, id int64) (*dost.Payment, error)
	// FindPayments returns matching payments, by ID, and the total count.
	FindPayments(ctx context.Context, f dost.PaymentFilter) ([]*dost.Payment, int, error)
	// FindPaymentEvents returns a payment's history, oldest first.
	FindPaymentEvents(ctx context.Context, paymentID int64) ([]*dost.PaymentEvent, error)
	// CorrectPayment sets a held, failed or returned payment corrected,
	// to be paid to iban at bank, with reason, and records the event.
	// ECONFLICT when the payment is in another status; ENOTFOUND.
	CorrectPayment(ctx context.Context, id, actorID int64, reason, iban, bank string) (*dost.Payment, error)
	// FindBanks returns the banks, by code.
	FindBanks(ctx context.Context) ([]*dost.Bank, error)

	// ExportGroups returns the totals of a cycle's payments in its bank
	// files (all but the held and corrected ones), per bank and programme,
	// ordered by bank and programme.
	ExportGroups(ctx context.Context, cycleID int64) ([]ExportGroup, error)

	ExportStore
	ReportStore
	SuspensionStore // suspension.go
}

// ExportGroup is the count and total of a cycle's payments to one bank
// for one programme.
type ExportGroup struct {
	Bank, Programme string
	Count           int
	Total           dost.Money
}

// ShardAward is an award a shard's preparation may pay, with what the
// preparation needs besides the award.
type ShardAward struct {
	Award *dost.Award
	// PayeeIBAN is the payee's account as the registry has it now;
	// PayeeDeath their death date (zero while alive).
	PayeeIBAN  string
	PayeeDeath dost.Date
	// Paid are the months (from ShardAwards' from on) that have a payment
	// which stays.
	Paid []dost.Month
}

// ReportStore is the storage of the bank reports' import (ImportStatus);
// sqlstore.PayrollStore implements it with Store.
type ReportStore interface {
	// ReportPayments streams every payment of a cycle to fn, by ID, with
	// the fields a bank report is checked against: ID, Reference, Amount,
	// Status, Bank, Programme and PaidOn (the rest zero). fn's error stops
	// it and is returned.
	ReportPayments(ctx context.Context, cycleID int64, fn func(p *dost.Payment) error) error
	// EarlierAttempts streams to fn the earlier attempts of payments that
	// a cycle's bank files carried: the "sent" steps kept when a failed or
	// returned payment was corrected (reference and file of the attempt),
	// with the bank step kept for it and what the payment is now. A
	// payment's current attempt is not one of them.
	EarlierAttempts(ctx context.Context, cycleID int64, fn func(a *EarlierAttempt) error) error
	// CyclesOfFiles returns the cycle of each message ID that is a
	// recorded bank file of any cycle; the others are absent.
	CyclesOfFiles(ctx context.Context, msgIDs []string) (map[string]int64, error)
	// CyclesOfReferences returns the cycle of each reference that is a
	// payment's (current) reference in any cycle; the others are absent.
	CyclesOfReferences(ctx context.Context, refs []string) (map[string]int64, error)
	// FindStatusImportBySHA256 returns a cycle's import of the file with
	// that SHA-256 (hex). ENOTFOUND if there is none.
	FindStatusImportBySHA256(ctx context.Context, cycleID int64, sha256 string) (*dost.StatusImport, error)
	// FindStatusImports returns a cycle's imports, oldest first.
	FindStatusImports(ctx context.Context, cycleID int64) ([]*dost.StatusImport, error)
	// ApplyStatusImport records imp (ID and At set by the store) and
	// applies moves in one transaction: each payment of a move goes from
	// its From status to To (with the reason, and PaidOn for paid) and
	// gets an event naming the import; when no payment of the cycle is
	// pending or sent any more, the cycle becomes reconciled. When the
	// cycle already has an import of the same file (imp.SHA256; a
	// concurrent import of it won) it returns that one and changes
	// nothing. ECONFLICT when the cycle is not exported or reconciled, or
	// a payment is no longer in From (a report imported meanwhile): then
	// nothing is stored. ENOTFOUND for an unknown cycle.
	ApplyStatusImport(ctx context.Context, imp *dost.StatusImport, moves []*StatusMove) (*dost.StatusImport, error)
}

// StatusMove is the payments a bank report moves alike: from one status
// to another, with the same reason (and date paid, for To paid).
type StatusMove struct {
	From, To   dost.PaymentStatus
	ReasonCode string
	Reason     string
	PaidOn     dost.Date // for To paid
	PaymentIDs []int64
}
