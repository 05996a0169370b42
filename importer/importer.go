// Package importer parses registry files — persons, households, income
// records, insurance periods and disability assessments, as CSV or XLSX —
// into a dost.ImportBatch.
//
// Parsing validates every row before anything is stored: each bad row is
// reported as a dost.RowError with its line and column, all of them together
// in one *dost.ImportError, and a file with any bad row yields no batch.
// The column names are those synth.WriteCSV writes, so the output of
// `dost gen` imports with `dost import`. Conflicts with stored data (a FIN
// already registered, an unknown FIN or household) are the concern of the
// store's dost.RegistryImporter, not of this package.
package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/xuri/excelize/v2"
)

// Kind is the kind of records a file holds.
type Kind string

// Kinds of registry files; each is also the base name of its file
// ("persons.csv").
const (
	Persons      Kind = "persons"
	Households   Kind = "households"
	Incomes      Kind = "incomes"
	Insurance    Kind = "insurance"
	Disabilities Kind = "disabilities"
)

// Kinds lists every Kind in the order a registry is best imported.
var Kinds = []Kind{Persons, Households, Incomes, Insurance, Disabilities}

// Format is a file format.
type Format int

// File formats.
const (
	CSV  Format = iota + 1 // comma-separated values, UTF-8, header row first
	XLSX                   // Excel workbook: first sheet, header row first
)

// String returns "csv" or "xlsx".
func (f Format) String() string {
	switch f {
	case CSV:
		return "csv"
	case XLSX:
		return "xlsx"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// FormatOf returns the format a file name's extension says, .csv or .xlsx
// (any case). It returns an EINVALID *dost.Error for any other.
func FormatOf(filename string) (Format, error) {
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".csv":
		return CSV, nil
	case ".xlsx":
		return XLSX, nil
	}
	return 0, dost.Errorf(dost.EINVALID, "%s: only .csv and .xlsx files can be imported.", filepath.Base(filename))
}

// KindOf returns the kind a file name says: its base name without the
// extension is one of the kinds ("persons.csv", "/tmp/x/incomes.xlsx"). It
// returns an EINVALID *dost.Error otherwise.
func KindOf(filename string) (Kind, error) {
	base := strings.ToLower(filepath.Base(filename))
	base = strings.TrimSuffix(base, filepath.Ext(base))
	for _, k := range Kinds {
		if string(k) == base {
			return k, nil
		}
	}
	return "", dost.Errorf(dost.EINVALID, "%s: the file name must be one of persons, households, incomes, insurance or disabilities.", filepath.Base(filename))
}

// columns lists each kind's columns; required ones come first, up to
// required[kind].
var columns = map[Kind][]string{
	Persons:      {"fin", "first_name", "last_name", "birth_date", "sex", "patronymic", "phone", "email", "region", "district", "address", "status", "death_date", "iban", "language"},
	Households:   {"household_code", "fin", "role", "region", "district", "address"},
	Incomes:      {"fin", "month", "source", "amount"},
	Insurance:    {"fin", "employer", "from", "monthly_wage", "employer_tin", "to"},
	Disabilities: {"fin", "degree", "cause", "from", "percent", "to"},
}

var required = map[Kind]int{Persons: 5, Households: 3, Incomes: 4, Insurance: 4, Disabilities: 4}

// Columns returns the columns a file of the kind may have and, of them, the
// ones it must have.
func Columns(kind Kind) (all, mandatory []string) {
	c := columns[kind]
	return slices.Clone(c), slices.Clone(c[:required[kind]])
}

// Parser parses registry files. The zero Parser is ready to use.
type Parser struct {
	// Today is the date birth and death dates are checked against; zero
	// means the current date.
	Today dost.Date
}

// Parse parses a file of the kind with the current date as today.
func Parse(kind Kind, r io.Reader, format Format) (*dost.ImportBatch, error) {
	return Parser{}.Parse(kind, r, format)
}

// ReadPersons parses a persons file.
func ReadPersons(r io.Reader, format Format) (*dost.ImportBatch, error) {
	return Parse(Persons, r, format)
}

// ReadHouseholds parses a households file: one row per member.
func ReadHouseholds(r io.Reader, format Format) (*dost.ImportBatch, error) {
	return Parse(Households, r, format)
}

// ReadIncomes parses an income records file.
func ReadIncomes(r io.Reader, format Format) (*dost.ImportBatch, error) {
	return Parse(Incomes, r, format)
}

// ReadInsurance parses an insurance periods file.
func ReadInsurance(r io.Reader, format Format) (*dost.ImportBatch, error) {
	return Parse(Insurance, r, format)
}

// ReadDisabilities parses a disability assessments file.
func ReadDisabilities(r io.Reader, format Format) (*dost.ImportBatch, error) {
	return Parse(Disabilities, r, format)
}

// Parse reads a whole file of the kind. It returns a batch holding only
// that kind's records, with their line numbers, or an *dost.ImportError
// listing every bad row (line 1 for header problems), or another error if
// the file cannot be read at all (EINVALID for an unknown kind or format or
// a file that is not CSV or XLSX).
func (p Parser) Parse(kind Kind, r io.Reader, format Format) (*dost.ImportBatch, error) {
	batch, bad, err := p.ParseAll(kind, r, format)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, &dost.ImportError{Rows: bad}
	}
	return batch, nil
}

