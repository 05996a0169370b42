package payroll_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/sqlstore"
)

// txStatus is one transaction of a generated pain.002.
type txStatus struct {
	ref, code, reason string
	amount            dost.Money
}

// pain002 returns a pain.002.001.10 report about the file origMsgID.
func pain002(msgID, origMsgID string, txs []txStatus) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>%s</MsgId><CreDtTm>2026-11-26T09:00:00+04:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts><OrgnlMsgId>%s</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>%s-1</OrgnlPmtInfId>
`, msgID, origMsgID, origMsgID)
	for _, tx := range txs {
		fmt.Fprintf(&b, "      <TxInfAndSts><OrgnlEndToEndId>%s</OrgnlEndToEndId><TxSts>%s</TxSts>", tx.ref, tx.code)
		if tx.reason != "" {
			fmt.Fprintf(&b, "<StsRsnInf><Rsn><Cd>%s</Cd></Rsn></StsRsnInf>", tx.reason)
		}
		fmt.Fprintf(&b, `<OrgnlTxRef><Amt><InstdAmt Ccy="AZN">%s</InstdAmt></Amt><IntrBkSttlmDt>2026-11-26</IntrBkSttlmDt></OrgnlTxRef></TxInfAndSts>
`, tx.amount)
	}
	b.WriteString("    </OrgnlPmtInfAndSts>\n  </CstmrPmtStsRpt>\n</Document>\n")
	return b.Bytes()
}

// camt054Return returns a camt.054.001.08 notification of the debtor's
// account crediting back payment p, returned for reason.
func camt054Return(debtorIBAN, origMsgID string, p *dost.Payment, reason string) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>NTF-1</MsgId><CreDtTm>2026-11-28T12:00:00+04:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>NTF-1-1</Id>
      <Acct><Id><IBAN>%s</IBAN></Id></Acct>
      <Ntry>
        <Amt Ccy="AZN">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-28</Dt></BookgDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><MsgId>%s</MsgId><EndToEndId>%s</EndToEndId></Refs>
          <Amt Ccy="AZN">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd>
          <RtrInf><Rsn><Cd>%s</Cd></Rsn></RtrInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
`, debtorIBAN, p.Amount, origMsgID, p.Reference, p.Amount, reason)
}

// sentByBank returns an exported cycle's payments by bank, and the banks,
// the one with the most payments first.
func sentByBank(t *testing.T, e *env, cycleID int64) (map[string][]*dost.Payment, []string) {
	t.Helper()
	list, _, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: cycleID, Statuses: []dost.PaymentStatus{dost.PaymentSent}})
	ok(t, err)
	out := map[string][]*dost.Payment{}
	for _, p := range list {
		out[p.Bank] = append(out[p.Bank], p)
	}
	var banks []string
	for b := range out {
		banks = append(banks, b)
	}
	// The bank with the most payments first.
	sort.Slice(banks, func(i, j int) bool {
		if len(out[banks[i]]) != len(out[banks[j]]) {
			return len(out[banks[i]]) > len(out[banks[j]])
		}
		return banks[i] < banks[j]
	})
	return out, banks
}

// snapshot is every payment of a cycle and the number of events: what "no
// change" compares.
func snapshot(t *testing.T, e *env, cycleID int64) string {
	t.Helper()
	list, _, err := e.store.FindPayments(ctx, dost.PaymentFilter{CycleID: cycleID})
	ok(t, err)
	var b strings.Builder
	for _, p := range list {
		fmt.Fprintf(&b, "%d %s %s %s %v|", p.ID, p.Status, p.ReasonCode, p.PaidOn, p.UpdatedAt)
	}
	var events int
	ok(t, e.db.WriterDB().QueryRowContext(ctx, `SELECT count(*) FROM payment_events`).Scan(&events))
	var imports int
	ok(t, e.db.WriterDB().QueryRowContext(ctx, `SELECT count(*) FROM status_imports`).Scan(&imports))
	c, err := e.store.FindCycleByID(ctx, cycleID)
	ok(t, err)
	fmt.Fprintf(&b, "events %d imports %d cycle %s", events, imports, c.Status)
	return b.String()
}

