package importer_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/importer"
	"github.com/dost-az/dost/synth"
	"github.com/xuri/excelize/v2"
)

var today = dost.MustDate("2026-11-01")

func parse(t *testing.T, kind importer.Kind, text string) (*dost.ImportBatch, error) {
	t.Helper()
	return importer.Parser{Today: today}.Parse(kind, strings.NewReader(text), importer.CSV)
}

// rowErrors returns the rows of an *dost.ImportError, failing otherwise.
func rowErrors(t *testing.T, b *dost.ImportBatch, err error) []dost.RowError {
	t.Helper()
	var ie *dost.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want an *ImportError", err)
	}
	if b != nil {
		t.Fatal("got a batch with an error")
	}
	return ie.Rows
}

// wantRows checks that every wanted (line, column) is reported, and
// nothing else.
func wantRows(t *testing.T, got []dost.RowError, want ...dost.RowError) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g.Line == w.Line && g.Column == w.Column
		}
		if !found {
			t.Errorf("no error at line %d, column %q; got %v", w.Line, w.Column, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d errors %v, want %d", len(got), got, len(want))
	}
}

const personsCSV = `fin,last_name,first_name,patronymic,birth_date,sex,phone,email,region,district,address,status,death_date,iban,language
5ZR2K8T,Məmmədov,Rəşad,Əli oğlu,1980-03-14,M,+994501234567,,Baku,Nizami,"Nizami küç., ev 1",alive,,AZ21NABZ00000000137010001944,az
 6abc123 ,Əliyeva,Nigar,Rəşad qızı,2010-12-01,f,,,Baku,Nizami,"Nizami küç., ev 1",,,,
7XY9Q2P,Hüseynov,Tural,Elvin oğlu,1940-01-01,M,,,Gəncə-Daşkəsən,Gəncə,,deceased,2025-06-30,,ru
`

func TestParsePersons(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		b, err := parse(t, importer.Persons, personsCSV)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(b.Persons), 3; got != want {
			t.Fatalf("got %d persons, want %d", got, want)
		}
		if got, want := b.PersonLines, []int{2, 3, 4}; !equal(got, want) {
			t.Errorf("lines %v, want %v", got, want)
		}
		p := b.Persons[1]
		if p.FIN != "6ABC123" || p.Sex != dost.SexFemale || p.Status != dost.PersonAlive || p.Language != "az" {
			t.Errorf("not normalised: %+v", *p)
		}
		if b.Persons[0].Address != "Nizami küç., ev 1" || b.Persons[2].DeathDate != dost.MustDate("2025-06-30") {
			t.Errorf("got %+v and %+v", *b.Persons[0], *b.Persons[2])
		}
		if len(b.Households)+len(b.Incomes)+len(b.Insurance)+len(b.Disabilities) != 0 {
			t.Error("batch holds other kinds")
		}
	})
	t.Run("HeaderOrderFree", func(t *testing.T) {
		b, err := parse(t, importer.Persons, "sex,birth_date,fin,first_name,last_name\nM,1990-01-02,AAAAAA1,Elvin,Quliyev\n")
		if err != nil {
			t.Fatal(err)
		}
		if p := b.Persons[0]; p.FIN != "AAAAAA1" || p.FirstName != "Elvin" || p.BirthDate != dost.MustDate("1990-01-02") {
			t.Errorf("got %+v", *p)
		}
	})
	t.Run("ErrRows", func(t *testing.T) {
		b, err := parse(t, importer.Persons, `fin,last_name,first_name,birth_date,sex,iban,status,death_date
ABC12,Məmmədov,Rəşad,1980-03-14,M,,,
AAAAAA2,Əliyeva,Nigar,2025-02-30,F,,,
AAAAAA3,Quliyev,Elvin,1990-01-01,X,,,
AAAAAA4,Quliyev,Elvin,1990-01-01,M,AZ00NABZ00000000137010001944,,
AAAAAA3,Quliyev,Orxan,1991-01-01,M,,,
AAAAAA5,Quliyev,Orxan,2030-01-01,M,,,
AAAAAA6,,Orxan,1991-01-01,M,,deceased,
AAAAAA7,Quliyev,Orxan,1991-01-01,M,,,2020-01-01
AAAAAA8,Quliyev,Orxan,1991-01-01,M,,,
`)
		wantRows(t, rowErrors(t, b, err),
			dost.RowError{Line: 2, Column: "fin"},
			dost.RowError{Line: 3, Column: "birth_date"},
			dost.RowError{Line: 4, Column: "sex"},
			dost.RowError{Line: 5, Column: "iban"},
			dost.RowError{Line: 6, Column: "fin"},
			dost.RowError{Line: 7, Column: "birth_date"},
			dost.RowError{Line: 8, Column: "last_name"},
			dost.RowError{Line: 8, Column: "death_date"},
			dost.RowError{Line: 9, Column: "death_date"},
		)
	})
	t.Run("ErrHeader", func(t *testing.T) {
		b, err := parse(t, importer.Persons, "fin,first_name,birth_date,gender\nAAAAAA1,Elvin,1990-01-01,M\n")
		wantRows(t, rowErrors(t, b, err),
			dost.RowError{Line: 1, Column: "gender"},
			dost.RowError{Line: 1, Column: "last_name"},
			dost.RowError{Line: 1, Column: "sex"},
		)
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		b, err := parse(t, importer.Persons, "")
		wantRows(t, rowErrors(t, b, err), dost.RowError{Line: 1})
	})
	t.Run("ErrSyntax", func(t *testing.T) {
		b, err := parse(t, importer.Persons, "fin,first_name,last_name,birth_date,sex\nAAAAAA1,\"Elvin,Quliyev,1990-01-01,M\n")
		if len(rowErrors(t, b, err)) == 0 {
			t.Error("no error")
		}
	})
	t.Run("ErrExtraField", func(t *testing.T) {
		b, err := parse(t, importer.Persons, "fin,first_name,last_name,birth_date,sex\nAAAAAA1,Elvin,Quliyev,1990-01-01,M,oops\n")
		wantRows(t, rowErrors(t, b, err), dost.RowError{Line: 2})
	})
}

