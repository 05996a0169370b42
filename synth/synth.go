// Package synth generates a realistic synthetic population of Azerbaijan
// for demos, tests and benchmarks: persons with Azerbaijani names and
// patronymics, households of one to eight people, regions and Baku
// districts weighted by population, phones, FINs, IBANs, insurance
// histories, monthly incomes and disability assessments.
//
// Generation is deterministic: the same Options give the same population,
// byte for byte, however the work is split. Every household is generated
// from its own random stream, seeded by the seed and the household's
// number, so households are generated in parallel and emitted in order.
// Every record passes its domain Validate (records named by FIN carry no
// PersonID).
package synth

import (
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/dost-az/dost"
)

// DefaultToday is the date a population is generated for when
// Options.Today is zero.
var DefaultToday = dost.MustDate("2026-11-01")

// Options says what population to generate.
type Options struct {
	// Persons is the number of persons; the last household is cut short to
	// make the count exact.
	Persons int
	// Seed selects the population; the same seed gives the same one.
	Seed int64
	// Today is the date of the registry snapshot: ages, open insurance
	// periods and the 12 months of income records are counted back from it.
	// Zero means DefaultToday.
	Today dost.Date
}

// Household is one generated household with its members and their records,
// all named by FIN.
type Household struct {
	Household    *dost.Household
	Persons      []*dost.Person
	Insurance    []*dost.ImportedInsurancePeriod
	Incomes      []*dost.ImportedIncome
	Disabilities []*dost.ImportedDisability
}

// Household sizes 1–8, about 4 on average.
var sizeWeights = newWeights([]int{8, 13, 17, 24, 19, 11, 5, 3})

// chunkHouseholds is the number of households a worker generates at once.
// Output does not depend on it; tests change it to prove that.
var chunkHouseholds = 2048

// chunk is a run of consecutive households.
type chunk struct {
	first       int64 // number of the first household
	firstPerson int64 // index of its first person
	sizes       []int
}

// worker holds one goroutine's reusable scratch space.
type worker struct {
	h     hh
	specs []spec
}

// run plans the households of a population in chunks, has work turn each
// chunk into a T on GOMAXPROCS goroutines, and calls consume with the
// results in order. It stops at the first error from consume.
func run[T any](opts Options, work func(g *gen, w *worker, c *chunk) T, consume func(T) error) error {
	g := newGen(opts)
	workers := runtime.GOMAXPROCS(0)
	type job struct {
		c   *chunk
		out chan T
	}
	jobs := make(chan job, workers)
	order := make(chan chan T, 2*workers)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the planner: household sizes are drawn in sequence
		defer wg.Done()
		defer close(order)
		defer close(jobs)
		var hhIndex, person int64
		total := int64(opts.Persons)
		for person < total {
			c := &chunk{first: hhIndex, firstPerson: person, sizes: make([]int, 0, chunkHouseholds)}
			for len(c.sizes) < chunkHouseholds && person < total {
				r := newRNG(opts.Seed, 0, uint64(hhIndex))
				size := int(min(int64(1+r.pick(sizeWeights)), total-person))
				c.sizes = append(c.sizes, size)
				person += int64(size)
				hhIndex++
			}
			out := make(chan T, 1)
			select {
			case jobs <- job{c, out}:
			case <-done:
				return
			}
			select {
			case order <- out:
			case <-done:
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{}
			for j := range jobs {
				j.out <- work(g, w, j.c)
			}
		}()
	}
	var err error
	for out := range order {
		if err = consume(<-out); err != nil {
			break
		}
	}
	close(done)
	for range order { // let the planner finish
	}
	wg.Wait()
	return err
}

// Generate generates the population one household at a time and calls emit
// for each, in order, from the calling goroutine. Households are generated
// ahead in parallel, so memory stays small for any number of persons. It
// returns the first error emit returns.
func Generate(opts Options, emit func(*Household) error) error {
	return run(opts, func(g *gen, w *worker, c *chunk) []*Household {
		out := make([]*Household, len(c.sizes))
		person := c.firstPerson
		for i, size := range c.sizes {
			w.h.index, w.h.first = c.first+int64(i), person
			w.specs = g.household(&w.h, size, w.specs)
			out[i] = g.toDomain(&w.h)
			person += int64(size)
		}
		return out
	}, func(hs []*Household) error {
		for _, h := range hs {
			if err := emit(h); err != nil {
				return err
			}
		}
		return nil
	})
}

// Batch generates the whole population in memory as one import batch, for
// demos and tests (up to about 100,000 persons). Line numbers are those of
// the rows in the files WriteCSV writes: the header is line 1, and a
// household's line is that of its first member.
func Batch(opts Options) *dost.ImportBatch {
	b := &dost.ImportBatch{}
	_ = Generate(opts, func(h *Household) error {
		b.Households = append(b.Households, h.Household)
		b.HouseholdLines = append(b.HouseholdLines, len(b.Persons)+2)
		for _, p := range h.Persons {
			b.PersonLines = append(b.PersonLines, len(b.Persons)+2)
			b.Persons = append(b.Persons, p)
		}
		for _, x := range h.Insurance {
			b.InsuranceLines = append(b.InsuranceLines, len(b.Insurance)+2)
			b.Insurance = append(b.Insurance, x)
		}
		for _, x := range h.Incomes {
			b.IncomeLines = append(b.IncomeLines, len(b.Incomes)+2)
			b.Incomes = append(b.Incomes, x)
		}
		for _, x := range h.Disabilities {
			b.DisabilityLines = append(b.DisabilityLines, len(b.Disabilities)+2)
			b.Disabilities = append(b.Disabilities, x)
		}
		return nil
	})
	return b
}