// ParseAll is Parse for callers that check the good rows further before
// rejecting a file, so that one report names every bad row: it returns the
// batch of rows that parsed and, sorted by line, every row that did not.
// Header problems and unreadable files are still an error.
func (p Parser) ParseAll(kind Kind, r io.Reader, format Format) (*dost.ImportBatch, []dost.RowError, error) {
	cols, ok := columns[kind]
	if !ok {
		return nil, nil, dost.Errorf(dost.EINVALID, "Unknown kind of file %q.", kind)
	}
	var rows rowReader
	switch format {
	case CSV:
		rows = newCSVRows(r)
	case XLSX:
		x, err := newXLSXRows(r)
		if err != nil {
			return nil, nil, err
		}
		defer x.close()
		rows = x
	default:
		return nil, nil, dost.Errorf(dost.EINVALID, "Unknown file format %v.", format)
	}
	today := p.Today
	if today.IsZero() {
		today = dost.DateOf(time.Now())
	}
	s := &state{rows: rows, today: today, xlsx: format == XLSX, hint: sizeHint(r)}
	if err := s.header(cols, required[kind]); err != nil {
		return nil, nil, err
	}
	var err error
	switch kind {
	case Persons:
		err = s.persons()
	case Households:
		err = s.households()
	case Incomes:
		err = s.incomes()
	case Insurance:
		err = s.insurance()
	case Disabilities:
		err = s.disabilities()
	}
	if err != nil {
		return nil, nil, err
	}
	slices.SortStableFunc(s.errs, func(a, b dost.RowError) int { return a.Line - b.Line })
	return &s.batch, s.errs, nil
}

// sizeHint guesses the number of rows from the size of the input, if it
// tells, so that maps and slices are allocated once.
func sizeHint(r io.Reader) int {
	var n int64
	switch v := r.(type) {
	case interface{ Len() int }:
		n = int64(v.Len())
	case interface{ Stat() (os.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil {
			n = fi.Size()
		}
	}
	return int(min(n/60, 20_000_000))
}

// rowReader yields the rows of a file with their 1-based line numbers; err
// is io.EOF after the last.
type rowReader interface {
	next() (line int, rec []string, err error)
}

type csvRows struct{ r *csv.Reader }

func newCSVRows(r io.Reader) *csvRows {
	c := csv.NewReader(r)
	c.ReuseRecord = true
	c.FieldsPerRecord = -1
	return &csvRows{c}
}

func (c *csvRows) next() (int, []string, error) {
	rec, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return pe.Line, nil, &dost.ImportError{Rows: []dost.RowError{{Line: pe.Line, Reason: "The file is not valid CSV: " + pe.Err.Error() + "."}}}
		}
		return 0, nil, err
	}
	line, _ := c.r.FieldPos(0)
	return line, rec, nil
}

type xlsxRows struct {
	f    *excelize.File
	rows *excelize.Rows
	line int
}

func newXLSXRows(r io.Reader) (*xlsxRows, error) {
	f, err := excelize.OpenReader(r, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, dost.Errorf(dost.EINVALID, "The file is not an XLSX workbook.")
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, dost.Errorf(dost.EINVALID, "The workbook has no sheet.")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, dost.Errorf(dost.EINVALID, "The workbook's first sheet cannot be read.")
	}
	return &xlsxRows{f: f, rows: rows}, nil
}

func (x *xlsxRows) next() (int, []string, error) {
	for x.rows.Next() {
		x.line++
		rec, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return x.line, nil, &dost.ImportError{Rows: []dost.RowError{{Line: x.line, Reason: "The row cannot be read."}}}
		}
		if slices.ContainsFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			return x.line, rec, nil
		}
	}
	if err := x.rows.Error(); err != nil {
		return 0, nil, dost.Errorf(dost.EINVALID, "The workbook's first sheet cannot be read.")
	}
	return 0, nil, io.EOF
}

