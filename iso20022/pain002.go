package iso20022

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// Pain002 is the message name and version StatusReportReader reads.
const Pain002 = "pain.002.001.10"

// StatusReportHeader is the group level of a pain.002 status report: the
// report itself and the pain.001 file it is about.
type StatusReportHeader struct {
	MessageID string    // GrpHdr/MsgId of the report
	CreatedAt time.Time // GrpHdr/CreDtTm

	OriginalMessageID     string // OrgnlGrpInfAndSts/OrgnlMsgId: the pain.001's MsgId
	OriginalMessageNameID string // OrgnlMsgNmId, e.g. "pain.001.001.09"
	// OriginalNumberOfTransactions and OriginalControlSum echo the pain.001's
	// totals when the bank gives them; -1 and 0 with HasOriginalControlSum
	// false when it does not.
	OriginalNumberOfTransactions int64
	OriginalControlSum           dost.Money
	HasOriginalControlSum        bool

	// GroupStatus is the status of the whole file (GrpSts), 0 when the
	// report gives none. StatusRejected here means the bank rejected the
	// whole file: no payment of it was made, whatever follows.
	GroupStatus     Status
	GroupStatusCode string // the bank's code, e.g. "RJCT"
	GroupReasonCode string // first StsRsnInf/Rsn/Cd (or Prtry), e.g. "AM05"
	GroupReasonText string // the StsRsnInf/AddtlInf texts, joined by spaces
}

// TransactionStatus is what a pain.002 says of one payment, or of one whole
// payment information block.
type TransactionStatus struct {
	Line int // the line where the transaction (or the block) starts in the file

	OriginalMessageID    string // the pain.001's MsgId, from the header
	PaymentInformationID string // OrgnlPmtInfId of the block

	// Block is set when the status is the block's own (PmtInfSts) and so
	// applies to every payment of the block; EndToEndID is then "".
	Block bool

	// EndToEndID is OrgnlEndToEndId, the payment's reference; "" when the
	// bank did not give it.
	EndToEndID string
	// Status is TxSts, or when that is absent the block's or the group's
	// status, which then applies.
	Status     Status
	StatusCode string // the bank's code, e.g. "ACSC", "RJCT"
	ReasonCode string // first StsRsnInf/Rsn/Cd (or Prtry), e.g. "AC01"
	ReasonText string // the StsRsnInf/AddtlInf texts, joined by spaces

	// Amount and Currency are OrgnlTxRef/Amt/InstdAmt (or IntrBkSttlmAmt)
	// when the bank echoes the amount; Currency is "" when it does not.
	Amount   dost.Money
	Currency string

	AcceptedAt     time.Time // AccptncDtTm; zero if absent
	SettlementDate dost.Date // OrgnlTxRef/IntrBkSttlmDt; zero if absent
	BankReference  string    // AcctSvcrRef; "" if absent
}

// StatusReportReader reads a pain.002.001.10 payment status report one
// transaction at a time, holding one transaction in memory.
//
// NewStatusReportReader reads and checks everything up to the first
// payment information block; Next then returns the statuses in file order
// and io.EOF after checking that the document ends properly. A problem with
// the file is a *FileError (an EINVALID *dost.Error in its chain) saying
// where, returned by the call that reaches it; statuses already returned
// stay valid, so a caller that must apply all or nothing applies them in
// one database transaction and commits only after Next returns io.EOF. The
// first error is final. A StatusReportReader is not safe for concurrent
// use.
type StatusReportReader struct {
	r      *reader
	header StatusReportHeader
	err    error

	inBlock   bool
	block     TransactionStatus  // the block's own status, held until its first transaction or its end
	blockDone bool               // the block's own status was returned, or there is none to return
	queued    *TransactionStatus // a transaction read while returning its block's status
}

// The element paths of a status report, below the message root.
const (
	pHdrMsgID leaf = iota + 2
	pHdrCreated
	pOrgMsgID
	pOrgMsgNmID
	pOrgNbOfTxs
	pOrgCtrlSum
	pGrpSts
	pRsnCd
	pRsnPrtry
	pRsnText
	pPmtInfID
	pPmtInfSts
	pTxE2E
	pTxSts
	pTxAccepted
	pTxBankRef
	pTxAmount
	pTxSttlmAmount
	pTxSttlmDate
)

