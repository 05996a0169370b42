package payroll_test

import (
	"bytes"
	"io"
	"slices"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/sqlstore"
)

// approved prepares November as 1 and approves it as 2.
func approved(t *testing.T, e *env) *dost.Cycle {
	t.Helper()
	c, err := e.svc.PrepareCycle(as(1), "", november)
	ok(t, err)
	c, err = e.svc.ApproveCycle(as(2), c.ID, c.Run)
	ok(t, err)
	return c
}

// bankFile exports one bank's file of cycle id as 3.
func bankFile(t *testing.T, e *env, id int64, bank string) []byte {
	t.Helper()
	var b bytes.Buffer
	_, err := e.svc.ExportBankFile(as(3), id, bank, &b)
	ok(t, err)
	return b.Bytes()
}

// TestApprove_Run: approval names the preparation reviewed; a cycle
// prepared again since is not approved on the strength of the old one.
func TestApprove_Run(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		c, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		again, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		if again.Run != c.Run+1 || again.Status != dost.CyclePrepared {
			t.Fatalf("prepared again: %+v", again)
		}
		_, err = e.svc.ApproveCycle(as(2), c.ID, c.Run)
		wantCode(t, err, dost.ECONFLICT)
		_, err = e.svc.ApproveCycle(as(2), c.ID, 0)
		wantCode(t, err, dost.EINVALID)
		got, err := e.svc.FindCycleByID(as(2), c.ID)
		ok(t, err)
		if got.Status != dost.CyclePrepared {
			t.Fatalf("after a stale approval: %s, want prepared", got.Status)
		}
		a, err := e.svc.ApproveCycle(as(2), c.ID, again.Run)
		ok(t, err)
		if a.Status != dost.CycleApproved {
			t.Fatalf("approved: %+v", a)
		}
	})
}

// TestExportBankFile: exporting one bank's file marks that bank's
// payments sent and no other's; its history shows the step from the
// file; the same file again is the same bytes.
func TestExportBankFile(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 300, 100)
		c := approved(t, e)
		files, err := e.store.ExportFiles(ctx, c.ID)
		ok(t, err)
		if len(files) != 0 {
			t.Fatalf("%d files before the first export", len(files))
		}
		first := bankFile(t, e, c.ID, "AIIB")
		files, err = e.store.ExportFiles(ctx, c.ID)
		ok(t, err)
		if len(files) < 2 {
			t.Fatalf("%d files recorded, want every bank's", len(files))
		}
		for _, f := range files {
			pays := e.payments(t, dost.PaymentFilter{CycleID: c.ID, Bank: f.Bank.Code})
			want := dost.PaymentPending
			if f.Bank.Code == "AIIB" {
				want = dost.PaymentSent
				if f.ExportedAt == nil || f.SHA256 == "" || f.ExportedBy != 3 {
					t.Errorf("AIIB's file %+v, want exported by 3 with its digest", f)
				}
			} else if f.ExportedAt != nil {
				t.Errorf("%s's file exported at %v, want not yet", f.Bank.Code, f.ExportedAt)
			}
			for _, p := range pays {
				if p.Status != want {
					t.Fatalf("payment %d to %s is %s, want %s", p.ID, f.Bank.Code, p.Status, want)
				}
			}
		}
		got, err := e.svc.FindCycleByID(as(1), c.ID)
		ok(t, err)
		if got.Status != dost.CycleExported {
			t.Errorf("cycle %s, want exported", got.Status)
		}
		sent, _, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, Bank: "AIIB", Limit: 1})
		ok(t, err)
		events, err := e.svc.FindPaymentEvents(as(1), sent[0].ID)
		ok(t, err)
		if len(events) != 2 || events[1].Status != dost.PaymentSent || events[1].ActorID != 3 ||
			events[1].IBAN != sent[0].IBAN || events[1].MessageID != payroll.MessageID(c.ID, "AIIB") {
			t.Errorf("history %+v, want pending, then sent by 3 to its account in AIIB's file", events)
		}
		if again := bankFile(t, e, c.ID, "AIIB"); !bytes.Equal(again, first) {
			t.Error("AIIB's file differs when exported again")
		}
		var none bytes.Buffer
		_, err = e.svc.ExportBankFile(as(3), c.ID, "ZZZZ", &none)
		wantCode(t, err, dost.ENOTFOUND)
	})
}

