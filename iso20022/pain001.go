package iso20022

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/dost-az/dost"
)

// Pain001 is the message name and version the Writer produces.
const Pain001 = "pain.001.001.09"

// Namespace returns the XML namespace of the ISO 20022 message msg, e.g.
// "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09".
func Namespace(msg string) string { return "urn:iso:std:iso:20022:tech:xsd:" + msg }

// Account is the paying agency's account: the debtor of a pain.001 file.
type Account struct {
	Name string // the agency's name, at most 140 characters (cut beyond)
	IBAN string // the account the money leaves, checked with dost.ValidateIBAN
	BIC  string // the BIC of the account's bank, 8 or 11 characters
}

// Header is what a pain.001 file declares before its first payment.
type Header struct {
	// MessageID is GrpHdr/MsgId, unique for every file sent: status reports
	// name it as their original message id. 1–35 identifier characters.
	MessageID string
	// CreatedAt is GrpHdr/CreDtTm, written in Baku time to the second.
	CreatedAt time.Time
	// InitiatingParty is GrpHdr/InitgPty/Nm; "" means Debtor.Name.
	InitiatingParty string
	// Debtor is the paying account, written in every PmtInf.
	Debtor Account
	// NumberOfTransactions and ControlSum are the totals of the whole file,
	// from the payroll cycle's control sums. Close fails unless the payments
	// written add up to exactly these.
	NumberOfTransactions int64
	ControlSum           dost.Money
}

// Batch is one payment information block (PmtInf): payments with one
// requested execution date, typically one programme's.
type Batch struct {
	// ID is PmtInf/PmtInfId, unique within the file; status reports may
	// report a status for the whole block under it.
	ID string
	// ExecutionDate is PmtInf/ReqdExctnDt/Dt, the day the bank should pay.
	ExecutionDate dost.Date
	// CategoryPurpose, if set, is PmtTpInf/CtgyPurp/Cd, an ISO external
	// category purpose code such as "PENS" (pension) or "SSBE" (social
	// security benefit), 1–4 capital letters.
	CategoryPurpose string
	// NumberOfTransactions and ControlSum are the block's totals; the next
	// Begin or Close fails unless its payments add up to exactly these.
	NumberOfTransactions int64
	ControlSum           dost.Money
}

// Payment is one credit transfer to one beneficiary.
type Payment struct {
	// EndToEndID is the payment's unique reference (PmtId/EndToEndId),
	// 1–35 identifier characters; the bank's status report and notification
	// return it. The Writer does not check uniqueness: the store does.
	EndToEndID string
	// Amount is positive, in qəpik, paid in AZN.
	Amount dost.Money
	// CreditorName is the beneficiary's name (Cdtr/Nm), cut at 140
	// characters.
	CreditorName string
	// CreditorIBAN is the beneficiary's account, checked with
	// dost.ValidateIBAN.
	CreditorIBAN string
	// CreditorBIC is the BIC of the beneficiary's bank (CdtrAgt/FinInstnId/
	// BICFI). When it is "", CreditorAgentID is written as
	// CdtrAgt/FinInstnId/Othr/Id instead, or, when that is "" too, the bank
	// code of an Azerbaijani IBAN (dost.BankCode); with none of these, the
	// creditor agent is left out and the bank routes by IBAN.
	CreditorBIC     string
	CreditorAgentID string
	// Remittance is the unstructured remittance information (RmtInf/Ustrd)
	// naming the programme and the period, 1–140 characters.
	Remittance string
}

// A Writer streams one pain.001.001.09 file: NewWriter writes the group
// header, Begin opens each payment information block, WritePayment writes
// one transaction, Close checks the totals and ends the document.
//
// A Writer keeps one payment in memory and buffers its output; it does not
// close the underlying io.Writer. Its first error is final: it is returned
// by every later call, and Close then does not end the document, so the
// output is incomplete XML. Callers write to a temporary file and keep it
// (rename it into place) only when Close returns nil. A Writer is not safe
// for concurrent use.
type Writer struct {
	w   *bufio.Writer
	buf []byte
	err error

	h        Header
	debtor   []byte // the PmtInf elements from Dbtr to ChrgBr, written once per block
	inBatch  bool
	batch    Batch
	batchN   int64
	batchSum dost.Money
	n        int64
	sum      dost.Money
	closed   bool
}