func (x *xlsxRows) close() {
	x.rows.Close()
	x.f.Close()
}

// state is one parse in progress.
type state struct {
	rows  rowReader
	today dost.Date
	xlsx  bool
	idx   map[string]int // column name → index in the record
	ncols int            // number of header fields
	rec   []string
	line  int
	errs  []dost.RowError
	batch dost.ImportBatch
	bad   []string // columns of the current row already reported
	hint  int      // expected number of rows, 0 if unknown
}

// header reads the header row and checks its columns.
func (s *state) header(cols []string, nreq int) error {
	line, rec, err := s.rows.next()
	if err == io.EOF {
		return &dost.ImportError{Rows: []dost.RowError{{Line: 1, Reason: "The file is empty; the first row must name the columns."}}}
	} else if err != nil {
		return err
	}
	s.idx = make(map[string]int, len(rec))
	s.ncols = len(rec)
	for i, name := range rec {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff")
		}
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case name == "" && !s.xlsx:
			s.fail(line, "", "Column %d has no name.", i+1)
		case name == "":
		case !slices.Contains(cols, name):
			s.fail(line, name, "Unknown column %q; the columns are %s.", name, strings.Join(cols, ", "))
		case s.has(name):
			s.fail(line, name, "Column %q appears twice.", name)
		default:
			s.idx[name] = i
		}
	}
	for _, name := range cols[:nreq] {
		if !s.has(name) {
			s.fail(line, name, "Required column %q is missing.", name)
		}
	}
	if len(s.errs) > 0 {
		return &dost.ImportError{Rows: s.errs}
	}
	return nil
}

func (s *state) has(col string) bool { _, ok := s.idx[col]; return ok }

// each calls row for every data row.
func (s *state) each(row func()) error {
	for {
		line, rec, err := s.rows.next()
		if err == io.EOF {
			return nil
		}
		var ie *dost.ImportError
		if errors.As(err, &ie) {
			// A syntax error ends the file: report it with the rest.
			s.errs = append(s.errs, ie.Rows...)
			return nil
		} else if err != nil {
			return fmt.Errorf("importer: %w", err)
		}
		s.line, s.rec, s.bad = line, rec, s.bad[:0]
		if len(rec) > s.ncols && slices.ContainsFunc(rec[s.ncols:], func(v string) bool { return strings.TrimSpace(v) != "" }) {
			s.fail(line, "", "The row has %d fields; the header names %d.", len(rec), s.ncols)
			continue
		}
		row()
	}
}

// fail records a problem with a column of a row.
func (s *state) fail(line int, col, format string, args ...any) {
	s.errs = append(s.errs, dost.RowError{Line: line, Column: col, Reason: fmt.Sprintf(format, args...)})
}

// failCol records a problem with a column of the current row; later
// problems with the same column are not reported.
func (s *state) failCol(col, format string, args ...any) {
	if slices.Contains(s.bad, col) {
		return
	}
	s.bad = append(s.bad, col)
	s.fail(s.line, col, format, args...)
}

// fieldErrors reports a domain validation error's field errors as columns
// of the current row; person_id is skipped, since files name persons by
// FIN.
func (s *state) fieldErrors(err error) {
	fields := dost.ErrorFields(err)
	if err != nil && len(fields) == 0 {
		s.failCol("", "%s", dost.ErrorMessage(err))
	}
	for _, f := range fields {
		if f.Field != "person_id" {
			s.failCol(f.Field, "%s", f.Message)
		}
	}
}

// indexes returns the record index of each column, -1 for absent ones.
func (s *state) indexes(cols ...string) []int {
	ix := make([]int, len(cols))
	for i, c := range cols {
		ix[i] = -1
		if j, ok := s.idx[c]; ok {
			ix[i] = j
		}
	}
	return ix
}

// field returns the trimmed value at record index i, "" if i < 0 or the
// cell is missing.
func (s *state) field(i int) string {
	if i < 0 || i >= len(s.rec) {
		return ""
	}
	return strings.TrimSpace(s.rec[i])
}

// get returns the trimmed value of a column of the current row, "" if the
// column or the cell is missing.
func (s *state) get(col string) string {
	i, ok := s.idx[col]
	if !ok || i >= len(s.rec) {
		return ""
	}
	return strings.TrimSpace(s.rec[i])
}

func (s *state) fin(col string) dost.FIN {
	f, err := dost.ParseFIN(s.get(col))
	if err != nil {
		s.failCol(col, "%s", dost.ErrorMessage(err))
	}
	return f
}

