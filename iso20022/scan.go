package iso20022

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// scanner is a streaming XML 1.0 tokenizer for bank files, several times
// faster than encoding/xml's Decoder on them (it allocates nothing per
// token in the common case), and stricter: it accepts only what a bank file
// needs and rejects the rest with a *xml.SyntaxError.
//
// Accepted: UTF-8 (with or without a byte order mark), an XML declaration
// of version 1.0 and encoding UTF-8, comments and processing instructions,
// one root element, elements and attributes with ASCII names, namespace
// declarations, character data with the five predefined entities, numeric
// character references and CDATA sections. Rejected: a DOCTYPE (and so any
// entity definition), other encodings, non-ASCII names, characters XML
// forbids, mismatched or unclosed tags, duplicate attributes, unbound
// prefixes, anything but white space, comments and processing instructions
// outside the root.
//
// Next reads a start tag, an end tag or character data and leaves the
// element's name (Space is the namespace URI), the attributes and the text
// in the scanner until the next call. Self-closing tags yield a start and an
// end. It allocates nothing per token in the common case.
type scanner struct {
	r    io.Reader
	buf  []byte
	pos  int
	end  int
	eof  bool
	rerr error // the reader's error other than io.EOF

	line      int
	tokenLine int // the line where the last token started

	stack []openElem // open elements
	ns    []nsBinding
	names map[string]string // interned names
	// The last token: its element name, attributes (of a start) and text,
	// valid until the next call of Next.
	name  xml.Name
	attrs []xml.Attr
	text  []byte

	pending  bool // the last start tag closed itself: its end comes next
	rootDone bool
	started  bool
}

// tokKind is the kind of token Next read.
type tokKind uint8

const (
	tokStart     tokKind = iota + 1 // name and attrs are set
	tokEnd                          // name is set
	tokText                         // text is set
	tokDirective                    // a DOCTYPE or other <!…> declaration
)

// Limits of what the scanner reads, far above any bank file's (a leaf's
// text is at most a few hundred bytes, an element has a handful of
// attributes), so that a hostile file costs a bounded amount of memory
// and time: a longer text, name or attribute list is a syntax error.
const (
	maxText  = 1 << 20 // bytes of one text node or CDATA section
	maxName  = 1000    // bytes of a name
	maxAttrs = 64      // attributes of one element
	maxNS    = 256     // namespace declarations in scope
)

type openElem struct {
	qname string // as written, prefix:local
	name  xml.Name
	nns   int // len(ns) before this element's declarations
}

type nsBinding struct{ prefix, uri string }

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: make([]byte, 64<<10), line: 1, names: map[string]string{}}
}

func (s *scanner) syntax(format string, args ...any) error {
	return &xml.SyntaxError{Msg: fmt.Sprintf(format, args...), Line: s.line}
}

// fill makes at least one byte available unless the input ended.
func (s *scanner) fill() bool {
	if s.pos < s.end {
		return true
	}
	if s.eof {
		return false
	}
	s.pos, s.end = 0, 0
	for s.end == 0 {
		n, err := s.r.Read(s.buf)
		s.end = n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.rerr = err
			}
			break
		}
	}
	return s.end > 0
}

// next returns the next byte, counting lines.
func (s *scanner) nextByte() (byte, bool) {
	if s.pos >= s.end && !s.fill() {
		return 0, false
	}
	c := s.buf[s.pos]
	s.pos++
	if c == '\n' {
		s.line++
	}
	return c, true
}

// peek returns the next byte without consuming it.
func (s *scanner) peek() (byte, bool) {
	if s.pos >= s.end && !s.fill() {
		return 0, false
	}
	return s.buf[s.pos], true
}

// eofErr is the error for input that ends too early: the reader's own
// error if it failed, else a syntax error.
func (s *scanner) eofErr() error {
	if s.rerr != nil {
		return s.rerr
	}
	return &xml.SyntaxError{Msg: "unexpected EOF", Line: s.line}
}

func (s *scanner) mustNext() (byte, error) {
	c, ok := s.nextByte()
	if !ok {
		return 0, s.eofErr()
	}
	return c, nil
}

