package http_test

import (
	"encoding/json"
	"net/url"
	"os"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/programmes/az"
)

func TestRulesPages(t *testing.T) {
	ts := newRulesServer(t)
	try := url.Values{"run": {"1"}, "period": {"2026-11"}, "explain": {"old_age_pension"}, "lang": {"en"},
		"p1.birth_date": {"1958-03-01"}, "p1.sex": {"female"}, "p1.insured_years": {"30"}}
	family := url.Values{"run": {"1"}, "period": {"2026-11"}, "explain": {"tssa_amount"}, "lang": {"en"},
		"p1.salary": {"100"}, "p2.role": {"spouse"}, "p3.role": {"child"}, "household.owns_vehicle": {}}
	badValue := url.Values{"run": {"1"}, "period": {"2026-11"}, "lang": {"en"}, "p1.insured_years": {"many"}}
	outOfRange := url.Values{"run": {"1"}, "period": {"2026-11"}, "lang": {"en"}, "p1.insured_years": {"71"}}
	for _, tc := range []uiCase{
		{name: "Variables", path: "/rules/variables?lang=en", status: 200,
			want: []string{"<h1>Variables of the rules</h1>", `href="/rules/variables/old_age_pension"`, "Old-age labour pension", "computed by formula"}},
		{name: "VariablesAZ", path: "/rules/variables?lang=az", status: 200,
			want: []string{"Qaydaların dəyişənləri", "Yaşa görə əmək pensiyası", `lang="az"`}},
		{name: "Variable", path: "/rules/variables/old_age_pension?lang=en", status: 200,
			want: []string{"<h1>Old-age labour pension</h1>", "from 2019-10-01", "Law on Labour Pensions, art. 7",
				`href="/rules/parameters/pension.minimum"`, `href="/rules/variables/reached_retirement_age"`, "params.pension.minimum"}},
		{name: "VariableRU", path: "/rules/variables/retirement_age_months?lang=ru", status: 200,
			want: []string{"Пенсионный возраст в месяцах", "с 2017-07-01", "с 2006-01-01"}},
		{name: "VariableInput", path: "/rules/variables/sex?lang=en", status: 200,
			want: []string{"This variable is an input", "male, female"}},
		{name: "VariableUnknown", path: "/rules/variables/nope?lang=en", status: 404},
		{name: "Parameters", path: "/rules/parameters?lang=en", status: 200,
			want: []string{`href="/rules/parameters/pension.minimum"`, "Minimum old-age labour pension"}},
		{name: "Parameter", path: "/rules/parameters/pension.minimum?lang=en", status: 200,
			want: []string{"<h1>Minimum old-age labour pension</h1>", "2026-01-01", "349.76", "Trend, 2022-12-26", "History of values"}},
		{name: "ParameterTable", path: "/rules/parameters/disability.allowance?lang=en", status: 200, want: []string{"II: 250"}},
		{name: "ParameterUnknown", path: "/rules/parameters/nope?lang=en", status: 404},
		{name: "TryNobody", path: "/rules/try", status: 303},
		{name: "TryCitizen", role: dost.RoleCitizen, path: "/rules/try", status: 403},
		{name: "TryForm", role: dost.RoleOperator, path: "/rules/try?lang=en", status: 200,
			want:    []string{`id="try-p1-birth_date"`, `type="month"`, `name="p2.role"`, "Try a case"},
			notWant: []string{"Results for"}},
		{name: "TryPensioner", role: dost.RoleOperator, path: "/rules/try?" + try.Encode(), status: 200,
			want: []string{"Results for 2026-11", "349.76", "Why: Old-age labour pension", "params.pension.minimum",
				"since 2026-01-01", "Law on Labour Pensions, art. 7", `value="1958-03-01"`}},
		{name: "TryFamily", role: dost.RoleAuditor, path: "/rules/try?" + family.Encode(), status: 200,
			want: []string{"Why: TSSA amount", "household: 800.00", "p3"}},
		{name: "TryBadValue", role: dost.RoleOperator, path: "/rules/try?" + badValue.Encode(), status: 400,
			want:    []string{`role="alert"`, "Person 1: the value of “Insurance period (years)” is not valid.", `aria-invalid="true"`},
			notWant: []string{"Results for"}},
		{name: "TryOutOfRange", role: dost.RoleOperator, path: "/rules/try?" + outOfRange.Encode(), status: 400,
			want:    []string{"Person 1: “Insurance period (years)” must be between 0 and 70.", `aria-invalid="true"`},
			notWant: []string{"Results for"}},
		{name: "TryFormRange", role: dost.RoleOperator, path: "/rules/try?lang=en", status: 200,
			want: []string{`name="p1.insured_years" type="number" step="1" min="0" max="70"`, `name="p1.salary" type="number" step="0.01" min="0" inputmode`}},
		{name: "VariableRange", path: "/rules/variables/insured_years?lang=en", status: 200,
			want: []string{"<dt>Allowed values</dt><dd>between 0 and 70</dd>"}},
		{name: "VariableNoRange", path: "/rules/variables/age?lang=en", status: 200, notWant: []string{"Allowed values"}},
		{name: "TryBadPeriod", role: dost.RoleOperator, path: "/rules/try?run=1&period=2026&lang=en", status: 400,
			want: []string{"The month must be in the form YYYY-MM."}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, ts) })
	}
}