// TestExport_AfterCorrection: a bank refuses a programme's block; its
// payments are corrected to new accounts. The blocks keep their
// programmes (a status for block 2 is block 2's), the file exported again
// is byte for byte the one sent (old accounts), the history shows where
// the money went and why it failed, and December pays them anew.
func TestExport_AfterCorrection(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 300, 100)
		c := approved(t, e)
		_, content := exportTo(t, e, c.ID, t.TempDir())
		files, err := e.store.ExportFiles(ctx, c.ID)
		ok(t, err)
		i := slices.IndexFunc(files, func(f *payroll.File) bool { return len(f.Blocks) >= 2 })
		if i < 0 {
			t.Fatal("no bank file with two programmes")
		}
		f := files[i]
		b1, b2 := f.Blocks[0], f.Blocks[1]
		_, _, before, err := e.store.PaymentsOfBlock(ctx, f.MessageID, b2.ID)
		ok(t, err)

		// The bank refuses block 1's payments: closed accounts.
		var txs []txStatus
		var refused []*dost.Payment
		for _, p := range e.payments(t, dost.PaymentFilter{CycleID: c.ID, Bank: f.Bank.Code}) {
			if p.Programme == b1.Programme {
				txs = append(txs, txStatus{ref: p.Reference, code: "RJCT", reason: "AC04", amount: p.Amount})
				refused = append(refused, p)
			}
		}
		_, err = e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002("BANK-1", f.MessageID, txs)))
		ok(t, err)
		for k, p := range refused {
			e.setIBAN(t, p.PayeeID, iban("IBAZ", 777000+k))
			_, err := e.svc.CorrectPayment(as(2), p.ID, "New account.", false)
			ok(t, err)
		}

		// The blocks: as recorded, whatever the payments became.
		got, b, ids, err := e.store.PaymentsOfBlock(ctx, f.MessageID, b2.ID)
		ok(t, err)
		if got.Bank.Code != f.Bank.Code || b.Programme != b2.Programme || !slices.Equal(ids, before) {
			t.Errorf("block %s: %s %s with %d payments, want %s %s with %d", b2.ID, got.Bank.Code, b.Programme, len(ids),
				f.Bank.Code, b2.Programme, len(before))
		}
		_, _, ids, err = e.store.PaymentsOfBlock(ctx, f.MessageID, b1.ID)
		ok(t, err)
		if len(ids) != 0 {
			t.Errorf("block 1 still applies to %d payments, want none (all corrected)", len(ids))
		}

		// The file again: the one sent.
		if again := bankFile(t, e, c.ID, f.Bank.Code); !bytes.Equal(again, content[f.Bank.Code]) {
			t.Errorf("file %s differs when exported after the corrections", f.MessageID)
		}

		// The history of a corrected payment.
		p := refused[0]
		events, err := e.svc.FindPaymentEvents(as(2), p.ID)
		ok(t, err)
		var steps []string
		for _, ev := range events {
			steps = append(steps, string(ev.Status))
		}
		if !slices.Equal(steps, []string{"pending", "sent", "failed", "corrected"}) || events[1].IBAN != p.IBAN ||
			events[1].MessageID != f.MessageID || events[2].ReasonCode != "AC04" || events[3].IBAN != iban("IBAZ", 777000) {
			t.Fatalf("history %v %+v: want pending, sent to %s in %s, failed AC04, corrected to the new account", steps, events, p.IBAN, f.MessageID)
		}

		// December pays it to the new account; the history has both.
		d, err := e.svc.PrepareCycle(as(1), "", december)
		ok(t, err)
		d, err = e.svc.ApproveCycle(as(2), d.ID, d.Run)
		ok(t, err)
		bankFile(t, e, d.ID, "IBAZ")
		events, err = e.svc.FindPaymentEvents(as(2), p.ID)
		ok(t, err)
		steps = steps[:0]
		for _, ev := range events {
			steps = append(steps, string(ev.Status))
		}
		if !slices.Equal(steps, []string{"pending", "sent", "failed", "corrected", "pending", "sent"}) ||
			events[1].IBAN != p.IBAN || events[5].IBAN != iban("IBAZ", 777000) || events[5].CycleID != d.ID {
			t.Fatalf("history %v %+v: want the failed and the new attempt", steps, events)
		}
		// November's file is still the one sent.
		if again := bankFile(t, e, c.ID, f.Bank.Code); !bytes.Equal(again, content[f.Bank.Code]) {
			t.Errorf("file %s differs when exported after December", f.MessageID)
		}
	})
}

