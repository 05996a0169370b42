package payroll

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/iso20022"
)

// MessageID returns the message ID of a cycle's pain.001 file for a bank:
// "DOST-<cycle>-<bank>", the same however often the cycle is exported.
func MessageID(cycleID int64, bank string) string { return fmt.Sprintf("DOST-%d-%s", cycleID, bank) }

// BlockID returns the payment information ID of the seq-th block of the
// file with message ID msgID: "<msgID>-<seq>".
func BlockID(msgID string, seq int) string { return fmt.Sprintf("%s-%d", msgID, seq) }

// ExportCycle implements dost.PayrollService: every bank's file of the
// cycle, one after the other, each as ExportBankFile writes it to the
// writer open returns for its bank (closed when written). The files
// written for the first time are recorded together when all are written
// (Store.MarkFilesExported), their payments marked sent in one pass; an
// error before leaves everything as it was (the files written are the
// caller's to discard).
//
// When the export writes a file for the first time, the files exported
// already are checked first, before anything is written (each is made
// once more, into nothing, to compare its SHA-256): a file that would
// differ is ECONFLICT with no writer opened, so that no new bank's file
// is handed out in an export that is then not recorded.
func (s *Service) ExportCycle(ctx context.Context, id int64, open func(*dost.Bank) (io.WriteCloser, error)) ([]*dost.ExportFile, error) {
	c, files, err := s.exportFiles(ctx, id)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(files, func(f *File) bool { return f.ExportedAt == nil }) {
		for _, f := range files {
			if f.ExportedAt == nil || f.SHA256 == "" {
				continue
			}
			sum, err := s.writeFile(ctx, c, f, func() (io.WriteCloser, error) { return nopCloser{io.Discard}, nil })
			if err != nil {
				return nil, fmt.Errorf("export cycle %d, bank %s: %w", c.ID, f.Bank.Code, err)
			}
			if err := changed(f, sum); err != nil {
				return nil, err
			}
		}
	}
	sums := make([]string, len(files))
	for i, f := range files {
		if sums[i], err = s.writeFile(ctx, c, f, func() (io.WriteCloser, error) { return open(&f.Bank) }); err != nil {
			return nil, fmt.Errorf("export cycle %d, bank %s: %w", c.ID, f.Bank.Code, err)
		}
	}
	return s.recordWritten(ctx, c, files, sums)
}

// ExportBankFile implements dost.PayrollService: one pain.001.001.09 file
// (iso20022.Writer) of the files recorded at the cycle's first export
// (see ExportStore), one payment information block per programme
// (category purpose PENS for pensions, SSBE otherwise), the remittance
// text naming the programme and the month. The file's creation time and
// requested execution date are the cycle's approval. Recording the files
// checks the cycle's control sums against its payments first (ECONFLICT if
// they differ). The first writing of a file marks its bank's payments sent
// and the cycle exported (Store.MarkFilesExported); an error before leaves
// everything as it was (what was written is the caller's to discard).
// Writing it again compares its SHA-256 with the first's: ECONFLICT if it
// differs (a payment changed behind dost's back; the bank has the first):
// payees renamed since are written under the names the file first
// carried (File.NamesSeq). ECONFLICT
// for a cycle not approved, exported or reconciled; ENOTFOUND for a bank
// with no payment in the cycle; EINTERNAL without Config.Debtor.
func (s *Service) ExportBankFile(ctx context.Context, id int64, bank string, w io.Writer) (*dost.ExportFile, error) {
	return s.ExportBankFileTo(ctx, id, bank, func(*dost.Bank) (io.WriteCloser, error) { return nopCloser{w}, nil })
}

// ExportBankFileTo is ExportBankFile writing to the writer open returns,
// which is closed (a file: flushed and synced) before the file is
// recorded and its payments marked sent: a writer whose Close fails
// leaves them as they were. open is called once, unless the cycle or bank
// is refused first.
func (s *Service) ExportBankFileTo(ctx context.Context, id int64, bank string, open func(*dost.Bank) (io.WriteCloser, error)) (*dost.ExportFile, error) {
	c, files, err := s.exportFiles(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if f.Bank.Code != bank {
			continue
		}
		sum, err := s.writeFile(ctx, c, f, func() (io.WriteCloser, error) { return open(&f.Bank) })
		if err != nil {
			return nil, fmt.Errorf("export cycle %d, bank %s: %w", c.ID, f.Bank.Code, err)
		}
		out, err := s.recordWritten(ctx, c, []*File{f}, []string{sum})
		if err != nil {
			return nil, err
		}
		return out[0], nil
	}
	return nil, dost.Errorf(dost.ENOTFOUND, "Payroll cycle %d has no payment to bank %q.", id, bank)
}

