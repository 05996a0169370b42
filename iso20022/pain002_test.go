package iso20022_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/iso20022"
)

// readStatusReport reads a whole report.
func readStatusReport(data []byte) (*iso20022.StatusReportHeader, []*iso20022.TransactionStatus, error) {
	sr, err := iso20022.NewStatusReportReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	var all []*iso20022.TransactionStatus
	for {
		ts, err := sr.Next()
		if err == io.EOF {
			return sr.Header(), all, nil
		}
		if err != nil {
			return sr.Header(), all, err
		}
		all = append(all, ts)
	}
}

func TestStatusReportReader(t *testing.T) {
	t.Run("Sample", func(t *testing.T) {
		h, txs, err := readStatusReport(readTestdata(t, "pain.002.001.10.valid.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if h.MessageID != "STS-20240116-0001" || h.OriginalMessageID != "MSG-20240115-0001" || h.OriginalMessageNameID != "pain.001.001.09" ||
			h.OriginalNumberOfTransactions != 1 || h.OriginalControlSum != 150000 || !h.HasOriginalControlSum || h.GroupStatus != 0 {
			t.Errorf("header %+v", h)
		}
		if !h.CreatedAt.Equal(time.Date(2024, 1, 16, 9, 0, 0, 0, dost.Baku)) {
			t.Errorf("created %v", h.CreatedAt)
		}
		if len(txs) != 1 {
			t.Fatalf("%d transactions, want 1", len(txs))
		}
		ts := txs[0]
		if ts.EndToEndID != "E2E-0001" || ts.Status != iso20022.StatusSettled || ts.StatusCode != "ACSC" || ts.PaymentInformationID != "PMTINF-0001" ||
			ts.OriginalMessageID != "MSG-20240115-0001" || ts.Block || ts.Currency != "" || ts.Line != 23 {
			t.Errorf("transaction %+v", ts)
		}
	})

	t.Run("Mixed", func(t *testing.T) {
		h, txs, err := readStatusReport(readTestdata(t, "pain.002.001.10.mixed.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if h.GroupStatus != iso20022.StatusAccepted || h.GroupStatusCode != "PART" || h.OriginalNumberOfTransactions != 4 || h.OriginalControlSum != 125050 {
			t.Errorf("header %+v", h)
		}
		type want struct {
			e2e, pmtInf string
			block       bool
			status      iso20022.Status
			code        string
			reason      string
			text        string
			amount      dost.Money
			ccy         string
		}
		wants := []want{
			{"", "TSSA-2026-11", true, iso20022.StatusAccepted, "ACSP", "", "", 0, ""},
			{"P-0000001", "TSSA-2026-11", false, iso20022.StatusSettled, "ACSC", "", "", 32000, "AZN"},
			{"P-0000002", "TSSA-2026-11", false, iso20022.StatusRejected, "RJCT", "AC01", "Hesab nömrəsi səhvdir (incorrect account number)", 34976, "AZN"},
			{"P-0000003", "TSSA-2026-11", false, iso20022.StatusAccepted, "ACSP", "", "", 0, ""},
			{"P-0000004", "PENS-2026-11", false, iso20022.StatusPending, "PDNG", "", "", 58074, "AZN"},
		}
		if len(txs) != len(wants) {
			t.Fatalf("%d statuses, want %d", len(txs), len(wants))
		}
		for i, w := range wants {
			ts := txs[i]
			got := want{ts.EndToEndID, ts.PaymentInformationID, ts.Block, ts.Status, ts.StatusCode, ts.ReasonCode, ts.ReasonText, ts.Amount, ts.Currency}
			if got != w {
				t.Errorf("status %d: got %+v, want %+v", i, got, w)
			}
		}
		if txs[1].SettlementDate != dost.MustDate("2026-11-26") || txs[1].BankReference != "AIIB-77" ||
			!txs[1].AcceptedAt.Equal(time.Date(2026, 11, 26, 8, 55, 0, 0, dost.Baku)) {
			t.Errorf("transaction 1: %+v", txs[1])
		}
	})

	t.Run("GroupRejected", func(t *testing.T) {
		h, txs, err := readStatusReport(readTestdata(t, "pain.002.001.10.group-rejected.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if h.GroupStatus != iso20022.StatusRejected || h.GroupReasonCode != "AM05" || h.GroupReasonText != "Duplicate file" ||
			h.OriginalNumberOfTransactions != -1 || h.HasOriginalControlSum {
			t.Errorf("header %+v", h)
		}
		if len(txs) != 0 {
			t.Errorf("%d transactions, want none", len(txs))
		}
	})

	// A block's own status comes first, as a status of its own (Block);
	// a transaction listed twice is returned twice.
	t.Run("Blocks", func(t *testing.T) {
		h, txs, err := readStatusReport(readTestdata(t, "pain.002.001.10.blocks.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if h.GroupStatus != iso20022.StatusAccepted {
			t.Errorf("header %+v", h)
		}
		var got []string
		for _, ts := range txs {
			got = append(got, fmt.Sprintf("%s %v %s %s %s", ts.PaymentInformationID, ts.Block, ts.EndToEndID, ts.Status, ts.ReasonCode))
		}
		want := []string{"DOST-1-AIIB-1 true  settled ", "DOST-1-AIIB-2 true  rejected AM04",
			"DOST-1-AIIB-2 false DOST-18-202611 settled ", "DOST-1-AIIB-2 false DOST-18-202611 settled "}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("InheritsGroupStatus", func(t *testing.T) {
		data := pain002(`<GrpSts>RJCT</GrpSts>`, `<OrgnlPmtInfAndSts><OrgnlPmtInfId>B</OrgnlPmtInfId><TxInfAndSts><OrgnlEndToEndId>P-1</OrgnlEndToEndId></TxInfAndSts></OrgnlPmtInfAndSts>`)
		_, txs, err := readStatusReport(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(txs) != 1 || txs[0].Status != iso20022.StatusRejected || txs[0].StatusCode != "RJCT" {
			t.Errorf("got %+v", txs)
		}
		mustValidate(t, "pain.002.001.10", data)
	})

	t.Run("BlockWithoutTransactions", func(t *testing.T) {
		data := pain002(``, `<OrgnlPmtInfAndSts><OrgnlPmtInfId>B-2</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts><StsRsnInf><Rsn><Prtry>NOFUNDS</Prtry></Rsn></StsRsnInf></OrgnlPmtInfAndSts>`)
		_, txs, err := readStatusReport(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(txs) != 1 || !txs[0].Block || txs[0].PaymentInformationID != "B-2" || txs[0].Status != iso20022.StatusRejected || txs[0].ReasonCode != "NOFUNDS" {
			t.Errorf("got %+v", txs)
		}
		mustValidate(t, "pain.002.001.10", data)
	})

	t.Run("PrefixedNamespace", func(t *testing.T) {
		data := []byte(`<?xml version="1.0"?><p:Document xmlns:p="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><p:CstmrPmtStsRpt><p:GrpHdr><p:MsgId>S</p:MsgId><p:CreDtTm>2026-11-26T09:00:00Z</p:CreDtTm></p:GrpHdr><p:OrgnlGrpInfAndSts><p:OrgnlMsgId>M</p:OrgnlMsgId><p:OrgnlMsgNmId>pain.001.001.09</p:OrgnlMsgNmId></p:OrgnlGrpInfAndSts><p:OrgnlPmtInfAndSts><p:OrgnlPmtInfId>B</p:OrgnlPmtInfId><p:TxInfAndSts><p:OrgnlEndToEndId>P-1</p:OrgnlEndToEndId><p:TxSts>ACCC</p:TxSts></p:TxInfAndSts></p:OrgnlPmtInfAndSts></p:CstmrPmtStsRpt></p:Document>`)
		_, txs, err := readStatusReport(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(txs) != 1 || txs[0].Status != iso20022.StatusSettled {
			t.Errorf("got %+v", txs)
		}
		mustValidate(t, "pain.002.001.10", data)
	})
}

// pain002 returns a report with the group status elements grp (after
// OrgnlMsgNmId) and the blocks.
func pain002(grp, blocks string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">
<CstmrPmtStsRpt>
<GrpHdr><MsgId>S-1</MsgId><CreDtTm>2026-11-26T09:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>M-1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>` + grp + `</OrgnlGrpInfAndSts>
` + blocks + `
</CstmrPmtStsRpt>
</Document>
`)
}

// tx returns one block with one transaction of the given inner XML.
func tx(inner string) string {
	return "<OrgnlPmtInfAndSts><OrgnlPmtInfId>B-1</OrgnlPmtInfId>\n<TxInfAndSts>" + inner + "</TxInfAndSts>\n</OrgnlPmtInfAndSts>"
}

func TestStatusReportReaderErrors(t *testing.T) {
	okTx := `<OrgnlEndToEndId>P-1</OrgnlEndToEndId><TxSts>ACSC</TxSts>`
	good := pain002("", tx(okTx))
	if _, _, err := readStatusReport(good); err != nil {
		t.Fatalf("the base report: %v", err)
	}
	for _, c := range []struct {
		name string
		data string
		line int    // 0: not checked
		want string // in the message
	}{
		{"ErrEmpty", "", 0, "ends before"},
		{"ErrNotXML", "hello, bank", 1, "before the root"},
		{"ErrWrongRoot", `<Foo xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"/>`, 1, "<Foo>"},
		{"ErrOldVersion", strings.ReplaceAll(string(good), "pain.002.001.10", "pain.002.001.03"), 2, "pain.002.001.03 message"},
		{"ErrNoNamespace", strings.Replace(string(good), ` xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"`, "", 1), 2, "namespace"},
		{"ErrCamtFile", string(readTestdata(t, "camt.054.001.08.valid.xml")), 3, "camt.054.001.08 message"},
		{"ErrWrongMessage", strings.ReplaceAll(string(good), "CstmrPmtStsRpt", "CstmrCdtTrfInitn"), 3, "CstmrCdtTrfInitn"},
		{"ErrTruncated", string(good[:len(good)-40]), 0, "ends before"},
		{"ErrMismatchedTags", strings.Replace(string(good), "</TxSts>", "</TxStatus>", 1), 7, "not well-formed"},
		{"ErrTrailingElement", string(good) + "<Document/>", 11, "a second root element"},
		{"ErrTrailingText", string(good) + "junk", 11, "text after the root element"},
		{"ErrDoctype", `<!DOCTYPE x [<!ENTITY a "b">]>` + string(good), 1, "DOCTYPE"},
		{"ErrEncoding", strings.Replace(string(good), `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1), 1, "ISO-8859-1"},
		{"ErrAmountDecimals", string(pain002("", tx(okTx+`<OrgnlTxRef><Amt><InstdAmt Ccy="AZN">1.234</InstdAmt></Amt></OrgnlTxRef>`))), 7, `"1.234" is not an amount`},
		{"ErrAmountText", string(pain002("", tx(okTx+`<OrgnlTxRef><Amt><InstdAmt Ccy="AZN">12,50</InstdAmt></Amt></OrgnlTxRef>`))), 7, "not an amount"},
		{"ErrAmountNegative", string(pain002("", tx(okTx+`<OrgnlTxRef><Amt><InstdAmt Ccy="AZN">-1.00</InstdAmt></Amt></OrgnlTxRef>`))), 7, "not an amount"},
		{"ErrAmountHuge", string(pain002("", tx(okTx+`<OrgnlTxRef><Amt><InstdAmt Ccy="AZN">12345678901234567890</InstdAmt></Amt></OrgnlTxRef>`))), 7, "not an amount"},
		{"ErrCurrencyLower", string(pain002("", tx(okTx+`<OrgnlTxRef><Amt><InstdAmt Ccy="azn">1.00</InstdAmt></Amt></OrgnlTxRef>`))), 7, `currency "azn"`},
		{"ErrCurrencyLong", string(pain002("", tx(okTx+`<OrgnlTxRef><IntrBkSttlmAmt Ccy="AZNX">1.00</IntrBkSttlmAmt></OrgnlTxRef>`))), 7, `currency "AZNX"`},
		{"ErrCurrencyMissing", string(pain002("", tx(okTx+`<OrgnlTxRef><Amt><InstdAmt>1.00</InstdAmt></Amt></OrgnlTxRef>`))), 7, `currency ""`},
		{"ErrUnknownStatus", string(pain002("", tx(`<OrgnlEndToEndId>P-1</OrgnlEndToEndId><TxSts>ACSCX</TxSts>`))), 7, `"ACSCX" is not a known`},
		{"ErrUnknownGroupStatus", string(pain002("<GrpSts>OK</GrpSts>", "")), 5, `"OK"`},
		{"ErrUnknownBlockStatus", string(pain002("", "<OrgnlPmtInfAndSts><OrgnlPmtInfId>B</OrgnlPmtInfId><PmtInfSts>YES</PmtInfSts></OrgnlPmtInfAndSts>")), 6, `"YES"`},
		{"ErrNoStatus", string(pain002("", tx(`<OrgnlEndToEndId>P-1</OrgnlEndToEndId>`))), 0, "no <TxSts>"},
		{"ErrNoBlockID", string(pain002("", "<OrgnlPmtInfAndSts><TxInfAndSts><TxSts>ACSC</TxSts></TxInfAndSts></OrgnlPmtInfAndSts>")), 6, "OrgnlPmtInfId"},
		{"ErrLongEndToEndID", string(pain002("", tx(`<OrgnlEndToEndId>`+strings.Repeat("x", 36)+`</OrgnlEndToEndId><TxSts>ACSC</TxSts>`))), 7, "1 to 35"},
		{"ErrBadDate", string(pain002("", tx(okTx+`<OrgnlTxRef><IntrBkSttlmDt>2026-02-30</IntrBkSttlmDt></OrgnlTxRef>`))), 7, "not a date"},
		{"ErrBadDateTime", string(pain002("", tx(okTx+`<AccptncDtTm>yesterday</AccptncDtTm>`))), 7, "not a date and time"},
		{"ErrNoMsgID", strings.Replace(string(good), "<MsgId>S-1</MsgId>", "", 1), 0, "lacks <MsgId>"},
		{"ErrNoOrgnlGrp", strings.Replace(strings.Replace(string(good), "<OrgnlGrpInfAndSts>", "<X>", 1), "</OrgnlGrpInfAndSts>", "</X>", 1), 5, "<X>"},
		{"ErrChildInText", string(pain002("", tx(`<OrgnlEndToEndId>P-1<b/></OrgnlEndToEndId><TxSts>ACSC</TxSts>`))), 7, "holds the element"},
		{"ErrUnexpectedElement", string(pain002("", "<Extra/>")), 6, "Unexpected element"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readStatusReport([]byte(c.data))
			checkFileErr(t, err, c.line, c.want)
		})
	}

	t.Run("ErrReader", func(t *testing.T) {
		r := io.MultiReader(bytes.NewReader(good[:200]), errReader{})
		sr, err := iso20022.NewStatusReportReader(r)
		if err == nil {
			_, err = sr.Next()
		}
		var fe *iso20022.FileError
		if !errors.Is(err, errDiskFull) || errors.As(err, &fe) {
			t.Fatalf("got %v, want the reader's error, not a file error", err)
		}
	})

	t.Run("ErrIsFinal", func(t *testing.T) {
		data := pain002("", tx(okTx)+tx(`<TxSts>BAD</TxSts>`)+tx(okTx))
		sr, err := iso20022.NewStatusReportReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sr.Next(); err != nil {
			t.Fatal(err)
		}
		_, err1 := sr.Next()
		_, err2 := sr.Next()
		if err1 == nil || err2 != err1 {
			t.Fatalf("got %v then %v, want the same error twice", err1, err2)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errDiskFull }

// checkFileErr checks that err is a *FileError at line (unless 0) whose
// message contains want, and an EINVALID dost error.
func checkFileErr(t *testing.T, err error, line int, want string) {
	t.Helper()
	var fe *iso20022.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v (%T), want a *FileError", err, err)
	}
	if line != 0 && fe.Line != line {
		t.Errorf("line %d, want %d (%v)", fe.Line, line, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if dost.ErrorCode(err) != dost.EINVALID || !strings.Contains(dost.ErrorMessage(err), want) {
		t.Errorf("dost code %q, message %q", dost.ErrorCode(err), dost.ErrorMessage(err))
	}
}
