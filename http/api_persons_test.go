package http_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

func TestPersonAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		head := ts.Fixtures.Head
		newPerson := map[string]any{
			"fin": "7qr8st9", "first_name": "Aygun", "last_name": "Mammadova", "patronymic": "Elshad",
			"birth_date": "1985-05-05", "sex": "F", "phone": "+994501234567", "iban": "",
		}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for k, v := range newPerson {
				m[k] = v
			}
			m[k] = v
			return m
		}
		run(t, ts, []apiCase{
			{name: "GetOK", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons/" + string(head.FIN),
				status: 200, contains: []string{`"fin":"1AB2CD3"`, `"first_name":"Rashad"`, `"birth_date":"1970-03-15"`}},
			{name: "GetLowerCaseFIN", role: dost.RoleAuditor, method: "GET", path: "/api/v1/persons/1ab2cd3",
				status: 200, contains: []string{`"fin":"1AB2CD3"`}},
			{name: "GetInvalidFIN", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons/12",
				status: 400, code: dost.EINVALID, field: "fin"},
			{name: "GetFINWithSymbol", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons/1AB2C-3",
				status: 400, code: dost.EINVALID, field: "fin"},
			{name: "GetNotFound", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons/9ZZ9ZZ9",
				status: 404, code: dost.ENOTFOUND, excludes: []string{"sql", "SELECT"}},
			{name: "GetNobody", role: nobody, method: "GET", path: "/api/v1/persons/1AB2CD3",
				status: 401, code: dost.EUNAUTHORIZED, excludes: []string{"Rashad"}},
			{name: "GetCitizen", role: dost.RoleCitizen, method: "GET", path: "/api/v1/persons/1AB2CD3",
				status: 403, code: dost.EFORBIDDEN, excludes: []string{"Rashad"}},

			{name: "CreateOK", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons", body: newPerson,
				status: 201, contains: []string{`"fin":"7QR8ST9"`, `"status":"alive"`, `"language":"az"`},
				check: func(t *testing.T, r *result) {
					if got := r.Header.Get("Location"); got != "/api/v1/persons/7QR8ST9" {
						t.Errorf("Location: got %q, want /api/v1/persons/7QR8ST9", got)
					}
					p, err := ts.Persons.FindPersonByFIN(context.Background(), "7QR8ST9")
					if err != nil || p.LastName != "Mammadova" {
						t.Errorf("stored person: got %v, %v; want Mammadova", p, err)
					}
				}},
			{name: "CreateDuplicateFIN", role: dost.RoleCaseWorker, method: "POST", path: "/api/v1/persons", body: newPerson,
				status: 409, code: dost.ECONFLICT},
			{name: "CreateInvalidFIN", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons", body: with("fin", "12-45"),
				status: 400, code: dost.EINVALID, field: "fin"},
			{name: "CreateMissingName", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons",
				body: with("first_name", " "), status: 400, field: "first_name", contains: []string{`"code":"required"`}},
			{name: "CreateUnknownField", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons", body: with("nickname", "Ayka"),
				status: 400, code: dost.EINVALID, field: "nickname", contains: []string{"field.unknown"}},
			{name: "CreateIDNotWritable", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons", body: with("id", 99),
				status: 400, field: "id"},
			{name: "CreateImpossibleDate", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons", body: with("birth_date", "1985-02-30"),
				status: 400, field: "birth_date"},
			{name: "CreateWrongType", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons", body: with("first_name", 7),
				status: 400, field: "first_name", contains: []string{"type.invalid"}},
			{name: "CreateBadSex", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons", body: with("sex", "X"),
				status: 400, field: "sex"},
			{name: "CreateNotJSON", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons", body: `{"fin": `,
				status: 400, code: dost.EINVALID},
			{name: "CreateTrailingData", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons", body: `{} {}`,
				status: 400, code: dost.EINVALID},
			{name: "CreateTooLarge", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons",
				body:   `{"first_name":"` + strings.Repeat("a", dosthttp.MaxBodyBytes) + `"}`,
				status: 400, code: dost.EINVALID, contains: []string{"larger than"}},
			{name: "CreateEmptyBody", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons", body: ``,
				status: 400, code: dost.EINVALID},
			{name: "CreateSupervisorForbidden", role: dost.RoleSupervisor, method: "POST", path: "/api/v1/persons", body: with("fin", "5ST6UV7"),
				status: 403, code: dost.EFORBIDDEN},
			{name: "CreateAuditorForbidden", role: dost.RoleAuditor, method: "POST", path: "/api/v1/persons", body: with("fin", "5ST6UV7"),
				status: 403, code: dost.EFORBIDDEN},

			{name: "UpdateOK", role: dost.RoleOperator, method: "PATCH", path: "/api/v1/persons/1AB2CD3", body: map[string]any{"phone": "+994551112233"},
				status: 200, contains: []string{`"phone":"+994551112233"`, `"first_name":"Rashad"`},
				check: func(t *testing.T, r *result) {
					p, _ := ts.Persons.FindPersonByFIN(context.Background(), "1AB2CD3")
					if p == nil || p.Phone != "+994551112233" {
						t.Errorf("stored phone: got %v, want +994551112233", p)
					}
				}},
			{name: "UpdateInvalidSex", role: dost.RoleOperator, method: "PATCH", path: "/api/v1/persons/1AB2CD3", body: map[string]any{"sex": "X"},
				status: 400, field: "sex"},
			{name: "UpdateFINNotWritable", role: dost.RoleOperator, method: "PATCH", path: "/api/v1/persons/1AB2CD3", body: map[string]any{"fin": "2EF3GH4"},
				status: 400, field: "fin", contains: []string{"field.unknown"}},
			{name: "UpdateNotFound", role: dost.RoleOperator, method: "PATCH", path: "/api/v1/persons/9ZZ9ZZ9", body: map[string]any{"phone": "+994551112233"},
				status: 404},
			{name: "UpdateAuditorForbidden", role: dost.RoleAuditor, method: "PATCH", path: "/api/v1/persons/1AB2CD3", body: map[string]any{"phone": "+994551112233"},
				status: 403},

			{name: "SearchName", role: dost.RoleSupervisor, method: "GET", path: "/api/v1/persons?q=aliyev",
				status: 200, contains: []string{"1AB2CD3", "3JK4LM5", `"offset":0`, `"limit":50`}, excludes: []string{"7QR8ST9"}},
			{name: "SearchFINPrefix", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?q=1ab",
				status: 200, contains: []string{"1AB2CD3", `"total":1`}, excludes: []string{"2EF3GH4"}},
			{name: "SearchFINPrefixParam", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?fin_prefix=2EF",
				status: 200, contains: []string{"2EF3GH4", `"total":1`}},
			{name: "SearchBirthDate", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?birth_date=1974-08-02",
				status: 200, contains: []string{"2EF3GH4", `"total":1`}},
			{name: "SearchPage", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?name=Aliyev&offset=1&limit=1",
				status: 200, contains: []string{`"total":3`, `"offset":1`, `"limit":1`}},
			{name: "SearchBadLimit", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?limit=0",
				status: 400, field: "limit"},
			{name: "SearchBadDate", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?birth_date=1974-13-01",
				status: 400, field: "birth_date"},
			{name: "SearchNobody", role: nobody, method: "GET", path: "/api/v1/persons?q=aliyev",
				status: 401, excludes: []string{"1AB2CD3"}},
		})
		t.Run("CreateFormEncoded", func(t *testing.T) {
			hdr := http.Header{"Authorization": {"Bearer " + ts.Token(dost.RoleOperator)},
				"Content-Type": {"application/x-www-form-urlencoded"}}
			r := send(t, ts, http.DefaultClient, hdr, "POST", "/api/v1/persons", "fin=5ST6UV7")
			if r.Status != 400 || !strings.Contains(r.Problem.Detail, "JSON") {
				t.Errorf("got %d %s, want 400 asking for JSON", r.Status, r.Body)
			}
		})
	})
}

