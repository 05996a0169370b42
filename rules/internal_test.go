package rules

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// TestCivilTable checks the date table against Hinnant's algorithm and
// months_between against its arithmetic definition, inside and outside the
// table's range.
func TestCivilTable(t *testing.T) {
	if DateOf(1900, 1, 1) != civilBase || DateOf(2100, 1, 1) != civilEnd {
		t.Fatalf("table range %v..%v", civilBase, civilEnd)
	}
	for d := civilBase - 800; d < civilEnd+800; d++ {
		y, m, dd := civil(d)
		y2, m2, d2 := civilSlow(d)
		if y != y2 || m != m2 || dd != d2 {
			t.Fatalf("civil(%d) = %d-%d-%d, want %d-%d-%d", d, y, m, dd, y2, m2, d2)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for range 200000 {
		a := Date(rng.Intn(100000) - 40000)
		b := Date(rng.Intn(100000) - 40000)
		if rng.Intn(4) == 0 {
			b = a + Date(rng.Intn(70)-35)
		}
		if got, want := monthsBetween(a, b), monthsBetweenSlow(a, b); got != want {
			t.Fatalf("monthsBetween(%s, %s) = %d, want %d", a, b, got, want)
		}
	}
}

// roundMoneyRef is the first, branchy RoundMoney.
func roundMoneyRef(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	y := x * 100
	t := math.Trunc(y)
	f := math.Abs(y - t)
	if math.Abs(f-0.5) < 1e-6 {
		return (t + math.Copysign(1, y)) / 100
	}
	return math.Round(y) / 100
}

func TestRoundMoneyFast(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	xs := []float64{0, math.Copysign(0, -1), 0.005, -0.005, 1.005, 2.675, -2.675, 0.0049999999, 0.00499999, 1e15 + 0.5, 1e300, -1e300,
		math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, math.SmallestNonzeroFloat64, -0.3 / 100, -0.7 / 100}
	for range 1000000 {
		switch rng.Intn(3) {
		case 0:
			xs = append(xs, float64(rng.Intn(2000000)-1000000)/1000)
		case 1:
			xs = append(xs, (rng.Float64()-0.5)*1e6)
		default:
			xs = append(xs, float64(rng.Intn(2000000)-1000000)/200+float64(rng.Intn(3)-1)*1e-9)
		}
	}
	for _, x := range xs {
		got, want := RoundMoney(x), roundMoneyRef(x)
		if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("RoundMoney(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestDateAndPeriodString(t *testing.T) {
	for d := Date(-800000); d < 800000; d += 7 {
		if got, want := d.String(), d.Time().Format(DateLayout); got != want {
			t.Fatalf("Date(%d).String() = %s, want %s", d, got, want)
		}
	}
	for _, p := range []Period{MonthOf(2026, 11), MonthOf(5, 1), YearOf(2026), YearOf(7), {Kind: Eternity}} {
		q, err := ParsePeriod(p.String())
		if err != nil || q != p {
			t.Errorf("%v → %q → %v, %v", p, p.String(), q, err)
		}
	}
}

// TestDatesWithoutTime checks ParseDate, DateOf and Period.Offset, which
// skip the time package in the common case, against it.
func TestDatesWithoutTime(t *testing.T) {
	parse := func(s string) (Date, error) {
		tt, err := time.Parse(DateLayout, strings.TrimSpace(s))
		return Date(tt.Unix() / 86400), err
	}
	var cases []string
	for d := Date(-800000); d < 800000; d += 13 {
		cases = append(cases, d.String())
	}
	for y := 1899; y <= 2101; y += 101 {
		for m := 0; m <= 13; m++ {
			for day := 0; day <= 32; day++ {
				cases = append(cases, fmt.Sprintf("%04d-%02d-%02d", y, m, day))
			}
		}
	}
	cases = append(cases, "2024-02-29", "2023-02-29", "2000-02-29", "1900-02-29", " 2026-01-05", "2026-01-05 ",
		"+026-01-05", "2026-1-05", "2026-01-5", "20260105", "2026/01/05", "2026-01-0x", "0000-01-01", "", "2026-01-05x")
	for _, s := range cases {
		got, gerr := ParseDate(s)
		want, werr := parse(s)
		if (gerr != nil) != (werr != nil) || gerr == nil && got != want {
			t.Errorf("ParseDate(%q) = %v, %v; time.Parse gives %v, %v", s, got, gerr, want, werr)
		}
	}
	for y := -5; y <= 2105; y += 7 {
		for m := time.Month(-13); m <= 26; m++ {
			for _, d := range []int{-40, 0, 1, 15, 28, 29, 31, 70} {
				if got, want := DateOf(y, m, d), Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400); got != want {
					t.Fatalf("DateOf(%d, %d, %d) = %v, want %v", y, m, d, got, want)
				}
			}
			if m < 1 || m > 12 {
				continue
			}
			for n := -30; n <= 30; n++ {
				tt := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
				if got, want := MonthOf(y, m).Offset(n), MonthOf(tt.Year(), tt.Month()); got != want {
					t.Fatalf("%v.Offset(%d) = %v, want %v", MonthOf(y, m), n, got, want)
				}
			}
		}
	}
}

func TestAddMonthsFast(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for range 1000000 {
		d := Date(rng.Intn(int(civilEnd-civilBase)+4000)) + civilBase - 2000
		n := int64(rng.Intn(2400) - 1200)
		if got, want := addMonths(d, n), addMonthsSlow(d, n); got != want {
			t.Fatalf("addMonths(%s, %d) = %s, want %s", d, n, got, want)
		}
	}
}

// paramAtRef is the first, branchy paramAt.
func paramAtRef(p *Parameter, d Date) float64 {
	vs := p.Values
	lo, hi := 0, len(vs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if vs[m].From <= d {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 0
	}
	return vs[lo-1].Value
}

func TestParamAtBranchFree(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for n := range 20 {
		p := &Parameter{}
		from := Date(rng.Intn(1000))
		for k := range n {
			p.Values = append(p.Values, ParamValue{From: from, Value: float64(k + 1)})
			from += Date(1 + rng.Intn(400))
		}
		for d := Date(-10); d < from+10; d++ {
			if got, want := paramAt(p, d), paramAtRef(p, d); got != want {
				t.Fatalf("%d values: paramAt(%s) = %v, want %v", n, d, got, want)
			}
		}
	}
}

func TestWholeQepik(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	xs := []float64{0, math.Copysign(0, -1), 0.005, -0.005, 1.005, 2.675, -2.675, 0.07, 0.0049999999, 1e15 + 0.5, 1e300, -1e300,
		math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, math.SmallestNonzeroFloat64, 5e-324, 1e-310, -0.3 / 100, 1e-5, 0.01, 1e13, 1e14 + 0.01}
	for range 3000000 {
		switch rng.Intn(5) {
		case 0:
			xs = append(xs, float64(rng.Intn(2000000)-1000000)/1000)
		case 1:
			xs = append(xs, (rng.Float64()-0.5)*1e6)
		case 2:
			xs = append(xs, float64(rng.Int63n(1<<53)-1<<52)/100)
		case 3:
			x := float64(rng.Intn(20000000)-10000000) / 100
			xs = append(xs, math.Float64frombits(math.Float64bits(x)+uint64(rng.Intn(5)-2)))
		default:
			xs = append(xs, float64(rng.Intn(2000000)-1000000)/200+float64(rng.Intn(3)-1)*1e-9)
		}
	}
	n := 0
	for _, x := range xs {
		want := RoundMoney(x) != x
		got := wholeQepik([]float64{x}) == 0
		if got != want {
			t.Fatalf("wholeQepik(%v (%x)) bad = %v, want %v", x, math.Float64bits(x), got, want)
		}
		if !want {
			n++
		}
	}
	t.Logf("%d of %d whole", n, len(xs))
}