// recordWritten records the first writing of those of files written
// for the first time (their SHA-256 in sums) and checks that the others
// are the files first written.
func (s *Service) recordWritten(ctx context.Context, c *dost.Cycle, files []*File, sums []string) ([]*dost.ExportFile, error) {
	actorID, _ := actor(ctx)
	var marks []FileMark
	for i, f := range files {
		switch {
		case f.ExportedAt == nil:
			marks = append(marks, FileMark{ID: f.ID, SHA256: sums[i], NamesSeq: f.NamesSeq})
		default:
			if err := changed(f, sums[i]); err != nil {
				return nil, err
			}
		}
	}
	if len(marks) > 0 {
		done, err := s.store.MarkFilesExported(ctx, c.ID, marks, actorID)
		if err != nil {
			return nil, fmt.Errorf("export cycle %d: %w", c.ID, err)
		}
		byID := map[int64]*File{}
		for _, d := range done {
			byID[d.ID] = d
		}
		for i, f := range files {
			d := byID[f.ID]
			if d == nil {
				continue
			}
			if d.SHA256 != sums[i] {
				return nil, dost.Errorf(dost.ECONFLICT, "File %s was exported by someone else meanwhile, differently: export it again.", f.MessageID)
			}
			f.SHA256, f.ExportedBy, f.ExportedAt = d.SHA256, d.ExportedBy, d.ExportedAt
		}
	}
	out := make([]*dost.ExportFile, len(files))
	for i, f := range files {
		ef := f.ExportFile
		out[i] = &ef
	}
	return out, nil
}

// changed returns ECONFLICT when file f, exported already, would be
// written now with another SHA-256 (sum) than the first time.
func changed(f *File, sum string) error {
	if f.ExportedAt == nil || f.SHA256 == "" || f.SHA256 == sum {
		return nil
	}
	return dost.Errorf(dost.ECONFLICT, "File %s would differ from the one exported at %s (a payment changed since): the bank has that one; it is not written again.",
		f.MessageID, f.ExportedAt.In(dost.Baku).Format("2006-01-02 15:04"))
}

