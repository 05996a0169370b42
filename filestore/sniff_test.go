package filestore_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/filestore"
)

// minimalPDF is a complete one-page PDF.
const minimalPDF = "%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n" +
	"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n" +
	"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj\n" +
	"trailer <</Root 1 0 R>>\n%%EOF\n"

func smallImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(2, 3, color.RGBA{200, 30, 30, 255})
	return img
}

func encoded(t *testing.T, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := enc(&b, smallImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	pngBytes := encoded(t, func(b *bytes.Buffer, img image.Image) error { return png.Encode(b, img) })
	jpegBytes := encoded(t, func(b *bytes.Buffer, img image.Image) error { return jpeg.Encode(b, img, nil) })

	t.Run("OK", func(t *testing.T) {
		for _, tt := range []struct {
			name    string
			content []byte
			want    string
		}{
			{"PDF", []byte(minimalPDF), "application/pdf"},
			{"PNG", pngBytes, "image/png"},
			{"JPEG", jpegBytes, "image/jpeg"},
			{"LargestPDF", append([]byte(minimalPDF), make([]byte, dost.MaxDocumentSize-len(minimalPDF))...), "application/pdf"},
		} {
			got, err := filestore.Sniff(tt.content)
			if err != nil || got != tt.want {
				t.Errorf("%s: Sniff = %q, %v, want %q", tt.name, got, err, tt.want)
			}
		}
	})

	for _, tt := range []struct {
		name    string
		content []byte
		code    string
	}{
		{"ErrEmpty", nil, "file.empty"},
		{"ErrTooLarge", append([]byte(minimalPDF), make([]byte, dost.MaxDocumentSize)...), "file.too_large"},
		{"ErrRenamedText", []byte("Passport scan, honest.\nFIN 5ZK1R2A\n"), "file.type_not_allowed"},
		{"ErrHTML", []byte("<html><script>alert(1)</script></html>"), "file.type_not_allowed"},
		{"ErrGIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "file.type_not_allowed"},
		{"ErrPDFAfterSpace", []byte("  " + minimalPDF), "file.type_not_allowed"},
		{"ErrZip", []byte("PK\x03\x04\x14\x00\x00\x00"), "file.type_not_allowed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ct, err := filestore.Sniff(tt.content)
			if code := dost.ErrorCode(err); code != dost.EINVALID {
				t.Fatalf("Sniff = %q, code %q, want %q", ct, code, dost.EINVALID)
			}
			fields := dost.ErrorFields(err)
			if len(fields) != 1 || fields[0].Field != "file" || fields[0].Code != tt.code {
				t.Errorf("fields = %+v, want one for file with code %q", fields, tt.code)
			}
		})
	}
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte("%PDF-1.7\n%âãÏÓ\n"))
	f.Add([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"))
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	f.Add([]byte("<html><body>%PDF-</body></html>"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, content []byte) {
		ct, err := filestore.Sniff(content)
		if err != nil {
			var e *dost.Error
			if !errors.As(err, &e) || e.Code != dost.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "file" {
				t.Fatalf("Sniff: got %#v, want an invalid *dost.Error with field file", err)
			}
			if ct != "" {
				t.Fatalf("Sniff: got content type %q with an error, want none", ct)
			}
			return
		}
		if !slices.Contains(dost.DocumentContentTypes, ct) {
			t.Fatalf("Sniff: got content type %q, want one of %v", ct, dost.DocumentContentTypes)
		}
		if len(content) == 0 || len(content) > dost.MaxDocumentSize {
			t.Fatalf("Sniff: accepted %d bytes, want 1 to %d", len(content), dost.MaxDocumentSize)
		}
	})
}

func TestCheckDeclared(t *testing.T) {
	const pdf, jpg, png = "application/pdf", "image/jpeg", "image/png"
	t.Run("OK", func(t *testing.T) {
		for _, tt := range []struct{ name, declared, sniffed string }{
			{"scan.pdf", "application/pdf", pdf},
			{"SCAN.PDF", "", pdf},
			{"photo.jpg", "image/jpeg", jpg},
			{"photo.JPEG", "image/jpg", jpg},           // an alias
			{"şəkil.png", "image/png; q=1", png},       // parameters
			{"no-extension", "", png},                  // claims nothing
			{"archive.2026", "", pdf},                  // not a type's extension
			{"x.png", "application/octet-stream", png}, // generic: claims nothing
			{"", "", jpg},
		} {
			if err := filestore.CheckDeclared(tt.name, tt.declared, tt.sniffed); err != nil {
				t.Errorf("CheckDeclared(%q, %q, %q) = %v, want nil", tt.name, tt.declared, tt.sniffed, err)
			}
		}
	})
	for _, tt := range []struct {
		name, fileName, declared, sniffed, message string
	}{
		{"ErrPNGAsPDFName", "x.pdf", "", png, `The file "x.pdf" is named as a PDF by its extension .pdf, but its content is a PNG image.`},
		{"ErrPNGAsPDFType", "x", "application/pdf", png, `The file "x" is sent as a PDF, but its content is a PNG image.`},
		{"ErrPDFAsWord", "letter.docx", "", pdf, `its extension .docx, but its content is a PDF.`},
		{"ErrJPEGAsGIF", "a.jpg", "image/gif", jpg, `is sent as image/gif, but its content is a JPEG image.`},
		{"ErrBadType", "a.png", "image/", png, `which is not a media type`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := filestore.CheckDeclared(tt.fileName, tt.declared, tt.sniffed)
			fields := dost.ErrorFields(err)
			if dost.ErrorCode(err) != dost.EINVALID || len(fields) != 1 || fields[0].Field != "file" || fields[0].Code != "file.type_mismatch" {
				t.Fatalf("got %v %+v, want one file.type_mismatch for file", err, fields)
			}
			if !strings.Contains(fields[0].Message, tt.message) {
				t.Errorf("message %q, want it to contain %q", fields[0].Message, tt.message)
			}
		})
	}
	t.Run("ErrBoth", func(t *testing.T) {
		if fs := dost.ErrorFields(filestore.CheckDeclared("x.pdf", "image/jpeg", png)); len(fs) != 2 {
			t.Errorf("fields %+v, want the name's and the type's", fs)
		}
	})
}

func FuzzCheckDeclared(f *testing.F) {
	f.Add("scan.pdf", "application/pdf", 0)
	f.Add("x.PNG", "image/png; charset=x", 2)
	f.Add("a.jpg", "image/", 1)
	f.Add("", "multipart/mixed; boundary=\"", 2)
	f.Fuzz(func(t *testing.T, name, declared string, i int) {
		sniffed := dost.DocumentContentTypes[uint(i)%uint(len(dost.DocumentContentTypes))]
		err := filestore.CheckDeclared(name, declared, sniffed)
		if err == nil {
			return
		}
		var e *dost.Error
		if !errors.As(err, &e) || e.Code != dost.EINVALID || len(e.Fields) == 0 || len(e.Fields) > 2 {
			t.Fatalf("got %#v, want an invalid *dost.Error with one or two fields", err)
		}
		for _, fe := range e.Fields {
			if fe.Field != "file" || fe.Code != "file.type_mismatch" || fe.Message == "" {
				t.Fatalf("got field %+v, want file.type_mismatch with a message", fe)
			}
		}
		if strings.TrimSpace(declared) == "" && !strings.Contains(name, ".") {
			t.Fatalf("CheckDeclared(%q, %q, %q): refused a file that claims nothing", name, declared, sniffed)
		}
	})
}