// TestPersonSearch checks how the search reads q and fin_prefix: a FIN
// prefix may be letters only ("WF"), and a letters-only q is a FIN prefix
// when some FIN starts so, else a name.
func TestPersonSearch(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		for _, p := range []*dost.Person{
			{FIN: "WFA1B2C", FirstName: "Vusal", LastName: "Quliyev", Patronymic: "Test",
				BirthDate: dost.MustDate("1980-01-01"), Sex: dost.SexMale, Region: "Baku", District: "Nizami", Address: "Street 2"},
			{FIN: "ALI4X5Y", FirstName: "Nigar", LastName: "Hasanova", Patronymic: "Test",
				BirthDate: dost.MustDate("1990-06-01"), Sex: dost.SexFemale, Region: "Baku", District: "Nizami", Address: "Street 3"},
		} {
			if err := ts.Persons.CreatePerson(context.Background(), p); err != nil {
				t.Fatal(err)
			}
		}
		run(t, ts, []apiCase{
			{name: "FINPrefixLettersOnly", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?fin_prefix=WF",
				status: 200, contains: []string{"WFA1B2C", `"total":1`}},
			{name: "FINPrefixLowerCase", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?fin_prefix=wfa",
				status: 200, contains: []string{"WFA1B2C", `"total":1`}},
			{name: "FINPrefixWhole", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?fin_prefix=wfa1b2c",
				status: 200, contains: []string{"WFA1B2C", `"total":1`}},
			{name: "FINPrefixNoMatch", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?fin_prefix=QQ",
				status: 200, contains: []string{`"total":0`}},
			{name: "FINPrefixTooLong", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?fin_prefix=WFA1B2CD",
				status: 400, field: "fin_prefix"},
			{name: "FINPrefixSymbol", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?fin_prefix=W-F",
				status: 400, field: "fin_prefix"},
			{name: "FINPrefixCyrillic", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?fin_prefix=%D0%90B",
				status: 400, field: "fin_prefix"},

			{name: "QLettersFINPrefix", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?q=wf",
				status: 200, contains: []string{"WFA1B2C", `"total":1`}},
			// "ali" begins a FIN, so it is not also read as a name.
			{name: "QLettersFINPrefixFirst", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?q=ali",
				status: 200, contains: []string{"ALI4X5Y", `"total":1`}, excludes: []string{"1AB2CD3"}},
			{name: "QLettersFallBackToName", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?q=quliyev",
				status: 200, contains: []string{"WFA1B2C", `"total":1`}},
			{name: "QLettersName", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?q=Aliyev",
				status: 200, contains: []string{"1AB2CD3", "2EF3GH4", "3JK4LM5", `"total":3`}, excludes: []string{"ALI4X5Y"}},
			{name: "QLongName", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?q=hasanova",
				status: 200, contains: []string{"ALI4X5Y", `"total":1`}},
			{name: "QWithDigit", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?q=wfa1",
				status: 200, contains: []string{"WFA1B2C", `"total":1`}},
			{name: "QWithFINPrefixIsName", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?q=quliyev&fin_prefix=WF",
				status: 200, contains: []string{"WFA1B2C", `"total":1`}},
			{name: "QWithNameIsFINPrefix", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?q=ali&name=hasan",
				status: 200, contains: []string{"ALI4X5Y", `"total":1`}},
			{name: "QNoMatch", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons?q=zz",
				status: 200, contains: []string{`"total":0`}},
		})
	})
}