// wantProblems fails unless err is an ImportError with exactly the codes.
func wantProblems(t *testing.T, err error, codes ...string) {
	t.Helper()
	wantCode(t, err, dost.EINVALID)
	var ie *payroll.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want an *ImportError", err)
	}
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.Code)
	}
	if strings.Join(got, ",") != strings.Join(codes, ",") || ie.Count != len(codes) || len(dost.ErrorFields(err)) != len(codes) {
		t.Fatalf("got problems %v (count %d), want %v", ie.Problems, ie.Count, codes)
	}
}

// TestImportStatus reads bank reports into an exported cycle: bad files
// change nothing; rejections fail payments onto the correction list; a
// return; the same file twice; the cycle reconciled at the end.
func TestImportStatus(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 300, 100)
		c, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		_, err = e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002("S", payroll.MessageID(c.ID, "AIIB"), nil)))
		wantCode(t, err, dost.ECONFLICT) // not exported
		_, err = e.svc.ApproveCycle(as(2), c.ID, c.Run)
		ok(t, err)
		exportTo(t, e, c.ID, t.TempDir())
		byBank, banks := sentByBank(t, e, c.ID)
		if len(banks) < 2 || len(byBank[banks[0]]) < 5 {
			t.Fatalf("banks %v: want at least two, the first with 5 payments", banks)
		}
		bank := banks[0]
		msgID := payroll.MessageID(c.ID, bank)
		pays := byBank[bank]
		before := snapshot(t, e, c.ID)

		all := func(code string, ps []*dost.Payment) []txStatus {
			var out []txStatus
			for _, p := range ps {
				out = append(out, txStatus{ref: p.Reference, code: code, amount: p.Amount})
			}
			return out
		}
		bad := []struct {
			name  string
			kind  dost.StatusImportKind
			file  []byte
			codes []string
		}{
			{"Malformed", dost.ImportPain002, []byte("<Document><CstmrPmtStsRpt>"), []string{"file.invalid"}},
			{"Truncated", dost.ImportPain002, pain002("S1", msgID, all("ACSC", pays))[:600], []string{"file.invalid"}},
			{"WrongKind", dost.ImportCamt054, pain002("S1", msgID, all("ACSC", pays)), []string{"file.invalid"}},
			{"OtherCycle", dost.ImportPain002, pain002("S1", payroll.MessageID(c.ID+1, bank), all("ACSC", pays)), []string{"message.other"}},
			{"UnknownAndMismatch", dost.ImportPain002, pain002("S1", msgID, append(all("ACSC", pays[2:]),
				txStatus{ref: "DOST-999999-202611", code: "ACSC", amount: 100},
				txStatus{ref: pays[0].Reference, code: "ACSC", amount: pays[0].Amount + 1},
				txStatus{ref: pays[1].Reference, code: "RJCT", reason: "AC01", amount: pays[1].Amount})),
				[]string{"reference.unknown", "amount.mismatch"}},
			{"OtherBanksPayment", dost.ImportPain002, pain002("S1", msgID, all("ACSC", byBank[banks[1]][:1])), []string{"message.mismatch"}},
			{"OtherAccount", dost.ImportCamt054, camt054Return("AZ00", msgID, pays[0], "AC04"), []string{"account.other"}},
		}
		for _, b := range bad {
			t.Run("Err"+b.name, func(t *testing.T) {
				_, err := e.svc.ImportStatus(as(3), c.ID, b.kind, bytes.NewReader(b.file))
				wantProblems(t, err, b.codes...)
				if got := snapshot(t, e, c.ID); got != before {
					t.Fatalf("a rejected report changed something")
				}
			})
		}
		_, err = e.svc.ImportStatus(as(0, dost.RoleSupervisor), c.ID, dost.ImportPain002, bytes.NewReader(pain002("S", msgID, nil)))
		wantCode(t, err, dost.EFORBIDDEN)
		_, err = e.svc.ImportStatus(as(3), c.ID, "camt.053", bytes.NewReader(pain002("S", msgID, nil)))
		wantCode(t, err, dost.EINVALID)

		// The first bank: two rejected (AC01, AC04), one pending, the rest
		// settled.
		txs := all("ACSC", pays)
		txs[0].code, txs[0].reason = "RJCT", "AC01"
		txs[1].code, txs[1].reason = "RJCT", "AC04"
		txs[2].code = "PDNG"
		report := pain002("STS-1", msgID, txs)
		imp, err := e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(report))
		ok(t, err)
		if imp.ID == 0 || imp.Kind != dost.ImportPain002 || imp.MessageID != "STS-1" || imp.Entries != len(pays) ||
			imp.Failed != 2 || imp.Pending != 1 || imp.Paid != len(pays)-3 || imp.Returned != 0 || imp.ActorID != 3 || len(imp.SHA256) != 64 {
			t.Fatalf("import %+v", imp)
		}
		got := e.payments(t, dost.PaymentFilter{CycleID: c.ID})
		for i, p := range pays {
			q := got[key(p.AwardID, p.Period)]
			want := dost.PaymentPaid
			switch i {
			case 0, 1:
				want = dost.PaymentFailed
			case 2:
				want = dost.PaymentSent
			}
			if q.Status != want {
				t.Errorf("payment %d: %s, want %s", i, q.Status, want)
			}
			if want == dost.PaymentPaid && q.PaidOn != dost.MustDate("2026-11-26") {
				t.Errorf("payment %d paid on %s", i, q.PaidOn)
			}
		}
		if q := got[key(pays[1].AwardID, pays[1].Period)]; q.ReasonCode != "AC04" || q.Reason != "Closed account number." {
			t.Errorf("rejected payment: %q %q", q.ReasonCode, q.Reason)
		}
		events, err := e.svc.FindPaymentEvents(as(1), pays[0].ID)
		ok(t, err)
		if last := events[len(events)-1]; len(events) != 3 || last.Status != dost.PaymentFailed || last.ImportID != imp.ID ||
			last.ReasonCode != "AC01" || last.ActorID != 3 {
			t.Errorf("history %+v", events)
		}
		corrections, _, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, Statuses: []dost.PaymentStatus{dost.PaymentFailed}})
		ok(t, err)
		if len(corrections) != 2 {
			t.Errorf("%d failed payments on the correction list, want 2", len(corrections))
		}

		// The same file again: the first import, no change.
		mid := snapshot(t, e, c.ID)
		again, err := e.svc.ImportStatus(as(4), c.ID, dost.ImportPain002, bytes.NewReader(report))
		ok(t, err)
		if again.ID != imp.ID || again.ActorID != 3 {
			t.Errorf("again: import %d by %d, want %d by 3", again.ID, again.ActorID, imp.ID)
		}
		if snapshot(t, e, c.ID) != mid {
			t.Errorf("the same file again changed something")
		}
		// A settlement of a rejected payment contradicts it.
		_, err = e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002("STS-2", msgID, all("ACSC", pays[:1]))))
		wantProblems(t, err, "status.conflict")

		// A paid payment returned (camt.054), and the pending one settled.
		ret, err := e.svc.ImportStatus(as(3), c.ID, dost.ImportCamt054, bytes.NewReader(camt054Return(iban("AIIB", 1), msgID, pays[3], "AC04")))
		ok(t, err)
		if ret.Returned != 1 || ret.Entries != 1 {
			t.Errorf("return import %+v", ret)
		}
		if q, err := e.svc.FindPaymentByID(as(1), pays[3].ID); err != nil || q.Status != dost.PaymentReturned || q.ReasonCode != "AC04" {
			t.Errorf("returned payment: %+v, %v", q, err)
		}
		_, err = e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(pain002("STS-3", msgID, all("ACSC", pays[2:3]))))
		ok(t, err)

		// The other banks settle everything, two nodes importing each file
		// at once: one import per file, then the cycle is reconciled.
		for _, b := range banks[1:] {
			file := pain002("STS-"+b, payroll.MessageID(c.ID, b), all("ACSC", byBank[b]))
			var wg sync.WaitGroup
			ids := make([]int64, 4)
			errs := make([]error, 4)
			for i := range ids {
				wg.Go(func() {
					imp, err := e.svc.ImportStatus(as(3), c.ID, dost.ImportPain002, bytes.NewReader(file))
					errs[i] = err
					if err == nil {
						ids[i] = imp.ID
					}
				})
			}
			wg.Wait()
			for i := range ids {
				if errs[i] != nil || ids[i] != ids[0] {
					t.Fatalf("bank %s, import %d: %d, %v; want %d", b, i, ids[i], errs[i], ids[0])
				}
			}
		}
		imports, err := e.svc.FindStatusImports(as(1), c.ID)
		ok(t, err)
		if len(imports) != 3+len(banks)-1 || imports[0].ID != imp.ID {
			t.Errorf("%d imports, want %d", len(imports), 3+len(banks)-1)
		}
		done, err := e.svc.FindCycleByID(as(1), c.ID)
		ok(t, err)
		if done.Status != dost.CycleReconciled {
			t.Fatalf("cycle %s, want reconciled", done.Status)
		}
		_, n, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, Statuses: []dost.PaymentStatus{dost.PaymentPaid}})
		ok(t, err)
		if n != c.Count-3 {
			t.Errorf("%d paid, want %d", n, c.Count-3)
		}

		// A change computed from a stale reading (a payment moved meanwhile)
		// stores nothing, the import row included.
		end := snapshot(t, e, c.ID)
		_, err = e.store.ApplyStatusImport(ctx, &dost.StatusImport{CycleID: c.ID, Kind: dost.ImportPain002, MessageID: "STALE",
			SHA256: strings.Repeat("0", 64)}, []*payroll.StatusMove{
			{From: dost.PaymentPaid, To: dost.PaymentReturned, ReasonCode: "AC04", PaymentIDs: []int64{pays[5].ID}},
			{From: dost.PaymentSent, To: dost.PaymentPaid, PaidOn: today, PaymentIDs: []int64{pays[0].ID}}})
		wantCode(t, err, dost.ECONFLICT)
		if snapshot(t, e, c.ID) != end {
			t.Errorf("a stale import changed something")
		}
	})
}

