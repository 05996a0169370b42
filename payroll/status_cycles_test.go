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

// camtEntry is one booked debit of a notification: the payment's
// reference and amount, and its file's message ID when given.
type camtEntry struct {
	msgID, ref string
	amount     dost.Money
}

// camt054Day returns a camt.054.001.08 notification of account holding
// entries, as a bank sends for the account's day: of any files.
func camt054Day(msgID, account string, entries []camtEntry) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>%s</MsgId><CreDtTm>2026-12-28T12:00:00+04:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>%s-1</Id>
      <Acct><Id><IBAN>%s</IBAN></Id></Acct>
`, msgID, msgID, account)
	for _, e := range entries {
		fmt.Fprintf(&b, `      <Ntry>
        <Amt Ccy="AZN">%s</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-12-28</Dt></BookgDt>
        <NtryDtls><TxDtls>
          <Refs>`, e.amount)
		if e.msgID != "" {
			fmt.Fprintf(&b, "<MsgId>%s</MsgId>", e.msgID)
		}
		fmt.Fprintf(&b, `<EndToEndId>%s</EndToEndId></Refs>
          <Amt Ccy="AZN">%s</Amt><CdtDbtInd>DBIT</CdtDbtInd>
        </TxDtls></NtryDtls>
      </Ntry>
`, e.ref, e.amount)
	}
	b.WriteString("    </Ntfctn>\n  </BkToCstmrDbtCdtNtfctn>\n</Document>\n")
	return b.Bytes()
}

// TestImportStatus_TwoCycles: a bank's notification of the agency
// account's day names payments of November's and December's cycles, by
// their file or by their reference alone. Read into each cycle, it pays
// that cycle's and counts the other's in OtherCycles with a note naming
// it; a file or reference of no cycle still refuses the whole report.
func TestImportStatus_TwoCycles(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 300, 100)
		var cycles [2]*dost.Cycle
		for i, m := range []dost.Month{november, december} {
			c, err := e.svc.PrepareCycle(as(1), "", m)
			ok(t, err)
			c, err = e.svc.ApproveCycle(as(2), c.ID, c.Run)
			ok(t, err)
			exportTo(t, e, c.ID, t.TempDir())
			cycles[i] = c
		}
		nov, dec := cycles[0], cycles[1]
		novByBank, banks := sentByBank(t, e, nov.ID)
		decByBank, _ := sentByBank(t, e, dec.ID)
		bank := banks[0]
		pn, pd := novByBank[bank], decByBank[bank]
		if len(pn) < 2 || len(pd) < 2 {
			t.Fatalf("bank %s: %d November and %d December payments, want 2 of each", bank, len(pn), len(pd))
		}
		debtor := iban("AIIB", 1)
		day := []camtEntry{
			{msgID: payroll.MessageID(nov.ID, bank), ref: pn[0].Reference, amount: pn[0].Amount},
			{ref: pn[1].Reference, amount: pn[1].Amount},
			{msgID: payroll.MessageID(dec.ID, bank), ref: pd[0].Reference, amount: pd[0].Amount},
			{ref: pd[1].Reference, amount: pd[1].Amount},
		}

		t.Run("Strangers", func(t *testing.T) {
			before := snapshot(t, e, nov.ID)
			bad := append(append([]camtEntry{}, day...),
				camtEntry{msgID: "DOST-999999-" + bank, ref: pn[0].Reference, amount: pn[0].Amount},
				camtEntry{ref: "DOST-999999-202611", amount: 100})
			_, err := e.svc.ImportStatus(as(3), nov.ID, dost.ImportCamt054, bytes.NewReader(camt054Day("DAY-BAD", debtor, bad)))
			wantProblems(t, err, "message.other", "reference.unknown")
			if after := snapshot(t, e, nov.ID); after != before {
				t.Errorf("a refused report changed the cycle:\n%s\n%s", before, after)
			}
		})

		file := camt054Day("DAY-1", debtor, day)
		statuses := func(ps []*dost.Payment) string {
			var b strings.Builder
			for _, p := range ps {
				got, err := e.store.FindPaymentByID(ctx, p.ID)
				ok(t, err)
				fmt.Fprintf(&b, "%s %s %v|", got.Reference, got.Status, got.UpdatedAt)
			}
			return b.String()
		}
		for _, tc := range []struct {
			into, other  *dost.Cycle
			paid, others []*dost.Payment
		}{{nov, dec, pn[:2], pd[:2]}, {dec, nov, pd[:2], pn[:2]}} {
			t.Run(fmt.Sprintf("Into%s", tc.into.Period), func(t *testing.T) {
				others := statuses(tc.others)
				imp, err := e.svc.ImportStatus(as(3), tc.into.ID, dost.ImportCamt054, bytes.NewReader(file))
				ok(t, err)
				if imp.Entries != 4 || imp.Paid != 2 || imp.OtherCycles != 2 || imp.Repeated != 0 || imp.Failed+imp.Returned+imp.Pending != 0 {
					t.Fatalf("import %+v: want 4 entries, 2 paid, 2 of other cycles", imp)
				}
				var notes int
				for _, p := range imp.Problems {
					if p.Code == "entry.other_cycle" && strings.Contains(p.Message, fmt.Sprintf("payroll cycle %d", tc.other.ID)) {
						notes++
					}
				}
				if notes != 2 {
					t.Errorf("problems %+v: want 2 notes naming cycle %d", imp.Problems, tc.other.ID)
				}
				for _, p := range tc.paid {
					got, err := e.store.FindPaymentByID(ctx, p.ID)
					ok(t, err)
					if got.Status != dost.PaymentPaid {
						t.Errorf("payment %s is %s, want paid", p.Reference, got.Status)
					}
				}
				// The other cycle's payments are untouched by this import.
				if after := statuses(tc.others); after != others {
					t.Errorf("the other cycle's payments changed:\n%s\n%s", others, after)
				}
				stored, err := e.svc.FindStatusImports(as(3), tc.into.ID)
				ok(t, err)
				if len(stored) != 1 || stored[0].OtherCycles != 2 {
					t.Errorf("stored imports %+v, want one with 2 entries of other cycles", stored)
				}
			})
		}
	})
}
