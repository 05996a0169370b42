package iso20022_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/iso20022"
)

// pain001Doc is what the tests decode a written file into, independently
// of the Writer.
type pain001Doc struct {
	XMLName xml.Name `xml:"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09 Document"`
	GrpHdr  struct {
		MsgId    string
		CreDtTm  string
		NbOfTxs  string
		CtrlSum  string
		InitgPty struct{ Nm string }
	} `xml:"CstmrCdtTrfInitn>GrpHdr"`
	PmtInf []struct {
		PmtInfId    string
		NbOfTxs     string
		CtrlSum     string
		CtgyPurp    string `xml:"PmtTpInf>CtgyPurp>Cd"`
		ReqdExctnDt string `xml:"ReqdExctnDt>Dt"`
		DbtrNm      string `xml:"Dbtr>Nm"`
		DbtrIBAN    string `xml:"DbtrAcct>Id>IBAN"`
		DbtrBIC     string `xml:"DbtrAgt>FinInstnId>BICFI"`
		ChrgBr      string
		Tx          []struct {
			EndToEndId string `xml:"PmtId>EndToEndId"`
			Amt        struct {
				Ccy   string `xml:",attr"`
				Value string `xml:",chardata"`
			} `xml:"Amt>InstdAmt"`
			BIC   string `xml:"CdtrAgt>FinInstnId>BICFI"`
			Othr  string `xml:"CdtrAgt>FinInstnId>Othr>Id"`
			Nm    string `xml:"Cdtr>Nm"`
			IBAN  string `xml:"CdtrAcct>Id>IBAN"`
			Ustrd string `xml:"RmtInf>Ustrd"`
		} `xml:"CdtTrfTxInf"`
	} `xml:"CstmrCdtTrfInitn>PmtInf"`
}

func decodePain001(t *testing.T, data []byte) *pain001Doc {
	t.Helper()
	var doc pain001Doc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("decode written pain.001: %v", err)
	}
	return &doc
}

func mustMoney(t *testing.T, s string) dost.Money {
	t.Helper()
	m, err := dost.ParseMoney(s)
	if err != nil || !strings.Contains(s, ".") || len(s)-strings.Index(s, ".") != 3 {
		t.Fatalf("amount %q: not two decimals (%v)", s, err)
	}
	return m
}