func TestParseHouseholds(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		b, err := parse(t, importer.Households, `household_code,fin,role,region,district,address
HH1,AAAAAA1,head,Baku,Nizami,"Nizami küç., ev 1"
HH1,AAAAAA2,spouse,Baku,Nizami,"Nizami küç., ev 1"
HH2,AAAAAA3,head,,,
HH1,AAAAAA4,Child,,,
`)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(b.Households), 2; got != want {
			t.Fatalf("got %d households, want %d", got, want)
		}
		h := b.Households[0]
		if h.Code != "HH1" || len(h.Members) != 3 || h.Members[2].Role != dost.RoleChild || h.Address != "Nizami küç., ev 1" {
			t.Errorf("got %+v", *h)
		}
		if got, want := b.HouseholdLines, []int{2, 4}; !equal(got, want) {
			t.Errorf("lines %v, want %v", got, want)
		}
	})
	t.Run("ErrRows", func(t *testing.T) {
		b, err := parse(t, importer.Households, `household_code,fin,role,region
HH1,AAAAAA1,head,Baku
HH1,AAAAAA2,cousin,Baku
HH1,AAAAAA1,child,Baku
HH2,AAAAAA3,spouse,Baku
HH3,AAAAAA4,head,Baku
HH3,AAAAAA5,head,Baku
HH4,BAD,head,Baku
HH1,AAAAAA6,child,Gəncə
,AAAAAA7,head,Baku
`)
		wantRows(t, rowErrors(t, b, err),
			dost.RowError{Line: 3, Column: "role"},
			dost.RowError{Line: 4, Column: "fin"},
			dost.RowError{Line: 5, Column: "role"},
			dost.RowError{Line: 7, Column: "role"},
			dost.RowError{Line: 8, Column: "fin"},
			dost.RowError{Line: 9, Column: "region"},
			dost.RowError{Line: 10, Column: "household_code"},
		)
	})
}

