package synth

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// The CSV files WriteCSV writes and their columns, named like the domain's
// JSON fields. The importer reads the same names.
const (
	PersonsFile      = "persons.csv"
	HouseholdsFile   = "households.csv"
	IncomesFile      = "incomes.csv"
	InsuranceFile    = "insurance.csv"
	DisabilitiesFile = "disabilities.csv"
)

// Column headers of the CSV files, in the order WriteCSV writes them.
var (
	PersonColumns     = []string{"fin", "last_name", "first_name", "patronymic", "birth_date", "sex", "phone", "email", "region", "district", "address", "status", "death_date", "iban", "language"}
	HouseholdColumns  = []string{"household_code", "fin", "role", "region", "district", "address"}
	IncomeColumns     = []string{"fin", "month", "source", "amount"}
	InsuranceColumns  = []string{"fin", "employer", "employer_tin", "from", "to", "monthly_wage"}
	DisabilityColumns = []string{"fin", "degree", "cause", "percent", "from", "to"}
)

const (
	fPersons = iota
	fHouseholds
	fIncomes
	fInsurance
	fDisabilities
	nFiles
)

var fileNames = [nFiles]string{PersonsFile, HouseholdsFile, IncomesFile, InsuranceFile, DisabilitiesFile}
var fileColumns = [nFiles][]string{PersonColumns, HouseholdColumns, IncomeColumns, InsuranceColumns, DisabilityColumns}

// csvChunk is the rendered text of one chunk of households.
type csvChunk struct {
	buf     [nFiles][]byte
	persons int
}

var chunkPool = sync.Pool{New: func() any { return new(csvChunk) }}

// WriteCSV generates the population into dir, which it creates if needed:
// persons.csv, households.csv (one row per member), incomes.csv,
// insurance.csv and disabilities.csv, each with a header row. Households
// are generated in parallel on GOMAXPROCS goroutines and written in order.
// progress, if not nil, is called from the calling goroutine with the
// number of persons written so far.
func WriteCSV(dir string, opts Options, progress func(done int)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	var files [nFiles]*os.File
	var ws [nFiles]*bufio.Writer
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i, name := range fileNames {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		files[i] = f
		ws[i] = bufio.NewWriterSize(f, 1<<20)
		ws[i].WriteString(strings.Join(fileColumns[i], ",") + "\n")
	}
	done := 0
	err := run(opts, func(g *gen, w *worker, c *chunk) *csvChunk {
		out := chunkPool.Get().(*csvChunk)
		for i := range out.buf {
			out.buf[i] = out.buf[i][:0]
		}
		out.persons = 0
		person := c.firstPerson
		for i, size := range c.sizes {
			w.h.index, w.h.first = c.first+int64(i), person
			w.specs = g.household(&w.h, size, w.specs)
			g.appendCSV(out, &w.h)
			person += int64(size)
		}
		return out
	}, func(c *csvChunk) error {
		defer chunkPool.Put(c)
		for i, b := range c.buf {
			if _, err := ws[i].Write(b); err != nil {
				return fmt.Errorf("synth: %w", err)
			}
		}
		done += c.persons
		if progress != nil {
			progress(done)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, w := range ws {
		if err := w.Flush(); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		if err := files[i].Close(); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		files[i] = nil
	}
	return nil
}

// appendField appends s as a CSV field, quoted if it must be.
func appendField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\n\r") {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

func appendDate(b []byte, days int) []byte {
	y, m, d := civilFromDays(days)
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

func appendMoney(b []byte, q int64) []byte {
	b = strconv.AppendInt(b, q/100, 10)
	return append(b, '.', byte('0'+q/10%10), byte('0'+q%10))
}

// appendCSV appends the rows of h to c.
func (g *gen) appendCSV(c *csvChunk, h *hh) {
	d := &districts[h.dist]
	// The address has a comma, so it is always quoted.
	var addr [128]byte
	a := append(append([]byte{'"'}, h.address(addr[:0])...), '"')
	var code [16]byte
	hc := householdCode(code[:0], h.index)
	for i := range h.members {
		m := &h.members[i]
		b := c.buf[fPersons]
		b = append(b, m.fin[:]...)
		b = append(b, ',')
		b = append(b, m.last...)
		b = append(b, ',')
		b = append(b, m.first...)
		b = append(b, ',')
		b = m.patronymic(b)
		b = append(b, ',')
		b = appendDate(b, m.birth)
		b = append(b, ',', m.sex, ',')
		b = m.phoneNumber(b)
		b = append(b, ',')
		b = m.emailAddress(b)
		b = append(b, ',')
		b = append(b, d.region...)
		b = append(b, ',')
		b = append(b, d.name...)
		b = append(b, ',')
		b = append(b, a...)
		if m.deceased {
			b = append(b, ",deceased,"...)
			b = appendDate(b, m.death)
		} else {
			b = append(b, ",alive,"...)
		}
		b = append(b, ',')
		if m.hasIBAN {
			b = append(b, m.iban[:]...)
		}
		b = append(b, ',')
		b = append(b, m.lang...)
		c.buf[fPersons] = append(b, '\n')

		b = c.buf[fHouseholds]
		b = append(b, hc...)
		b = append(b, ',')
		b = append(b, m.fin[:]...)
		b = append(b, ',')
		b = append(b, m.role...)
		b = append(b, ',')
		b = append(b, d.region...)
		b = append(b, ',')
		b = append(b, d.name...)
		b = append(b, ',')
		b = append(b, a...)
		c.buf[fHouseholds] = append(b, '\n')
	}
	c.persons += len(h.members)
	for _, x := range h.inc {
		b := c.buf[fIncomes]
		b = append(b, h.members[x.m].fin[:]...)
		mo := &g.months[x.month]
		b = append(b, ',', byte('0'+mo.year/1000), byte('0'+mo.year/100%10), byte('0'+mo.year/10%10), byte('0'+mo.year%10),
			'-', byte('0'+mo.month/10), byte('0'+mo.month%10), ',')
		b = append(b, x.source...)
		b = append(b, ',')
		b = appendMoney(b, x.amount)
		c.buf[fIncomes] = append(b, '\n')
	}
	for _, x := range h.ins {
		e := &employers[x.employer]
		b := c.buf[fInsurance]
		b = append(b, h.members[x.m].fin[:]...)
		b = append(b, ',')
		b = appendField(b, e.name)
		b = append(b, ',')
		b = append(b, e.tin...)
		b = append(b, ',')
		b = appendDate(b, x.from)
		b = append(b, ',')
		if x.to >= 0 {
			b = appendDate(b, x.to)
		}
		b = append(b, ',')
		b = appendMoney(b, x.wage)
		c.buf[fInsurance] = append(b, '\n')
	}
	for _, x := range h.dis {
		b := c.buf[fDisabilities]
		b = append(b, h.members[x.m].fin[:]...)
		b = append(b, ',')
		b = append(b, x.degree...)
		b = append(b, ',')
		b = append(b, x.cause...)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(x.percent), 10)
		b = append(b, ',')
		b = appendDate(b, x.from)
		b = append(b, ',')
		if x.to >= 0 {
			b = appendDate(b, x.to)
		}
		c.buf[fDisabilities] = append(b, '\n')
	}
}
