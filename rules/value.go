package rules

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Type is the value type of a variable.
type Type uint8

// The variable types. Money is a float64 amount in manat, rounded half away
// from zero to 2 decimals (whole qəpik) whenever a computed money value is
// stored; Date is a civil date (days since 1970-01-01); Enum is one of a
// variable's declared values, stored as its index.
const (
	Bool Type = iota
	Int
	Float
	Money
	DateType
	Enum
)

// String returns the YAML name of t.
func (t Type) String() string {
	switch t {
	case Bool:
		return "bool"
	case Int:
		return "int"
	case Float:
		return "float"
	case Money:
		return "money"
	case DateType:
		return "date"
	case Enum:
		return "enum"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

func parseType(s string) (Type, bool) {
	for t := Bool; t <= Enum; t++ {
		if t.String() == s {
			return t, true
		}
	}
	return 0, false
}

// phys is the storage of a type in a column: bools, int64s or float64s.
type phys uint8

const (
	pBool phys = iota
	pInt
	pFloat
)

func (t Type) phys() phys {
	switch t {
	case Bool:
		return pBool
	case Float, Money:
		return pFloat
	}
	return pInt
}

// Column holds one value per row of an entity (per person or per
// household) for one variable and period. Exactly one slice is used,
// according to Type: Bools for Bool; Ints for Int, DateType (days since
// 1970-01-01) and Enum (index into the variable's Values); Floats for Float
// and Money. Columns returned by a Simulation are shared with its cache and
// must not be modified.
type Column struct {
	Type   Type
	Bools  []bool
	Ints   []int64
	Floats []float64
}

// Len returns the number of rows.
func (c Column) Len() int {
	switch c.Type.phys() {
	case pBool:
		return len(c.Bools)
	case pInt:
		return len(c.Ints)
	}
	return len(c.Floats)
}

func newColumn(t Type, n int) Column {
	c := Column{Type: t}
	switch t.phys() {
	case pBool:
		c.Bools = make([]bool, n)
	case pInt:
		c.Ints = make([]int64, n)
	default:
		c.Floats = make([]float64, n)
	}
	return c
}

// RoundMoney rounds x half away from zero to 2 decimals. Binary floating
// point cannot hold most decimal halves exactly (1.005 is stored as
// 1.00499999999999989…), so a value within 1e-6 qəpik of a half is treated
// as the half it was meant to be: RoundMoney(1.005) is 1.01 and
// RoundMoney(-2.675) is -2.68.
func RoundMoney(x float64) float64 {
	// Away from zero when the fraction f of x*100 is a half, more than a
	// half, or less than a half by under 1e-6: f-0.5 > -1e-6 (f-0.5 is
	// exact). y-t is exact, and t and t±1 are exactly what math.Round would
	// return. The step is added without a branch (the fraction of money
	// amounts is close to 0 or to 1 about as often): ±0 or ±1 with y's
	// sign, so -0.001 still rounds to -0. NaN and ±Inf pass through
	// unchanged (f is NaN for them, and t+±0 is t).
	y := x * 100
	t := math.Trunc(y)
	f := math.Abs(y - t)
	step := math.Float64bits(1)&mask(f-0.5 > -1e-6) | math.Float64bits(y)&(1<<63)
	return (t + math.Float64frombits(step)) / 100
}

// wholeQepik returns the index of the first value of s that is not in
// whole qəpik (RoundMoney(x) != x), or -1. It decides most values with
// multiplications only: with y = x*100 and k = y rounded, when |y-k| < 1/4
// RoundMoney(x) is k/100, and x is the double nearest to k/100 when the
// exact residual x*100-k (one FMA) is zero or under 50 units in the last
// place of x, since k/100 is never halfway between two doubles. Values the
// fast test does not accept (NaN, ±Inf, more than 2 decimals, subnormals)
// are decided by RoundMoney itself, so the answer is RoundMoney's exactly.
func wholeQepik(s []float64) int {
	for i, x := range s {
		y := x * 100
		k := math.RoundToEven(y)
		e := math.Abs(math.FMA(x, 100, -k))
		// ulp(x) is 2 to x's exponent less 52; 0 for an x so small that
		// it is not a normal double (then only e == 0 accepts).
		ex := int64(math.Float64bits(x) >> 52 & 0x7ff)
		ulp := math.Float64frombits(uint64(ex-52) << 52 & -uint64(b2i(ex > 52)))
		ok := b2i(e == 0) | b2i(e < 50*ulp)&b2i(math.Abs(y-k) < 0.25)
		if ok == 0 && RoundMoney(x) != x {
			return i
		}
	}
	return -1
}

// roundMoney applies RoundMoney to every element of s.
func roundMoney(s []float64) {
	for i, x := range s {
		s[i] = RoundMoney(x)
	}
}

// value returns row i of c as a Go value for traces, results and tests:
// bool, int64, float64, a Date string or an enum value name.
func (v *Variable) value(c Column, i int) any {
	switch v.Type {
	case Bool:
		return c.Bools[i]
	case Int:
		return c.Ints[i]
	case Float, Money:
		return c.Floats[i]
	case DateType:
		return Date(c.Ints[i]).String()
	case Enum:
		k := c.Ints[i]
		if k >= 0 && int(k) < len(v.Values) {
			return v.Values[k]
		}
		return fmt.Sprintf("#%d", k)
	}
	return nil
}

// set stores a Go value x (from YAML, JSON or Go code) into row i of c.
func (v *Variable) set(c Column, i int, x any) error {
	switch v.Type {
	case Bool:
		b, ok := x.(bool)
		if !ok {
			return fmt.Errorf("variable %s: %v is not a bool", v.Name, x)
		}
		c.Bools[i] = b
	case Int:
		switch n := x.(type) {
		case int:
			c.Ints[i] = int64(n)
		case int64:
			c.Ints[i] = n
		case float64:
			if n != math.Trunc(n) {
				return fmt.Errorf("variable %s: %v is not an integer", v.Name, x)
			}
			c.Ints[i] = int64(n)
		default:
			return fmt.Errorf("variable %s: %v is not an integer", v.Name, x)
		}
	case Float, Money:
		var f float64
		switch n := x.(type) {
		case int:
			f = float64(n)
		case int64:
			f = float64(n)
		case float64:
			f = n
		default:
			return fmt.Errorf("variable %s: %v is not a number", v.Name, x)
		}
		if v.Type == Money {
			f = RoundMoney(f)
		}
		c.Floats[i] = f
	case DateType:
		switch d := x.(type) {
		case Date:
			c.Ints[i] = int64(d)
		case time.Time:
			c.Ints[i] = int64(DateOf(d.Date()))
		case string:
			dd, err := ParseDate(d)
			if err != nil {
				return fmt.Errorf("variable %s: %w", v.Name, err)
			}
			c.Ints[i] = int64(dd)
		default:
			return fmt.Errorf("variable %s: %v is not a date", v.Name, x)
		}
	case Enum:
		s, ok := x.(string)
		if !ok {
			return fmt.Errorf("variable %s: %v is not one of %v", v.Name, x, v.Values)
		}
		k := v.enumIndex(s)
		if k < 0 {
			return fmt.Errorf("variable %s: %q is not one of %v", v.Name, s, v.Values)
		}
		c.Ints[i] = int64(k)
	}
	return nil
}

func (v *Variable) enumIndex(s string) int {
	for k, x := range v.Values {
		if x == s {
			return k
		}
	}
	return -1
}