func TestWriter(t *testing.T) {
	t.Run("RoundTrip", func(t *testing.T) {
		const n, per = 2500, 1000
		data, total := export(t, n, per, payment)
		doc := decodePain001(t, data)
		if got, want := doc.GrpHdr.NbOfTxs, fmt.Sprint(n); got != want {
			t.Errorf("GrpHdr NbOfTxs %s, want %s", got, want)
		}
		if got := mustMoney(t, doc.GrpHdr.CtrlSum); got != total {
			t.Errorf("GrpHdr CtrlSum %s, want %s", got, total)
		}
		if doc.GrpHdr.MsgId != "DOST-2026-11-AIIB" || doc.GrpHdr.CreDtTm != "2026-11-25T10:30:00+04:00" || doc.GrpHdr.InitgPty.Nm != debtor.Name {
			t.Errorf("group header %+v", doc.GrpHdr)
		}
		if got, want := len(doc.PmtInf), 3; got != want {
			t.Fatalf("%d PmtInf, want %d", got, want)
		}
		i := 0
		var sum dost.Money
		for b, pi := range doc.PmtInf {
			var bsum dost.Money
			for _, tx := range pi.Tx {
				p := payment(i)
				a := mustMoney(t, tx.Amt.Value)
				if tx.EndToEndId != p.EndToEndID || a != p.Amount || tx.Amt.Ccy != "AZN" || tx.Nm != p.CreditorName || tx.IBAN != p.CreditorIBAN || tx.Ustrd != p.Remittance {
					t.Fatalf("transaction %d: %+v, want %+v", i, tx, p)
				}
				switch {
				case p.CreditorBIC != "" && (tx.BIC != p.CreditorBIC || tx.Othr != ""):
					t.Errorf("transaction %d: BIC %q Othr %q, want BIC %q", i, tx.BIC, tx.Othr, p.CreditorBIC)
				case p.CreditorBIC == "" && (tx.BIC != "" || tx.Othr != dost.BankCode(p.CreditorIBAN)):
					t.Errorf("transaction %d: BIC %q Othr %q, want Othr %q", i, tx.BIC, tx.Othr, dost.BankCode(p.CreditorIBAN))
				}
				bsum += a
				i++
			}
			if got, want := pi.NbOfTxs, fmt.Sprint(len(pi.Tx)); got != want {
				t.Errorf("PmtInf %d NbOfTxs %s, want %s", b, got, want)
			}
			if got := mustMoney(t, pi.CtrlSum); got != bsum {
				t.Errorf("PmtInf %d CtrlSum %s, want %s", b, got, bsum)
			}
			if pi.PmtInfId != fmt.Sprintf("TSSA-2026-11-%d", b) || pi.ReqdExctnDt != "2026-11-26" || pi.CtgyPurp != "SSBE" ||
				pi.DbtrNm != debtor.Name || pi.DbtrIBAN != debtor.IBAN || pi.DbtrBIC != debtor.BIC || pi.ChrgBr != "DEBT" {
				t.Errorf("PmtInf %d: %s %s %s %s %s %s %s", b, pi.PmtInfId, pi.ReqdExctnDt, pi.CtgyPurp, pi.DbtrNm, pi.DbtrIBAN, pi.DbtrBIC, pi.ChrgBr)
			}
			sum += bsum
		}
		if i != n || sum != total {
			t.Errorf("read back %d payments summing to %s, want %d and %s", i, sum, n, total)
		}
		mustValidate(t, "pain.001.001.09", data)
	})

	t.Run("Escaping", func(t *testing.T) {
		names := []string{
			"Məmmədova Şəbnəm Ağa qızı",
			"Əliyev İlqar Çingiz oğlu",
			"Güləş Ürkməz Ötkəm ığ",
			"Иванов Пётр Сергеевич",
			`Tom & Jerry <"quoted"> 'apos' ]]>`,
			"  tab\there\nnew  line\r\n  ",
			strings.Repeat("ə", 150),
		}
		want := []string{
			names[0], names[1], names[2], names[3], names[4],
			"tab here new line",
			strings.Repeat("ə", 140),
		}
		pay := func(i int) iso20022.Payment {
			p := payment(i)
			p.CreditorName = names[i]
			p.Remittance = "Ünvanlı sosial yardım <TSSA> & 2026-11 / Пенсия"
			if i == 1 {
				p.CreditorAgentID = "NABZ & <x>"
			}
			return p
		}
		data, _ := export(t, len(names), 100, pay)
		mustValidate(t, "pain.001.001.09", data)
		doc := decodePain001(t, data)
		for i, tx := range doc.PmtInf[0].Tx {
			if tx.Nm != want[i] {
				t.Errorf("name %d: %q, want %q", i, tx.Nm, want[i])
			}
			if tx.Ustrd != pay(i).Remittance {
				t.Errorf("remittance %d: %q, want %q", i, tx.Ustrd, pay(i).Remittance)
			}
		}
		if got := doc.PmtInf[0].Tx[1].Othr; got != "NABZ & <x>" {
			t.Errorf("agent id %q", got)
		}
		if !bytes.Contains(data, []byte("Tom &amp; Jerry &lt;\"quoted\"&gt; 'apos' ]]&gt;")) {
			t.Errorf("escaped name not found in the file")
		}
	})

	t.Run("SchemaManyPayments", func(t *testing.T) {
		special := []string{"Şəmsi Ğ. Çələbi", "Ölməz & Üzeyir", "Сергей <Иванов>", "A'B\"C"}
		pay := func(i int) iso20022.Payment {
			p := payment(i)
			p.CreditorName = special[i%len(special)] + fmt.Sprint(" ", i)
			p.Amount = dost.Money(1 + i*7919%9999999)
			return p
		}
		data, _ := export(t, 20000, 7000, pay)
		mustValidate(t, "pain.001.001.09", data)
	})
}