// nopCloser is a writer whose Close does nothing.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// exportFiles checks the caller and the cycle and returns the cycle's
// files, recording them at its first export, with their banks complete.
func (s *Service) exportFiles(ctx context.Context, id int64) (*dost.Cycle, []*File, error) {
	if _, err := mayPay(ctx); err != nil {
		return nil, nil, err
	}
	if s.debtor.IBAN == "" {
		return nil, nil, dost.Errorf(dost.EINTERNAL, "The paying agency's account is not configured.")
	}
	c, err := s.store.FindCycleByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	switch c.Status {
	case dost.CycleApproved, dost.CycleExported, dost.CycleReconciled:
	default:
		return nil, nil, dost.Errorf(dost.ECONFLICT, "Payroll cycle %d is %s: only an approved cycle is exported.", id, c.Status)
	}
	files, err := s.store.ExportFiles(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if len(files) == 0 {
		if files, err = s.recordFiles(ctx, c); err != nil {
			return nil, nil, err
		}
	}
	banks, err := s.store.FindBanks(ctx)
	if err != nil {
		return nil, nil, err
	}
	byCode := map[string]*dost.Bank{}
	for _, b := range banks {
		byCode[b.Code] = b
	}
	for _, f := range files {
		b := byCode[f.Bank.Code]
		if b == nil {
			return nil, nil, fmt.Errorf("export cycle %d: bank %q of its payments is not in the banks table", id, f.Bank.Code)
		}
		f.Bank = *b
	}
	return c, files, nil
}

// recordFiles plans a cycle's files from its payments, after checking its
// control sums, and records them (Store.RecordExport).
func (s *Service) recordFiles(ctx context.Context, c *dost.Cycle) ([]*File, error) {
	groups, err := s.store.ExportGroups(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	at := c.UpdatedAt
	if c.ApprovedAt != nil {
		at = *c.ApprovedAt
	}
	var files []*File
	var count int
	var total dost.Money
	for _, g := range groups {
		count += g.Count
		total += g.Total
		if len(files) == 0 || files[len(files)-1].Bank.Code != g.Bank {
			msg := MessageID(c.ID, g.Bank)
			files = append(files, &File{CycleID: c.ID,
				ExportFile: dost.ExportFile{Bank: dost.Bank{Code: g.Bank}, MessageID: msg, CreatedAt: at}})
		}
		f := files[len(files)-1]
		f.Count += g.Count
		f.Total += g.Total
		f.Blocks = append(f.Blocks, &Block{Seq: len(f.Blocks) + 1, ID: BlockID(f.MessageID, len(f.Blocks)+1),
			Programme: g.Programme, Count: g.Count, Total: g.Total})
	}
	if c.Status == dost.CycleApproved && (count != c.Count || total != c.Total) {
		return nil, dost.Errorf(dost.ECONFLICT, "Payroll cycle %d: its control sums (%d payments, %s) are not its payments' (%d, %s).",
			c.ID, c.Count, c.Total, count, total)
	}
	if len(files) == 0 {
		return nil, nil
	}
	var exportedAt = c.ExportedAt // a cycle exported before files were recorded
	if c.Status == dost.CycleApproved {
		exportedAt = nil
	}
	return s.store.RecordExport(ctx, c.ID, files, exportedAt)
}

// hashWriter passes writes on and hashes them.
type hashWriter struct {
	w io.Writer
	h hash.Hash
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	hw.h.Write(p)
	return hw.w.Write(p)
}

// writeFile writes one bank's file and returns its SHA-256 (hex).
func (s *Service) writeFile(ctx context.Context, c *dost.Cycle, f *File, open func() (io.WriteCloser, error)) (sum string, err error) {
	if f.ExportedAt == nil {
		// Written for the first time: with the names of now, as of the
		// last name change, which the file records when marked.
		if f.NamesSeq, err = s.store.NameChangesSeq(ctx); err != nil {
			return "", err
		}
	}
	out, err := open()
	if err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, out.Close()) }()
	hw := &hashWriter{w: out, h: sha256.New()}
	w, err := iso20022.NewWriter(hw, iso20022.Header{MessageID: f.MessageID, CreatedAt: f.CreatedAt, Debtor: s.debtor,
		NumberOfTransactions: int64(f.Count), ControlSum: f.Total})
	if err != nil {
		return "", err
	}
	date := dost.DateOf(f.CreatedAt.In(dost.Baku))
	for _, b := range f.Blocks {
		purpose := "SSBE"
		if strings.Contains(b.Programme, "pension") {
			purpose = "PENS"
		}
		if err := w.Begin(iso20022.Batch{ID: b.ID, ExecutionDate: date, CategoryPurpose: purpose,
			NumberOfTransactions: int64(b.Count), ControlSum: b.Total}); err != nil {
			return "", err
		}
		name := b.Programme
		if p := s.programmes[b.Programme]; p != nil {
			name = p.Name.In("az")
		} else if code, ok := strings.CutPrefix(b.Programme, dost.ManualProgrammePrefix); ok {
			name = "DOST xidməti " + code // a manual award: the service's code
		}
		// The remittance text of each month, made once per month.
		var last dost.Month
		var rmt string
		err := s.store.FilePayments(ctx, f, b, func(p *dost.Payment, payee string) error {
			if p.Period != last || rmt == "" {
				last, rmt = p.Period, name+" "+p.Period.String()
			}
			return w.WritePayment(iso20022.Payment{EndToEndID: p.Reference, Amount: p.Amount, CreditorName: payee,
				CreditorIBAN: p.IBAN, CreditorBIC: f.Bank.BIC, Remittance: rmt})
		})
		if err != nil {
			return "", err
		}
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(hw.h.Sum(nil)), nil
}
