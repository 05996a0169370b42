package iso20022

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// FileError is a problem with a bank file being read: where it is and what
// is wrong. It wraps an EINVALID *dost.Error, so dost.ErrorCode reports
// dost.EINVALID and dost.ErrorMessage the whole sentence.
type FileError struct {
	Line    int    // 1-based line of the element, or of the syntax error; 0 if unknown
	Element string // the element's path below the message root, e.g. "OrgnlPmtInfAndSts/TxInfAndSts/TxSts"; may be ""
	Reason  string // what is wrong, a sentence
}

// Error formats the error as "line 12, <OrgnlPmtInfAndSts/TxInfAndSts/TxSts>: …".
func (e *FileError) Error() string { return e.message() }

func (e *FileError) message() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d, ", e.Line)
	}
	if e.Element != "" {
		fmt.Fprintf(&b, "<%s>: ", e.Element)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the EINVALID *dost.Error with the same message.
func (e *FileError) Unwrap() error {
	return &dost.Error{Code: dost.EINVALID, Message: "The bank file is invalid: " + e.message()}
}

// Status is what a bank file says became of a payment, reduced to what the
// payroll acts on. The bank's own code is kept next to it.
type Status int

// The statuses. StatusAccepted means the bank took the instruction but the
// money has not reached the beneficiary yet; only StatusSettled means paid.
const (
	StatusAccepted Status = iota + 1 // ACTC, ACCP, ACSP, ACWC, ACFC, ACWP, ACIS, ACPD; group PART
	StatusPending                    // PDNG, RCVD, PRES, BLCK; camt.054 PDNG and INFO entries
	StatusSettled                    // ACSC, ACCC; camt.054 BOOK entries
	StatusRejected                   // RJCT, CANC
	StatusReturned                   // camt.054: a booked entry with return information (RtrInf)
)

// String returns "accepted", "pending", "settled", "rejected" or "returned".
func (s Status) String() string {
	switch s {
	case StatusAccepted:
		return "accepted"
	case StatusPending:
		return "pending"
	case StatusSettled:
		return "settled"
	case StatusRejected:
		return "rejected"
	case StatusReturned:
		return "returned"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// paymentStatus maps an ISO external payment (transaction or group) status
// code; ok is false for a code outside the ISO list.
func paymentStatus(code string) (s Status, ok bool) {
	switch code {
	case "ACSC", "ACCC":
		return StatusSettled, true
	case "ACTC", "ACCP", "ACSP", "ACWC", "ACFC", "ACWP", "ACIS", "ACPD", "PART":
		return StatusAccepted, true
	case "PDNG", "RCVD", "PRES", "BLCK":
		return StatusPending, true
	case "RJCT", "CANC":
		return StatusRejected, true
	}
	return 0, false
}

// reader is the streaming core shared by the message readers: a scanner,
// the element path below the message root, and
// located errors.
type reader struct {
	d    *scanner
	msg  string // expected message, e.g. "pain.002.001.10"
	path []byte // local names from below the message root, "/"-separated
	err  error  // sticky
}

func newReader(r io.Reader, msg string) *reader {
	return &reader{d: newScanner(r), msg: msg}
}

// line returns the current line of the decoder.
func (r *reader) line() int {
	return r.d.line
}

// errorf returns a *FileError at line for the current path (plus child,
// when not "").
func (r *reader) errorf(line int, child, format string, args ...any) error {
	el := string(r.path)
	if child != "" {
		if el != "" {
			el += "/"
		}
		el += child
	}
	return &FileError{Line: line, Element: el, Reason: fmt.Sprintf(format, args...)}
}

// token returns the next token that matters: start and end elements and
// character data. Every error is a *FileError except one of the underlying
// io.Reader, which is wrapped; the end of the input is an error, since every
// caller expects more.
func (r *reader) token() (tokKind, error) {
	k, err := r.d.Next()
	if err != nil {
		return 0, r.decodeErr(err)
	}
	if k == tokDirective {
		return 0, r.errorf(r.line(), "", "The file has a DOCTYPE or other directive, which a bank file may not have.")
	}
	return k, nil
}

// decodeErr turns an error of the decoder into a *FileError, unless it is
// the underlying io.Reader's.
func (r *reader) decodeErr(err error) error {
	var se *xml.SyntaxError
	switch {
	case r.d.rerr != nil && err == r.d.rerr:
		return fmt.Errorf("read %s: %w", r.msg, err)
	case errors.As(err, &se) && se.Msg == "unexpected EOF":
		return &FileError{Line: se.Line, Element: string(r.path), Reason: "The file ends before the document does."}
	case errors.As(err, &se):
		return &FileError{Line: se.Line, Element: string(r.path), Reason: "The file is not well-formed XML: " + strings.TrimSuffix(se.Msg, ".") + "."}
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return &FileError{Line: r.line(), Element: string(r.path), Reason: "The file ends before the document does."}
	}
	return &FileError{Line: r.line(), Element: string(r.path), Reason: "The file cannot be read as XML: " + strings.TrimPrefix(err.Error(), "xml: ") + "."}
}

// root reads up to the message element below Document and checks the
// namespace: a file of another message or version is an error naming it.
func (r *reader) root(msgElem string) error {
	for {
		k, err := r.token()
		if err != nil {
			return err
		}
		switch k {
		case tokText:
			if len(bytes.Trim(r.d.text, " \t\r\n\ufeff")) > 0 {
				return r.errorf(r.line(), "", "Text before the root element.")
			}
			continue
		case tokStart:
			want := Namespace(r.msg)
			if r.d.name.Local != "Document" {
				return r.errorf(r.line(), "", "The root element is <%s>; a %s file has <Document>.", r.d.name.Local, r.msg)
			}
			if r.d.name.Space != want {
				if other, ok := strings.CutPrefix(r.d.name.Space, Namespace("")); ok {
					return r.errorf(r.line(), "", "The file is a %s message; want %s.", other, r.msg)
				}
				return r.errorf(r.line(), "", "The document's namespace is %q; want %q.", r.d.name.Space, want)
			}
		}
		break
	}
	for {
		k, err := r.token()
		if err != nil {
			return err
		}
		switch k {
		case tokText:
			if len(bytes.Trim(r.d.text, " \t\r\n\ufeff")) > 0 {
				return r.errorf(r.line(), "", "Unexpected text in <Document>.")
			}
			continue
		case tokStart:
			if r.d.name.Local != msgElem || r.d.name.Space != Namespace(r.msg) {
				return r.errorf(r.line(), "", "<Document> holds <%s>; a %s file holds <%s>.", r.d.name.Local, r.msg, msgElem)
			}
			return nil
		case tokEnd:
			return r.errorf(r.line(), "", "<Document> is empty; a %s file holds <%s>.", r.msg, msgElem)
		}
	}
}

// end checks what follows the message element's end: </Document> and
// nothing but white space, comments and processing instructions.
func (r *reader) end() error {
	docEnded := false
	for {
		k, err := r.d.Next()
		if err == io.EOF && docEnded {
			return nil
		}
		if err != nil {
			return r.decodeErr(err)
		}
		switch k {
		case tokText:
			if len(bytes.Trim(r.d.text, " \t\r\n\ufeff")) > 0 {
				return r.errorf(r.line(), "", "Unexpected text after the message.")
			}
		case tokEnd:
			docEnded = true
		case tokStart:
			return r.errorf(r.line(), "", "Unexpected element <%s> after the message.", r.d.name.Local)
		case tokDirective:
			return r.errorf(r.line(), "", "The file has a directive, which a bank file may not have.")
		}
	}
}

func (r *reader) push(name string) {
	if len(r.path) > 0 {
		r.path = append(r.path, '/')
	}
	r.path = append(r.path, name...)
}

func (r *reader) pop() {
	i := bytes.LastIndexByte(r.path, '/')
	if i < 0 {
		i = 0
	}
	r.path = r.path[:i]
}

// leaf is what a walk does with an element at a path.
type leaf uint8

const (
	skip      leaf = iota // not of interest: skipped unread
	container             // descended into
	// Values from here on are text leaves of one message's table.
)

// walk reads the children of the element whose start was just read (and
// pushed) until its end, descending into containers of table and calling
// text for every text leaf with its value and attributes. Elements not in
// table are skipped. Mixed content and children of text leaves are errors.
func (r *reader) walk(table map[string]leaf, base int, text func(kind leaf, value string, attr []xml.Attr, line int) error) error {
	depth := 0
	for {
		k, err := r.token()
		if err != nil {
			return err
		}
		switch k {
		case tokStart:
			line := r.line()
			r.push(r.d.name.Local)
			kind := table[string(r.path[base:])]
			switch kind {
			case skip:
				if err := r.d.Skip(); err != nil {
					return r.decodeErr(err)
				}
				r.pop()
			case container:
				depth++
			default:
				v, err := r.text()
				if err != nil {
					return err
				}
				if err := text(kind, v, r.d.attrs, line); err != nil {
					return err
				}
				r.pop()
			}
		case tokEnd:
			if depth == 0 {
				return nil
			}
			depth--
			r.pop()
		case tokText:
			// White space between elements; text in a container is
			// ignored, as the schema allows none.
		}
	}
}

// text reads the character data of a text leaf up to its end element and
// returns it with surrounding XML white space removed.
func (r *reader) text() (string, error) {
	var s []byte
	for {
		k, err := r.token()
		if err != nil {
			return "", err
		}
		switch k {
		case tokText:
			s = append(s, r.d.text...)
		case tokStart:
			return "", r.errorf(r.line(), "", "A text element holds the element <%s>.", r.d.name.Local)
		case tokEnd:
			return string(bytes.Trim(s, " \t\r\n")), nil
		}
	}
}

// parseAmount parses an xs:decimal amount with at most two fraction digits
// and at most 18 digits, not negative: "1500", "1500.5", "+0.75", ".5".
func parseAmount(s string) (dost.Money, bool) {
	s = strings.TrimPrefix(s, "+")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 2 {
		return 0, false
	}
	var v int64
	digits := 0
	for i := 0; i < len(whole)+len(frac); i++ {
		var c byte
		if i < len(whole) {
			c = whole[i]
		} else {
			c = frac[i-len(whole)]
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		if v == 0 && c == '0' {
			continue // leading zeros do not count against 18 digits
		}
		digits++
		if digits > 18 {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	for i := len(frac); i < 2; i++ {
		v *= 10
	}
	if dost.Money(v) > maxAmount {
		return 0, false
	}
	return dost.Money(v), true
}

// amount parses an amount element's value and its Ccy attribute.
func (r *reader) amount(line int, value string, attr []xml.Attr) (dost.Money, string, error) {
	m, ok := parseAmount(value)
	if !ok {
		return 0, "", r.errorf(line, "", "%q is not an amount with at most 2 decimals.", value)
	}
	ccy := ""
	for _, a := range attr {
		if a.Name.Local == "Ccy" && a.Name.Space == "" {
			ccy = a.Value
		}
	}
	if !currencyCode(ccy) {
		return 0, "", r.errorf(line, "", "The currency %q is not a 3-letter ISO 4217 code.", ccy)
	}
	return m, ccy, nil
}

func currencyCode(s string) bool {
	return len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z'
}

// parseDate parses an xs:date, ignoring a time zone suffix, which does not
// change the civil date the bank meant.
func parseDate(s string) (dost.Date, bool) {
	if len(s) < 10 {
		return dost.Date{}, false
	}
	if z := s[10:]; z != "" && z != "Z" && !(len(z) == 6 && (z[0] == '+' || z[0] == '-') && z[3] == ':') {
		return dost.Date{}, false
	}
	d, err := dost.ParseDate(s[:10])
	return d, err == nil
}

// parseDateTime parses an xs:dateTime; one without a zone is Baku time.
func parseDateTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, dost.Baku)
	return t, err == nil
}

// date and dateTime parse a leaf or return a located error.
func (r *reader) date(line int, value string) (dost.Date, error) {
	d, ok := parseDate(value)
	if !ok {
		return dost.Date{}, r.errorf(line, "", "%q is not a date.", value)
	}
	return d, nil
}

func (r *reader) dateTime(line int, value string) (time.Time, error) {
	t, ok := parseDateTime(value)
	if !ok {
		return time.Time{}, r.errorf(line, "", "%q is not a date and time.", value)
	}
	return t, nil
}

// max35 checks an identifier's length (Max35Text).
func (r *reader) max35(line int, value string) (string, error) {
	if value == "" || len([]rune(value)) > 35 {
		return "", r.errorf(line, "", "%q must have 1 to 35 characters.", value)
	}
	return value, nil
}