var pain002Header = map[string]leaf{
	"GrpHdr":                                container,
	"GrpHdr/MsgId":                          pHdrMsgID,
	"GrpHdr/CreDtTm":                        pHdrCreated,
	"OrgnlGrpInfAndSts":                     container,
	"OrgnlGrpInfAndSts/OrgnlMsgId":          pOrgMsgID,
	"OrgnlGrpInfAndSts/OrgnlMsgNmId":        pOrgMsgNmID,
	"OrgnlGrpInfAndSts/OrgnlNbOfTxs":        pOrgNbOfTxs,
	"OrgnlGrpInfAndSts/OrgnlCtrlSum":        pOrgCtrlSum,
	"OrgnlGrpInfAndSts/GrpSts":              pGrpSts,
	"OrgnlGrpInfAndSts/StsRsnInf":           container,
	"OrgnlGrpInfAndSts/StsRsnInf/Rsn":       container,
	"OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd":    pRsnCd,
	"OrgnlGrpInfAndSts/StsRsnInf/Rsn/Prtry": pRsnPrtry,
	"OrgnlGrpInfAndSts/StsRsnInf/AddtlInf":  pRsnText,
}

// pain002Block holds the paths of a block's own fields, relative to
// OrgnlPmtInfAndSts.
var pain002Block = map[string]leaf{
	"OrgnlPmtInfId":       pPmtInfID,
	"PmtInfSts":           pPmtInfSts,
	"StsRsnInf":           container,
	"StsRsnInf/Rsn":       container,
	"StsRsnInf/Rsn/Cd":    pRsnCd,
	"StsRsnInf/Rsn/Prtry": pRsnPrtry,
	"StsRsnInf/AddtlInf":  pRsnText,
}

// pain002Tx holds the paths of a transaction, relative to TxInfAndSts.
var pain002Tx = map[string]leaf{
	"OrgnlEndToEndId":           pTxE2E,
	"TxSts":                     pTxSts,
	"StsRsnInf":                 container,
	"StsRsnInf/Rsn":             container,
	"StsRsnInf/Rsn/Cd":          pRsnCd,
	"StsRsnInf/Rsn/Prtry":       pRsnPrtry,
	"StsRsnInf/AddtlInf":        pRsnText,
	"AccptncDtTm":               pTxAccepted,
	"AcctSvcrRef":               pTxBankRef,
	"OrgnlTxRef":                container,
	"OrgnlTxRef/IntrBkSttlmAmt": pTxSttlmAmount,
	"OrgnlTxRef/Amt":            container,
	"OrgnlTxRef/Amt/InstdAmt":   pTxAmount,
	"OrgnlTxRef/IntrBkSttlmDt":  pTxSttlmDate,
}

// reasons collects StsRsnInf: the first code and every text.
type reasons struct {
	code string
	text []string
}

func (x *reasons) add(kind leaf, v string) bool {
	switch kind {
	case pRsnCd, pRsnPrtry:
		if x.code == "" {
			x.code = v
		}
	case pRsnText:
		if v != "" {
			x.text = append(x.text, v)
		}
	default:
		return false
	}
	return true
}