// TestRulesPages_AZ shows the Azerbaijani rules, the test server's
// default: the nav links to them, and the calculator names enum values
// and disability degrees in the page's language, in its form and results.
func TestRulesPages_AZ(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	case1 := url.Values{"run": {"1"}, "period": {"2026-11"}, "explain": {"disability_allowance"}, "lang": {"ru"},
		"p1.birth_date": {"1970-03-01"}, "p1.sex": {"female"}, "p1.disability_degree": {"2"}}
	degree7 := url.Values{"run": {"1"}, "period": {"2026-11"}, "lang": {"az"}, "p1.disability_degree": {"7"}}
	negativeIncomeRU := url.Values{"run": {"1"}, "period": {"2026-11"}, "lang": {"ru"}, "p2.role": {"spouse"}, "p2.monthly_income": {"-5"}}
	for _, tc := range []uiCase{
		{name: "NavLink", path: "/?lang=en", status: 200, want: []string{`<a href="/rules/variables">Rules</a>`}},
		{name: "NavLinkCurrent", path: "/rules/variables?lang=ru", status: 200,
			want: []string{`<a href="/rules/variables" aria-current="page">Правила</a>`, `href="/rules/variables/tssa_amount"`}},
		{name: "Variable", path: "/rules/variables/tssa_amount?lang=en", status: 200, want: []string{"<h1>"}},
		{name: "TryFormAZ", role: dost.RoleOperator, path: "/rules/try?lang=az", status: 200,
			want: []string{`<option value="female">qadın</option>`, `<option value="2">II dərəcə (61–80 %)</option>`,
				`<option value="war">müharibə</option>`, `<option value="staff_cut">`}},
		{name: "TryDegreeOutOfRange", role: dost.RoleOperator, path: "/rules/try?" + degree7.Encode(), status: 400,
			want: []string{"«Əlillik dərəcəsi» 0 ilə 3 arasında olmalıdır."}, notWant: []string{"Nəticələr"}},
		{name: "TryNegativeIncomeRU", role: dost.RoleOperator, path: "/rules/try?" + negativeIncomeRU.Encode(), status: 400,
			want: []string{"значение «Ежемесячный доход» должно быть не меньше 0.00."}},
		{name: "VariableRangeRU", path: "/rules/variables/insurance_months_last_24?lang=ru", status: 200,
			want: []string{"<dt>Допустимые значения</dt><dd>от 0 до 24</dd>"}},
		{name: "TryRU", role: dost.RoleOperator, path: "/rules/try?" + case1.Encode(), status: 200,
			want:    []string{`<option value="female" selected>женский</option>`, `<option value="2" selected>II степень (61–80 %)</option>`, "Результаты"},
			notWant: []string{`>female<`}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, ts) })
	}
}

// TestRuleValueLabels: every value of an enum input of the Azerbaijani
// rules, and every degree of disability, has a name in each language.
func TestRuleValueLabels(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]map[string]string{}
	for _, lang := range dost.Languages {
		data, err := os.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		msgs[lang] = m
	}
	var keys []string
	for _, v := range rs.Variables() {
		for _, o := range v.Values {
			keys = append(keys, "rules.value."+v.Name+"."+o)
		}
	}
	for _, d := range []string{"0", "1", "2", "3"} {
		keys = append(keys, "rules.value.disability_degree."+d)
	}
	if len(keys) < 10 {
		t.Fatalf("got %d enum values, want the sexes, causes, dismissal reasons and groups", len(keys))
	}
	for _, lang := range dost.Languages {
		for _, k := range keys {
			if msgs[lang][k] == "" {
				t.Errorf("%s.json lacks %q", lang, k)
			}
		}
	}
}
