package payroll_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// failingClose is a file whose Close (flush, sync) fails.
type failingClose struct{ bytes.Buffer }

func (*failingClose) Close() error { return errors.New("disk full") }

// TestExport_CloseFails: a bank file whose writer fails to close (the
// CLI's: flushed and synced on Close) is not recorded: its payments stay
// pending and the cycle approved; closed fine, they are sent.
func TestExport_CloseFails(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		c := approved(t, e)
		_, err := e.svc.ExportBankFileTo(as(3), c.ID, "AIIB", func(*dost.Bank) (io.WriteCloser, error) { return &failingClose{}, nil })
		if err == nil {
			t.Fatal("export with a failing Close: no error")
		}
		sent := e.payments(t, dost.PaymentFilter{CycleID: c.ID, Bank: "AIIB", Statuses: []dost.PaymentStatus{dost.PaymentSent}})
		got, err := e.store.FindCycleByID(ctx, c.ID)
		ok(t, err)
		if len(sent) != 0 || got.Status != dost.CycleApproved {
			t.Fatalf("after a failed Close: %d payments sent, cycle %s; want none, approved", len(sent), got.Status)
		}
		var w bytes.Buffer
		_, err = e.svc.ExportBankFileTo(as(3), c.ID, "AIIB", func(*dost.Bank) (io.WriteCloser, error) { return nopWriteCloser{&w}, nil })
		ok(t, err)
		if sent := e.payments(t, dost.PaymentFilter{CycleID: c.ID, Bank: "AIIB", Statuses: []dost.PaymentStatus{dost.PaymentSent}}); len(sent) == 0 {
			t.Fatal("closed fine: no payment sent")
		}
	})
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// TestExport_ChangedBeforeNew: a full export that would write a bank's
// file for the first time checks the files exported already first: one
// that changed since (a payment's account changed behind dost's back) is
// ECONFLICT before any writer is opened, and the new bank's payments stay
// pending.
func TestExport_ChangedBeforeNew(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		c := approved(t, e)
		bankFile(t, e, c.ID, "AIIB")
		pays, _, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, Bank: "AIIB", Limit: 1})
		ok(t, err)
		e.exec(t, `UPDATE payments SET iban = $1 WHERE id = $2`, iban("AIIB", 999001), pays[0].ID)
		var opened []string
		_, err = e.svc.ExportCycle(as(3), c.ID, func(b *dost.Bank) (io.WriteCloser, error) {
			opened = append(opened, b.Code)
			return nopWriteCloser{io.Discard}, nil
		})
		wantCode(t, err, dost.ECONFLICT)
		if len(opened) != 0 {
			t.Errorf("writers opened for %v before the changed file was found", opened)
		}
		sent := e.payments(t, dost.PaymentFilter{CycleID: c.ID, Statuses: []dost.PaymentStatus{dost.PaymentSent}})
		for _, p := range sent {
			if p.Bank != "AIIB" {
				t.Fatalf("payment %d of bank %s sent", p.ID, p.Bank)
			}
		}
	})
}