// NewWriter checks h and writes the start of the document and its group
// header to w. It returns an EINVALID *dost.Error, having written nothing,
// when a field of h is invalid.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	var v dost.Validation
	addErr := func(err error) {
		if err != nil {
			v.Fields = append(v.Fields, dost.ErrorFields(err)...)
		}
	}
	addErr(checkID("message_id", "The message id", h.MessageID))
	if h.CreatedAt.IsZero() {
		v.Add("created_at", "iso20022.required", "The creation time is missing.")
	}
	var err error
	h.Debtor.Name, err = cleanText("debtor.name", "The debtor's name", h.Debtor.Name, 140, true)
	addErr(err)
	if h.InitiatingParty == "" {
		h.InitiatingParty = h.Debtor.Name
	} else {
		h.InitiatingParty, err = cleanText("initiating_party", "The initiating party", h.InitiatingParty, 140, true)
		addErr(err)
	}
	if err := dost.ValidateIBAN(h.Debtor.IBAN); err != nil {
		v.Add("debtor.iban", "iban.invalid", "The debtor's IBAN: %s", dost.ErrorMessage(err))
	}
	addErr(checkBIC("debtor.bic", "The debtor's BIC", h.Debtor.BIC))
	checkTotals(&v, "", h.NumberOfTransactions, h.ControlSum)
	if err := v.Err("The pain.001 header is invalid."); err != nil {
		return nil, err
	}

	wr := &Writer{w: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 1024), h: h}
	b := wr.buf[:0]
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Document xmlns="`...)
	b = append(b, Namespace(Pain001)...)
	b = append(b, "\">\n<CstmrCdtTrfInitn>\n<GrpHdr><MsgId>"...)
	b = append(b, h.MessageID...)
	b = append(b, "</MsgId><CreDtTm>"...)
	b = h.CreatedAt.In(dost.Baku).Truncate(time.Second).AppendFormat(b, "2006-01-02T15:04:05-07:00")
	b = append(b, "</CreDtTm><NbOfTxs>"...)
	b = appendInt(b, h.NumberOfTransactions)
	b = append(b, "</NbOfTxs><CtrlSum>"...)
	b = appendMoney(b, h.ControlSum)
	b = append(b, "</CtrlSum><InitgPty><Nm>"...)
	b = appendEscaped(b, h.InitiatingParty)
	b = append(b, "</Nm></InitgPty></GrpHdr>\n"...)
	wr.write(b)

	d := []byte("<Dbtr><Nm>")
	d = appendEscaped(d, h.Debtor.Name)
	d = append(d, "</Nm></Dbtr><DbtrAcct><Id><IBAN>"...)
	d = append(d, h.Debtor.IBAN...)
	d = append(d, "</IBAN></Id><Ccy>"+dost.Currency+"</Ccy></DbtrAcct><DbtrAgt><FinInstnId><BICFI>"...)
	d = append(d, h.Debtor.BIC...)
	d = append(d, "</BICFI></FinInstnId></DbtrAgt><ChrgBr>DEBT</ChrgBr>\n"...)
	wr.debtor = d
	return wr, wr.err
}

// checkTotals checks declared totals: at least one transaction, a control
// sum that is positive and fits the schema's 18 digits.
func checkTotals(v *dost.Validation, prefix string, n int64, sum dost.Money) {
	if n < 1 || n > 999_999_999_999_999 {
		v.Add(prefix+"number_of_transactions", "iso20022.count", "The number of transactions must be 1 or more; it is %d.", n)
	}
	if sum <= 0 || sum > maxAmount {
		v.Add(prefix+"control_sum", "iso20022.control_sum", "The control sum must be positive and at most 18 digits; it is %s.", sum)
	}
}