// expect consumes lit or fails.
func (s *scanner) expect(lit string) error {
	for i := 0; i < len(lit); i++ {
		c, err := s.mustNext()
		if err != nil {
			return err
		}
		if c != lit[i] {
			return s.syntax("expected %q", lit)
		}
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func nameStart(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' }

func nameChar(c byte) bool {
	return nameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

// readName reads an ASCII name with at most one colon and returns it interned.
func (s *scanner) readName() (string, error) {
	var tmp [64]byte
	b := tmp[:0]
	c, err := s.mustNext()
	if err != nil {
		return "", err
	}
	if !nameStart(c) {
		return "", s.syntax("invalid name start %q", c)
	}
	b = append(b, c)
	colon := false
	for {
		c, ok := s.peek()
		if !ok {
			return "", s.eofErr()
		}
		if c == ':' && !colon {
			colon = true
		} else if !nameChar(c) {
			break
		}
		b = append(b, c)
		s.pos++
		if len(b) > maxName {
			return "", s.syntax("name too long")
		}
		if c == ':' {
			c2, ok := s.peek()
			if !ok {
				return "", s.eofErr()
			}
			if !nameStart(c2) {
				return "", s.syntax("invalid name")
			}
		}
	}
	if n, ok := s.names[string(b)]; ok {
		return n, nil
	}
	n := string(b)
	if len(s.names) < 10000 {
		s.names[n] = n
	}
	return n, nil
}

func (s *scanner) skipSpace() (bool, error) {
	any := false
	for {
		c, ok := s.peek()
		if !ok {
			return any, s.eofErr()
		}
		if !isSpace(c) {
			return any, nil
		}
		s.nextByte()
		any = true
	}
}

// Next reads the next token; io.EOF after the root element's end and only
// white space, comments and processing instructions.
func (s *scanner) Next() (tokKind, error) {
	if s.pending {
		s.pending = false
		s.name = s.stack[len(s.stack)-1].name
		s.pop()
		return tokEnd, nil
	}
	for {
		s.tokenLine = s.line
		c, ok := s.peek()
		if !ok {
			if s.rerr != nil {
				return 0, s.rerr
			}
			if !s.rootDone {
				return 0, s.eofErr()
			}
			return 0, io.EOF
		}
		if !s.started {
			s.started = true
			if s.pos+3 <= s.end && bytes.HasPrefix(s.buf[s.pos:s.end], []byte("\ufeff")) {
				s.pos += 3
				continue
			}
		}
		if c != '<' {
			k, err := s.charData()
			if err != nil || k != 0 {
				return k, err
			}
			continue
		}
		s.nextByte()
		c, err := s.mustNext()
		if err != nil {
			return 0, err
		}
		switch c {
		case '?':
			if err := s.procInst(); err != nil {
				return 0, err
			}
		case '!':
			k, err := s.bang()
			if err != nil || k != 0 {
				return k, err
			}
		case '/':
			return s.endTag()
		default:
			s.pos-- // c is the name's first byte; it is not '\n'
			return s.startTag()
		}
	}
}

// Token returns the next token as encoding/xml would (for tests).
func (s *scanner) Token() (xml.Token, error) {
	k, err := s.Next()
	if err != nil {
		return nil, err
	}
	switch k {
	case tokStart:
		return xml.StartElement{Name: s.name, Attr: s.attrs}.Copy(), nil
	case tokEnd:
		return xml.EndElement{Name: s.name}, nil
	case tokText:
		return xml.CharData(s.text), nil
	}
	return xml.Directive("DOCTYPE"), nil
}

// charData reads text up to the next '<'. Outside the root it must be
// white space and 0 is returned.
func (s *scanner) charData() (tokKind, error) {
	s.text = s.text[:0]
	for {
		if s.pos >= s.end && !s.fill() {
			break
		}
		chunk := s.buf[s.pos:s.end]
		i := 0
		for i < len(chunk) && chunk[i] != '<' && chunk[i] != '&' && chunk[i] != '\r' && chunk[i] != ']' {
			if chunk[i] == '\n' {
				s.line++
			}
			i++
		}
		s.text = append(s.text, chunk[:i]...)
		s.pos += i
		if len(s.text) > maxText {
			return 0, s.syntax("text longer than %d bytes", maxText)
		}
		if i < len(chunk) {
			c := chunk[i]
			if c == '<' {
				break
			}
			s.pos++
			switch c {
			case '&':
				var err error
				if s.text, err = s.entity(s.text); err != nil {
					return 0, err
				}
			case '\r':
				// \r\n and a lone \r become \n.
				if n, ok := s.peek(); ok && n == '\n' {
					continue
				}
				s.text = append(s.text, '\n')
				s.line++
			case ']':
				s.text = append(s.text, ']')
				if bytes.HasSuffix(s.text, []byte("]]")) {
					if n, ok := s.peek(); ok && n == '>' {
						return 0, s.syntax("unescaped ]]> not in CDATA section")
					}
				}
			}
		}
	}
	if err := s.checkText(s.text); err != nil {
		return 0, err
	}
	if len(s.stack) == 0 {
		for _, c := range s.text {
			if !isSpace(c) {
				if s.rootDone {
					return 0, s.syntax("text after the root element")
				}
				return 0, s.syntax("text before the root element")
			}
		}
		return 0, nil
	}
	return tokText, nil
}

// checkText checks that b is UTF-8 of characters XML allows.
func (s *scanner) checkText(b []byte) error {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return s.syntax("illegal character code %U", rune(c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return s.syntax("invalid UTF-8")
		}
		if r == 0xFFFE || r == 0xFFFF {
			return s.syntax("illegal character code %U", r)
		}
		i += n
	}
	return nil
}

// entity reads a reference after '&' and appends its character to b.
func (s *scanner) entity(b []byte) ([]byte, error) {
	var tmp [16]byte
	name := tmp[:0]
	for {
		c, err := s.mustNext()
		if err != nil {
			return nil, err
		}
		if c == ';' {
			break
		}
		if len(name) == len(tmp) {
			return nil, s.syntax("invalid character entity")
		}
		name = append(name, c)
	}
	switch string(name) {
	case "lt":
		return append(b, '<'), nil
	case "gt":
		return append(b, '>'), nil
	case "amp":
		return append(b, '&'), nil
	case "apos":
		return append(b, '\''), nil
	case "quot":
		return append(b, '"'), nil
	}
	if len(name) > 1 && name[0] == '#' {
		var v uint64
		var err error
		if name[1] == 'x' {
			v, err = strconv.ParseUint(string(name[2:]), 16, 32)
		} else {
			v, err = strconv.ParseUint(string(name[1:]), 10, 32)
		}
		r := rune(v)
		if err == nil && (r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return utf8.AppendRune(b, r), nil
		}
	}
	return nil, s.syntax("invalid character entity &%s;", name)
}

// procInst reads a processing instruction after "<?"; the XML declaration
// must say version 1.0 and, if it names one, encoding UTF-8.
func (s *scanner) procInst() error {
	target, err := s.readName()
	if err != nil {
		return err
	}
	if c, ok := s.peek(); ok && !isSpace(c) && c != '?' {
		return s.syntax("invalid processing instruction target")
	}
	var body []byte
	for {
		c, err := s.mustNext()
		if err != nil {
			return err
		}
		if c == '?' {
			if n, ok := s.peek(); ok && n == '>' {
				s.nextByte()
				break
			}
		}
		body = append(body, c)
		if len(body) > 4096 {
			return s.syntax("processing instruction too long")
		}
	}
	if err := s.checkText(body); err != nil {
		return err
	}
	if strings.EqualFold(target, "xml") {
		if v := procAttr(string(body), "version"); v != "" && v != "1.0" {
			return s.syntax("unsupported version %q; only version 1.0 is supported", v)
		}
		if enc := procAttr(string(body), "encoding"); enc != "" && !strings.EqualFold(enc, "utf-8") {
			return s.syntax("encoding %q declared; a bank file must be UTF-8", enc)
		}
	}
	return nil
}

// procAttr returns the value of param in an XML declaration's body.
func procAttr(body, param string) string {
	i := strings.Index(body, param)
	if i < 0 {
		return ""
	}
	v := strings.TrimLeft(body[i+len(param):], " \t\r\n")
	if !strings.HasPrefix(v, "=") {
		return ""
	}
	v = strings.TrimLeft(v[1:], " \t\r\n")
	if v == "" || v[0] != '\'' && v[0] != '"' {
		return ""
	}
	if j := strings.IndexByte(v[1:], v[0]); j >= 0 {
		return v[1 : 1+j]
	}
	return ""
}

// bang reads what follows "<!": a comment, a CDATA section (returned as
// character data) or a DOCTYPE, which is rejected.
func (s *scanner) bang() (tokKind, error) {
	c, err := s.mustNext()
	if err != nil {
		return 0, err
	}
	switch c {
	case '-':
		if err := s.expect("-"); err != nil {
			return 0, err
		}
		dashes := 0
		for {
			c, err := s.mustNext()
			if err != nil {
				return 0, err
			}
			if c == '>' && dashes >= 2 {
				return 0, nil
			}
			if c == '-' {
				dashes++
			} else {
				dashes = 0
			}
		}
	case '[':
		if err := s.expect("CDATA["); err != nil {
			return 0, err
		}
		if len(s.stack) == 0 {
			return 0, s.syntax("CDATA section outside the root element")
		}
		s.text = s.text[:0]
		for {
			c, err := s.mustNext()
			if err != nil {
				return 0, err
			}
			s.text = append(s.text, c)
			if c == '>' && bytes.HasSuffix(s.text, []byte("]]>")) {
				s.text = s.text[:len(s.text)-3]
				break
			}
			if len(s.text) > maxText+2 { // the text and "]]" of an end not yet seen
				return 0, s.syntax("CDATA section longer than %d bytes", maxText)
			}
		}
		s.text = bytes.ReplaceAll(s.text, []byte("\r\n"), []byte("\n"))
		if err := s.checkText(s.text); err != nil {
			return 0, err
		}
		return tokText, nil
	}
	return tokDirective, nil
}

// resolve returns the namespace URI bound to prefix.
func (s *scanner) resolve(prefix string) (string, bool) {
	for i := len(s.ns) - 1; i >= 0; i-- {
		if s.ns[i].prefix == prefix {
			return s.ns[i].uri, true
		}
	}
	if prefix == "" {
		return "", true
	}
	if prefix == "xml" {
		return "http://www.w3.org/XML/1998/namespace", true
	}
	return "", false
}

func splitName(q string) (prefix, local string) {
	if i := strings.IndexByte(q, ':'); i >= 0 {
		return q[:i], q[i+1:]
	}
	return "", q
}

// startTag reads a start tag after "<".
func (s *scanner) startTag() (tokKind, error) {
	if s.rootDone {
		return 0, s.syntax("a second root element")
	}
	qname, err := s.readName()
	if err != nil {
		return 0, err
	}
	nns := len(s.ns)
	s.attrs = s.attrs[:0]
	selfClosing := false
	for {
		space, err := s.skipSpace()
		if err != nil {
			return 0, err
		}
		c, err := s.mustNext()
		if err != nil {
			return 0, err
		}
		if c == '>' {
			break
		}
		if c == '/' {
			if err := s.expect(">"); err != nil {
				return 0, err
			}
			selfClosing = true
			break
		}
		if !space {
			return 0, s.syntax("expected white space before an attribute")
		}
		s.pos--
		aname, err := s.readName()
		if err != nil {
			return 0, err
		}
		if _, err := s.skipSpace(); err != nil {
			return 0, err
		}
		if err := s.expect("="); err != nil {
			return 0, err
		}
		if _, err := s.skipSpace(); err != nil {
			return 0, err
		}
		val, err := s.attrValue()
		if err != nil {
			return 0, err
		}
		if len(s.attrs) >= maxAttrs {
			return 0, s.syntax("more than %d attributes", maxAttrs)
		}
		for _, a := range s.attrs {
			if a.Name.Space == "" && a.Name.Local == aname {
				return 0, s.syntax("attribute %s given twice", aname)
			}
		}
		switch p, l := splitName(aname); {
		case aname == "xmlns":
			s.ns = append(s.ns, nsBinding{"", val})
		case p == "xmlns":
			if val == "" {
				return 0, s.syntax("empty namespace for prefix %s", l)
			}
			s.ns = append(s.ns, nsBinding{l, val})
		}
		if len(s.ns) > maxNS {
			return 0, s.syntax("more than %d namespace declarations in scope", maxNS)
		}
		// Attribute names stay unresolved here (Space holds the qualified
		// name's whole text); they are resolved below once every
		// declaration of the tag is known.
		s.attrs = append(s.attrs, xml.Attr{Name: xml.Name{Local: aname}, Value: val})
	}
	for i := range s.attrs {
		a := &s.attrs[i]
		p, l := splitName(a.Name.Local)
		switch {
		case p == "" && l == "xmlns":
			a.Name = xml.Name{Space: "", Local: "xmlns"}
		case p == "xmlns":
			a.Name = xml.Name{Space: "xmlns", Local: l}
		case p == "":
			a.Name = xml.Name{Local: l}
		default:
			uri, ok := s.resolve(p)
			if !ok {
				return 0, s.syntax("unbound namespace prefix %s", p)
			}
			a.Name = xml.Name{Space: uri, Local: l}
		}
	}
	p, l := splitName(qname)
	uri, ok := s.resolve(p)
	if !ok {
		return 0, s.syntax("unbound namespace prefix %s", p)
	}
	name := xml.Name{Space: uri, Local: l}
	s.stack = append(s.stack, openElem{qname: qname, name: name, nns: nns})
	if len(s.stack) > 1000 {
		return 0, s.syntax("elements nested too deeply")
	}
	s.pending = selfClosing
	s.name = name
	return tokStart, nil
}

// attrValue reads a quoted attribute value, decoding references and
// normalising white space characters to spaces.
func (s *scanner) attrValue() (string, error) {
	q, err := s.mustNext()
	if err != nil {
		return "", err
	}
	if q != '"' && q != '\'' {
		return "", s.syntax("unquoted attribute value")
	}
	var tmp [64]byte
	b := tmp[:0]
	for {
		c, err := s.mustNext()
		if err != nil {
			return "", err
		}
		switch {
		case c == q:
			if err := s.checkText(b); err != nil {
				return "", err
			}
			return string(b), nil
		case c == '<':
			return "", s.syntax("unescaped < inside attribute value")
		case c == '&':
			if b, err = s.entity(b); err != nil {
				return "", err
			}
		case c == '\r':
			if n, ok := s.peek(); ok && n == '\n' {
				continue
			}
			b = append(b, ' ')
		case c == '\t' || c == '\n':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
		if len(b) > 1<<16 {
			return "", s.syntax("attribute value too long")
		}
	}
}

// endTag reads an end tag after "</".
func (s *scanner) endTag() (tokKind, error) {
	qname, err := s.readName()
	if err != nil {
		return 0, err
	}
	if _, err := s.skipSpace(); err != nil {
		return 0, err
	}
	if err := s.expect(">"); err != nil {
		return 0, err
	}
	if len(s.stack) == 0 {
		return 0, s.syntax("unexpected end element </%s>", qname)
	}
	top := s.stack[len(s.stack)-1]
	if top.qname != qname {
		return 0, s.syntax("element <%s> closed by </%s>", top.qname, qname)
	}
	s.pop()
	s.name = top.name
	return tokEnd, nil
}

func (s *scanner) pop() {
	top := s.stack[len(s.stack)-1]
	s.ns = s.ns[:top.nns]
	s.stack = s.stack[:len(s.stack)-1]
	if len(s.stack) == 0 {
		s.rootDone = true
	}
}

// Skip reads tokens up to the end of the element whose start was read last.
func (s *scanner) Skip() error {
	depth := 0
	for {
		k, err := s.Next()
		if err != nil {
			return err
		}
		switch k {
		case tokStart:
			depth++
		case tokEnd:
			if depth == 0 {
				return nil
			}
			depth--
		}
	}
}
