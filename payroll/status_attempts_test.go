package payroll_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/sqlstore"
)

// TestImportStatus_EarlierAttempt: a payment rejected, then corrected, is
// listed again by a later report about its first attempt, before and
// after December re-attaches it as attempt 2. A repeat of the rejection
// changes nothing and is a note; "settled" (the money did arrive after
// all) is an alert naming the correction and the new attempt. Either
// way the rest of the report applies.
func TestImportStatus_EarlierAttempt(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		c := approved(t, e)
		exportTo(t, e, c.ID, t.TempDir())
		byBank, banks := sentByBank(t, e, c.ID)
		bank := banks[0]
		pays := byBank[bank]
		if len(pays) < 6 {
			t.Fatalf("bank %s has %d payments, want 6", bank, len(pays))
		}
		files, err := e.store.ExportFiles(ctx, c.ID)
		ok(t, err)
		var msgID string
		for _, f := range files {
			if f.Bank.Code == bank {
				msgID = f.MessageID
			}
		}
		first := pays[0]
		_, err = e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002("BANK-1", msgID,
			[]txStatus{{ref: first.Reference, code: "RJCT", reason: "AC04", amount: first.Amount}})))
		ok(t, err)
		e.setIBAN(t, first.PayeeID, iban("IBAZ", 778000))
		_, err = e.svc.CorrectPayment(as(2), first.ID, "New account.", false)
		ok(t, err)

		// report imports a report listing the first attempt with code and
		// another payment settled; the other must be paid.
		n := 2
		report := func(code string, other *dost.Payment) *dost.StatusImport {
			t.Helper()
			n++
			imp, err := e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002(fmt.Sprintf("BANK-%d", n), msgID,
				[]txStatus{{ref: first.Reference, code: code, reason: "AC04", amount: first.Amount},
					{ref: other.Reference, code: "ACSC", amount: other.Amount}})))
			if err != nil {
				t.Fatalf("report %s of the first attempt: %v", code, err)
			}
			if imp.Entries != 2 || imp.Paid != 1 || imp.Repeated != 1 || len(imp.Problems) == 0 {
				t.Fatalf("report %s: %+v, want 2 entries, 1 paid, 1 repeated with a note", code, imp)
			}
			got, err := e.store.FindPaymentByID(ctx, other.ID)
			ok(t, err)
			if got.Status != dost.PaymentPaid {
				t.Errorf("report %s: the other payment is %s, want paid", code, got.Status)
			}
			return imp
		}
		wantNote := func(imp *dost.StatusImport, code string, parts ...string) {
			t.Helper()
			p := imp.Problems[0]
			if p.Code != code || p.Reference != first.Reference {
				t.Fatalf("first problem %+v, want %s for %s", p, code, first.Reference)
			}
			for _, s := range parts {
				if !strings.Contains(p.Message, s) {
					t.Errorf("%s: %q does not say %q", code, p.Message, s)
				}
			}
		}
		wantCorrected := func() {
			t.Helper()
			got, err := e.store.FindPaymentByID(ctx, first.ID)
			ok(t, err)
			if got.Status == dost.PaymentPaid || got.Status == dost.PaymentFailed {
				t.Errorf("the corrected payment became %s", got.Status)
			}
		}

		// Before re-attachment.
		wantNote(report("RJCT", pays[1]), "attempt.earlier", "failed (AC04)", "corrected")
		wantCorrected()
		wantNote(report("ACSC", pays[2]), "attempt.settled", "money did arrive", "corrected", "not paid twice",
			fmt.Sprintf("payroll cycle %d", c.ID), "hold it")
		wantCorrected()

		// December re-attaches it: attempt 2.
		d, err := e.svc.PrepareCycle(as(1), "", december)
		ok(t, err)
		now, err := e.store.FindPaymentByID(ctx, first.ID)
		ok(t, err)
		if now.CycleID != d.ID || now.Reference == first.Reference {
			t.Fatalf("after December: %+v, want it re-attached with a new reference", now)
		}
		wantNote(report("RJCT", pays[3]), "attempt.earlier", "failed (AC04)")
		wantNote(report("ACSC", pays[4]), "attempt.settled", "money did arrive", now.Reference,
			fmt.Sprintf("payroll cycle %d", d.ID), "attempt 2", "hold it before that cycle's file is exported")
		wantCorrected()

		// Its amount is still checked.
		_, err = e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002("BANK-X", msgID,
			[]txStatus{{ref: first.Reference, code: "ACSC", amount: first.Amount + 1}})))
		wantProblems(t, err, "amount.mismatch")
		var _ = payroll.MaxProblems
	})
}

// TestImportStatus_AccountForms: a camt.054 naming the agency's account
// grouped by four, in small letters, in Acct/Id/Othr/Id, is the agency's;
// another account is still refused.
func TestImportStatus_AccountForms(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		c := approved(t, e)
		exportTo(t, e, c.ID, t.TempDir())
		byBank, banks := sentByBank(t, e, c.ID)
		p := byBank[banks[0]][0]
		msgID := payroll.MessageID(c.ID, banks[0])
		debtor := iban("AIIB", 1)
		var spaced strings.Builder
		for i, r := range strings.ToLower(debtor) {
			if i > 0 && i%4 == 0 {
				spaced.WriteByte(' ')
			}
			spaced.WriteRune(r)
		}
		othr := func(account string) []byte {
			return bytes.Replace(camt054Return(debtor, msgID, p, "AC04"), []byte("<Id><IBAN>"+debtor+"</IBAN></Id>"),
				[]byte("<Id><Othr><Id>"+account+"</Id></Othr></Id>"), 1)
		}
		_, err := e.svc.ImportStatus(as(3), c.ID, dost.ImportCamt054, bytes.NewReader(othr("AZ00 OTHER")))
		wantProblems(t, err, "account.other")
		imp, err := e.svc.ImportStatus(as(3), c.ID, dost.ImportCamt054, bytes.NewReader(othr(spaced.String())))
		ok(t, err)
		if imp.Returned != 1 {
			t.Fatalf("import %+v, want the payment returned", imp)
		}
	})
}