// Begin ends the current payment information block, if any, and starts a
// new one. It returns an EINVALID *dost.Error when b is invalid or when the
// block it ends does not add up to its declared totals.
func (w *Writer) Begin(b Batch) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return w.fail(dost.Errorf(dost.EINVALID, "The pain.001 writer is closed."))
	}
	var v dost.Validation
	if err := checkID("batch.id", "The payment information id", b.ID); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	if b.ExecutionDate.IsZero() {
		v.Add("batch.execution_date", "iso20022.required", "The requested execution date is missing.")
	}
	if c := b.CategoryPurpose; c != "" {
		ok := len(c) <= 4
		for i := 0; i < len(c); i++ {
			ok = ok && c[i] >= 'A' && c[i] <= 'Z'
		}
		if !ok {
			v.Add("batch.category_purpose", "iso20022.category_purpose", "The category purpose %q must be 1 to 4 capital letters.", c)
		}
	}
	checkTotals(&v, "batch.", b.NumberOfTransactions, b.ControlSum)
	if err := v.Err(fmt.Sprintf("The payment information block %q is invalid.", b.ID)); err != nil {
		return w.fail(err)
	}
	if err := w.endBatch(); err != nil {
		return err
	}
	x := w.buf[:0]
	x = append(x, "<PmtInf><PmtInfId>"...)
	x = append(x, b.ID...)
	x = append(x, "</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>"...)
	x = appendInt(x, b.NumberOfTransactions)
	x = append(x, "</NbOfTxs><CtrlSum>"...)
	x = appendMoney(x, b.ControlSum)
	x = append(x, "</CtrlSum>"...)
	if b.CategoryPurpose != "" {
		x = append(x, "<PmtTpInf><CtgyPurp><Cd>"...)
		x = append(x, b.CategoryPurpose...)
		x = append(x, "</Cd></CtgyPurp></PmtTpInf>"...)
	}
	x = append(x, "<ReqdExctnDt><Dt>"...)
	x = b.ExecutionDate.Time().AppendFormat(x, dost.DateLayout)
	x = append(x, "</Dt></ReqdExctnDt>"...)
	x = append(x, w.debtor...)
	w.buf = x
	w.write(x)
	w.inBatch, w.batch, w.batchN, w.batchSum = true, b, 0, 0
	return w.err
}

// WritePayment checks p and writes it as one CdtTrfTxInf of the current
// block. It returns an EINVALID *dost.Error when p is invalid, when no block
// was begun, or when p would take the block or the file beyond its declared
// number of transactions or control sum.
func (w *Writer) WritePayment(p Payment) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return w.fail(dost.Errorf(dost.EINVALID, "The pain.001 writer is closed."))
	}
	if !w.inBatch {
		return w.fail(dost.Errorf(dost.EINVALID, "A payment was written before any payment information block was begun."))
	}
	if err := checkID("payment.end_to_end_id", "The payment's end-to-end id", p.EndToEndID); err != nil {
		return w.fail(err)
	}
	if p.Amount <= 0 || p.Amount > maxAmount {
		return w.fail(dost.FieldErr("payment.amount", "iso20022.amount", "Payment %q: the amount %s is not a positive amount of at most 18 digits.", p.EndToEndID, p.Amount))
	}
	name, err := cleanText("payment.creditor_name", "the creditor's name", p.CreditorName, 140, true)
	if err != nil {
		return w.fail(paymentErr(p.EndToEndID, err))
	}
	if err := dost.ValidateIBAN(p.CreditorIBAN); err != nil {
		return w.fail(dost.FieldErr("payment.creditor_iban", "iban.invalid", "Payment %q: the creditor's IBAN: %s", p.EndToEndID, dost.ErrorMessage(err)))
	}
	agentID := ""
	if p.CreditorBIC != "" {
		if err := checkBIC("payment.creditor_bic", "the creditor's BIC", p.CreditorBIC); err != nil {
			return w.fail(paymentErr(p.EndToEndID, err))
		}
	} else if p.CreditorAgentID != "" {
		if agentID, err = cleanText("payment.creditor_agent_id", "the creditor's agent id", p.CreditorAgentID, 35, false); err != nil {
			return w.fail(paymentErr(p.EndToEndID, err))
		}
	} else {
		agentID = dost.BankCode(p.CreditorIBAN)
	}
	rmt, err := cleanText("payment.remittance", "the remittance information", p.Remittance, 140, false)
	if err != nil {
		return w.fail(paymentErr(p.EndToEndID, err))
	}
	if w.batchN == w.batch.NumberOfTransactions || w.batchSum+p.Amount > w.batch.ControlSum {
		return w.fail(dost.FieldErr("batch.control_sum", "iso20022.control_sum_mismatch",
			"Payment %q takes the payment information block %q beyond its declared %d transactions and control sum %s.",
			p.EndToEndID, w.batch.ID, w.batch.NumberOfTransactions, w.batch.ControlSum))
	}
	if w.n == w.h.NumberOfTransactions || w.sum+p.Amount > w.h.ControlSum {
		return w.fail(dost.FieldErr("control_sum", "iso20022.control_sum_mismatch",
			"Payment %q takes the file beyond its declared %d transactions and control sum %s.",
			p.EndToEndID, w.h.NumberOfTransactions, w.h.ControlSum))
	}

	b := w.buf[:0]
	b = append(b, "<CdtTrfTxInf><PmtId><EndToEndId>"...)
	b = append(b, p.EndToEndID...)
	b = append(b, "</EndToEndId></PmtId><Amt><InstdAmt Ccy=\""+dost.Currency+"\">"...)
	b = appendMoney(b, p.Amount)
	b = append(b, "</InstdAmt></Amt>"...)
	switch {
	case p.CreditorBIC != "":
		b = append(b, "<CdtrAgt><FinInstnId><BICFI>"...)
		b = append(b, p.CreditorBIC...)
		b = append(b, "</BICFI></FinInstnId></CdtrAgt>"...)
	case agentID != "":
		b = append(b, "<CdtrAgt><FinInstnId><Othr><Id>"...)
		b = appendEscaped(b, agentID)
		b = append(b, "</Id></Othr></FinInstnId></CdtrAgt>"...)
	}
	b = append(b, "<Cdtr><Nm>"...)
	b = appendEscaped(b, name)
	b = append(b, "</Nm></Cdtr><CdtrAcct><Id><IBAN>"...)
	b = append(b, p.CreditorIBAN...)
	b = append(b, "</IBAN></Id></CdtrAcct><RmtInf><Ustrd>"...)
	b = appendEscaped(b, rmt)
	b = append(b, "</Ustrd></RmtInf></CdtTrfTxInf>\n"...)
	w.buf = b
	w.write(b)
	w.batchN++
	w.batchSum += p.Amount
	w.n++
	w.sum += p.Amount
	return w.err
}

