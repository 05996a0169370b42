package payroll_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/sqlstore"
)

// camtTx is one transaction of a generated camt.054: a booked debit of
// the agency's account. noAmount leaves out its Amt; ref "" its
// EndToEndId.
type camtTx struct {
	ref      string
	amount   dost.Money
	noAmount bool
}

// camt054Booked returns a camt.054.001.08 notification of account with an
// entry per transaction, each of file origMsgID.
func camt054Booked(msgID, account, origMsgID string, txs []camtTx) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>%s</MsgId><CreDtTm>2026-11-27T12:00:00+04:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>%s-1</Id>
      <Acct><Id><IBAN>%s</IBAN></Id></Acct>
`, msgID, msgID, account)
	for _, tx := range txs {
		fmt.Fprintf(&b, `      <Ntry>
        <Amt Ccy="AZN">%s</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-27</Dt></BookgDt>
        <NtryDtls><TxDtls>
          <Refs><MsgId>%s</MsgId>`, tx.amount, origMsgID)
		if tx.ref != "" {
			fmt.Fprintf(&b, "<EndToEndId>%s</EndToEndId>", tx.ref)
		}
		b.WriteString("</Refs>\n")
		if !tx.noAmount {
			fmt.Fprintf(&b, "          <Amt Ccy=\"AZN\">%s</Amt>\n", tx.amount)
		}
		b.WriteString("          <CdtDbtInd>DBIT</CdtDbtInd>\n        </TxDtls></NtryDtls>\n      </Ntry>\n")
	}
	b.WriteString("    </Ntfctn>\n  </BkToCstmrDbtCdtNtfctn>\n</Document>\n")
	return b.Bytes()
}

// pain002Blocks returns a pain.002.001.10 report about file origMsgID
// with a status of its own for each payment information block named, and
// no transactions.
func pain002Blocks(msgID, origMsgID string, blocks map[string]string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>%s</MsgId><CreDtTm>2026-11-26T09:00:00+04:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts><OrgnlMsgId>%s</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>
`, msgID, origMsgID)
	ids := make([]string, 0, len(blocks))
	for id := range blocks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		fmt.Fprintf(&b, "    <OrgnlPmtInfAndSts><OrgnlPmtInfId>%s</OrgnlPmtInfId><PmtInfSts>%s</PmtInfSts></OrgnlPmtInfAndSts>\n", id, blocks[id])
	}
	b.WriteString("  </CstmrPmtStsRpt>\n</Document>\n")
	return b.Bytes()
}

// wantCounts fails unless the import counts entries, paid, pending and
// repeated so, and its notes have the codes.
func wantCounts(t *testing.T, imp *dost.StatusImport, entries, paid, pending, repeated int, notes ...string) {
	t.Helper()
	var got []string
	for _, p := range imp.Problems {
		got = append(got, p.Code)
	}
	if imp.Entries != entries || imp.Paid != paid || imp.Pending != pending || imp.Repeated != repeated || imp.Failed != 0 ||
		imp.Returned != 0 || !slices.Equal(got, notes) {
		t.Fatalf("import: entries %d, paid %d, pending %d, repeated %d, failed %d, returned %d, notes %v; want %d, %d, %d, %d, 0, 0, %v",
			imp.Entries, imp.Paid, imp.Pending, imp.Repeated, imp.Failed, imp.Returned, got, entries, paid, pending, repeated, notes)
	}
	if imp.Entries != imp.Paid+imp.Failed+imp.Returned+imp.Pending+imp.Repeated {
		t.Fatalf("import %+v: entries are not the sum of the counts", imp)
	}
}