// NewStatusReportReader starts reading a pain.002.001.10 report from r. It
// reads the group header and the original group information and returns a
// *FileError when the file is not a well-formed pain.002.001.10 document
// (another message or version, such as pain.002.001.03, included) or when
// a header value is invalid.
func NewStatusReportReader(r io.Reader) (*StatusReportReader, error) {
	sr := &StatusReportReader{r: newReader(r, Pain002), blockDone: true}
	sr.header.OriginalNumberOfTransactions = -1
	if err := sr.r.root("CstmrPmtStsRpt"); err != nil {
		return nil, err
	}
	h := &sr.header
	var rs reasons
	var seenGrp, seenOrg bool
	for !seenOrg {
		k, err := sr.r.token()
		if err != nil {
			return nil, err
		}
		if k == tokEnd {
			return nil, sr.r.errorf(sr.r.line(), "", "The report has no <OrgnlGrpInfAndSts>.")
		}
		if k != tokStart {
			continue
		}
		line := sr.r.line()
		local := sr.r.d.name.Local
		switch local {
		case "GrpHdr":
			seenGrp = true
		case "OrgnlGrpInfAndSts":
			if !seenGrp {
				return nil, sr.r.errorf(line, "", "<OrgnlGrpInfAndSts> comes before <GrpHdr>.")
			}
			seenOrg = true
		default:
			return nil, sr.r.errorf(line, "", "<%s> where <GrpHdr> or <OrgnlGrpInfAndSts> was expected.", local)
		}
		sr.r.push(local)
		err = sr.r.walk(pain002Header, 0, func(kind leaf, v string, attr []xml.Attr, line int) error {
			var err error
			switch kind {
			case pHdrMsgID:
				h.MessageID, err = sr.r.max35(line, v)
			case pHdrCreated:
				h.CreatedAt, err = sr.r.dateTime(line, v)
			case pOrgMsgID:
				h.OriginalMessageID, err = sr.r.max35(line, v)
			case pOrgMsgNmID:
				h.OriginalMessageNameID = v
			case pOrgNbOfTxs:
				n, perr := strconv.ParseInt(v, 10, 64)
				if perr != nil || n < 0 || len(v) > 15 {
					return sr.r.errorf(line, "", "%q is not a number of transactions.", v)
				}
				h.OriginalNumberOfTransactions = n
			case pOrgCtrlSum:
				m, ok := parseAmount(v)
				if !ok {
					return sr.r.errorf(line, "", "%q is not an amount with at most 2 decimals.", v)
				}
				h.OriginalControlSum, h.HasOriginalControlSum = m, true
			case pGrpSts:
				s, ok := paymentStatus(v)
				if !ok {
					return sr.r.errorf(line, "", "%q is not a known payment group status code.", v)
				}
				h.GroupStatus, h.GroupStatusCode = s, v
			default:
				rs.add(kind, v)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		sr.r.pop()
	}
	if h.MessageID == "" || h.CreatedAt.IsZero() {
		return nil, sr.r.errorf(sr.r.line(), "GrpHdr", "The group header lacks <MsgId> or <CreDtTm>.")
	}
	if h.OriginalMessageID == "" || h.OriginalMessageNameID == "" {
		return nil, sr.r.errorf(sr.r.line(), "OrgnlGrpInfAndSts", "The original group information lacks <OrgnlMsgId> or <OrgnlMsgNmId>.")
	}
	h.GroupReasonCode, h.GroupReasonText = rs.code, strings.Join(rs.text, " ")
	return sr, nil
}

// Header returns the report's group level. The caller must not modify it.
func (sr *StatusReportReader) Header() *StatusReportHeader { return &sr.header }

// Next returns the next status: a block's own status (Block set) before the
// block's transactions, then one per transaction. It returns io.EOF at the
// end of a well-formed report, or a *FileError. Each call returns a new
// *TransactionStatus, which the caller may keep.
func (sr *StatusReportReader) Next() (*TransactionStatus, error) {
	if sr.err != nil {
		return nil, sr.err
	}
	ts, err := sr.next()
	if err != nil {
		sr.err = err
	}
	return ts, err
}

func (sr *StatusReportReader) next() (*TransactionStatus, error) {
	if ts := sr.queued; ts != nil {
		sr.queued = nil
		return ts, nil
	}
	r := sr.r
	for {
		k, err := r.token()
		if err != nil {
			return nil, err
		}
		switch k {
		case tokEnd:
			if sr.inBlock {
				sr.inBlock = false
				r.pop()
				if ts := sr.pendingBlock(); ts != nil {
					return ts, nil
				}
				continue
			}
			// The end of CstmrPmtStsRpt.
			if err := r.end(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		case tokStart:
			line := r.line()
			name := r.d.name.Local
			if !sr.inBlock {
				switch name {
				case "OrgnlPmtInfAndSts":
					sr.inBlock, sr.blockDone = true, false
					sr.block = TransactionStatus{Line: line, OriginalMessageID: sr.header.OriginalMessageID, Block: true}
					r.push(name)
				case "SplmtryData":
					if err := r.d.Skip(); err != nil {
						return nil, r.decodeErr(err)
					}
				default:
					return nil, r.errorf(line, name, "Unexpected element in the report.")
				}
				continue
			}
			r.push(name)
			if name == "TxInfAndSts" {
				tx, err := sr.transaction(line)
				if err != nil {
					return nil, err
				}
				if ts := sr.pendingBlock(); ts != nil {
					sr.queued = tx
					return ts, nil
				}
				return tx, nil
			}
			if kind := pain002Block[name]; kind != skip {
				if kind == container {
					// StsRsnInf: walk it as a whole.
					var rs reasons
					err := r.walk(pain002Block, len(r.path)-len(name), func(kind leaf, v string, _ []xml.Attr, _ int) error {
						rs.add(kind, v)
						return nil
					})
					if err != nil {
						return nil, err
					}
					if sr.block.ReasonCode == "" {
						sr.block.ReasonCode = rs.code
					}
					sr.block.ReasonText = strings.TrimSpace(sr.block.ReasonText + " " + strings.Join(rs.text, " "))
				} else {
					v, err := r.text()
					if err != nil {
						return nil, err
					}
					switch kind {
					case pPmtInfID:
						if sr.block.PaymentInformationID, err = r.max35(line, v); err != nil {
							return nil, err
						}
					case pPmtInfSts:
						s, ok := paymentStatus(v)
						if !ok {
							return nil, r.errorf(line, "", "%q is not a known payment status code.", v)
						}
						sr.block.Status, sr.block.StatusCode = s, v
					}
				}
			} else if err := r.d.Skip(); err != nil {
				return nil, r.decodeErr(err)
			}
			r.pop()
		}
	}
}

// pendingBlock returns the current block's own status once, if it has one.
func (sr *StatusReportReader) pendingBlock() *TransactionStatus {
	if sr.blockDone {
		return nil
	}
	sr.blockDone = true
	if sr.block.StatusCode == "" {
		return nil
	}
	ts := sr.block
	return &ts
}

// transaction reads a TxInfAndSts whose start was just read and pushed, and
// pops it.
func (sr *StatusReportReader) transaction(line int) (*TransactionStatus, error) {
	r := sr.r
	if sr.block.PaymentInformationID == "" {
		return nil, r.errorf(line, "", "A transaction comes before its block's <OrgnlPmtInfId>.")
	}
	ts := &TransactionStatus{Line: line, OriginalMessageID: sr.header.OriginalMessageID, PaymentInformationID: sr.block.PaymentInformationID}
	var rs reasons
	var haveInstd bool
	err := r.walk(pain002Tx, len(r.path)+1, func(kind leaf, v string, attr []xml.Attr, line int) error {
		var err error
		switch kind {
		case pTxE2E:
			ts.EndToEndID, err = r.max35(line, v)
		case pTxSts:
			s, ok := paymentStatus(v)
			if !ok {
				return r.errorf(line, "", "%q is not a known payment transaction status code.", v)
			}
			ts.Status, ts.StatusCode = s, v
		case pTxAccepted:
			ts.AcceptedAt, err = r.dateTime(line, v)
		case pTxBankRef:
			ts.BankReference, err = r.max35(line, v)
		case pTxAmount:
			ts.Amount, ts.Currency, err = r.amount(line, v, attr)
			haveInstd = true
		case pTxSttlmAmount:
			m, c, aerr := r.amount(line, v, attr)
			if aerr == nil && !haveInstd {
				ts.Amount, ts.Currency = m, c
			}
			err = aerr
		case pTxSttlmDate:
			ts.SettlementDate, err = r.date(line, v)
		default:
			rs.add(kind, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	r.pop()
	ts.ReasonCode, ts.ReasonText = rs.code, strings.Join(rs.text, " ")
	if ts.StatusCode == "" {
		switch {
		case sr.block.StatusCode != "":
			ts.Status, ts.StatusCode = sr.block.Status, sr.block.StatusCode
		case sr.header.GroupStatusCode != "":
			ts.Status, ts.StatusCode = sr.header.GroupStatus, sr.header.GroupStatusCode
		default:
			return nil, r.errorf(line, "TxInfAndSts", "The transaction has no <TxSts>, and neither its block nor the group has a status.")
		}
		if ts.ReasonCode == "" {
			ts.ReasonCode, ts.ReasonText = sr.block.ReasonCode, sr.block.ReasonText
		}
	}
	return ts, nil
}
