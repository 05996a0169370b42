package synth_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/synth"
)

var files = []string{synth.PersonsFile, synth.HouseholdsFile, synth.IncomesFile, synth.InsuranceFile, synth.DisabilitiesFile}

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		m[f] = b
	}
	return m
}

func TestWriteCSV(t *testing.T) {
	opts := synth.Options{Persons: 5000, Seed: 42}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	last := 0
	if err := synth.WriteCSV(a, opts, func(done int) { last = done }); err != nil {
		t.Fatal(err)
	}
	if last != opts.Persons {
		t.Errorf("progress ended at %d, want %d", last, opts.Persons)
	}
	restore := synth.SetChunkHouseholds(7)
	err := synth.WriteCSV(b, opts, nil)
	restore()
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteCSV(c, synth.Options{Persons: 5000, Seed: 43}, nil); err != nil {
		t.Fatal(err)
	}
	fa, fb, fc := readAll(t, a), readAll(t, b), readAll(t, c)

	t.Run("SameSeedSameBytes", func(t *testing.T) {
		for _, f := range files {
			if !bytes.Equal(fa[f], fb[f]) {
				t.Errorf("%s differs between chunk sizes", f)
			}
		}
	})
	t.Run("OtherSeedOtherBytes", func(t *testing.T) {
		for _, f := range files {
			if bytes.Equal(fa[f], fc[f]) {
				t.Errorf("%s is the same for seeds 42 and 43", f)
			}
		}
	})
	t.Run("Rows", func(t *testing.T) {
		if got, want := bytes.Count(fa[synth.PersonsFile], []byte("\n")), opts.Persons+1; got != want {
			t.Errorf("persons.csv has %d lines, want %d", got, want)
		}
		if got, want := bytes.Count(fa[synth.HouseholdsFile], []byte("\n")), opts.Persons+1; got != want {
			t.Errorf("households.csv has %d lines, want %d", got, want)
		}
		batch := synth.Batch(opts)
		for name, n := range map[string]int{synth.IncomesFile: len(batch.Incomes), synth.InsuranceFile: len(batch.Insurance), synth.DisabilitiesFile: len(batch.Disabilities)} {
			if got := bytes.Count(fa[name], []byte("\n")); got != n+1 {
				t.Errorf("%s has %d lines, want %d", name, got, n+1)
			}
		}
		header, _, _ := bytes.Cut(fa[synth.PersonsFile], []byte("\n"))
		if got, want := string(header), "fin,last_name,first_name,patronymic,birth_date,sex,phone,email,region,district,address,status,death_date,iban,language"; got != want {
			t.Errorf("header %q, want %q", got, want)
		}
	})
}

func TestBatchDeterministic(t *testing.T) {
	a := synth.Batch(synth.Options{Persons: 3000, Seed: 7})
	restore := synth.SetChunkHouseholds(3)
	b := synth.Batch(synth.Options{Persons: 3000, Seed: 7})
	restore()
	if len(a.Persons) != len(b.Persons) || len(a.Incomes) != len(b.Incomes) {
		t.Fatalf("got %d/%d persons and %d/%d incomes", len(a.Persons), len(b.Persons), len(a.Incomes), len(b.Incomes))
	}
	for i := range a.Persons {
		if *a.Persons[i] != *b.Persons[i] {
			t.Fatalf("person %d: got %+v, want %+v", i, *b.Persons[i], *a.Persons[i])
		}
	}
	for i := range a.Incomes {
		if *a.Incomes[i] != *b.Incomes[i] {
			t.Fatalf("income %d: got %+v, want %+v", i, *b.Incomes[i], *a.Incomes[i])
		}
	}
}

