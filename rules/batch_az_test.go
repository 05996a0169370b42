package rules_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
)

// TestBatchEqualsSingleAZ is TestBatchEqualsSingle over the Azerbaijani
// rule set: random households (randomAZHousehold: every input, incomes over
// 13 months, births and deaths in the period) are computed as one
// population with columns set by SetInput and one by one with Calculate,
// for several seeds and periods; every formula variable's value must be
// identical for every person and household.
func TestBatchEqualsSingleAZ(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	vars := computed(rs)
	if len(vars) < 30 {
		t.Fatalf("%d formula variables, want the whole rule set", len(vars))
	}
	periods := []string{"2026-11", "2026-07", "2025-01", "2023-06", "2021-03", "2019-10"}
	for seed := int64(1); seed <= 6; seed++ {
		period := mustPeriod(t, periods[seed-1])
		rng := rand.New(rand.NewSource(seed))
		sits := make([]*rules.Situation, 50)
		for h := range sits {
			sits[h] = randomAZHousehold(rng, period)
		}
		batch, ids := computeBatch(t, rs, sits, period, vars)
		row := 0
		for h, sit := range sits {
			res, _, err := rs.Calculate(sit, period, vars)
			if err != nil {
				t.Fatalf("seed %d household %d: %v", seed, h, err)
			}
			for _, name := range vars {
				v, _ := rs.Variable(name)
				if v.Entity == rules.Household {
					if got, want := res.Values[name]["household"], azCell(v, batch[name], h); !sameValue(got, want) {
						t.Fatalf("seed %d %s household %d %s: single %v, batch %v", seed, period, h, name, got, want)
					}
					continue
				}
				for i := range sit.Persons {
					if got, want := res.Values[name][ids[row+i]], azCell(v, batch[name], row+i); !sameValue(got, want) {
						t.Fatalf("seed %d %s household %d person %d %s: single %v, batch %v", seed, period, h, i, name, got, want)
					}
				}
			}
			res.Release()
			row += len(sit.Persons)
		}
	}
}

// computeBatch computes vars over the households of sits as one
// population: every input of every person, for the periods the situations
// give (a plain value holds for period), becomes one column, the default
// where a person has none. It returns the columns by variable and each
// person's ID in Calculate's results, row by row.
func computeBatch(t *testing.T, rs *rules.RuleSet, sits []*rules.Situation, period rules.Period, vars []string) (map[string]rules.Column, []string) {
	t.Helper()
	var hh []int32
	var roles []int64
	var ids []string
	type key struct {
		name   string
		period rules.Period
	}
	given := map[key]map[int]any{} // row → value
	for h, sit := range sits {
		for i, sp := range sit.Persons {
			row := len(hh)
			hh = append(hh, int32(h))
			r := rules.RoleIndex(sp.Role)
			if r < 0 {
				t.Fatalf("role %q", sp.Role)
			}
			roles = append(roles, int64(r))
			id := sp.ID
			if id == "" {
				id = fmt.Sprintf("person%d", i+1)
			}
			ids = append(ids, id)
			for name, x := range sp.Inputs {
				v, ok := rs.Variable(name)
				if !ok {
					t.Fatalf("unknown input %s", name)
				}
				byPeriod, ok := x.(map[string]any)
				if !ok {
					byPeriod = map[string]any{period.As(v.Period).String(): x}
				}
				for ps, val := range byPeriod {
					p := mustPeriod(t, ps)
					k := key{name, p}
					if given[k] == nil {
						given[k] = map[int]any{}
					}
					given[k][row] = val
				}
			}
		}
	}
	pop, err := rules.NewPopulation(len(sits), hh, roles)
	if err != nil {
		t.Fatal(err)
	}
	sim := rs.NewSimulation(pop)
	for k, rows := range given {
		v, _ := rs.Variable(k.name)
		col := rules.Column{Type: v.Type}
		for row := range hh {
			x, ok := rows[row]
			if !ok {
				x = v.Default
			}
			appendCell(t, v, &col, x)
		}
		if err := sim.SetInput(k.name, k.period, col); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]rules.Column{}
	for _, name := range vars {
		c, err := sim.Compute(name, period)
		if err != nil {
			t.Fatalf("batch %s %s: %v", name, period, err)
		}
		out[name] = c
	}
	return out, ids
}

// appendCell appends x, a value as a Situation gives it, to col, a column
// of v.
func appendCell(t *testing.T, v *rules.Variable, col *rules.Column, x any) {
	t.Helper()
	switch v.Type {
	case rules.Bool:
		col.Bools = append(col.Bools, x.(bool))
	case rules.Int:
		switch n := x.(type) {
		case int:
			col.Ints = append(col.Ints, int64(n))
		case int64:
			col.Ints = append(col.Ints, n)
		default:
			t.Fatalf("%s: %T", v.Name, x)
		}
	case rules.Float, rules.Money:
		col.Floats = append(col.Floats, x.(float64))
	case rules.DateType:
		d, err := rules.ParseDate(x.(string))
		if err != nil {
			t.Fatal(err)
		}
		col.Ints = append(col.Ints, int64(d))
	case rules.Enum:
		k := indexOf(v.Values, x.(string))
		if k < 0 {
			t.Fatalf("%s: %q", v.Name, x)
		}
		col.Ints = append(col.Ints, int64(k))
	}
}

// azCell returns row i of c as Calculate's results give a value of v.
func azCell(v *rules.Variable, c rules.Column, i int) any {
	switch v.Type {
	case rules.Bool:
		return c.Bools[i]
	case rules.Int:
		return c.Ints[i]
	case rules.Float, rules.Money:
		return c.Floats[i]
	case rules.DateType:
		return rules.Date(c.Ints[i]).String()
	case rules.Enum:
		return v.Values[c.Ints[i]]
	}
	return nil
}
