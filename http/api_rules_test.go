package http_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
)

var exampleRuleSet = sync.OnceValues(func() (*rules.RuleSet, error) {
	return rules.Load(os.DirFS("../rules/testdata/example"))
})

// exampleRules returns the engine's example rule set: its numbers are
// illustrative but stable, so the tests can name exact amounts.
func exampleRules(t testing.TB) *rules.RuleSet {
	t.Helper()
	rs, err := exampleRuleSet()
	if err != nil {
		t.Fatalf("load example rules: %v", err)
	}
	return rs
}

// newRulesServer starts a test server calculating with the example rules.
func newRulesServer(t *testing.T) *dosttest.TestServer {
	t.Helper()
	rs := exampleRules(t)
	return dosttest.NewServer(t, "sqlite", func(s *dosthttp.Server) { s.RuleSet = rs })
}

// pensioner is a woman past retirement age with 30 years of insurance:
// the example rules give her the minimum pension, 349.76 AZN in 2026-11.
const pensioner = `{"persons": {"leyla": {
	"birth_date": {"ETERNITY": "1958-03-01"}, "sex": {"ETERNITY": "female"},
	"insured_years": {"2026-11": 30}, "old_age_pension": {"2026-11": null}}}}`

func TestRulesAPI(t *testing.T) {
	ts := newRulesServer(t)
	post := func(name, path, body string, status int, contains ...string) apiCase {
		return apiCase{name: name, role: nobody, method: "POST", path: path, body: body, status: status, contains: contains}
	}
	bad := func(name, body, field string, contains ...string) apiCase {
		c := post(name, "/api/v1/calculate", body, 400, contains...)
		c.code, c.field = "invalid", field
		return c
	}
	person := func(vars string) string { return `{"persons": {"p1": {` + vars + `}}}` }
	run(t, ts, []apiCase{
		post("CalculatePensioner", "/api/v1/calculate", pensioner, 200,
			`"old_age_pension":{"2026-11":349.76}`, `"birth_date":{"ETERNITY":"1958-03-01"}`),
		post("CalculateMoneyTwoDecimals", "/api/v1/calculate",
			person(`"birth_date": {"ETERNITY": "1955-01-15"}, "sex": {"ETERNITY": "male"}, "pension_capital": {"2026-11": 72000}, "old_age_pension": {"2026-11": null}`), 200,
			`"old_age_pension":{"2026-11":500.00}`, `"pension_capital":{"2026-11":72000.00}`),
		post("CalculateHousehold", "/api/v1/calculate", `{
			"persons": {"ali": {"salary": {"2025-11": 400, "2026-01": 800}}, "aynur": {}, "murad": {}, "nigar": {}},
			"households": {"h1": {"members": ["ali", "aynur", "murad", "nigar"], "head": "ali",
				"roles": {"aynur": "spouse", "murad": "child", "nigar": "child"},
				"children": {"2026-11": null}, "tssa_amount": {"2026-11": null}}}}`, 200,
			`"tssa_amount":{"2026-11":1100.00}`, `"children":{"2026-11":2}`, `"members":["ali","aynur","murad","nigar"]`),
		post("CalculateSeveralPeriods", "/api/v1/calculate",
			person(`"birth_date": {"ETERNITY": "1958-03-01"}, "sex": {"ETERNITY": "female"}, "retirement_age_months": {"2016-01": null, "2026-11": null}`), 200,
			`"retirement_age_months":{"2016-01":720,"2026-11":780}`),
		{name: "TracePensioner", role: nobody, method: "POST", path: "/api/v1/trace", body: pensioner, status: 200,
			contains: []string{`"requested_calculations":["old_age_pension<2026-11>"]`, `"reached_retirement_age<2026-11>"`,
				`"path":"params.pension.minimum","value":349.76,"from":"2026-01-01","unit":"AZN","reference":"Law on Labour Pensions, art. 7"`,
				`"formula_from":"2019-10-01"`, `"situation":{"persons":{"leyla":`},
			check: func(t *testing.T, r *result) {
				var tr struct {
					Trace map[string]struct {
						Value        map[string]any
						Dependencies []string
						Parameters   []struct{ Path, From string }
					}
				}
				r.decode(t, &tr)
				e, ok := tr.Trace["old_age_pension<2026-11>"]
				if !ok {
					t.Fatalf("trace lacks old_age_pension<2026-11>: %s", r.Body)
				}
				if got := e.Value["leyla"]; got != 349.76 {
					t.Errorf("value: got %v, want 349.76", got)
				}
				for _, d := range e.Dependencies {
					if _, ok := tr.Trace[d]; !ok {
						t.Errorf("dependency %s has no trace entry", d)
					}
				}
				if len(e.Parameters) == 0 || e.Parameters[0].From == "" {
					t.Errorf("parameters without start dates: %+v", e.Parameters)
				}
			}},

		bad("UnknownVariable", person(`"foo": {"2026-11": 1}`), "persons.p1.foo", "Person p1: there is no variable foo."),
		bad("WrongType", person(`"birth_date": {"ETERNITY": 12}`), "persons.p1.birth_date.ETERNITY", "Person p1: birth_date for ETERNITY must be a date"),
		bad("WrongEnum", person(`"sex": {"ETERNITY": "x"}`), "persons.p1.sex.ETERNITY", "must be one of male, female"),
		bad("NotAWholeNumber", person(`"insured_years": {"2026-11": 1.5}`), "persons.p1.insured_years.2026-11", "a whole number"),
		bad("MoneyThreeDecimals", person(`"salary": {"2026-11": 1.005}`), "persons.p1.salary.2026-11", "at most two decimals"),
		bad("AboveMax", person(`"insured_years": {"2026-11": 71}`), "persons.p1.insured_years.2026-11",
			`"code":"value.range"`, "Person p1: insured_years for 2026-11 must be between 0 and 70."),
		bad("BelowMin", person(`"salary": {"2026-11": -1}`), "persons.p1.salary.2026-11",
			`"code":"value.range"`, "Person p1: salary for 2026-11 must be at least 0."),
		bad("EternityGivenAMonth", person(`"birth_date": {"2026-11": "1958-03-01"}`), "persons.p1.birth_date.2026-11", "under ETERNITY"),
		bad("MonthGivenAYear", person(`"salary": {"2026": 100}`), "persons.p1.salary.2026", "Person p1: salary is a month variable"),
		bad("BadPeriod", person(`"salary": {"2026-13": 100}`), "persons.p1.salary.2026-13"),
		bad("NotByPeriod", person(`"salary": 100`), "persons.p1.salary"),
		bad("HouseholdVariableOnPerson", person(`"tssa_amount": {"2026-11": null}`), "persons.p1.tssa_amount", "household variable"),
		bad("PersonVariableOnHousehold", `{"persons": {"p1": {}}, "households": {"h1": {"members": ["p1"], "salary": {"2026-11": 1}}}}`,
			"households.h1.salary", "Household h1: salary is a person variable"),
		bad("UnknownEntity", `{"persons": {"p1": {}}, "companies": {}}`, "companies"),
		bad("NoPersons", `{"persons": {}}`, "persons"),
		bad("MemberTwice", `{"persons": {"p1": {}}, "households": {"h1": {"members": ["p1", "p1"]}}}`, "households.h1.members.1", "Household h1 lists person p1 twice."),
		bad("MemberOfTwo", `{"persons": {"p1": {}}, "households": {"h1": {"members": ["p1"]}, "h2": {"members": ["p1"]}}}`,
			"households.h2.members.0", "Person p1 is a member of households h1 and h2."),
		bad("UnknownMember", `{"persons": {"p1": {}}, "households": {"h1": {"members": ["p9"]}}}`, "households.h1.members.0"),
		bad("NoMembers", `{"persons": {"p1": {}}, "households": {"h1": {}}}`, "households.h1.members"),
		bad("UnknownHead", `{"persons": {"p1": {}, "p2": {}}, "households": {"h1": {"members": ["p1"], "head": "p2"}}}`, "households.h1.head"),
		bad("BadRole", `{"persons": {"p1": {}, "p2": {}}, "households": {"h1": {"members": ["p1", "p2"], "roles": {"p2": "boss"}}}}`, "households.h1.roles.p2"),
		{name: "NotJSON", role: nobody, method: "POST", path: "/api/v1/calculate", body: `{"persons":`, status: 400, code: "invalid"},
		{name: "NotAnObject", role: nobody, method: "POST", path: "/api/v1/trace", body: `[1]`, status: 400, code: "invalid"},
		{name: "TooLarge", role: nobody, method: "POST", path: "/api/v1/calculate", body: `{"persons": {"p1": {}}, "x": "` + strings.Repeat("a", dosthttp.MaxSituationBytes) + `"}`,
			status: 400, code: "invalid", contains: []string{"larger than"}},
		{name: "ParameterWithoutValue", role: nobody, method: "POST", path: "/api/v1/calculate",
			body: person(`"disability_allowance": {"2000-01": null}`), status: 400, code: "invalid", contains: []string{"The rules cannot compute person p1 for 2000-01: parameter disability.allowance has no value on 2000-01-01"}},

		{name: "Variables", role: nobody, method: "GET", path: "/api/v1/variables", status: 200,
			contains: []string{`"old_age_pension":{"description":"Old-age labour pension"`, `"href":"/api/v1/variables/old_age_pension"`}},
		{name: "Variable", role: nobody, method: "GET", path: "/api/v1/variables/retirement_age_months", status: 200,
			contains: []string{`"entity":"person"`, `"definition_period":"month"`, `"value_type":"int"`, `"reference":"Law on Labour Pensions, art. 7"`,
				`"2006-01-01":{"content":"sex == \"male\" ? 63 * 12 : 60 * 12"`, `"2017-07-01":`, `"ru":"Пенсионный возраст в месяцах"`}},
		{name: "VariableEnum", role: nobody, method: "GET", path: "/api/v1/variables/sex", status: 200,
			contains: []string{`"possible_values":["male","female"]`, `"default_value":"male"`, `"is_input":true`, `"formulas":{}`}},
		{name: "VariableRange", role: nobody, method: "GET", path: "/api/v1/variables/insured_years", status: 200,
			contains: []string{`"min":0,"max":70`, `"is_input":true`}},
		{name: "VariableNoRange", role: nobody, method: "GET", path: "/api/v1/variables/retirement_age_months", status: 200,
			excludes: []string{`"min"`, `"max"`}},
		{name: "VariableUnknown", role: nobody, method: "GET", path: "/api/v1/variables/nope", status: 404, code: "not_found"},
		{name: "Parameters", role: nobody, method: "GET", path: "/api/v1/parameters", status: 200,
			contains: []string{`"pension.minimum":{"description":"Minimum old-age labour pension","href":"/api/v1/parameters/pension.minimum"}`}},
		{name: "Parameter", role: nobody, method: "GET", path: "/api/v1/parameters/pension.minimum", status: 200,
			contains: []string{`{"from":"2022-01-01","value":240,"reference":"Trend, 2022-12-26"}`, `{"from":"2026-01-01","value":349.76}`, `"unit":"AZN"`, `"kind":"scalar"`}},
		{name: "ParameterWithPrefix", role: nobody, method: "GET", path: "/api/v1/parameters/params.pension.minimum", status: 200},
		{name: "ParameterTable", role: nobody, method: "GET", path: "/api/v1/parameters/disability.allowance", status: 200,
			contains: []string{`"kind":"table"`, `"table":{`}},
		{name: "ParameterScale", role: nobody, method: "GET", path: "/api/v1/parameters/unemployment.rate", status: 200,
			contains: []string{`"kind":"scale"`, `"brackets":[{"threshold":`}},
		{name: "ParameterUnknown", role: nobody, method: "GET", path: "/api/v1/parameters/nope", status: 404, code: "not_found"},
		{name: "Entities", role: nobody, method: "GET", path: "/api/v1/entities", status: 200,
			contains: []string{`"household":{"plural":"households"`, `"head":{"description":"The head of the household.","max":1}`}},
	})
}

