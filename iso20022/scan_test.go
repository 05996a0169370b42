package iso20022

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// tokens reads every token with next, merging adjacent character data and
// dropping comments, processing instructions and white space outside the
// root, as the scanner does; empty attribute lists and character data
// compare equal whether nil or not.
func tokens(next func() (xml.Token, error)) ([]xml.Token, error) {
	var out []xml.Token
	depth := 0
	for {
		t, err := next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			depth++
			if len(t.Attr) == 0 {
				t.Attr = nil
			}
			out = append(out, t.Copy())
		case xml.EndElement:
			depth--
			out = append(out, t)
		case xml.CharData:
			if depth == 0 {
				continue
			}
			if n := len(out); n > 0 {
				if prev, ok := out[n-1].(xml.CharData); ok {
					out[n-1] = append(prev, t...)
					continue
				}
			}
			// Not t.Copy(): an empty section is nil from the scanner and
			// empty from encoding/xml, a difference no reader sees.
			out = append(out, append(xml.CharData{}, t...))
		case xml.Directive:
			return out, io.ErrUnexpectedEOF // the scanner rejects directives
		}
	}
}

// FuzzScanner checks the scanner against encoding/xml: whatever the
// scanner reads to the end, encoding/xml reads too, with the same tokens.
func FuzzScanner(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<?xml version="1.0"?><a:R xmlns:a="u" xmlns="d" a:x='1&amp;2'><b>t&#x41;&lt;<![CDATA[<&]]></b><c/></a:R>`))
	f.Add([]byte("<R>a\r\nb\rc</R>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newScanner(bytes.NewReader(data))
		got, err := tokens(s.Token)
		if err != nil {
			return
		}
		d := xml.NewDecoder(bytes.NewReader(data))
		want, err := tokens(d.Token)
		if err != nil {
			t.Fatalf("the scanner accepts what encoding/xml rejects (%v):\n%q", err, data)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("tokens differ:\nscanner     %#v\nencoding/xml %#v", got, want)
		}
	})
}

// TestScannerLimits checks that a hostile file costs bounded memory and
// time: an overlong text, CDATA section or name, too many attributes or
// namespace declarations are syntax errors, and the largest allowed text
// is read.
func TestScannerLimits(t *testing.T) {
	big := strings.Repeat("x", maxText+1)
	var attrs, decls strings.Builder
	for i := range maxAttrs + 1 {
		fmt.Fprintf(&attrs, ` a%d="1"`, i)
	}
	for i := range maxNS / 2 {
		fmt.Fprintf(&decls, `<e xmlns:p%d="u%d" xmlns:q%d="v%d">`, i, i, i, i)
	}
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"Text", "<R>" + big + "</R>", "text longer than"},
		{"TextWithEntities", "<R>" + strings.Repeat("&amp;", maxText+1) + "</R>", "text longer than"},
		{"CDATA", "<R><![CDATA[" + big + "]]></R>", "CDATA section longer than"},
		{"Name", "<" + strings.Repeat("n", maxName+1) + "/>", "name too long"},
		{"Attributes", "<R" + attrs.String() + "/>", "more than 64 attributes"},
		{"Namespaces", "<R>" + decls.String() + `<f xmlns:z="w"/>`, "namespace declarations in scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tokens(newScanner(strings.NewReader(tc.doc)).Token)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	t.Run("LargestText", func(t *testing.T) {
		toks, err := tokens(newScanner(strings.NewReader("<R>" + big[1:] + "</R>")).Token)
		if err != nil || len(toks) != 3 || len(toks[1].(xml.CharData)) != maxText {
			t.Errorf("got %d tokens, %v; want the root with %d bytes of text", len(toks), err, maxText)
		}
	})
}