// householdCode returns the registry number of household i, "HH00000001"
// for the first.
func householdCode(b []byte, i int64) []byte {
	b = append(b, "HH"...)
	n := strconv.AppendInt(nil, i+1, 10)
	for k := len(n); k < 8; k++ {
		b = append(b, '0')
	}
	return append(b, n...)
}

func (h *hh) address(b []byte) []byte {
	b = append(b, streets[h.street]...)
	b = append(b, ", ev "...)
	b = strconv.AppendInt(b, int64(h.house), 10)
	if h.flat > 0 {
		b = append(b, ", mənzil "...)
		b = strconv.AppendInt(b, int64(h.flat), 10)
	}
	return b
}

func (m *member) patronymic(b []byte) []byte {
	b = append(b, m.father...)
	if m.sex == 'M' {
		return append(b, " oğlu"...)
	}
	return append(b, " qızı"...)
}

func (m *member) phoneNumber(b []byte) []byte {
	if m.phone == 0 {
		return b
	}
	b = append(b, "+994"...)
	b = append(b, phonePrefixes[m.phonePrefix]...)
	return strconv.AppendInt(b, int64(m.phone), 10)
}

func (m *member) emailAddress(b []byte) []byte {
	if m.email < 0 {
		return b
	}
	b = append(b, m.firstASCII...)
	b = append(b, '.')
	b = append(b, m.lastASCII...)
	if m.email > 0 {
		b = strconv.AppendInt(b, int64(m.email), 10)
	}
	b = append(b, '@')
	return append(b, emailDomains[m.emailDomain]...)
}

// toDomain renders a generated household as domain records.
func (g *gen) toDomain(h *hh) *Household {
	d := &districts[h.dist]
	var buf []byte
	dh := &dost.Household{
		Code:     string(householdCode(buf[:0], h.index)),
		Region:   d.region,
		District: d.name,
		Address:  string(h.address(buf[:0])),
		Members:  make([]*dost.HouseholdMember, len(h.members)),
	}
	out := &Household{Household: dh, Persons: make([]*dost.Person, len(h.members))}
	for i := range h.members {
		m := &h.members[i]
		p := &dost.Person{
			FIN:        dost.FIN(m.fin[:]),
			FirstName:  m.first,
			LastName:   m.last,
			Patronymic: string(m.patronymic(buf[:0])),
			BirthDate:  dateOfDays(m.birth),
			Sex:        dost.Sex(m.sex),
			Phone:      string(m.phoneNumber(buf[:0])),
			Email:      string(m.emailAddress(buf[:0])),
			Region:     dh.Region,
			District:   dh.District,
			Address:    dh.Address,
			Status:     dost.PersonAlive,
			Language:   m.lang,
		}
		if m.sex == 'M' {
			p.Sex = dost.SexMale
		} else {
			p.Sex = dost.SexFemale
		}
		if m.deceased {
			p.Status = dost.PersonDeceased
			p.DeathDate = dateOfDays(m.death)
		}
		if m.hasIBAN {
			p.IBAN = string(m.iban[:])
		}
		out.Persons[i] = p
		dh.Members[i] = &dost.HouseholdMember{FIN: p.FIN, Role: m.role}
	}
	for _, x := range h.ins {
		e := &employers[x.employer]
		r := &dost.ImportedInsurancePeriod{FIN: out.Persons[x.m].FIN, InsurancePeriod: dost.InsurancePeriod{
			Employer: e.name, EmployerTIN: e.tin, From: dateOfDays(x.from), MonthlyWage: dost.Money(x.wage)}}
		if x.to >= 0 {
			r.To = dateOfDays(x.to)
		}
		out.Insurance = append(out.Insurance, r)
	}
	for _, x := range h.inc {
		mo := g.months[x.month]
		out.Incomes = append(out.Incomes, &dost.ImportedIncome{FIN: out.Persons[x.m].FIN, IncomeRecord: dost.IncomeRecord{
			Month: dost.Month{Year: mo.year, Month: time.Month(mo.month)}, Source: x.source, Amount: dost.Money(x.amount)}})
	}
	for _, x := range h.dis {
		r := &dost.ImportedDisability{FIN: out.Persons[x.m].FIN, DisabilityAssessment: dost.DisabilityAssessment{
			Degree: x.degree, Cause: x.cause, Percent: x.percent, From: dateOfDays(x.from)}}
		if x.to >= 0 {
			r.To = dateOfDays(x.to)
		}
		out.Disabilities = append(out.Disabilities, r)
	}
	return out
}