func TestParseRecords(t *testing.T) {
	t.Run("Incomes", func(t *testing.T) {
		b, err := parse(t, importer.Incomes, "fin,month,source,amount\nAAAAAA1,2026-10,wage,1200.50\nAAAAAA1,2026-10,pension,350\n")
		if err != nil {
			t.Fatal(err)
		}
		if r := b.Incomes[0]; r.FIN != "AAAAAA1" || r.Amount != 120050 || r.Month != (dost.Month{Year: 2026, Month: 10}) || r.Source != dost.IncomeWage {
			t.Errorf("got %+v", *r)
		}
	})
	t.Run("ErrIncomes", func(t *testing.T) {
		b, err := parse(t, importer.Incomes, `fin,month,source,amount
AAAAAA1,2026-13,wage,100
AAAAAA1,2026-10,bribe,100
AAAAAA1,2026-10,wage,12.345
AAAAAA1,2026-10,wage,-5
AAAAAA1,2026-09,wage,5
AAAAAA1,2026-09,wage,6
`)
		wantRows(t, rowErrors(t, b, err),
			dost.RowError{Line: 2, Column: "month"},
			dost.RowError{Line: 3, Column: "source"},
			dost.RowError{Line: 4, Column: "amount"},
			dost.RowError{Line: 5, Column: "amount"},
			dost.RowError{Line: 7, Column: ""},
		)
	})
	t.Run("Insurance", func(t *testing.T) {
		b, err := parse(t, importer.Insurance, "fin,employer,employer_tin,from,to,monthly_wage\nAAAAAA1,Azərsu ASC,1234567891,2010-01-01,,850.00\n")
		if err != nil {
			t.Fatal(err)
		}
		if r := b.Insurance[0]; r.Employer != "Azərsu ASC" || !r.To.IsZero() || r.MonthlyWage != 85000 {
			t.Errorf("got %+v", *r)
		}
	})
	t.Run("ErrInsurance", func(t *testing.T) {
		b, err := parse(t, importer.Insurance, `fin,employer,employer_tin,from,to,monthly_wage
AAAAAA1,,1234567891,2010-01-01,,850.00
AAAAAA1,Azərsu ASC,123,2010-01-01,,850.00
AAAAAA1,Azərsu ASC,,2010-01-01,2009-01-01,850.00
AAAAAA1,Azərsu ASC,,2010-02-29,,850.00
AAAAAA1,Azərsu ASC,,2010-01-01,,many
`)
		wantRows(t, rowErrors(t, b, err),
			dost.RowError{Line: 2, Column: "employer"},
			dost.RowError{Line: 3, Column: "employer_tin"},
			dost.RowError{Line: 4, Column: "to"},
			dost.RowError{Line: 5, Column: "from"},
			dost.RowError{Line: 6, Column: "monthly_wage"},
		)
	})
	t.Run("Disabilities", func(t *testing.T) {
		b, err := parse(t, importer.Disabilities, "fin,degree,cause,percent,from,to\nAAAAAA1,II,general,70,2020-01-01,\nAAAAAA2,child,childhood,,2021-05-01,2030-01-01\n")
		if err != nil {
			t.Fatal(err)
		}
		if r := b.Disabilities[0]; r.Degree != dost.DisabilityII || r.Percent != 70 || r.Cause != dost.CauseGeneral {
			t.Errorf("got %+v", *r)
		}
	})
	t.Run("ErrDisabilities", func(t *testing.T) {
		b, err := parse(t, importer.Disabilities, `fin,degree,cause,percent,from,to
AAAAAA1,IV,general,70,2020-01-01,
AAAAAA1,I,alien,70,2020-01-01,
AAAAAA1,I,general,170,2020-01-01,
AAAAAA1,I,general,x,2020-01-01,
AAAAAA1,I,general,90,,
`)
		wantRows(t, rowErrors(t, b, err),
			dost.RowError{Line: 2, Column: "degree"},
			dost.RowError{Line: 3, Column: "cause"},
			dost.RowError{Line: 4, Column: "percent"},
			dost.RowError{Line: 5, Column: "percent"},
			dost.RowError{Line: 6, Column: "from"},
		)
	})
}

func TestFormatOf(t *testing.T) {
	for name, want := range map[string]importer.Format{"a/persons.csv": importer.CSV, "X.XLSX": importer.XLSX} {
		if got, err := importer.FormatOf(name); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %v, %v, want %v", name, got, err, want)
		}
	}
	if _, err := importer.FormatOf("persons.xls"); dost.ErrorCode(err) != dost.EINVALID {
		t.Errorf("got %v, want invalid", err)
	}
	if k, err := importer.KindOf("/tmp/gen/Incomes.csv"); err != nil || k != importer.Incomes {
		t.Errorf("KindOf = %v, %v", k, err)
	}
	if _, err := importer.KindOf("people.csv"); dost.ErrorCode(err) != dost.EINVALID {
		t.Errorf("got %v, want invalid", err)
	}
}

func TestParseXLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"fin", "first_name", "last_name", "birth_date", "sex", "iban"},
		{"AAAAAA1", "Aysel", "Həsənova", "1995-07-20", "F", "AZ21NABZ00000000137010001944"},
		{},
		{"AAAAAA2", "Kamran", "Həsənov", time.Date(1993, 1, 5, 0, 0, 0, 0, time.UTC), "M", nil}, // a date cell
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	b, err := importer.Parser{Today: today}.Parse(importer.Persons, bytes.NewReader(buf.Bytes()), importer.XLSX)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Persons) != 2 || b.Persons[0].LastName != "Həsənova" || b.Persons[1].BirthDate != dost.MustDate("1993-01-05") {
		t.Fatalf("got %d persons: %+v", len(b.Persons), b.Persons)
	}
	if got, want := b.PersonLines, []int{2, 4}; !equal(got, want) {
		t.Errorf("lines %v, want %v", got, want)
	}

	t.Run("ErrRows", func(t *testing.T) {
		f.SetCellValue("Sheet1", "A4", "BAD")
		f.SetCellValue("Sheet1", "D2", "2001-02-29")
		var buf bytes.Buffer
		f.WriteTo(&buf)
		b, err := importer.Parser{Today: today}.Parse(importer.Persons, &buf, importer.XLSX)
		wantRows(t, rowErrors(t, b, err), dost.RowError{Line: 2, Column: "birth_date"}, dost.RowError{Line: 4, Column: "fin"})
	})
	t.Run("ErrNotXLSX", func(t *testing.T) {
		_, err := importer.Parse(importer.Persons, strings.NewReader("fin\n"), importer.XLSX)
		if dost.ErrorCode(err) != dost.EINVALID {
			t.Errorf("got %v, want invalid", err)
		}
	})
}

