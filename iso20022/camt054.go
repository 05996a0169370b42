package iso20022

import (
	"encoding/xml"
	"io"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// Camt054 is the message name and version NotificationReader reads.
const Camt054 = "camt.054.001.08"

// CreditDebit says whether an entry credits or debits the account.
type CreditDebit string

// The two directions of an entry (CdtDbtInd).
const (
	Credit CreditDebit = "CRDT"
	Debit  CreditDebit = "DBIT"
)

// NotificationHeader is the group header of a camt.054 notification.
type NotificationHeader struct {
	MessageID string    // GrpHdr/MsgId
	CreatedAt time.Time // GrpHdr/CreDtTm
}

// EntryTransaction is one transaction of a camt.054 entry (one TxDtls), or
// a whole entry when it has no transaction details.
type EntryTransaction struct {
	Line int // the line where the TxDtls (or the Ntry without details) starts

	NotificationID string // Ntfctn/Id
	Account        string // the notified account: Acct/Id/IBAN, or Acct/Id/Othr/Id

	EntryReference string // Ntry/NtryRef; "" if absent
	// BankReference is the transaction's AcctSvcrRef, else the entry's.
	BankReference string

	// OriginalMessageID, PaymentInformationID and EndToEndID are the
	// transaction's references (Refs/MsgId, Refs/PmtInfId, Refs/EndToEndId)
	// as the bank gives them; each is "" when absent, always so for an entry
	// without details. An entry the agency did not initiate (a fee, a
	// top-up) has none of ours.
	OriginalMessageID    string
	PaymentInformationID string
	EndToEndID           string

	// Amount and Currency are the transaction's Amt, else (for an entry
	// without details) the entry's; Currency is "" when a transaction gives
	// no amount.
	Amount      dost.Money
	Currency    string
	CreditDebit CreditDebit // the transaction's CdtDbtInd, else the entry's
	Reversal    bool        // Ntry/RvslInd: the entry reverses an earlier one

	// EntryStatus is the bank's entry status (Sts/Cd or Sts/Prtry): BOOK,
	// PDNG, INFO or FUTR. Status is StatusSettled for BOOK, StatusPending
	// for the others, and StatusReturned whenever the transaction's return
	// information (RtrInf) gives a reason code or text.
	EntryStatus string
	Status      Status

	BookingDate dost.Date // Ntry/BookgDt; zero if absent
	ValueDate   dost.Date // Ntry/ValDt; zero if absent

	// ReturnReasonCode and ReturnReasonText are RtrInf/Rsn/Cd (or Prtry),
	// e.g. "AC01" (wrong account number) or "AC04" (closed account), and the
	// RtrInf/AddtlInf texts joined by spaces.
	ReturnReasonCode string
	ReturnReasonText string
}

// NotificationReader reads a camt.054.001.08 debit/credit notification one
// transaction at a time. An entry with a million transaction details (a
// batch booking) is streamed too: only one transaction is in memory.
//
// Errors and their finality are as for StatusReportReader: a problem with
// the file is a *FileError returned by the call that reaches it, and Next
// returns io.EOF only after the whole document was read. A
// NotificationReader is not safe for concurrent use.
type NotificationReader struct {
	r      *reader
	header NotificationHeader
	err    error

	level int // 0 in the message, 1 in Ntfctn, 2 in Ntry, 3 in NtryDtls
	ntf   EntryTransaction
	entry EntryTransaction // the entry's fields, copied into each transaction
	// entryTxs counts the entry's transactions; an entry without any is
	// returned on its own at its end.
	entryTxs int
	haveAmt  bool
	haveSts  bool
}

const (
	cMsgID leaf = iota + 2
	cCreated
	cIBAN
	cOthrID
	cAmt
	cCdtDbt
	cRvsl
	cStsCd
	cStsPrtry
	cDate
	cDateTime
	cBankRef
	cRefMsgID
	cRefPmtInf
	cRefE2E
	cRtrCd
	cRtrPrtry
	cRtrText
)

var camt054Header = map[string]leaf{
	"GrpHdr":         container,
	"GrpHdr/MsgId":   cMsgID,
	"GrpHdr/CreDtTm": cCreated,
}

// camt054Acct is relative to Ntfctn; camt054Entry to Ntry for its
// containers (Sts, BookgDt, ValDt).
var camt054Acct = map[string]leaf{
	"Acct/Id":         container,
	"Acct/Id/IBAN":    cIBAN,
	"Acct/Id/Othr":    container,
	"Acct/Id/Othr/Id": cOthrID,
}

var camt054Entry = map[string]leaf{
	"Sts/Cd":       cStsCd,
	"Sts/Prtry":    cStsPrtry,
	"BookgDt/Dt":   cDate,
	"BookgDt/DtTm": cDateTime,
	"ValDt/Dt":     cDate,
	"ValDt/DtTm":   cDateTime,
	"BookgDt":      container,
	"ValDt":        container,
	"Sts":          container,
}

// camt054Tx is relative to TxDtls.
var camt054Tx = map[string]leaf{
	"Refs":             container,
	"Refs/MsgId":       cRefMsgID,
	"Refs/AcctSvcrRef": cBankRef,
	"Refs/PmtInfId":    cRefPmtInf,
	"Refs/EndToEndId":  cRefE2E,
	"Amt":              cAmt,
	"CdtDbtInd":        cCdtDbt,
	"RtrInf":           container,
	"RtrInf/Rsn":       container,
	"RtrInf/Rsn/Cd":    cRtrCd,
	"RtrInf/Rsn/Prtry": cRtrPrtry,
	"RtrInf/AddtlInf":  cRtrText,
}

// NewNotificationReader starts reading a camt.054.001.08 notification from
// r. It reads the group header and returns a *FileError when the file is
// not a well-formed camt.054.001.08 document (another message or version
// included) or when the header is invalid.
func NewNotificationReader(r io.Reader) (*NotificationReader, error) {
	nr := &NotificationReader{r: newReader(r, Camt054)}
	if err := nr.r.root("BkToCstmrDbtCdtNtfctn"); err != nil {
		return nil, err
	}
	h := &nr.header
	for {
		k, err := nr.r.token()
		if err != nil {
			return nil, err
		}
		if k == tokEnd {
			return nil, nr.r.errorf(nr.r.line(), "", "The notification has no <GrpHdr>.")
		}
		if k != tokStart {
			continue
		}
		if local := nr.r.d.name.Local; local != "GrpHdr" {
			return nil, nr.r.errorf(nr.r.line(), local, "<GrpHdr> was expected.")
		}
		nr.r.push("GrpHdr")
		err = nr.r.walk(camt054Header, 0, func(kind leaf, v string, _ []xml.Attr, line int) error {
			var err error
			switch kind {
			case cMsgID:
				h.MessageID, err = nr.r.max35(line, v)
			case cCreated:
				h.CreatedAt, err = nr.r.dateTime(line, v)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		nr.r.pop()
		if h.MessageID == "" || h.CreatedAt.IsZero() {
			return nil, nr.r.errorf(nr.r.line(), "GrpHdr", "The group header lacks <MsgId> or <CreDtTm>.")
		}
		return nr, nil
	}
}

// Header returns the notification's group header. The caller must not
// modify it.
func (nr *NotificationReader) Header() *NotificationHeader { return &nr.header }

// Next returns the next transaction in file order, io.EOF at the end of a
// well-formed notification, or a *FileError. Each call returns a new
// *EntryTransaction, which the caller may keep.
func (nr *NotificationReader) Next() (*EntryTransaction, error) {
	if nr.err != nil {
		return nil, nr.err
	}
	et, err := nr.next()
	if err != nil {
		nr.err = err
	}
	return et, err
}

func (nr *NotificationReader) next() (*EntryTransaction, error) {
	r := nr.r
	for {
		k, err := r.token()
		if err != nil {
			return nil, err
		}
		switch k {
		case tokEnd:
			switch nr.level {
			case 0:
				if err := r.end(); err != nil {
					return nil, err
				}
				return nil, io.EOF
			case 1:
				if nr.ntf.NotificationID == "" || nr.ntf.Account == "" {
					return nil, r.errorf(r.line(), "", "The notification lacks <Id> or <Acct>.")
				}
			case 2:
				if nr.entryTxs == 0 {
					if err := nr.checkEntry(r.line()); err != nil {
						return nil, err
					}
					et := nr.entry
					r.pop()
					nr.level--
					return &et, nil
				}
			}
			r.pop()
			nr.level--
		case tokStart:
			line := r.line()
			name := r.d.name.Local
			r.push(name)
			switch {
			case nr.level == 0 && name == "Ntfctn":
				nr.level = 1
				nr.ntf = EntryTransaction{}
				continue
			case nr.level == 1 && name == "Id":
				v, err := r.text()
				if err != nil {
					return nil, err
				}
				if nr.ntf.NotificationID, err = r.max35(line, v); err != nil {
					return nil, err
				}
			case nr.level == 1 && name == "Acct":
				err := r.walk(camt054Acct, len(r.path)-len(name), func(kind leaf, v string, _ []xml.Attr, line int) error {
					if v == "" {
						return r.errorf(line, "", "The account id is empty.")
					}
					nr.ntf.Account = v
					return nil
				})
				if err != nil {
					return nil, err
				}
			case nr.level == 1 && name == "Ntry":
				if nr.ntf.NotificationID == "" || nr.ntf.Account == "" {
					return nil, r.errorf(line, "", "An entry comes before the notification's <Id> and <Acct>.")
				}
				nr.level = 2
				nr.entry = EntryTransaction{Line: line, NotificationID: nr.ntf.NotificationID, Account: nr.ntf.Account}
				nr.entryTxs, nr.haveAmt, nr.haveSts = 0, false, false
				continue
			case nr.level == 2:
				if err := nr.entryField(name, line, r.d.attrs); err != nil {
					return nil, err
				}
				if name == "NtryDtls" {
					if err := nr.checkEntry(line); err != nil {
						return nil, err
					}
					nr.level = 3
					continue
				}
			case nr.level == 3 && name == "TxDtls":
				nr.entryTxs++
				return nr.transaction(line)
			default:
				if err := r.d.Skip(); err != nil {
					return nil, r.decodeErr(err)
				}
			}
			r.pop()
		}
	}
}

// entryField reads one child of Ntry whose start was just read and pushed,
// except NtryDtls, which stays open.
func (nr *NotificationReader) entryField(name string, line int, attr []xml.Attr) error {
	r, e := nr.r, &nr.entry
	var err error
	switch name {
	case "NtryDtls":
		return nil
	case "NtryRef", "Amt", "CdtDbtInd", "RvslInd", "AcctSvcrRef":
		v, err := r.text()
		if err != nil {
			return err
		}
		switch name {
		case "NtryRef":
			e.EntryReference, err = r.max35(line, v)
		case "AcctSvcrRef":
			e.BankReference, err = r.max35(line, v)
		case "Amt":
			e.Amount, e.Currency, err = r.amount(line, v, attr)
			nr.haveAmt = true
		case "CdtDbtInd":
			e.CreditDebit, err = r.creditDebit(line, v)
		case "RvslInd":
			switch v {
			case "true", "1":
				e.Reversal = true
			case "false", "0":
			default:
				err = r.errorf(line, "", "%q is not true or false.", v)
			}
		}
		return err
	case "Sts", "BookgDt", "ValDt":
		err = r.walk(camt054Entry, len(r.path)-len(name), func(kind leaf, v string, _ []xml.Attr, line int) error {
			var err error
			var d dost.Date
			switch kind {
			case cStsCd, cStsPrtry:
				switch v {
				case "BOOK":
					e.Status = StatusSettled
				case "PDNG", "INFO", "FUTR":
					e.Status = StatusPending
				default:
					return r.errorf(line, "", "%q is not a known entry status (BOOK, PDNG, INFO, FUTR).", v)
				}
				e.EntryStatus, nr.haveSts = v, true
				return nil
			case cDate:
				d, err = r.date(line, v)
			case cDateTime:
				var t time.Time
				t, err = r.dateTime(line, v)
				d = dost.DateOf(t.In(dost.Baku))
			}
			if name == "BookgDt" {
				e.BookingDate = d
			} else {
				e.ValueDate = d
			}
			return err
		})
		return err
	}
	if err := r.d.Skip(); err != nil {
		return r.decodeErr(err)
	}
	return nil
}

// checkEntry checks that the entry has its mandatory fields.
func (nr *NotificationReader) checkEntry(line int) error {
	if !nr.haveAmt || nr.entry.CreditDebit == "" || !nr.haveSts {
		return nr.r.errorf(line, "", "The entry lacks <Amt>, <CdtDbtInd> or <Sts>.")
	}
	return nil
}

func (r *reader) creditDebit(line int, v string) (CreditDebit, error) {
	switch CreditDebit(v) {
	case Credit, Debit:
		return CreditDebit(v), nil
	}
	return "", r.errorf(line, "", "%q is neither CRDT nor DBIT.", v)
}

// transaction reads a TxDtls whose start was just read and pushed, and pops
// it.
func (nr *NotificationReader) transaction(line int) (*EntryTransaction, error) {
	r := nr.r
	et := nr.entry
	et.Line = line
	et.Amount, et.Currency = 0, ""
	var rtrText []string
	var returned bool
	err := r.walk(camt054Tx, len(r.path)+1, func(kind leaf, v string, attr []xml.Attr, line int) error {
		var err error
		switch kind {
		case cRefMsgID:
			et.OriginalMessageID, err = r.max35(line, v)
		case cRefPmtInf:
			et.PaymentInformationID, err = r.max35(line, v)
		case cRefE2E:
			et.EndToEndID, err = r.max35(line, v)
		case cBankRef:
			et.BankReference, err = r.max35(line, v)
		case cAmt:
			et.Amount, et.Currency, err = r.amount(line, v, attr)
		case cCdtDbt:
			et.CreditDebit, err = r.creditDebit(line, v)
		case cRtrCd, cRtrPrtry:
			returned = true
			if et.ReturnReasonCode == "" {
				et.ReturnReasonCode = v
			}
		case cRtrText:
			returned = true
			if v != "" {
				rtrText = append(rtrText, v)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	r.pop()
	if returned {
		et.Status = StatusReturned
		et.ReturnReasonText = strings.Join(rtrText, " ")
	}
	return &et, nil
}
