package payroll

import (
	"context"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rulesrun"
)

// ExportStore is the storage of a cycle's bank files (ExportCycle,
// ExportBankFile) and of the months beyond the back-pay window;
// sqlstore.PayrollStore implements it with Store.
//
// A cycle's files are recorded once, at its first export: each bank's
// message ID, creation time and totals, and its payment information
// blocks (PmtInfId → programme). Every later export writes the files from
// this record, and a bank's status report names a block through it, so
// that neither depends on the payments as they are now.
type ExportStore interface {
	// ExportFiles returns the files recorded for a cycle, by bank, each
	// with its blocks in file order; none (and no error) before the
	// cycle's first export.
	ExportFiles(ctx context.Context, cycleID int64) ([]*File, error)
	// RecordExport records files (ID, ExportedAt and SHA256 unset) as a
	// cycle's bank files, unless it has files already (a concurrent first
	// export), and returns those recorded. With exportedAt set (a cycle
	// exported before files were recorded) they are recorded as exported
	// then. ECONFLICT when the cycle is not approved, exported or
	// reconciled.
	RecordExport(ctx context.Context, cycleID int64, files []*File, exportedAt *time.Time) ([]*File, error)
	// FilePayments streams the payments of a block of file f to fn in ID
	// order, as the file carries them: those of f's cycle, bank and the
	// block's programme in its bank file (status pending, sent, paid,
	// failed or returned), and those corrected since its export, with the
	// account and reference recorded in their "sent" event. Each comes with
	// the payee's full name as of f.NamesSeq (a payee renamed by a later
	// change has the name that change replaced); fn's error stops it and
	// is returned.
	FilePayments(ctx context.Context, f *File, b *Block, fn func(p *dost.Payment, payeeName string) error) error
	// NameChangesSeq returns the last change of a person's name so far (0
	// for none): names as of it are today's.
	NameChangesSeq(ctx context.Context) (int64, error)
	// MarkFilesExported records the first writing of files of a cycle
	// (each mark: its ID, SHA-256 and NamesSeq), by actorID, now, and, in the same
	// transaction, sets those files' pending payments sent (in bulk: the
	// file is their "sent" step) and the cycle exported if it was
	// approved. ECONFLICT, changing nothing, unless exactly the new files'
	// Count payments moved. It returns the marked files; one exported
	// already is returned as it is (its digest the first's). ENOTFOUND for
	// a file not of the cycle.
	MarkFilesExported(ctx context.Context, cycleID int64, marks []FileMark, actorID int64) ([]*File, error)
	// PaymentsOfBlock returns the block of a file named by its message ID
	// and payment information ID, with its file, and the IDs of the
	// payments the bank's status for the block applies to: those the file
	// carried that are still in it (sent, paid, failed or returned; not
	// corrected since). ENOTFOUND for an unknown file or block.
	PaymentsOfBlock(ctx context.Context, messageID, pmtInfID string) (*File, *Block, []int64, error)

	// PaidBefore returns, for each of awardIDs, how many payments it has
	// for months before from (awards with none are left out).
	PaidBefore(ctx context.Context, awardIDs []int64, from dost.Month) (map[int64]int, error)
	// SetShardBeyondBackPay records on shard sh of c's run, while it is
	// not prepared yet, the months owed before the back-pay window and
	// their awards; the cycle's BeyondBackPay and BeyondBackPayAwards are
	// the sums over its run's shards when it is prepared.
	SetShardBeyondBackPay(ctx context.Context, c *dost.Cycle, sh rulesrun.Shard, months, awards int) error
}

// File is one bank's pain.001 file of a cycle as recorded at the cycle's
// first export.
type File struct {
	ID      int64
	CycleID int64
	dost.ExportFile
	Blocks []*Block
	// NamesSeq is the last change of a person's name (ExportStore.
	// NameChangesSeq) when the file was first written: written again, it
	// carries the payees' names as they were then.
	NamesSeq int64
}

// FileMark is a file written for the first time: its ID and SHA-256 (hex).
type FileMark struct {
	ID       int64
	SHA256   string
	NamesSeq int64 // the file's names, as of that change (File.NamesSeq)
}

// Block is one payment information block (PmtInf) of a file: one
// programme's payments.
type Block struct {
	Seq       int    // 1, 2, … in file order
	ID        string // PmtInfId: "<message ID>-<Seq>"
	Programme string
	Count     int
	Total     dost.Money
}