// date parses an optional date column; XLSX date cells hold serial day
// numbers.
func (s *state) date(col string) dost.Date {
	v := s.get(col)
	if v == "" {
		return dost.Date{}
	}
	d, err := dost.ParseDate(v)
	if err != nil && s.xlsx {
		if n, err2 := strconv.ParseFloat(v, 64); err2 == nil && n >= 1 && n < 2958466 {
			return dost.DateOf(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n)))
		}
	}
	if err != nil {
		s.failCol(col, "%s", dost.ErrorMessage(err))
	}
	return d
}

func (s *state) money(col string) dost.Money {
	v := s.get(col)
	if v == "" {
		s.failCol(col, "Amount is required.")
		return 0
	}
	m, err := dost.ParseMoney(v)
	if err != nil {
		s.failCol(col, "%s", dost.ErrorMessage(err))
	}
	return m
}

func (s *state) persons() error {
	seen := make(map[dost.FIN]int, s.hint)
	s.batch.Persons = make([]*dost.Person, 0, s.hint)
	s.batch.PersonLines = make([]int, 0, s.hint)
	const (
		cFIN = iota
		cFirst
		cLast
		cPatronymic
		cSex
		cPhone
		cEmail
		cRegion
		cDistrict
		cAddress
		cStatus
		cIBAN
		cLanguage
	)
	ix := s.indexes("fin", "first_name", "last_name", "patronymic", "sex", "phone", "email", "region", "district", "address", "status", "iban", "language")
	var slab []dost.Person // persons are allocated in blocks: far fewer, larger allocations
	return s.each(func() {
		if len(slab) == 0 {
			slab = make([]dost.Person, 1024)
		}
		p := &slab[0]
		*p = dost.Person{
			FIN:        dost.FIN(s.field(ix[cFIN])),
			FirstName:  s.field(ix[cFirst]),
			LastName:   s.field(ix[cLast]),
			Patronymic: s.field(ix[cPatronymic]),
			BirthDate:  s.date("birth_date"),
			Sex:        dost.Sex(strings.ToUpper(s.field(ix[cSex]))),
			Phone:      s.field(ix[cPhone]),
			Email:      s.field(ix[cEmail]),
			Region:     s.field(ix[cRegion]),
			District:   s.field(ix[cDistrict]),
			Address:    s.field(ix[cAddress]),
			Status:     dost.PersonStatus(strings.ToLower(s.field(ix[cStatus]))),
			DeathDate:  s.date("death_date"),
			IBAN:       s.field(ix[cIBAN]),
			Language:   strings.ToLower(s.field(ix[cLanguage])),
		}
		p.Normalize()
		s.fieldErrors(p.Validate(s.today))
		if p.FIN.Valid() {
			if l, ok := seen[p.FIN]; ok {
				s.failCol("fin", "FIN %s is also on line %d.", p.FIN.Masked(), l)
			} else {
				seen[p.FIN] = s.line
			}
		}
		if len(s.bad) == 0 {
			slab = slab[1:]
			s.batch.Persons = append(s.batch.Persons, p)
			s.batch.PersonLines = append(s.batch.PersonLines, s.line)
		}
	})
}

// household is a household being assembled from its members' rows.
type household struct {
	h     *dost.Household
	lines []int // line of each member's row
	ok    bool
}