// TestPersonUpdateDeathDate checks how PATCH clears a date: null means
// "not set" and changes nothing, "" clears it, as openapi.json says.
func TestPersonUpdateDeathDate(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		path := "/api/v1/persons/" + string(ts.Fixtures.Spouse.FIN)
		stored := func(t *testing.T) *dost.Person {
			t.Helper()
			p, err := ts.Persons.FindPersonByFIN(context.Background(), ts.Fixtures.Spouse.FIN)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		run(t, ts, []apiCase{
			{name: "Deceased", role: dost.RoleCaseWorker, method: "PATCH", path: path,
				body:   map[string]any{"status": "deceased", "death_date": "2020-05-01"},
				status: 200, contains: []string{`"status":"deceased"`, `"death_date":"2020-05-01"`}},
			{name: "NullDoesNotClear", role: dost.RoleCaseWorker, method: "PATCH", path: path,
				body:   `{"status": "alive", "death_date": null}`,
				status: 400, field: "death_date", contains: []string{"death_date.alive"},
				check: func(t *testing.T, r *result) {
					if p := stored(t); p.Status != dost.PersonDeceased || p.DeathDate != dost.MustDate("2020-05-01") {
						t.Errorf("stored: got %s %v, want deceased 2020-05-01", p.Status, p.DeathDate)
					}
				}},
			{name: "EmptyStringClears", role: dost.RoleCaseWorker, method: "PATCH", path: path,
				body:   `{"status": "alive", "death_date": ""}`,
				status: 200, contains: []string{`"status":"alive"`}, excludes: []string{"death_date"},
				check: func(t *testing.T, r *result) {
					if p := stored(t); p.Status != dost.PersonAlive || !p.DeathDate.IsZero() {
						t.Errorf("stored: got %s %v, want alive without a death date", p.Status, p.DeathDate)
					}
				}},
		})
		// The documented way to clear must be a valid request body.
		t.Run("DocumentedInOpenAPI", func(t *testing.T) {
			req := httptest.NewRequest("PATCH", path, strings.NewReader(`{"status": "alive", "death_date": ""}`))
			req.Header.Set("Content-Type", "application/json")
			validateRequest(t, req)
		})
	})
}

func TestRecordAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		base := "/api/v1/persons/" + string(ts.Fixtures.Head.FIN)
		run(t, ts, []apiCase{
			{name: "IncomesEmpty", role: dost.RoleOperator, method: "GET", path: base + "/incomes",
				status: 200, contains: []string{`"items":[]`, `"total":0`}},
			{name: "IncomeCreate", role: dost.RoleCaseWorker, method: "POST", path: base + "/incomes",
				body:   map[string]any{"month": "2026-10", "source": "wage", "amount": "850.50"},
				status: 201, contains: []string{`"amount":"850.50"`, `"month":"2026-10"`}},
			{name: "IncomeDuplicate", role: dost.RoleCaseWorker, method: "POST", path: base + "/incomes",
				body:   map[string]any{"month": "2026-10", "source": "wage", "amount": "10"},
				status: 409, code: dost.ECONFLICT},
			{name: "IncomeBadSource", role: dost.RoleCaseWorker, method: "POST", path: base + "/incomes",
				body:   map[string]any{"month": "2026-10", "source": "lottery", "amount": "10"},
				status: 400, field: "source"},
			{name: "IncomeBadAmount", role: dost.RoleCaseWorker, method: "POST", path: base + "/incomes",
				body:   map[string]any{"month": "2026-09", "source": "wage", "amount": "12.345"},
				status: 400, field: "amount"},
			{name: "IncomeAmountAsNumber", role: dost.RoleCaseWorker, method: "POST", path: base + "/incomes",
				body:   map[string]any{"month": "2026-09", "source": "wage", "amount": 12},
				status: 400, field: "amount"},
			{name: "IncomesList", role: dost.RoleAuditor, method: "GET", path: base + "/incomes",
				status: 200, contains: []string{`"total":1`, `"source":"wage"`}},
			{name: "IncomeUnknownPerson", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons/9ZZ9ZZ9/incomes",
				body: map[string]any{"month": "2026-10", "source": "wage", "amount": "1"}, status: 404},
			{name: "IncomeSupervisorForbidden", role: dost.RoleSupervisor, method: "POST", path: base + "/incomes",
				body: map[string]any{"month": "2026-08", "source": "wage", "amount": "1"}, status: 403},

			{name: "InsuranceCreate", role: dost.RoleOperator, method: "POST", path: base + "/insurance",
				body:   map[string]any{"employer": "Azersu", "employer_tin": "1234567890", "from": "2000-01-01", "to": "2010-12-31", "monthly_wage": "500.00"},
				status: 201, contains: []string{`"employer":"Azersu"`, `"to":"2010-12-31"`}},
			{name: "InsuranceOpenPeriod", role: dost.RoleOperator, method: "POST", path: base + "/insurance",
				body:   map[string]any{"employer": "SOCAR", "from": "2011-01-01", "monthly_wage": "900.00"},
				status: 201, excludes: []string{`"to"`}},
			{name: "InsuranceEndBeforeStart", role: dost.RoleOperator, method: "POST", path: base + "/insurance",
				body:   map[string]any{"employer": "SOCAR", "from": "2011-01-01", "to": "2010-01-01", "monthly_wage": "1.00"},
				status: 400, field: "to"},
			{name: "InsuranceList", role: dost.RoleSupervisor, method: "GET", path: base + "/insurance",
				status: 200, contains: []string{`"total":2`, "Azersu", "SOCAR"}},

			{name: "DisabilityCreate", role: dost.RoleAdmin, method: "POST", path: base + "/disabilities",
				body:   map[string]any{"degree": "II", "cause": "general", "percent": 70, "from": "2024-01-01"},
				status: 201, contains: []string{`"degree":"II"`}},
			{name: "DisabilityBadDegree", role: dost.RoleAdmin, method: "POST", path: base + "/disabilities",
				body:   map[string]any{"degree": "IV", "cause": "general", "from": "2024-01-01"},
				status: 400, field: "degree"},
			{name: "DisabilityList", role: dost.RoleOperator, method: "GET", path: base + "/disabilities",
				status: 200, contains: []string{`"total":1`, `"percent":70`}},
			{name: "DisabilitiesCitizenForbidden", role: dost.RoleCitizen, method: "GET", path: base + "/disabilities",
				status: 403},
			{name: "RecordsInvalidFIN", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons/x/insurance",
				status: 400, field: "fin"},
		})
	})
}

