package iso20022_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/dost-az/dost/iso20022"
)

// seeds adds the samples and fixtures of testdata and some broken files.
func seeds(f *testing.F, files ...string) {
	for _, name := range files {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(""))
	f.Add([]byte("<Document/>"))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><Document/>`))
	f.Add([]byte(`<!DOCTYPE d [<!ENTITY e "x">]><Document>&e;</Document>`))
}

// checkFuzzErr fails unless err is nil, io.EOF or a *FileError: reading
// from memory, every error is about the file.
func checkFuzzErr(t *testing.T, err error) {
	var fe *iso20022.FileError
	if err != nil && err != io.EOF && !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FileError", err, err)
	}
}

func checkAmount(t *testing.T, amount int64, ccy string) {
	if amount < 0 || amount > 999_999_999_999_999_999 {
		t.Fatalf("amount %d out of range", amount)
	}
	if ccy != "" && (len(ccy) != 3 || ccy[0] < 'A' || ccy[0] > 'Z' || ccy[1] < 'A' || ccy[1] > 'Z' || ccy[2] < 'A' || ccy[2] > 'Z') {
		t.Fatalf("currency %q", ccy)
	}
}

func checkID(t *testing.T, id string) {
	if utf8.RuneCountInString(id) > 35 {
		t.Fatalf("id %q longer than 35", id)
	}
}

// FuzzReadStatusReport checks that any input yields statuses within their
// contracts or a *FileError, and never panics.
func FuzzReadStatusReport(f *testing.F) {
	seeds(f, "pain.002.001.10.valid.xml", "pain.002.001.10.invalid.xml", "pain.002.001.10.mixed.xml", "pain.002.001.10.group-rejected.xml",
		"pain.002.001.10.blocks.xml", "camt.054.001.08.valid.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		sr, err := iso20022.NewStatusReportReader(bytes.NewReader(data))
		checkFuzzErr(t, err)
		if err != nil {
			return
		}
		h := sr.Header()
		if h.MessageID == "" || h.OriginalMessageID == "" || h.CreatedAt.IsZero() {
			t.Fatalf("header %+v", h)
		}
		for {
			ts, err := sr.Next()
			checkFuzzErr(t, err)
			if err != nil {
				if _, err2 := sr.Next(); err2 != err {
					t.Fatalf("error not final: %v then %v", err, err2)
				}
				return
			}
			if ts.Status < iso20022.StatusAccepted || ts.Status > iso20022.StatusRejected || ts.StatusCode == "" {
				t.Fatalf("status %v %q", ts.Status, ts.StatusCode)
			}
			if ts.PaymentInformationID == "" || ts.Block && ts.EndToEndID != "" {
				t.Fatalf("status %+v", ts)
			}
			checkAmount(t, int64(ts.Amount), ts.Currency)
			checkID(t, ts.EndToEndID)
		}
	})
}

// FuzzReadNotification checks the same of the camt.054 reader.
func FuzzReadNotification(f *testing.F) {
	seeds(f, "camt.054.001.08.valid.xml", "camt.054.001.08.invalid.xml", "camt.054.001.08.batch.xml",
		"camt.054.001.08.incomplete.xml", "pain.002.001.10.valid.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		nr, err := iso20022.NewNotificationReader(bytes.NewReader(data))
		checkFuzzErr(t, err)
		if err != nil {
			return
		}
		if h := nr.Header(); h.MessageID == "" || h.CreatedAt.IsZero() {
			t.Fatalf("header %+v", h)
		}
		for {
			et, err := nr.Next()
			checkFuzzErr(t, err)
			if err != nil {
				return
			}
			if et.Status < iso20022.StatusAccepted || et.Status > iso20022.StatusReturned || et.EntryStatus == "" {
				t.Fatalf("status %v %q", et.Status, et.EntryStatus)
			}
			if et.CreditDebit != iso20022.Credit && et.CreditDebit != iso20022.Debit || et.Account == "" || et.NotificationID == "" {
				t.Fatalf("transaction %+v", et)
			}
			if et.Status == iso20022.StatusReturned && et.ReturnReasonCode == "" && et.ReturnReasonText == "" {
				t.Fatalf("returned without a reason: %+v", et)
			}
			checkAmount(t, int64(et.Amount), et.Currency)
			checkID(t, et.EndToEndID)
		}
	})
}
