package payroll

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/iso20022"
)

// MessageID returns the message ID of a cycle's pain.001 file for a bank:
// "DOST-<cycle>-<bank>", the same however often the cycle is exported.
func MessageID(cycleID int64, bank string) string { return fmt.Sprintf("DOST-%d-%s", cycleID, bank) }

// ExportCycle implements dost.PayrollService: one pain.001.001.09 file per
// bank (iso20022.Writer), its payments streamed from the store, one
// payment information block per programme (category purpose PENS for
// pensions, SSBE otherwise), the remittance text naming the programme and
// the month. The files' creation time and requested execution date are
// the cycle's approval, so that exporting again writes the same files.
// The cycle's control sums are checked against its payments first
// (ECONFLICT if they differ). When every file is written, the first export
// marks the payments sent and the cycle exported (Store.MarkExported); an
// error before leaves everything as it was (files written so far are the
// caller's to discard). ECONFLICT for a cycle not approved or exported;
// EINTERNAL without Config.Debtor.
func (s *Service) ExportCycle(ctx context.Context, id int64, open func(*dost.Bank) (io.WriteCloser, error)) ([]*dost.ExportFile, error) {
	actorID, err := mayPay(ctx)
	if err != nil {
		return nil, err
	}
	if s.debtor.IBAN == "" {
		return nil, dost.Errorf(dost.EINTERNAL, "The paying agency's account is not configured.")
	}
	c, err := s.store.FindCycleByID(ctx, id)
	if err != nil {
		return nil, err
	}
	switch c.Status {
	case dost.CycleApproved, dost.CycleExported, dost.CycleReconciled:
	default:
		return nil, dost.Errorf(dost.ECONFLICT, "Payroll cycle %d is %s: only an approved cycle is exported.", id, c.Status)
	}
	groups, err := s.store.ExportGroups(ctx, id)
	if err != nil {
		return nil, err
	}
	var files []*dost.ExportFile
	var count int
	var total dost.Money
	for _, g := range groups {
		count += g.Count
		total += g.Total
		if len(files) == 0 || files[len(files)-1].Bank.Code != g.Bank {
			files = append(files, &dost.ExportFile{Bank: dost.Bank{Code: g.Bank}, MessageID: MessageID(id, g.Bank)})
		}
		f := files[len(files)-1]
		f.Count += g.Count
		f.Total += g.Total
	}
	if c.Status == dost.CycleApproved && (count != c.Count || total != c.Total) {
		return nil, dost.Errorf(dost.ECONFLICT, "Payroll cycle %d: its control sums (%d payments, %s) are not its payments' (%d, %s).",
			id, c.Count, c.Total, count, total)
	}
	banks, err := s.store.FindBanks(ctx)
	if err != nil {
		return nil, err
	}
	byCode := map[string]*dost.Bank{}
	for _, b := range banks {
		byCode[b.Code] = b
	}
	for _, f := range files {
		b := byCode[f.Bank.Code]
		if b == nil {
			return nil, fmt.Errorf("export cycle %d: bank %q of its payments is not in the banks table", id, f.Bank.Code)
		}
		f.Bank = *b
		var batches []ExportGroup
		for _, g := range groups {
			if g.Bank == b.Code {
				batches = append(batches, g)
			}
		}
		if err := s.exportFile(ctx, c, f, batches, open); err != nil {
			return nil, fmt.Errorf("export cycle %d, bank %s: %w", id, b.Code, err)
		}
	}
	if _, err := s.store.MarkExported(ctx, id, actorID); err != nil {
		return nil, err
	}
	return files, nil
}

// exportFile writes one bank's file.
func (s *Service) exportFile(ctx context.Context, c *dost.Cycle, f *dost.ExportFile, batches []ExportGroup,
	open func(*dost.Bank) (io.WriteCloser, error)) (err error) {
	at := c.UpdatedAt
	if c.ApprovedAt != nil {
		at = *c.ApprovedAt
	}
	out, err := open(&f.Bank)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, out.Close()) }()
	w, err := iso20022.NewWriter(out, iso20022.Header{MessageID: f.MessageID, CreatedAt: at, Debtor: s.debtor,
		NumberOfTransactions: int64(f.Count), ControlSum: f.Total})
	if err != nil {
		return err
	}
	for i, g := range batches {
		purpose := "SSBE"
		if strings.Contains(g.Programme, "pension") {
			purpose = "PENS"
		}
		if err := w.Begin(iso20022.Batch{ID: fmt.Sprintf("%s-%d", f.MessageID, i+1), ExecutionDate: dost.DateOf(at.In(dost.Baku)),
			CategoryPurpose: purpose, NumberOfTransactions: int64(g.Count), ControlSum: g.Total}); err != nil {
			return err
		}
		name := g.Programme
		if p := s.programmes[g.Programme]; p != nil {
			name = p.Name.In("az")
		}
		err := s.store.ExportPayments(ctx, c.ID, f.Bank.Code, g.Programme, func(p *dost.Payment, payee string) error {
			return w.WritePayment(iso20022.Payment{EndToEndID: p.Reference, Amount: p.Amount, CreditorName: payee,
				CreditorIBAN: p.IBAN, CreditorBIC: f.Bank.BIC, Remittance: fmt.Sprintf("%s %s", name, p.Period)})
		})
		if err != nil {
			return err
		}
	}
	return w.Close()
}