// TestRulesAPI_NoRuleSet: a server without rules answers 404, not a panic.
func TestRulesAPI_NoRuleSet(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite", dosttest.NoRuleSet)
	run(t, ts, []apiCase{
		{name: "Calculate", role: nobody, method: "POST", path: "/api/v1/calculate", body: pensioner, status: 404, code: "not_found"},
		{name: "Variables", role: nobody, method: "GET", path: "/api/v1/variables", status: 404, code: "not_found"},
	})
}

// TestRulesAPI_AZ calculates with the Azerbaijani rule set, the test
// server's default, through the API: the published names are accepted and
// a pensioner gets a pension.
func TestRulesAPI_AZ(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	r := call(t, ts, nobody, "POST", "/api/v1/calculate", azFamily)
	if r.Status != 200 {
		t.Fatalf("got %d, want 200: %s", r.Status, r.Body)
	}
	var got struct {
		Persons map[string]map[string]map[string]any
	}
	r.decode(t, &got)
	if p, _ := got.Persons["ali"]["old_age_pension"]["2026-11"].(float64); p <= 0 {
		t.Errorf("old_age_pension of a 71-year-old with 30 insured years: got %v, want more than 0", p)
	}
	// The published ranges of the inputs: out of range is a field error
	// naming the entity, variable and period; the range is published.
	bad := func(name, body, field, msg string) apiCase {
		return apiCase{name: name, role: nobody, method: "POST", path: "/api/v1/calculate", body: body, status: 400,
			code: "invalid", field: field, contains: []string{`"code":"value.range"`, msg}}
	}
	run(t, ts, []apiCase{
		bad("DegreeOutOfRange", `{"persons": {"a": {"disability_degree": {"2026-11": 7}, "disability_allowance": {"2026-11": null}}}}`,
			"persons.a.disability_degree.2026-11", "Person a: disability_degree for 2026-11 must be between 0 and 3."),
		bad("InsuredMonthsOutOfRange", `{"persons": {"a": {"insurance_months_last_24": {"2026-11": 30}}}}`,
			"persons.a.insurance_months_last_24.2026-11", "Person a: insurance_months_last_24 for 2026-11 must be between 0 and 24."),
		bad("NegativeWage", `{"persons": {"a": {"average_monthly_wage": {"2026-11": -500}}}}`,
			"persons.a.average_monthly_wage.2026-11", "Person a: average_monthly_wage for 2026-11 must be at least 0."),
		bad("NegativeInsuranceYears", `{"persons": {"a": {"insurance_years": {"2026-11": -1}}}}`,
			"persons.a.insurance_years.2026-11", "Person a: insurance_years for 2026-11 must be at least 0."),
		{name: "DegreeRangePublished", role: nobody, method: "GET", path: "/api/v1/variables/disability_degree", status: 200,
			contains: []string{`"min":0,"max":3`}},
	})
}

