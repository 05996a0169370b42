package importer_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/importer"
)

// FuzzParsePersonsCSV checks that any input either yields a batch whose
// every person validates, or an error, and never panics.
func FuzzParsePersonsCSV(f *testing.F) {
	f.Add([]byte(personsCSV))
	f.Add([]byte("fin,first_name,last_name,birth_date,sex\nAAAAAA1,Elvin,Quliyev,1990-01-01,M\n"))
	f.Add([]byte("fin,first_name,last_name,birth_date,sex\nAAAAAA1,Elvin,Quliyev,2025-02-30,M\nAAAAAA1,Elvin,Quliyev,1990-01-01,X\n"))
	f.Add([]byte("\ufefffin,first_name,last_name,birth_date,sex,status,death_date\r\naaaaaa1,\"E\"\"lvin\",Q,1990-01-01,m,deceased,1989-01-01\r\n"))
	f.Add([]byte("fin,first_name\n\"unterminated\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := importer.Parser{Today: today}.Parse(importer.Persons, bytes.NewReader(data), importer.CSV)
		checkResult(t, b, err)
		if err != nil {
			return
		}
		if len(b.Persons) != len(b.PersonLines) {
			t.Fatalf("%d persons, %d lines", len(b.Persons), len(b.PersonLines))
		}
		seen := map[dost.FIN]bool{}
		for _, p := range b.Persons {
			if err := p.Validate(today); err != nil {
				t.Fatalf("person %+v does not validate: %v", *p, err)
			}
			if seen[p.FIN] {
				t.Fatalf("FIN %s twice", p.FIN)
			}
			seen[p.FIN] = true
		}
	})
}

// FuzzParseHouseholdsCSV checks that any input either yields households
// that validate, with no person in two of them, or an error.
func FuzzParseHouseholdsCSV(f *testing.F) {
	f.Add([]byte("household_code,fin,role,region,district,address\nHH1,AAAAAA1,head,Baku,Nizami,\"Nizami küç., ev 1\"\nHH1,AAAAAA2,spouse,,,\n"))
	f.Add([]byte("household_code,fin,role\nHH1,AAAAAA1,head\nHH1,AAAAAA1,child\nHH2,AAAAAA3,cousin\n"))
	f.Add([]byte("household_code,fin,role\nHH1,AAAAAA1,head\nHH1,AAAAAA2,head\nHH2,AAAAAA3,spouse\n"))
	f.Add([]byte("household_code,fin,role\n,AAAAAA1,HEAD\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := importer.Parser{Today: today}.Parse(importer.Households, bytes.NewReader(data), importer.CSV)
		checkResult(t, b, err)
		if err != nil {
			return
		}
		seen := map[dost.FIN]bool{}
		for _, h := range b.Households {
			if err := h.Validate(); err != nil {
				t.Fatalf("household %+v does not validate: %v", *h, err)
			}
			if len(h.Members) == 0 {
				t.Fatalf("household %s has no members", h.Code)
			}
			for _, m := range h.Members {
				if !m.FIN.Valid() || seen[m.FIN] {
					t.Fatalf("member %q invalid or twice", m.FIN)
				}
				seen[m.FIN] = true
			}
		}
	})
}

func checkResult(t *testing.T, b *dost.ImportBatch, err error) {
	t.Helper()
	if (b == nil) == (err == nil) {
		t.Fatalf("got batch %v and error %v; want exactly one", b != nil, err)
	}
	var ie *dost.ImportError
	if err != nil && errors.As(err, &ie) {
		if len(ie.Rows) == 0 {
			t.Fatal("ImportError without rows")
		}
		for _, r := range ie.Rows {
			if r.Line < 1 || r.Reason == "" {
				t.Fatalf("bad row error %+v", r)
			}
		}
	}
}