// TestExport_NameChanged: a payee renamed after a file was sent (twice,
// and by an edit as by a registry import: any UPDATE of persons) keeps the
// name the file carried when it is exported again, so the bytes are the
// bank's; a bank's file written for the first time after the rename, and
// the next cycle's, carry the new name. A file that would differ all the
// same (a payment changed behind dost's back) is refused.
func TestExport_NameChanged(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		c := approved(t, e)
		sent := bankFile(t, e, c.ID, "AIIB")
		pays, _, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, Bank: "AIIB", Limit: 1})
		ok(t, err)
		others, _, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, Statuses: []dost.PaymentStatus{dost.PaymentPending}, Limit: 1})
		ok(t, err)
		if len(others) == 0 {
			t.Fatal("no payment of another bank pending")
		}
		e.exec(t, `UPDATE persons SET last_name = 'Başqa' WHERE id = $1`, pays[0].PayeeID)
		e.exec(t, `UPDATE persons SET last_name = 'Üçüncü', first_name = 'Ad' WHERE id = $1`, pays[0].PayeeID)
		e.exec(t, `UPDATE persons SET last_name = 'Yeni' WHERE id = $1`, others[0].PayeeID)
		if again := bankFile(t, e, c.ID, "AIIB"); !bytes.Equal(again, sent) {
			t.Fatalf("the file exported again after a payee's rename differs from the one sent")
		}
		if bytes.Contains(sent, []byte("Üçüncü")) {
			t.Fatalf("the file sent already has the new name")
		}
		// Written for the first time now: the other bank's file has the
		// payee's new name.
		if first := bankFile(t, e, c.ID, others[0].Bank); !bytes.Contains(first, []byte("<Nm>Yeni ")) {
			t.Errorf("bank %s's first file lacks the new name: %.2000s", others[0].Bank, first)
		}
		// December's file carries the new name of the first payee too.
		d, err := e.svc.PrepareCycle(as(1), "", december)
		ok(t, err)
		_, err = e.svc.ApproveCycle(as(2), d.ID, d.Run)
		ok(t, err)
		if dec := bankFile(t, e, d.ID, "AIIB"); !bytes.Contains(dec, []byte("<Nm>Üçüncü Ad")) {
			t.Errorf("December's file lacks the payee's new name")
		}
		// Any other change of what was sent is refused, not written.
		e.exec(t, `UPDATE payments SET iban = $1 WHERE id = $2`, iban("AIIB", 999001), pays[0].ID)
		_, err = e.svc.ExportBankFile(as(3), c.ID, "AIIB", io.Discard)
		wantCode(t, err, dost.ECONFLICT)
	})
}