// azFamily is a family of four for the Azerbaijani rules: a pensioner, his
// wife with a disability, two children.
const azFamily = `{
 "persons": {
  "ali":   {"birth_date": {"ETERNITY": "1955-01-15"}, "sex": {"ETERNITY": "male"}, "insurance_years": {"2026-11": 30},
            "pension_capital": {"2026-11": 30000}, "old_age_pension": {"2026-11": null}},
  "leyla": {"birth_date": {"ETERNITY": "1970-03-01"}, "sex": {"ETERNITY": "female"}, "disability_degree": {"2026-11": 2},
            "monthly_income": {"2026-10": 150}, "disability_allowance": {"2026-11": null}},
  "murad": {"birth_date": {"ETERNITY": "2015-06-01"}},
  "nigar": {"birth_date": {"ETERNITY": "2026-11-03"}, "birth_allowance": {"2026-11": null}}
 },
 "households": {"h1": {"members": ["ali", "leyla", "murad", "nigar"], "roles": {"leyla": "spouse", "murad": "child", "nigar": "child"},
  "tssa_amount": {"2026-11": null}}}
}`

// BenchmarkCalculateHTTP sends POST /api/v1/calculate for one family of
// four (the Azerbaijani rules: pension, disability allowance, birth
// allowance, TSSA) through the server's whole handler, middleware
// included, on all CPUs. Requests per second = 1e9 / ns/op.
func BenchmarkCalculateHTTP(b *testing.B) {
	rs, err := az.RuleSet()
	if err != nil {
		b.Fatal(err)
	}
	s := dosthttp.NewServer()
	s.RuleSet = rs
	s.PublicLimit = dosthttp.RateLimit{}
	s.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	h, err := s.Handler()
	if err != nil {
		b.Fatal(err)
	}
	do := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/v1/calculate", strings.NewReader(azFamily))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := do(); rec.Code != http.StatusOK {
		b.Fatalf("got %d: %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := do(); rec.Code != http.StatusOK {
				b.Errorf("got %d", rec.Code)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