// FuzzGuessKind checks that GuessKind never panics and names at most one
// kind.
func FuzzGuessKind(f *testing.F) {
	f.Add(pain002("S", "DOST-1-AIIB", nil))
	f.Add([]byte(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>`))
	f.Add(pain002Blocks("S", "DOST-1-AIIB", map[string]string{"DOST-1-AIIB-1": "RJCT"}))
	for _, name := range []string{"camt.054.001.08.valid.xml", "camt.054.001.08.batch.xml", "pain.002.001.10.mixed.xml", "pain.001.001.09.valid.xml"} {
		b, err := os.ReadFile("../iso20022/testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<Document><CstmrPmtStsRpt/><!-- forwarded from camt.054. --></Document>`)) // both: neither
	f.Add([]byte(""))
	f.Add([]byte("\xef\xbb\xbf<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, ok := payroll.GuessKind(b)
		if ok != (k != "") {
			t.Fatalf("%q, %v", k, ok)
		}
		pain := bytes.Contains(b, []byte("CstmrPmtStsRpt")) || bytes.Contains(b, []byte("pain.002."))
		camt := bytes.Contains(b, []byte("BkToCstmrDbtCdtNtfctn")) || bytes.Contains(b, []byte("camt.054."))
		if want := pain != camt; ok != want || ok && (k == dost.ImportPain002) != pain {
			t.Fatalf("GuessKind = %q, %v; pain.002 markers %v, camt.054 markers %v", k, ok, pain, camt)
		}
	})
}