// TestPrepare_BeyondBackPay: the months an award is owed before its
// programme's back-pay window are counted on the cycle, once.
func TestPrepare_BeyondBackPay(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		var w *dost.Award
		for _, a := range e.awards(t) {
			if a.Programme != "old_age_pension" && a.Start == november.First() {
				w = a
				break
			}
		}
		// Back pay is 36 months: from 2023-11; 2020-01 to 2023-10 is 46
		// months before it.
		e.exec(t, `UPDATE awards SET starts_on = $1, period = '2020-01' WHERE id = $2`, dost.MustDate("2020-01-01"), w.ID)
		// Paid, not held: a held payment moves on to the next cycle, a
		// case of its own.
		e.exec(t, `UPDATE persons SET iban = $1 WHERE id = $2`, iban("IBAZ", 424242), w.PayeeID)
		c, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		if c.BeyondBackPay != 46 || c.BeyondBackPayAwards != 1 {
			t.Fatalf("November: %d months of %d awards beyond back pay, want 46 of 1", c.BeyondBackPay, c.BeyondBackPayAwards)
		}
		c, err = e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		if c.BeyondBackPay != 46 || c.BeyondBackPayAwards != 1 {
			t.Fatalf("November again: %d months of %d awards, want 46 of 1", c.BeyondBackPay, c.BeyondBackPayAwards)
		}
		_, err = e.svc.ApproveCycle(as(2), c.ID, c.Run)
		ok(t, err)
		d, err := e.svc.PrepareCycle(as(1), "", december)
		ok(t, err)
		if d.BeyondBackPay != 0 || d.BeyondBackPayAwards != 0 {
			t.Fatalf("December: %d months of %d awards, want none (counted in November)", d.BeyondBackPay, d.BeyondBackPayAwards)
		}
	})
}

// TestExportBankFile_Changed: a payment changed behind the recorded
// files' back stops the file's export; nothing is marked sent.
func TestExportBankFile_Changed(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		c := approved(t, e)
		bankFile(t, e, c.ID, "AIIB")
		files, err := e.store.ExportFiles(ctx, c.ID)
		ok(t, err)
		var other string
		for _, f := range files {
			if f.Bank.Code != "AIIB" {
				other = f.Bank.Code
				break
			}
		}
		pays, _, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, Bank: other, Limit: 1})
		ok(t, err)
		e.exec(t, `UPDATE payments SET status = 'held' WHERE id = $1`, pays[0].ID)
		_, err = e.svc.ExportBankFile(as(3), c.ID, other, io.Discard)
		if err == nil {
			t.Fatal("exported a file whose payments changed")
		}
		sent, n, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, Bank: other,
			Statuses: []dost.PaymentStatus{dost.PaymentSent}, Limit: 1})
		ok(t, err)
		if n != 0 {
			t.Errorf("%d payments of %s sent (%+v), want none", n, other, sent)
		}
	})
}

// TestPrepare_BeyondBackPayOnce: with every award back-dated beyond the
// window — among them awards the rules give nothing for in the window's
// first months (a disability assessed later) — the months are counted by
// November, the same when November is prepared again, and not again by
// December.
func TestPrepare_BeyondBackPayOnce(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		n := 0
		for _, a := range e.awards(t) {
			if a.Programme != "old_age_pension" && a.Start == november.First() && a.Kind == dost.AwardMonthly {
				e.exec(t, `UPDATE awards SET starts_on = $1, period = '2020-01' WHERE id = $2`, dost.MustDate("2020-01-01"), a.ID)
				n++
			}
		}
		if n < 2 {
			t.Fatalf("%d monthly awards from November, want several", n)
		}
		c, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		if c.BeyondBackPay == 0 || c.BeyondBackPayAwards == 0 {
			t.Fatalf("November: %d months of %d awards beyond back pay, want some", c.BeyondBackPay, c.BeyondBackPayAwards)
		}
		again, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		if again.BeyondBackPay != c.BeyondBackPay || again.BeyondBackPayAwards != c.BeyondBackPayAwards {
			t.Fatalf("November again: %d months of %d awards, want %d of %d", again.BeyondBackPay, again.BeyondBackPayAwards,
				c.BeyondBackPay, c.BeyondBackPayAwards)
		}
		_, err = e.svc.ApproveCycle(as(2), again.ID, again.Run)
		ok(t, err)
		d, err := e.svc.PrepareCycle(as(1), "", december)
		ok(t, err)
		if d.BeyondBackPay != 0 || d.BeyondBackPayAwards != 0 {
			t.Fatalf("December: %d months of %d awards, want none (counted in November)", d.BeyondBackPay, d.BeyondBackPayAwards)
		}
	})
}
