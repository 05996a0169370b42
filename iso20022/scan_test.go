package iso20022

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// tokens reads every token with next, merging adjacent character data and
// dropping comments, processing instructions and white space outside the
// root, as the scanner does.
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
			out = append(out, t.Copy())
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
