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