// TestSynthRoundTrip imports what synth.WriteCSV writes and compares it with
// synth.Batch.
func TestSynthRoundTrip(t *testing.T) {
	opts := synth.Options{Persons: 4000, Seed: 11}
	dir := t.TempDir()
	if err := synth.WriteCSV(dir, opts, nil); err != nil {
		t.Fatal(err)
	}
	want := synth.Batch(opts)
	got := &dost.ImportBatch{}
	for _, k := range importer.Kinds {
		f, err := os.Open(filepath.Join(dir, string(k)+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := importer.Parser{Today: synth.DefaultToday}.Parse(k, f, importer.CSV)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		got.Persons, got.PersonLines = append(got.Persons, b.Persons...), append(got.PersonLines, b.PersonLines...)
		got.Households, got.HouseholdLines = append(got.Households, b.Households...), append(got.HouseholdLines, b.HouseholdLines...)
		got.Incomes, got.IncomeLines = append(got.Incomes, b.Incomes...), append(got.IncomeLines, b.IncomeLines...)
		got.Insurance, got.InsuranceLines = append(got.Insurance, b.Insurance...), append(got.InsuranceLines, b.InsuranceLines...)
		got.Disabilities, got.DisabilityLines = append(got.Disabilities, b.Disabilities...), append(got.DisabilityLines, b.DisabilityLines...)
	}
	if len(got.Persons) != len(want.Persons) || len(got.Households) != len(want.Households) || len(got.Incomes) != len(want.Incomes) ||
		len(got.Insurance) != len(want.Insurance) || len(got.Disabilities) != len(want.Disabilities) {
		t.Fatalf("got %d/%d/%d/%d/%d records, want %d/%d/%d/%d/%d",
			len(got.Persons), len(got.Households), len(got.Incomes), len(got.Insurance), len(got.Disabilities),
			len(want.Persons), len(want.Households), len(want.Incomes), len(want.Insurance), len(want.Disabilities))
	}
	for i := range want.Persons {
		if *got.Persons[i] != *want.Persons[i] {
			t.Fatalf("person %d: got %+v, want %+v", i, *got.Persons[i], *want.Persons[i])
		}
	}
	for i, h := range want.Households {
		g := got.Households[i]
		if g.Code != h.Code || g.Region != h.Region || g.District != h.District || g.Address != h.Address || len(g.Members) != len(h.Members) {
			t.Fatalf("household %d: got %+v, want %+v", i, *g, *h)
		}
		for j, m := range h.Members {
			if *g.Members[j] != *m {
				t.Fatalf("household %s member %d: got %+v, want %+v", h.Code, j, *g.Members[j], *m)
			}
		}
	}
	for i := range want.Incomes {
		if *got.Incomes[i] != *want.Incomes[i] {
			t.Fatalf("income %d: got %+v, want %+v", i, *got.Incomes[i], *want.Incomes[i])
		}
	}
	for i := range want.Insurance {
		if *got.Insurance[i] != *want.Insurance[i] {
			t.Fatalf("insurance %d: got %+v, want %+v", i, *got.Insurance[i], *want.Insurance[i])
		}
	}
	for i := range want.Disabilities {
		if *got.Disabilities[i] != *want.Disabilities[i] {
			t.Fatalf("disability %d: got %+v, want %+v", i, *got.Disabilities[i], *want.Disabilities[i])
		}
	}
	for name, pair := range map[string][2][]int{
		"person": {got.PersonLines, want.PersonLines}, "household": {got.HouseholdLines, want.HouseholdLines},
		"income": {got.IncomeLines, want.IncomeLines}, "insurance": {got.InsuranceLines, want.InsuranceLines},
		"disability": {got.DisabilityLines, want.DisabilityLines},
	} {
		if !equal(pair[0], pair[1]) {
			t.Errorf("%s lines differ", name)
		}
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
