package iso20022_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/iso20022"
)

func readNotification(data []byte) (*iso20022.NotificationHeader, []*iso20022.EntryTransaction, error) {
	nr, err := iso20022.NewNotificationReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	var all []*iso20022.EntryTransaction
	for {
		et, err := nr.Next()
		if err == io.EOF {
			return nr.Header(), all, nil
		}
		if err != nil {
			return nr.Header(), all, err
		}
		all = append(all, et)
	}
}

func TestNotificationReader(t *testing.T) {
	t.Run("Sample", func(t *testing.T) {
		h, ets, err := readNotification(readTestdata(t, "camt.054.001.08.valid.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if h.MessageID != "NTF-20240116-0001" || h.CreatedAt.IsZero() {
			t.Errorf("header %+v", h)
		}
		if len(ets) != 1 {
			t.Fatalf("%d transactions, want 1", len(ets))
		}
		et := ets[0]
		if et.EndToEndID != "E2E-0001" || et.Amount != 150000 || et.Currency != "AZN" || et.CreditDebit != iso20022.Credit ||
			et.Status != iso20022.StatusSettled || et.EntryStatus != "BOOK" || et.BookingDate != dost.MustDate("2024-01-16") ||
			et.Account != "AZ21NABZ00000000137010001944" || et.NotificationID != "NTF-20240116-0001-1" || et.BankReference != "NABZ-REF-0001" ||
			et.EntryReference != "1" || et.Line != 42 {
			t.Errorf("transaction %+v", et)
		}
	})

	// Transactions a reconciliation refuses are read as they are: no
	// amount of their own (Currency ""), no end-to-end reference, one
	// listed twice.
	t.Run("Incomplete", func(t *testing.T) {
		_, ets, err := readNotification(readTestdata(t, "camt.054.001.08.incomplete.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if len(ets) != 4 {
			t.Fatalf("%d transactions, want 4", len(ets))
		}
		if et := ets[0]; et.EndToEndID != "DOST-17-202611" || et.Currency != "" || et.Amount != 0 || et.CreditDebit != iso20022.Debit {
			t.Errorf("without an amount: %+v", et)
		}
		if et := ets[1]; et.EndToEndID != "" || et.OriginalMessageID != "DOST-1-AIIB" || et.Currency != "AZN" || et.Amount != 45000 {
			t.Errorf("without a reference: %+v", et)
		}
		if ets[2].EndToEndID != "DOST-18-202611" || ets[3].EndToEndID != ets[2].EndToEndID || ets[3].Line <= ets[2].Line {
			t.Errorf("repeated: %+v, %+v", ets[2], ets[3])
		}
	})

	t.Run("Batch", func(t *testing.T) {
		_, ets, err := readNotification(readTestdata(t, "camt.054.001.08.batch.xml"))
		if err != nil {
			t.Fatal(err)
		}
		type want struct {
			e2e, msg, pmtInf string
			amount           dost.Money
			cd               iso20022.CreditDebit
			status           iso20022.Status
			rtr, rtrText     string
			booked           string
			ref              string
		}
		wants := []want{
			{"P-0000001", "DOST-2026-11-AIIB", "TSSA-2026-11", 32000, iso20022.Debit, iso20022.StatusSettled, "", "", "2026-11-26", "AIIB-BATCH-1"},
			{"P-0000002", "DOST-2026-11-AIIB", "TSSA-2026-11", 34976, iso20022.Debit, iso20022.StatusSettled, "", "", "2026-11-26", "AIIB-BATCH-1"},
			{"P-0000002", "", "", 34976, iso20022.Credit, iso20022.StatusReturned, "AC04", "Hesab bağlanıb", "2026-11-28", "AIIB-RTN-9"},
			{"", "", "", 150, iso20022.Debit, iso20022.StatusPending, "", "", "", ""},
		}
		if len(ets) != len(wants) {
			t.Fatalf("%d transactions, want %d", len(ets), len(wants))
		}
		for i, w := range wants {
			et := ets[i]
			got := want{et.EndToEndID, et.OriginalMessageID, et.PaymentInformationID, et.Amount, et.CreditDebit, et.Status, et.ReturnReasonCode, et.ReturnReasonText, et.BookingDate.String(), et.BankReference}
			if got != w {
				t.Errorf("transaction %d: got %+v, want %+v", i, got, w)
			}
		}
		if ets[0].ValueDate != dost.MustDate("2026-11-26") || ets[0].EntryReference != "B-1" || ets[3].EntryStatus != "PDNG" {
			t.Errorf("transaction 0: %+v; 3: %+v", ets[0], ets[3])
		}
	})
}

// camt054 returns a notification with the given entries.
func camt054(entries string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
<BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>N-1</MsgId><CreDtTm>2026-11-27T10:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N-1-1</Id><Acct><Id><Othr><Id>40060019440000000001</Id></Othr></Id></Acct>
` + entries + `
</Ntfctn>
</BkToCstmrDbtCdtNtfctn>
</Document>
`)
}

const entryHead = `<Ntry><Amt Ccy="AZN">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BkTxCd/>`

func TestNotificationReaderErrors(t *testing.T) {
	good := camt054(entryHead + `<NtryDtls><TxDtls><Refs><EndToEndId>P-1</EndToEndId></Refs><Amt Ccy="AZN">10</Amt></TxDtls></NtryDtls></Ntry>`)
	_, ets, err := readNotification(good)
	if err != nil || len(ets) != 1 || ets[0].Account != "40060019440000000001" || ets[0].Amount != 1000 {
		t.Fatalf("the base notification: %v %+v", err, ets)
	}
	mustValidate(t, "camt.054.001.08", good)

	for _, c := range []struct {
		name string
		data string
		line int
		want string
	}{
		{"ErrEmpty", "", 0, "ends before"},
		{"ErrStatusReport", string(readTestdata(t, "pain.002.001.10.valid.xml")), 3, "pain.002.001.10 message"},
		{"ErrOldVersion", strings.ReplaceAll(string(good), "camt.054.001.08", "camt.054.001.02"), 2, "camt.054.001.02 message"},
		{"ErrTruncated", string(good[:len(good)-30]), 0, "ends before"},
		{"ErrNoGrpHdr", strings.Replace(string(good), "GrpHdr", "GrpHeader", 2), 4, "<GrpHdr> was expected"},
		{"ErrAmount", string(camt054(strings.Replace(entryHead, "10.00", "10.001", 1) + `</Ntry>`)), 6, `"10.001" is not an amount`},
		{"ErrAmountEmpty", string(camt054(strings.Replace(entryHead, "10.00", "", 1) + `</Ntry>`)), 6, `"" is not an amount`},
		{"ErrCurrency", string(camt054(strings.Replace(entryHead, `Ccy="AZN"`, `Ccy="AZ1"`, 1) + `</Ntry>`)), 6, `currency "AZ1"`},
		{"ErrTxCurrency", string(camt054(entryHead + `<NtryDtls><TxDtls><Amt Ccy="manat">1.00</Amt></TxDtls></NtryDtls></Ntry>`)), 6, `currency "manat"`},
		{"ErrCreditDebit", string(camt054(strings.Replace(entryHead, "DBIT", "CREDIT", 1) + `</Ntry>`)), 6, `"CREDIT" is neither`},
		{"ErrEntryStatus", string(camt054(strings.Replace(entryHead, "BOOK", "DONE", 1) + `</Ntry>`)), 6, `"DONE" is not a known entry status`},
		{"ErrReversal", string(camt054(strings.Replace(entryHead, "</CdtDbtInd>", "</CdtDbtInd><RvslInd>maybe</RvslInd>", 1) + `</Ntry>`)), 6, `"maybe"`},
		{"ErrBookingDate", string(camt054(strings.Replace(entryHead, "</Sts>", "</Sts><BookgDt><Dt>26.11.2026</Dt></BookgDt>", 1) + `</Ntry>`)), 6, "not a date"},
		{"ErrEntryIncomplete", string(camt054(`<Ntry><Amt Ccy="AZN">1.00</Amt><BkTxCd/></Ntry>`)), 0, "lacks <Amt>, <CdtDbtInd> or <Sts>"},
		{"ErrEntryIncompleteWithDetails", string(camt054(`<Ntry><Amt Ccy="AZN">1.00</Amt><NtryDtls><TxDtls/></NtryDtls></Ntry>`)), 6, "lacks <Amt>, <CdtDbtInd> or <Sts>"},
		{"ErrLongEndToEndID", string(camt054(entryHead + `<NtryDtls><TxDtls><Refs><EndToEndId>` + strings.Repeat("E", 40) + `</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>`)), 6, "1 to 35"},
		{"ErrNoAccount", strings.Replace(string(good), "<Acct><Id><Othr><Id>40060019440000000001</Id></Othr></Id></Acct>", "", 1), 6, "before the notification's <Id> and <Acct>"},
		{"ErrMalformed", strings.Replace(string(good), "<Sts>", "<Sts", 1), 6, "not well-formed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readNotification([]byte(c.data))
			checkFileErr(t, err, c.line, c.want)
		})
	}
}