func TestWriterErrors(t *testing.T) {
	hdr := func() iso20022.Header {
		return iso20022.Header{MessageID: "M-1", CreatedAt: now, Debtor: debtor, NumberOfTransactions: 2, ControlSum: 300}
	}
	batch := iso20022.Batch{ID: "B-1", ExecutionDate: execDt, NumberOfTransactions: 2, ControlSum: 300}
	pay := func(amount dost.Money) iso20022.Payment {
		p := payment(1)
		p.Amount = amount
		return p
	}

	for _, c := range []struct {
		name  string
		edit  func(*iso20022.Header)
		field string
	}{
		{"ErrMessageID", func(h *iso20022.Header) { h.MessageID = "M 1" }, "message_id"},
		{"ErrMessageIDLong", func(h *iso20022.Header) { h.MessageID = strings.Repeat("M", 36) }, "message_id"},
		{"ErrCreatedAt", func(h *iso20022.Header) { h.CreatedAt = time.Time{} }, "created_at"},
		{"ErrDebtorIBAN", func(h *iso20022.Header) { h.Debtor.IBAN = "AZ00AIIB40060019440000000001" }, "debtor.iban"},
		{"ErrDebtorBIC", func(h *iso20022.Header) { h.Debtor.BIC = "aiibaz2x" }, "debtor.bic"},
		{"ErrDebtorName", func(h *iso20022.Header) { h.Debtor.Name = " \t " }, "debtor.name"},
		{"ErrCount", func(h *iso20022.Header) { h.NumberOfTransactions = 0 }, "number_of_transactions"},
		{"ErrControlSum", func(h *iso20022.Header) { h.ControlSum = -1 }, "control_sum"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := hdr()
			c.edit(&h)
			var buf bytes.Buffer
			_, err := iso20022.NewWriter(&buf, h)
			checkFieldErr(t, err, c.field)
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes for an invalid header", buf.Len())
			}
		})
	}

	// run writes a file with the given steps and returns the first error.
	run := func(t *testing.T, steps func(w *iso20022.Writer) error) ([]byte, error) {
		var buf bytes.Buffer
		w, err := iso20022.NewWriter(&buf, hdr())
		if err != nil {
			t.Fatal(err)
		}
		err = steps(w)
		if err == nil {
			t.Fatal("no error")
		}
		if err2 := w.Close(); err2 != err && err2.Error() != err.Error() {
			t.Errorf("Close after the error returned %v, want %v", err2, err)
		}
		if err2 := w.WritePayment(pay(1)); err2 == nil {
			t.Error("WritePayment after an error succeeded")
		}
		if bytes.Contains(buf.Bytes(), []byte("</Document>")) {
			t.Error("a failed file was ended")
		}
		return buf.Bytes(), err
	}

	t.Run("ErrControlSumShort", func(t *testing.T) {
		_, err := run(t, func(w *iso20022.Writer) error {
			if err := w.Begin(batch); err != nil {
				return err
			}
			if err := w.WritePayment(pay(100)); err != nil {
				return err
			}
			if err := w.WritePayment(pay(199)); err != nil {
				return err
			}
			return w.Close()
		})
		checkFieldErr(t, err, "batch.control_sum")
		if !strings.Contains(dost.ErrorMessage(err), "299") && !strings.Contains(dost.ErrorMessage(err), "2.99") {
			t.Errorf("message %q does not name the sum written", dost.ErrorMessage(err))
		}
	})
	t.Run("ErrControlSumOver", func(t *testing.T) {
		_, err := run(t, func(w *iso20022.Writer) error {
			w.Begin(batch)
			w.WritePayment(pay(100))
			return w.WritePayment(pay(201))
		})
		checkFieldErr(t, err, "batch.control_sum")
	})
	t.Run("ErrTooManyTransactions", func(t *testing.T) {
		_, err := run(t, func(w *iso20022.Writer) error {
			b := batch
			b.NumberOfTransactions = 1
			w.Begin(b)
			w.WritePayment(pay(100))
			return w.WritePayment(pay(100))
		})
		checkFieldErr(t, err, "batch.control_sum")
	})
	t.Run("ErrFileTotals", func(t *testing.T) {
		// Blocks that add up but a file that does not.
		_, err := run(t, func(w *iso20022.Writer) error {
			b := batch
			b.NumberOfTransactions, b.ControlSum = 1, 100
			w.Begin(b)
			w.WritePayment(pay(100))
			return w.Close()
		})
		checkFieldErr(t, err, "control_sum")
	})
	t.Run("ErrFileOver", func(t *testing.T) {
		_, err := run(t, func(w *iso20022.Writer) error {
			b := batch
			b.NumberOfTransactions, b.ControlSum = 3, 400
			w.Begin(b)
			w.WritePayment(pay(100))
			w.WritePayment(pay(200))
			return w.WritePayment(pay(100))
		})
		checkFieldErr(t, err, "control_sum")
	})
	t.Run("ErrBlockShortAtBegin", func(t *testing.T) {
		_, err := run(t, func(w *iso20022.Writer) error {
			w.Begin(batch)
			w.WritePayment(pay(100))
			return w.Begin(batch)
		})
		checkFieldErr(t, err, "batch.control_sum")
	})
	t.Run("ErrNoBlock", func(t *testing.T) {
		_, err := run(t, func(w *iso20022.Writer) error { return w.WritePayment(pay(100)) })
		checkCode(t, err)
	})
	t.Run("ErrCloseEmpty", func(t *testing.T) {
		_, err := run(t, func(w *iso20022.Writer) error { return w.Close() })
		checkCode(t, err)
	})

	for _, c := range []struct {
		name  string
		edit  func(*iso20022.Batch)
		field string
	}{
		{"ErrBatchID", func(b *iso20022.Batch) { b.ID = "" }, "batch.id"},
		{"ErrBatchDate", func(b *iso20022.Batch) { b.ExecutionDate = dost.Date{} }, "batch.execution_date"},
		{"ErrBatchPurpose", func(b *iso20022.Batch) { b.CategoryPurpose = "pens" }, "batch.category_purpose"},
		{"ErrBatchCount", func(b *iso20022.Batch) { b.NumberOfTransactions = -1 }, "batch.number_of_transactions"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, func(w *iso20022.Writer) error {
				b := batch
				c.edit(&b)
				return w.Begin(b)
			})
			checkFieldErr(t, err, c.field)
		})
	}

	for _, c := range []struct {
		name  string
		edit  func(*iso20022.Payment)
		field string
	}{
		{"ErrEndToEndID", func(p *iso20022.Payment) { p.EndToEndID = "P ə" }, "payment.end_to_end_id"},
		{"ErrEndToEndIDLong", func(p *iso20022.Payment) { p.EndToEndID = strings.Repeat("9", 36) }, "payment.end_to_end_id"},
		{"ErrAmountZero", func(p *iso20022.Payment) { p.Amount = 0 }, "payment.amount"},
		{"ErrAmountNegative", func(p *iso20022.Payment) { p.Amount = -5 }, "payment.amount"},
		{"ErrCreditorIBAN", func(p *iso20022.Payment) { p.CreditorIBAN = "AZ21NABZ00000000137010001945" }, "payment.creditor_iban"},
		{"ErrCreditorBIC", func(p *iso20022.Payment) { p.CreditorBIC = "NABZ AZ2X" }, "payment.creditor_bic"},
		{"ErrCreditorNameEmpty", func(p *iso20022.Payment) { p.CreditorName = "" }, "payment.creditor_name"},
		{"ErrCreditorNameControl", func(p *iso20022.Payment) { p.CreditorName = "Əli\x00yev" }, "payment.creditor_name"},
		{"ErrCreditorNameC1", func(p *iso20022.Payment) { p.CreditorName = "Əli\u0085yev" }, "payment.creditor_name"},
		{"ErrCreditorNameUTF8", func(p *iso20022.Payment) { p.CreditorName = "Əli\xffyev" }, "payment.creditor_name"},
		{"ErrCreditorNameFFFE", func(p *iso20022.Payment) { p.CreditorName = "Əli\uFFFEyev" }, "payment.creditor_name"},
		{"ErrAgentIDLong", func(p *iso20022.Payment) { p.CreditorBIC = ""; p.CreditorAgentID = strings.Repeat("x", 36) }, "payment.creditor_agent_id"},
		{"ErrRemittanceLong", func(p *iso20022.Payment) { p.Remittance = strings.Repeat("ş", 141) }, "payment.remittance"},
		{"ErrRemittanceEmpty", func(p *iso20022.Payment) { p.Remittance = "\n" }, "payment.remittance"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, err := run(t, func(w *iso20022.Writer) error {
				w.Begin(batch)
				p := pay(100)
				c.edit(&p)
				return w.WritePayment(p)
			})
			checkFieldErr(t, err, c.field)
			if bytes.Contains(data, []byte("<CdtTrfTxInf>")) {
				t.Error("an invalid payment was written")
			}
		})
	}

	t.Run("ErrWriteFailed", func(t *testing.T) {
		w, err := iso20022.NewWriter(failWriter{}, hdr())
		if err != nil {
			t.Fatal(err) // buffered: the failure shows at the flush
		}
		w.Begin(batch)
		w.WritePayment(pay(100))
		w.WritePayment(pay(200))
		err = w.Close()
		if !errors.Is(err, errDiskFull) {
			t.Fatalf("got %v, want %v", err, errDiskFull)
		}
	})

	t.Run("OKLongRemittanceAt140", func(t *testing.T) {
		var buf bytes.Buffer
		w, _ := iso20022.NewWriter(&buf, hdr())
		w.Begin(batch)
		p := pay(100)
		p.Remittance = strings.Repeat("ş", 140)
		if err := w.WritePayment(p); err != nil {
			t.Fatal(err)
		}
		w.WritePayment(pay(200))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := w.Begin(batch); err == nil {
			t.Error("Begin after Close succeeded")
		}
		mustValidate(t, "pain.001.001.09", buf.Bytes())
	})
}

var (
	errDiskFull = errors.New("disk full")
)

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func checkCode(t *testing.T, err error) {
	t.Helper()
	if got := dost.ErrorCode(err); got != dost.EINVALID {
		t.Fatalf("code %q (%v), want %q", got, err, dost.EINVALID)
	}
}

func checkFieldErr(t *testing.T, err error, field string) {
	t.Helper()
	checkCode(t, err)
	for _, f := range dost.ErrorFields(err) {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("fields %+v, want %q (%v)", dost.ErrorFields(err), field, err)
}