// TestImportStatusReview covers what a review of the reconciliation
// found: camt.054 transactions without an amount or a reference, a report
// about a bank file never exported, repeated entries counted twice, and
// a payment information block's own status.
func TestImportStatusReview(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 300, 100)
		// One payee without an account: the payment is held, and
		// corrected after the export to a bank the cycle has no file for.
		awards := e.awards(t)
		heldPayee := awards[0].PayeeID
		e.setIBAN(t, heldPayee, "")
		c, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		_, err = e.svc.ApproveCycle(as(2), c.ID, c.Run)
		ok(t, err)
		exportTo(t, e, c.ID, t.TempDir())
		byBank, banks := sentByBank(t, e, c.ID)
		if len(banks) < 2 || len(byBank[banks[0]]) < 6 {
			t.Fatalf("banks %v: want at least two, the first with 6 payments", banks)
		}
		bank := banks[0]
		msgID := payroll.MessageID(c.ID, bank)
		pays := byBank[bank]
		debtor := iban("AIIB", 1)
		before := snapshot(t, e, c.ID)

		t.Run("ErrCamtWithoutAmountOrReference", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				txs  []camtTx
				code string
			}{
				{"Amount", []camtTx{{ref: pays[0].Reference, amount: pays[0].Amount},
					{ref: pays[1].Reference, amount: pays[1].Amount, noAmount: true}}, "amount.missing"},
				{"Reference", []camtTx{{ref: pays[0].Reference, amount: pays[0].Amount}, {amount: pays[1].Amount}}, "reference.missing"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := e.svc.ImportStatus(as(3), c.ID, dost.ImportCamt054, bytes.NewReader(camt054Booked("N-"+tc.name, debtor, msgID, tc.txs)))
					wantProblems(t, err, tc.code)
					if snapshot(t, e, c.ID) != before {
						t.Fatalf("a rejected notification changed something")
					}
				})
			}
		})

		t.Run("ErrFileNeverExported", func(t *testing.T) {
			held, _, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, PayeeID: heldPayee,
				Statuses: []dost.PaymentStatus{dost.PaymentHeld}})
			ok(t, err)
			if len(held) == 0 {
				t.Fatalf("no held payment of payee %d", heldPayee)
			}
			all, err := e.svc.FindBanks(as(1))
			ok(t, err)
			other := ""
			for _, b := range all {
				if byBank[b.Code] == nil {
					other = b.Code
					break
				}
			}
			if other == "" {
				t.Fatalf("every bank has a file")
			}
			e.setIBAN(t, heldPayee, iban(other, 77))
			_, err = e.svc.CorrectPayment(as(3), held[0].ID, "account given", false)
			ok(t, err)
			at := snapshot(t, e, c.ID)
			_, err = e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002("S-NONE", payroll.MessageID(c.ID, other), nil)))
			wantProblems(t, err, "message.other")
			if snapshot(t, e, c.ID) != at {
				t.Fatalf("a report about a file never exported changed something")
			}
		})

		// The same payment twice in one report: paid once, the repeat
		// counted and noted.
		imp, err := e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002("S-TWICE", msgID, []txStatus{
			{ref: pays[0].Reference, code: "ACSC", amount: pays[0].Amount},
			{ref: pays[1].Reference, code: "ACSC", amount: pays[1].Amount},
			{ref: pays[0].Reference, code: "ACSC", amount: pays[0].Amount},
			{ref: pays[2].Reference, code: "PDNG", amount: pays[2].Amount},
			{ref: pays[2].Reference, code: "PDNG", amount: pays[2].Amount},
		})))
		ok(t, err)
		wantCounts(t, imp, 5, 2, 1, 2, "entry.repeated", "entry.repeated")
		if imp.Problems[0].Reference != pays[0].Reference {
			t.Errorf("note %+v: want the reference %s", imp.Problems[0], pays[0].Reference)
		}

		// Confirmed again by a second report: counted as repeated, not paid.
		again, err := e.svc.ImportStatus(as(3), c.ID, dost.ImportCamt054, bytes.NewReader(camt054Booked("N-AGAIN", debtor, msgID, []camtTx{
			{ref: pays[0].Reference, amount: pays[0].Amount},
			{ref: pays[1].Reference, amount: pays[1].Amount},
			{ref: pays[3].Reference, amount: pays[3].Amount},
		})))
		ok(t, err)
		wantCounts(t, again, 3, 1, 0, 2, "status.already", "status.already")
		if refs := []string{again.Problems[0].Reference, again.Problems[1].Reference}; !slices.Contains(refs, pays[0].Reference) ||
			!slices.Contains(refs, pays[1].Reference) {
			t.Errorf("notes %+v: want the references of payments 0 and 1", again.Problems)
		}
		// The counts and notes are stored with the import.
		imports, err := e.svc.FindStatusImports(as(1), c.ID)
		ok(t, err)
		if len(imports) != 2 {
			t.Fatalf("%d imports, want 2", len(imports))
		}
		wantCounts(t, imports[0], 5, 2, 1, 2, "entry.repeated", "entry.repeated")
		wantCounts(t, imports[1], 3, 1, 0, 2, "status.already", "status.already")

		// A block's own status: every payment of the second bank's first
		// block is paid, each counted once; a block the file does not have
		// is a problem.
		other := banks[1]
		otherMsg := payroll.MessageID(c.ID, other)
		_, err = e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002Blocks("S-BLK0", otherMsg,
			map[string]string{otherMsg + "-99": "ACSC"})))
		wantProblems(t, err, "block.unknown")
		blk, err := e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002Blocks("S-BLK", otherMsg,
			map[string]string{otherMsg + "-1": "ACSC"})))
		ok(t, err)
		got := e.payments(t, dost.PaymentFilter{CycleID: c.ID, Bank: other})
		programme := ""
		paid := 0
		for _, p := range byBank[other] {
			q := got[key(p.AwardID, p.Period)]
			if programme == "" && q.Status == dost.PaymentPaid {
				programme = q.Programme
			}
			if q.Status == dost.PaymentPaid {
				paid++
			}
		}
		if paid == 0 {
			t.Fatalf("no payment of bank %s paid by its block's status", other)
		}
		for _, p := range byBank[other] {
			q := got[key(p.AwardID, p.Period)]
			if want := q.Programme == programme; (q.Status == dost.PaymentPaid) != want {
				t.Errorf("payment %d of programme %s: %s (block of %s)", q.ID, q.Programme, q.Status, programme)
			}
		}
		wantCounts(t, blk, paid, paid, 0, 0)
		// The same block's status in another report changes nothing and
		// counts each payment as repeated.
		blk2, err := e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002Blocks("S-BLK2", otherMsg,
			map[string]string{otherMsg + "-1": "ACSC"})))
		ok(t, err)
		if blk2.Entries != paid || blk2.Paid != 0 || blk2.Repeated != paid {
			t.Errorf("the block again: %+v, want %d repeated", blk2, paid)
		}

		// The history of a payment paid, returned, then corrected: each
		// bank step names its import, whoever imported it.
		history := func(id int64) string {
			t.Helper()
			events, err := e.svc.FindPaymentEvents(as(1), id)
			ok(t, err)
			var b []string
			for _, ev := range events {
				b = append(b, fmt.Sprintf("%s/%d/%d/%s", ev.Status, ev.ImportID, ev.ActorID, ev.ReasonCode))
			}
			return strings.Join(b, " ")
		}
		if h := history(pays[0].ID); !strings.HasSuffix(h, fmt.Sprintf(" paid/%d/3/", imp.ID)) {
			t.Errorf("paid: history %s", h)
		}
		ret, err := e.svc.ImportStatus(as(4), c.ID, dost.ImportCamt054, bytes.NewReader(camt054Return(debtor, msgID, pays[0], "AC04")))
		ok(t, err)
		wantSuffix := fmt.Sprintf(" paid/%d/3/ returned/%d/4/AC04", imp.ID, ret.ID)
		if h := history(pays[0].ID); !strings.HasSuffix(h, wantSuffix) {
			t.Errorf("returned: history %s, want it to end with%s", h, wantSuffix)
		}
		_, err = e.svc.CorrectPayment(as(3), pays[0].ID, "asked the payee", true)
		ok(t, err)
		if h := history(pays[0].ID); !strings.HasSuffix(h, wantSuffix+" corrected/0/3/") {
			t.Errorf("corrected: history %s, want it to end with%s corrected/0/3/", h, wantSuffix)
		}
	})
}
