package http

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dost-az/dost"
)

// fuzzBoundary is the multipart boundary of the fuzz targets' bodies.
const fuzzBoundary = "fuzzboundary"

// multipartSeed returns a multipart body of parts (name, file name,
// content; a file name of "" makes a plain field).
func multipartSeed(t testing.TB, parts ...[3]string) []byte {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(fuzzBoundary); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		var err error
		if p[1] == "" {
			err = mw.WriteField(p[0], p[2])
		} else {
			var w interface{ Write([]byte) (int, error) }
			if w, err = mw.CreateFormFile(p[0], p[1]); err == nil {
				_, err = w.Write([]byte(p[2]))
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fuzzRequest returns a POST of body, as multipart/form-data or JSON.
func fuzzRequest(body []byte, isMultipart bool) (*httptest.ResponseRecorder, *http.Request) {
	r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	if isMultipart {
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+fuzzBoundary)
	} else {
		r.Header.Set("Content-Type", "application/json")
	}
	return httptest.NewRecorder(), r
}

// checkReadError fails the test unless err is a *dost.Error of code
// invalid with a message, and each of its field errors has a code and a
// message.
func checkReadError(t *testing.T, err error) {
	t.Helper()
	var e *dost.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %T %v, want a *dost.Error", err, err)
	}
	if e.Code != dost.EINVALID || e.Message == "" {
		t.Fatalf("got code %q, message %q; want invalid with a message", e.Code, e.Message)
	}
	for _, f := range e.Fields {
		if f.Code == "" || f.Message == "" {
			t.Fatalf("got field error %+v, want a code and a message", f)
		}
	}
}

func FuzzReadApplication(f *testing.F) {
	app := `{"fin":"4NB5RN6","service_code":"birth_allowance","documents":[{"code":"id_card","presented":true}]}`
	f.Add([]byte(app), false)
	f.Add([]byte(`{"fin":1}`), false)
	f.Add([]byte(``), false)
	f.Add(multipartSeed(f, [3]string{"application", "", app}, [3]string{"document:birth_certificate", "b.pdf", "%PDF-1.7\n"}), true)
	f.Add(multipartSeed(f, [3]string{"document:", "x.png", "\x89PNG"}, [3]string{"other", "", "x"}), true)
	f.Add([]byte("--"+fuzzBoundary+"\r\nContent-Disposition: form-data; name=\"application\"\r\n\r\n{"), true)
	f.Fuzz(func(t *testing.T, body []byte, isMultipart bool) {
		w, r := fuzzRequest(body, isMultipart)
		in, files, err := readApplication(w, r)
		if err != nil {
			checkReadError(t, err)
			return
		}
		if in == nil {
			t.Fatal("got no application and no error")
		}
		for _, d := range files {
			if d.Code == "" || len(d.Content) > dost.MaxDocumentSize {
				t.Fatalf("got document code %q of %d bytes, want a code and at most %d", d.Code, len(d.Content), dost.MaxDocumentSize)
			}
		}
	})
}

func FuzzReadDocument(f *testing.F) {
	f.Add(multipartSeed(f, [3]string{"code", "", "id_card"}, [3]string{"file", "id.pdf", "%PDF-1.7\n"}))
	f.Add(multipartSeed(f, [3]string{"file", "id.pdf", ""}, [3]string{"x", "", "y"}))
	f.Add([]byte("--" + fuzzBoundary + "--\r\n"))
	f.Add([]byte("not multipart"))
	f.Fuzz(func(t *testing.T, body []byte) {
		w, r := fuzzRequest(body, true)
		d, err := readDocument(w, r)
		if err != nil {
			checkReadError(t, err)
			return
		}
		if d.Code == "" || len(d.Content) > dost.MaxDocumentSize {
			t.Fatalf("got document code %q of %d bytes, want a code and at most %d", d.Code, len(d.Content), dost.MaxDocumentSize)
		}
	})
}
