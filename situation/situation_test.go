package situation_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/situation"
)

// exampleRules loads the engine's example rule set: its numbers are
// illustrative but stable, so the tests can name exact amounts.
func exampleRules(t testing.TB) *rules.RuleSet {
	t.Helper()
	rs, err := rules.Load(os.DirFS("../rules/testdata/example"))
	if err != nil {
		t.Fatalf("load example rules: %v", err)
	}
	return rs
}

// answer decodes and calculates body with rs and returns the answer.
func answer(t *testing.T, rs *rules.RuleSet, body string) string {
	t.Helper()
	sit, err := situation.Decode(rs, []byte(body))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if _, err := sit.Calculate(rs, false); err != nil {
		t.Fatalf("Calculate: %v", err)
	}
	out, err := sit.AppendJSON(nil)
	if err != nil {
		t.Fatalf("AppendJSON: %v", err)
	}
	return string(out)
}

func TestCalculate(t *testing.T) {
	rs := exampleRules(t)
	t.Run("OK", func(t *testing.T) {
		got := answer(t, rs, `{"persons": {"leyla": {
			"birth_date": {"ETERNITY": "1958-03-01"}, "sex": {"eternity": "female"},
			"insured_years": {"2026-11": 30}, "old_age_pension": {"2026-11": null}}}}`)
		want := `{"persons":{"leyla":{"birth_date":{"ETERNITY":"1958-03-01"},"insured_years":{"2026-11":30},` +
			`"old_age_pension":{"2026-11":349.76},"sex":{"ETERNITY":"female"}}},"households":{}}`
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("Household", func(t *testing.T) {
		got := answer(t, rs, `{
			"persons": {"ali": {"salary": {"2025-11": 400, "2026-01": 800}}, "aynur": {}, "murad": {}, "nigar": {}},
			"households": {"h1": {"members": ["ali", "aynur", "murad", "nigar"], "head": "ali",
				"roles": {"nigar": "child", "aynur": "spouse", "murad": "child"},
				"tssa_amount": {"2026-11": null}, "children": {"2026-11": null}}}}`)
		for _, want := range []string{
			`"salary":{"2025-11":400.00,"2026-01":800.00}`,
			`"h1":{"children":{"2026-11":2},"head":"ali","members":["ali","aynur","murad","nigar"],` +
				`"roles":{"aynur":"spouse","murad":"child","nigar":"child"},"tssa_amount":{"2026-11":1100.00}}`,
		} {
			if !strings.Contains(got, want) {
				t.Errorf("got %s, want it to contain %s", got, want)
			}
		}
	})
	t.Run("ErrParameterWithoutValue", func(t *testing.T) {
		sit, err := situation.Decode(rs, []byte(`{"persons": {"p1": {"disability_allowance": {"2000-01": null}}}}`))
		if err != nil {
			t.Fatal(err)
		}
		_, err = sit.Calculate(rs, false)
		var se *situation.Error
		if !errors.As(err, &se) || len(se.Problems) != 0 ||
			se.Message != "The rules cannot compute person p1 for 2000-01: parameter disability.allowance has no value on 2000-01-01" {
			t.Errorf("got %#v, want an *Error naming the person and period", err)
		}
	})
}

func TestSituation_Values(t *testing.T) {
	rs := exampleRules(t)
	sit, err := situation.Decode(rs, []byte(`{"persons": {"b": {"salary": {"2026-11": 1}}, "a": {"age": {"2026-11": null}}, "c": {}},
		"households": {"h": {"members": ["b"], "owns_vehicle": {"2026-11": true}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sit.PersonIDs(), sit.HouseholdIDs()); got != "[a b c] [h]" {
		t.Errorf("ids: got %s, want [a b c] [h]", got)
	}
	var got []string
	for v := range sit.Values() {
		got = append(got, fmt.Sprintf("%s %s %s %s %v", v.Entity, v.ID, v.Variable.Name, v.Period, v.X))
	}
	if want := "person a age 2026-11 <nil>, person b salary 2026-11 1, household h owns_vehicle 2026-11 true"; strings.Join(got, ", ") != want {
		t.Errorf("values: got %s, want %s", strings.Join(got, ", "), want)
	}
}

func TestDecode(t *testing.T) {
	rs := exampleRules(t)
	person := func(vars string) string { return `{"persons": {"p1": {` + vars + `}}}` }
	for _, c := range []struct {
		name, body string
		want       situation.Problem // Message: a part of it
	}{
		{"ErrUnknownVariable", person(`"foo": {"2026-11": 1}`), situation.Problem{Field: "persons.p1.foo",
			Entity: "person", ID: "p1", Variable: "foo", Code: "variable.unknown", Message: "Person p1: there is no variable foo."}},
		{"ErrWrongType", person(`"birth_date": {"ETERNITY": 12}`), situation.Problem{Field: "persons.p1.birth_date.ETERNITY",
			Entity: "person", ID: "p1", Variable: "birth_date", Period: "ETERNITY", Code: "value.invalid",
			Message: "Person p1: birth_date for ETERNITY must be a date YYYY-MM-DD."}},
		{"ErrWrongEnum", person(`"sex": {"eternity": "x"}`), situation.Problem{Field: "persons.p1.sex.eternity",
			Entity: "person", ID: "p1", Variable: "sex", Period: "eternity", Code: "value.invalid", Message: "must be one of male, female"}},
		{"ErrNotAWholeNumber", person(`"insured_years": {"2026-11": 1.5}`), situation.Problem{Field: "persons.p1.insured_years.2026-11",
			Entity: "person", ID: "p1", Variable: "insured_years", Period: "2026-11", Code: "value.invalid", Message: "a whole number"}},
		{"ErrMoneyThreeDecimals", person(`"salary": {"2026-11": 1.005}`), situation.Problem{Field: "persons.p1.salary.2026-11",
			Entity: "person", ID: "p1", Variable: "salary", Period: "2026-11", Code: "value.invalid", Message: "at most two decimals"}},
		{"ErrAboveMax", person(`"insured_years": {"2026-11": 71}`), situation.Problem{Field: "persons.p1.insured_years.2026-11",
			Entity: "person", ID: "p1", Variable: "insured_years", Period: "2026-11", Code: "value.range",
			Message: "Person p1: insured_years for 2026-11 must be between 0 and 70."}},
		{"ErrBelowMin", person(`"salary": {"2026-10": 100, "2026-11": -0.01}`), situation.Problem{Field: "persons.p1.salary.2026-11",
			Entity: "person", ID: "p1", Variable: "salary", Period: "2026-11", Code: "value.range",
			Message: "Person p1: salary for 2026-11 must be at least 0."}},
		{"ErrEternityGivenAMonth", person(`"birth_date": {"2026-11": "1958-03-01"}`), situation.Problem{Field: "persons.p1.birth_date.2026-11",
			Entity: "person", ID: "p1", Variable: "birth_date", Period: "2026-11", Code: "period.invalid", Message: "under ETERNITY"}},
		{"ErrMonthGivenAYear", person(`"salary": {"2026": 100}`), situation.Problem{Field: "persons.p1.salary.2026",
			Entity: "person", ID: "p1", Variable: "salary", Period: "2026", Code: "period.invalid", Message: "Person p1: salary is a month variable"}},
		{"ErrNotByPeriod", person(`"salary": 100`), situation.Problem{Field: "persons.p1.salary",
			Entity: "person", ID: "p1", Variable: "salary", Code: "type.invalid", Message: `e.g. {"YYYY-MM": …}`}},
		{"ErrPersonNotAnObject", `{"persons": {"p1": 1}}`, situation.Problem{Field: "persons.p1",
			Entity: "person", ID: "p1", Code: "type.invalid", Message: "Person p1 must be an object of variables."}},
		{"ErrHouseholdVariableOnPerson", person(`"tssa_amount": {"2026-11": null}`), situation.Problem{Field: "persons.p1.tssa_amount",
			Entity: "person", ID: "p1", Variable: "tssa_amount", Code: "variable.entity", Message: "household variable"}},
		{"ErrPersonVariableOnHousehold", `{"persons": {"p1": {}}, "households": {"h1": {"members": ["p1"], "salary": {"2026-11": 1}}}}`,
			situation.Problem{Field: "households.h1.salary", Entity: "household", ID: "h1", Variable: "salary", Code: "variable.entity",
				Message: "Household h1: salary is a person variable, not a household one."}},
		{"ErrUnknownEntity", `{"persons": {"p1": {}}, "companies": {}}`, situation.Problem{Field: "companies", Code: "entity.unknown"}},
		{"ErrNoPersons", `{"persons": {}}`, situation.Problem{Field: "persons", Code: "persons.missing"}},
		{"ErrPersonsNotAnObject", `{"persons": []}`, situation.Problem{Field: "persons", Code: "type.invalid"}},
		{"ErrMemberTwice", `{"persons": {"p1": {}}, "households": {"h1": {"members": ["p1", "p1"]}}}`, situation.Problem{
			Field: "households.h1.members.1", Entity: "household", ID: "h1", Variable: "members", Code: "member.duplicate",
			Message: "Household h1 lists person p1 twice."}},
		{"ErrMemberOfTwo", `{"persons": {"p1": {}}, "households": {"h1": {"members": ["p1"]}, "h2": {"members": ["p1"]}}}`, situation.Problem{
			Field: "households.h2.members.0", Entity: "household", ID: "h2", Variable: "members", Code: "member.duplicate",
			Message: "Person p1 is a member of households h1 and h2."}},
		{"ErrUnknownMember", `{"persons": {"p1": {}}, "households": {"h1": {"members": ["p9"]}}}`, situation.Problem{
			Field: "households.h1.members.0", Entity: "household", ID: "h1", Variable: "members", Code: "member.unknown"}},
		{"ErrNoMembers", `{"persons": {"p1": {}}, "households": {"h1": {}}}`, situation.Problem{
			Field: "households.h1.members", Entity: "household", ID: "h1", Variable: "members", Code: "members.missing"}},
		{"ErrUnknownHead", `{"persons": {"p1": {}, "p2": {}}, "households": {"h1": {"members": ["p1"], "head": "p2"}}}`, situation.Problem{
			Field: "households.h1.head", Entity: "household", ID: "h1", Variable: "head", Code: "head.unknown"}},
		{"ErrBadRole", `{"persons": {"p1": {}, "p2": {}}, "households": {"h1": {"members": ["p1", "p2"], "roles": {"p2": "boss"}}}}`, situation.Problem{
			Field: "households.h1.roles.p2", Entity: "household", ID: "h1", Variable: "roles", Code: "role.invalid"}},
		{"ErrHeadWithRole", `{"persons": {"p1": {}}, "households": {"h1": {"members": ["p1"], "roles": {"p1": "spouse"}}}}`, situation.Problem{
			Field: "households.h1.roles.p1", Entity: "household", ID: "h1", Variable: "roles", Code: "role.invalid", Message: "is the head"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := situation.Decode(rs, []byte(c.body))
			var se *situation.Error
			if !errors.As(err, &se) || len(se.Problems) != 1 {
				t.Fatalf("got %v, want an *Error with one problem", err)
			}
			got := se.Problems[0]
			if !strings.Contains(got.Message, c.want.Message) {
				t.Errorf("message: got %q, want it to contain %q", got.Message, c.want.Message)
			}
			got.Message = c.want.Message
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
			if want := got.Field + ": "; !strings.Contains(err.Error(), want) {
				t.Errorf("Error() = %q, want it to contain %q", err, want)
			}
		})
	}

	t.Run("ErrNotObject", func(t *testing.T) {
		for _, body := range []string{``, `{"persons":`, `[1]`, `null`} {
			if _, err := situation.Decode(rs, []byte(body)); err != situation.ErrNotObject {
				t.Errorf("Decode(%q): got %v, want ErrNotObject", body, err)
			}
		}
	})
	t.Run("ErrManyProblems", func(t *testing.T) {
		var b strings.Builder
		for i := range 30 {
			fmt.Fprintf(&b, `"v%d": {"2026-11": 1},`, i)
		}
		_, err := situation.Decode(rs, []byte(person(b.String()+`"salary": {"2026-11": 1}`)))
		var se *situation.Error
		if !errors.As(err, &se) || len(se.Problems) != situation.MaxProblems {
			t.Errorf("got %v, want %d problems", err, situation.MaxProblems)
		}
	})
	t.Run("ErrTooManyCalculations", func(t *testing.T) {
		var b strings.Builder
		for i := range situation.MaxCalculations + 1 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"%04d-01": null`, 1800+i)
		}
		_, err := situation.Decode(rs, []byte(person(`"age": {`+b.String()+`}`)))
		var se *situation.Error
		if !errors.As(err, &se) || len(se.Problems) != 0 || !strings.Contains(se.Message, "at most 200") {
			t.Errorf("got %v, want an *Error saying at most 200 calculations", err)
		}
	})
	t.Run("RepeatedKeyLastWins", func(t *testing.T) {
		got := answer(t, rs, `{"persons": {"p1": {"salary": {"2026-11": 1, "2026-11": 2}, "birth_date": {"ETERNITY": "1950-01-01", "eternity": "1960-01-01"}}}}`)
		if want := `{"p1":{"birth_date":{"ETERNITY":"1960-01-01"},"salary":{"2026-11":2.00}}}`; !strings.Contains(got, want) {
			t.Errorf("got %s, want it to contain %s", got, want)
		}
	})
}

// TestDecodeRange checks the published ranges of the Azerbaijani inputs:
// a value outside one is a value.range problem naming the entity, the
// variable and the period; the bounds themselves are accepted.
func TestDecodeRange(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, vars, field, msg string
	}{
		{"DegreeAboveThree", `"disability_degree": {"2026-11": 7}`, "persons.a.disability_degree.2026-11",
			"Person a: disability_degree for 2026-11 must be between 0 and 3."},
		{"DegreeNegative", `"disability_degree": {"2026-11": -1}`, "persons.a.disability_degree.2026-11",
			"Person a: disability_degree for 2026-11 must be between 0 and 3."},
		{"InsuredMonthsAbove24", `"insurance_months_last_24": {"2026-11": 25}`, "persons.a.insurance_months_last_24.2026-11",
			"Person a: insurance_months_last_24 for 2026-11 must be between 0 and 24."},
		{"NegativeInsuranceYears", `"insurance_years": {"2026-11": -0.5}`, "persons.a.insurance_years.2026-11",
			"Person a: insurance_years for 2026-11 must be at least 0."},
		{"NegativeIncome", `"monthly_income": {"2026-10": -10}`, "persons.a.monthly_income.2026-10",
			"Person a: monthly_income for 2026-10 must be at least 0."},
		{"NegativeServiceBefore2006", `"service_years_before_2006": {"ETERNITY": -1}`, "persons.a.service_years_before_2006.ETERNITY",
			"Person a: service_years_before_2006 for ETERNITY must be at least 0."},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := situation.Decode(rs, []byte(`{"persons": {"a": {`+c.vars+`}}}`))
			var se *situation.Error
			if !errors.As(err, &se) || len(se.Problems) != 1 {
				t.Fatalf("got %v, want an *Error with one problem", err)
			}
			if p := se.Problems[0]; p.Field != c.field || p.Code != "value.range" || p.Message != c.msg || p.ID != "a" || p.Entity != "person" {
				t.Errorf("got %+v, want field %s, code value.range, message %q", p, c.field, c.msg)
			}
		})
	}
	t.Run("BoundsAccepted", func(t *testing.T) {
		body := `{"persons": {"a": {"disability_degree": {"2026-11": 3, "2026-10": 0}, "insurance_months_last_24": {"2026-11": 24},
			"insurance_years": {"2026-11": 0}, "monthly_income": {"2026-10": 0}, "disability_allowance": {"2026-11": null}}}}`
		if _, err := situation.Decode(rs, []byte(body)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestParseValue(t *testing.T) {
	rs := exampleRules(t)
	for _, c := range []struct {
		variable, raw string
		want          any
		msg           string
	}{
		{"insured_years", `30`, int64(30), ""},
		{"insured_years", `30.0`, int64(30), ""},
		{"insured_years", `1e16`, nil, "a whole number"},
		{"salary", `12.34`, 12.34, ""},
		{"salary", `"12"`, nil, "an amount in AZN with at most two decimals"},
		{"birth_date", `"1958-03-01"`, "1958-03-01", ""},
		{"birth_date", `"1958-02-30"`, nil, "a date YYYY-MM-DD"},
		{"sex", `"female"`, "female", ""},
		{"owns_vehicle", `1`, nil, "true or false"},
	} {
		v, ok := rs.Variable(c.variable)
		if !ok {
			t.Fatalf("no variable %s", c.variable)
		}
		if got, msg := situation.ParseValue(v, []byte(c.raw)); got != c.want || msg != c.msg {
			t.Errorf("ParseValue(%s, %s) = %#v, %q, want %#v, %q", c.variable, c.raw, got, msg, c.want, c.msg)
		}
	}
}