// paymentErr prefixes the message of a field error from cleanText or
// checkBIC with the payment's reference.
func paymentErr(id string, err error) error {
	f := dost.ErrorFields(err)[0]
	return dost.FieldErr(f.Field, f.Code, "Payment %q: %s", id, f.Message)
}

// endBatch closes the current block after checking its totals.
func (w *Writer) endBatch() error {
	if !w.inBatch {
		return nil
	}
	if w.batchN != w.batch.NumberOfTransactions || w.batchSum != w.batch.ControlSum {
		return w.fail(dost.FieldErr("batch.control_sum", "iso20022.control_sum_mismatch",
			"The payment information block %q declared %d transactions summing to %s, but %d summing to %s were written.",
			w.batch.ID, w.batch.NumberOfTransactions, w.batch.ControlSum, w.batchN, w.batchSum))
	}
	w.write([]byte("</PmtInf>\n"))
	w.inBatch = false
	return w.err
}

// Close ends the last block, checks the file's totals, ends the document and
// flushes it. It returns an EINVALID *dost.Error, leaving the document
// unended, when a block or the file does not add up to its declared totals
// or when no block was written, and the write error of the underlying
// io.Writer if there was one. Close does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil || w.closed {
		return w.err
	}
	w.closed = true
	if !w.inBatch {
		return w.fail(dost.Errorf(dost.EINVALID, "The pain.001 file has no payment information block."))
	}
	if err := w.endBatch(); err != nil {
		return err
	}
	if w.n != w.h.NumberOfTransactions || w.sum != w.h.ControlSum {
		return w.fail(dost.FieldErr("control_sum", "iso20022.control_sum_mismatch",
			"The file declared %d transactions summing to %s, but %d summing to %s were written.",
			w.h.NumberOfTransactions, w.h.ControlSum, w.n, w.sum))
	}
	w.write([]byte("</CstmrCdtTrfInitn>\n</Document>\n"))
	if w.err == nil {
		if err := w.w.Flush(); err != nil {
			w.err = fmt.Errorf("write pain.001: %w", err)
		}
	}
	return w.err
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("write pain.001: %w", err)
	}
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}