func TestBatchValid(t *testing.T) {
	const n = 20000
	today := synth.DefaultToday
	b := synth.Batch(synth.Options{Persons: n, Seed: 1})
	if len(b.Persons) != n {
		t.Fatalf("got %d persons, want %d", len(b.Persons), n)
	}
	if len(b.PersonLines) != n || len(b.HouseholdLines) != len(b.Households) || len(b.IncomeLines) != len(b.Incomes) ||
		len(b.InsuranceLines) != len(b.Insurance) || len(b.DisabilityLines) != len(b.Disabilities) {
		t.Fatal("line slices do not match the records")
	}
	fins := map[dost.FIN]int{}
	withIBAN := 0
	adults := 0
	for i, p := range b.Persons {
		if err := p.Validate(today); err != nil {
			t.Fatalf("person %d: %v", i, err)
		}
		q := *p
		q.Normalize()
		if q != *p {
			t.Fatalf("person %d is not normalised: %+v", i, *p)
		}
		if _, ok := fins[p.FIN]; ok {
			t.Fatalf("FIN %s twice", p.FIN)
		}
		fins[p.FIN] = 0
		if strings := []rune(string(p.FIN)); slices.Contains(strings, 'I') || slices.Contains(strings, 'O') {
			t.Errorf("FIN %s has I or O", p.FIN)
		}
		if p.BirthDate.AgeOn(today) >= 18 {
			adults++
			if p.IBAN != "" {
				withIBAN++
			}
		}
		if p.IBAN != "" {
			if err := dost.ValidateIBAN(p.IBAN); err != nil || len(p.IBAN) != 28 {
				t.Fatalf("IBAN %s: %v", p.IBAN, err)
			}
		}
		if got, want := b.PersonLines[i], i+2; got != want {
			t.Fatalf("person line %d, want %d", got, want)
		}
	}
	if withIBAN < adults*7/10 {
		t.Errorf("%d of %d adults have an IBAN, want most", withIBAN, adults)
	}
	for i, h := range b.Households {
		if err := h.Validate(); err != nil {
			t.Fatalf("household %d: %v", i, err)
		}
		if len(h.Members) < 1 || len(h.Members) > 8 {
			t.Errorf("household %s has %d members", h.Code, len(h.Members))
		}
		if h.Members[0].Role != dost.RoleHead {
			t.Errorf("household %s: first member is %s, want the head", h.Code, h.Members[0].Role)
		}
		for _, m := range h.Members {
			c, ok := fins[m.FIN]
			if !ok {
				t.Fatalf("household %s: member %s is not a person", h.Code, m.FIN)
			}
			if c != 0 {
				t.Fatalf("person %s is in two households", m.FIN)
			}
			fins[m.FIN] = 1
		}
	}
	for f, c := range fins {
		if c != 1 {
			t.Fatalf("person %s is in no household", f)
		}
	}
	type key struct {
		fin    dost.FIN
		month  dost.Month
		source dost.IncomeSource
	}
	seen := map[key]bool{}
	for i, r := range b.Incomes {
		rec := r.IncomeRecord
		rec.PersonID = 1
		if err := rec.Validate(); err != nil {
			t.Fatalf("income %d: %v", i, err)
		}
		k := key{r.FIN, r.Month, r.Source}
		if seen[k] {
			t.Fatalf("income %v twice", k)
		}
		seen[k] = true
		if _, ok := fins[r.FIN]; !ok {
			t.Fatalf("income of unknown %s", r.FIN)
		}
		if !r.Month.First().Before(today) {
			t.Fatalf("income for %s is not in the past", r.Month)
		}
	}
	for i, r := range b.Insurance {
		rec := r.InsurancePeriod
		rec.PersonID = 1
		if err := rec.Validate(); err != nil {
			t.Fatalf("insurance %d: %v", i, err)
		}
		if len(rec.EmployerTIN) != 10 || rec.From.After(today) {
			t.Fatalf("insurance %d: %+v", i, rec)
		}
	}
	for i, r := range b.Disabilities {
		rec := r.DisabilityAssessment
		rec.PersonID = 1
		if err := rec.Validate(); err != nil {
			t.Fatalf("disability %d: %v", i, err)
		}
	}
}

func TestStatistics(t *testing.T) {
	const n = 50000
	today := synth.DefaultToday
	b := synth.Batch(synth.Options{Persons: n, Seed: 3})
	within := func(name string, got, lo, hi float64) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s = %.3f, want %.3f–%.3f", name, got, lo, hi)
		}
	}
	within("mean household size", float64(n)/float64(len(b.Households)), 3.5, 4.5)
	sizes := map[int]int{}
	for _, h := range b.Households {
		sizes[len(h.Members)]++
	}
	for s := 1; s <= 8; s++ {
		if sizes[s] == 0 {
			t.Errorf("no household of %d", s)
		}
	}
	male, dead, baku, pensioners := 0, 0, 0, 0
	ages := make([]int, 0, n)
	byFIN := map[dost.FIN]*dost.Person{}
	for _, p := range b.Persons {
		byFIN[p.FIN] = p
		if p.Sex == dost.SexMale {
			male++
		}
		if p.Status == dost.PersonDeceased {
			dead++
		}
		if p.Region == "Baku" {
			baku++
		}
		ages = append(ages, p.BirthDate.AgeOn(today))
	}
	slices.Sort(ages)
	within("male share", float64(male)/n, 0.45, 0.55)
	within("median age", float64(ages[n/2]), 29, 36)
	within("Baku share", float64(baku)/n, 0.2, 0.3)
	within("deceased share", float64(dead)/n, 0.001, 0.02)
	within("disability share", float64(len(b.Disabilities))/n, 0.05, 0.07)
	degrees := map[dost.DisabilityDegree]int{}
	for _, d := range b.Disabilities {
		degrees[d.Degree]++
		age := byFIN[d.FIN].BirthDate.AgeOn(today)
		if (d.Degree == dost.DisabilityChild) != (age < 18) {
			t.Errorf("degree %s at age %d", d.Degree, age)
		}
	}
	if !(degrees[dost.DisabilityIII] > degrees[dost.DisabilityI] && degrees[dost.DisabilityII] > degrees[dost.DisabilityI]) {
		t.Errorf("degrees %v: want fewer I than II and III", degrees)
	}
	var wages, wageN int64
	for _, r := range b.Incomes {
		switch r.Source {
		case dost.IncomePension:
			pensioners++
			within("pension", float64(r.Amount)/100, 300, 600)
		case dost.IncomeWage:
			if r.Month.Year == today.Year() {
				wages += int64(r.Amount)
				wageN++
			}
		}
	}
	if pensioners == 0 {
		t.Error("no pensions")
	}
	within("average wage", float64(wages/max(wageN, 1))/100, 750, 1250)
}

func TestGenerateStops(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := synth.Generate(synth.Options{Persons: 100000, Seed: 1}, func(*synth.Household) error {
		calls++
		if calls == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 10 {
		t.Errorf("got %v after %d calls, want stop after 10", err, calls)
	}
}