func (s *state) households() error {
	byCode := map[string]*household{}
	var order []*household
	member := map[dost.FIN]int{} // FIN → line
	err := s.each(func() {
		code := s.get("household_code")
		if code == "" {
			s.failCol("household_code", "Household code is required.")
		}
		fin := s.fin("fin")
		role := dost.HouseholdRole(strings.ToLower(s.get("role")))
		if !dost.ValidHouseholdRole(role) {
			s.failCol("role", "Unknown role %q; the roles are head, spouse, child, parent and other.", s.get("role"))
		}
		if fin != "" {
			if l, ok := member[fin]; ok {
				s.failCol("fin", "%s is already a member on line %d; a person belongs to one household.", fin.Masked(), l)
			} else {
				member[fin] = s.line
			}
		}
		if code == "" {
			return
		}
		hh := byCode[code]
		if hh == nil {
			hh = &household{h: &dost.Household{Code: code, Region: s.get("region"), District: s.get("district"), Address: s.get("address")}, ok: true}
			byCode[code] = hh
			order = append(order, hh)
		} else {
			for _, c := range [...]struct {
				col  string
				want string
			}{{"region", hh.h.Region}, {"district", hh.h.District}, {"address", hh.h.Address}} {
				if v := s.get(c.col); v != "" && v != c.want {
					s.failCol(c.col, "Household %s has %s %q on line %d.", code, c.col, c.want, hh.lines[0])
				}
			}
		}
		if len(s.bad) > 0 {
			hh.ok = false
		}
		hh.h.Members = append(hh.h.Members, &dost.HouseholdMember{FIN: fin, Role: role})
		hh.lines = append(hh.lines, s.line)
	})
	if err != nil {
		return err
	}
	for _, hh := range order {
		heads := 0
		for i, m := range hh.h.Members {
			if m.Role != dost.RoleHead {
				continue
			}
			if heads++; heads == 2 {
				s.fail(hh.lines[i], "role", "Household %s has a second head; the first is on line %d.", hh.h.Code, hh.lines[slices.IndexFunc(hh.h.Members, func(m *dost.HouseholdMember) bool { return m.Role == dost.RoleHead })])
				hh.ok = false
			}
		}
		if heads == 0 {
			s.fail(hh.lines[0], "role", "Household %s has no head.", hh.h.Code)
			hh.ok = false
		}
		if !hh.ok {
			continue
		}
		if err := hh.h.Validate(); err != nil {
			for _, f := range dost.ErrorFields(err) {
				s.fail(hh.lines[0], "", "%s", f.Message)
			}
			continue
		}
		s.batch.Households = append(s.batch.Households, hh.h)
		s.batch.HouseholdLines = append(s.batch.HouseholdLines, hh.lines[0])
	}
	return nil
}

func (s *state) incomes() error {
	type key struct {
		fin    dost.FIN
		month  dost.Month
		source dost.IncomeSource
	}
	seen := make(map[key]int, s.hint)
	s.batch.Incomes = make([]*dost.ImportedIncome, 0, s.hint)
	s.batch.IncomeLines = make([]int, 0, s.hint)
	var slab []dost.ImportedIncome
	return s.each(func() {
		if len(slab) == 0 {
			slab = make([]dost.ImportedIncome, 1024)
		}
		r := &slab[0]
		*r = dost.ImportedIncome{FIN: s.fin("fin")}
		if v := s.get("month"); v == "" {
			s.failCol("month", "Month is required.")
		} else if m, err := dost.ParseMonth(v); err != nil {
			s.failCol("month", "%s", dost.ErrorMessage(err))
		} else {
			r.Month = m
		}
		r.Source = dost.IncomeSource(strings.ToLower(s.get("source")))
		r.Amount = s.money("amount")
		s.fieldErrors(r.Validate())
		if len(s.bad) > 0 {
			return
		}
		k := key{r.FIN, r.Month, r.Source}
		if l, ok := seen[k]; ok {
			s.failCol("", "%s already has %s income for %s on line %d.", r.FIN.Masked(), r.Source, r.Month, l)
			return
		}
		seen[k] = s.line
		slab = slab[1:]
		s.batch.Incomes = append(s.batch.Incomes, r)
		s.batch.IncomeLines = append(s.batch.IncomeLines, s.line)
	})
}

func (s *state) insurance() error {
	return s.each(func() {
		r := &dost.ImportedInsurancePeriod{FIN: s.fin("fin")}
		r.Employer = s.get("employer")
		r.EmployerTIN = s.get("employer_tin")
		if t := r.EmployerTIN; t != "" && (len(t) != 10 || strings.Trim(t, "0123456789") != "") {
			s.failCol("employer_tin", "A taxpayer number has 10 digits.")
		}
		r.From = s.date("from")
		r.To = s.date("to")
		r.MonthlyWage = s.money("monthly_wage")
		s.fieldErrors(r.Validate())
		if len(s.bad) == 0 {
			s.batch.Insurance = append(s.batch.Insurance, r)
			s.batch.InsuranceLines = append(s.batch.InsuranceLines, s.line)
		}
	})
}

func (s *state) disabilities() error {
	return s.each(func() {
		r := &dost.ImportedDisability{FIN: s.fin("fin")}
		r.Degree = dost.DisabilityDegree(s.get("degree"))
		if strings.EqualFold(string(r.Degree), "child") {
			r.Degree = dost.DisabilityChild
		}
		r.Cause = dost.DisabilityCause(strings.ToLower(s.get("cause")))
		if v := s.get("percent"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				s.failCol("percent", "Percent must be a whole number.")
			}
			r.Percent = n
		}
		r.From = s.date("from")
		r.To = s.date("to")
		s.fieldErrors(r.Validate())
		if len(s.bad) == 0 {
			s.batch.Disabilities = append(s.batch.Disabilities, r)
			s.batch.DisabilityLines = append(s.batch.DisabilityLines, s.line)
		}
	})
}