// BenchmarkPersonGet measures "GET /api/v1/persons/{fin}" through the real
// handler (middleware, bearer-token authentication, mux, store) on SQLite.
func BenchmarkPersonGet(b *testing.B) {
	ts := dosttest.NewServer(b, "sqlite")
	h, err := ts.Server.Handler()
	if err != nil {
		b.Fatal(err)
	}
	auth := "Bearer " + ts.Token(dost.RoleOperator)
	path := "/api/v1/persons/" + string(ts.Fixtures.Head.FIN)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", auth)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "1AB2CD3") {
				b.Fatalf("got %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

// memPersons is a PersonService holding one person in memory.
type memPersons struct {
	dost.PersonService
	p *dost.Person
}

func (m memPersons) FindPersonByFIN(ctx context.Context, fin dost.FIN) (*dost.Person, error) {
	if fin != m.p.FIN {
		return nil, dost.Errorf(dost.ENOTFOUND, "No person with this FIN.")
	}
	return m.p, nil
}

// BenchmarkPersonGetHTTP measures the HTTP layer alone on the path of
// BenchmarkPersonGet: middleware, access log, metrics, token check and
// JSON, over in-memory services, so that it shows what the store costs.
func BenchmarkPersonGetHTTP(b *testing.B) {
	s := dosthttp.NewServer()
	s.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	s.UserService = tokenUsers{}
	s.PersonService = memPersons{p: &dost.Person{ID: 1, FIN: "1AB2CD3", FirstName: "Rashad", LastName: "Aliyev",
		BirthDate: dost.MustDate("1970-03-15"), Sex: dost.SexMale, Status: dost.PersonAlive, Language: "az"}}
	h, err := s.Handler()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/api/v1/persons/1AB2CD3", nil)
			req.Header.Set("Authorization", "Bearer t")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("got %d: %s", rec.Code, rec.Body)
			}
		}
	})
}
