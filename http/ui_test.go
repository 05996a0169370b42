package http_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

// uiCase is one request to a page and what its answer must and must not
// contain.
type uiCase struct {
	name    string
	role    dost.Role // "" for a visitor who is not signed in
	path    string
	header  map[string]string
	status  int
	want    []string
	notWant []string
}

// run requests the page and checks the answer.
func (tc uiCase) run(t *testing.T, ts *dosttest.TestServer) string {
	t.Helper()
	req, err := http.NewRequest("GET", ts.URL+tc.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range tc.header {
		req.Header.Set(k, v)
	}
	// Visitors get a fresh client, so no language cookie carries over from
	// another case; signed-in clients are shared, so their cases name the
	// language they expect with ?lang=.
	c := newBrowserlikeClient(t)
	if tc.role != "" {
		c = ts.Client(tc.role)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	if resp.StatusCode != tc.status {
		t.Errorf("GET %s: got status %d, want %d\n%s", tc.path, resp.StatusCode, tc.status, excerpt(body))
	}
	for _, s := range tc.want {
		if !strings.Contains(body, s) {
			t.Errorf("GET %s: body lacks %q\n%s", tc.path, s, excerpt(body))
		}
	}
	for _, s := range tc.notWant {
		if strings.Contains(body, s) {
			t.Errorf("GET %s: body has %q", tc.path, s)
		}
	}
	return body
}

// excerpt returns the main part of a page for a failure message.
func excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if len(body) > 1500 {
		body = body[:1500] + "…"
	}
	return body
}

// seedRecords gives the fixture head of household an IBAN, an insurance
// period, income inside and outside the last twelve months, and a
// disability assessment.
func seedRecords(t *testing.T, ts *dosttest.TestServer) {
	t.Helper()
	ctx := context.Background()
	head := ts.Fixtures.Head
	iban := "AZ21NABZ00000000137010001944"
	if _, err := ts.Persons.UpdatePerson(ctx, head.FIN, dost.PersonUpdate{IBAN: &iban}); err != nil {
		t.Fatal(err)
	}
	if err := ts.Records.CreateInsurancePeriod(ctx, &dost.InsurancePeriod{PersonID: head.ID, Employer: "Azersu OJSC",
		EmployerTIN: "1400000001", From: dost.MustDate("1995-01-01"), MonthlyWage: dost.AZN(850)}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*dost.IncomeRecord{
		{PersonID: head.ID, Month: month(t, "2026-10"), Source: dost.IncomeWage, Amount: 85012},
		{PersonID: head.ID, Month: month(t, "2025-06"), Source: dost.IncomeWage, Amount: 77777},
	} {
		if err := ts.Records.CreateIncomeRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.Records.CreateDisabilityAssessment(ctx, &dost.DisabilityAssessment{PersonID: head.ID,
		Degree: dost.DisabilityII, Cause: dost.CauseWorkInjury, Percent: 70, From: dost.MustDate("2024-02-01")}); err != nil {
		t.Fatal(err)
	}
}

func month(t *testing.T, s string) dost.Month {
	t.Helper()
	m, err := dost.ParseMonth(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestUIPages(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	seedRecords(t, ts)
	svc := ts.Fixtures.Service
	head, spouse := ts.Fixtures.Head, ts.Fixtures.Spouse

	for _, tc := range []uiCase{
		{name: "HomeAzerbaijaniByDefault", path: "/", status: 200,
			want:    []string{`<html lang="az">`, "Sosial xidmətlər bir pəncərədən", `href="/services"`, `href="/signin"`, `href="#main"`, `<main id="main"`},
			notWant: []string{"Social services in one place", "<script>", "onclick="}},
		{name: "HomeEnglishByQuery", path: "/?lang=en", status: 200,
			want: []string{`<html lang="en">`, "Social services in one place", "Staff sign-in"}},
		{name: "HomeRussianByCookie", path: "/", header: map[string]string{"Cookie": "dost_lang=ru"}, status: 200,
			want: []string{`<html lang="ru">`, "Социальные услуги в одном окне"}},
		{name: "HomeRussianByAcceptLanguage", path: "/", header: map[string]string{"Accept-Language": "ru-RU,ru;q=0.9"}, status: 200,
			want: []string{"Социальные услуги в одном окне"}},
		{name: "HomeStaffLinksForOperator", role: dost.RoleOperator, path: "/?lang=en", status: 200,
			want: []string{`href="/persons"`, "Sign out", ts.Fixtures.Users[dost.RoleOperator].Name}},
		{name: "HomeNoStaffLinksForVisitor", path: "/?lang=en", status: 200,
			notWant: []string{`href="/persons"`, "Sign out"}},

		{name: "Catalogue", path: "/services?lang=en", status: 200,
			want: []string{"Service catalogue", svc.Code, svc.Name.EN, "Certificates", `href="/services/` + svc.Code + `"`}},
		{name: "CatalogueAzerbaijani", path: "/services", status: 200,
			want: []string{"Xidmətlər kataloqu", svc.Name.AZ}},
		{name: "CatalogueByCategory", path: "/services?lang=en&category=labour_relations", status: 200,
			want: []string{"Labour relations", ">02-"}, notWant: []string{">01-01-"}},
		{name: "CatalogueSearch", path: "/services?lang=en&q=" + url.QueryEscape(svc.Code), status: 200,
			want: []string{svc.Code, "1 service found"}},
		{name: "CatalogueSearchNothing", path: "/services?lang=ru&q=zzzzqqq", status: 200,
			want: []string{"Подходящих услуг нет", "Найдено 0 услуг"}},

		{name: "Passport", path: "/services/" + svc.Code + "?lang=en", status: 200,
			want: []string{svc.Name.EN, svc.LegalBasis.EN, "Legal basis", "How to request", "Reasons for refusal",
				"Who may use it", "Free of charge", "Required documents", "Service steps", "Information systems used",
				"Degree of electronic delivery", "Degree of automation", "Assignment mode", "Deadline",
				svc.Documents[0].Name.EN, svc.Steps[0].EN, svc.RefusalReasons[0].Text.EN, svc.InformationSystems[0]}},
		{name: "PassportRussian", path: "/services/" + svc.Code + "?lang=ru", status: 200,
			want: []string{svc.Name.RU, "Правовое основание", "Бесплатно"}},
		{name: "PassportNotFound", path: "/services/99-99-99-99?lang=en", status: 404,
			want: []string{"Page not found", `<html lang="en">`}},
		{name: "UnknownPageAzerbaijani", path: "/no-such-page", status: 404,
			want: []string{"Səhifə tapılmadı"}},

		{name: "SignInForm", path: "/signin?lang=en&next=%2Fpersons", status: 200,
			want: []string{"Staff sign-in", `name="username"`, `autocomplete="current-password"`, `name="next" value="/persons"`}},
		{name: "SignInFormDropsForeignNext", path: "/signin?next=https%3A%2F%2Fevil.test", status: 200,
			notWant: []string{`name="next"`}},

		{name: "StaffHomeNeedsSignIn", path: "/staff", status: 303},
		{name: "StaffHome", role: dost.RoleCaseWorker, path: "/staff?lang=en", status: 200,
			want: []string{"Welcome, " + ts.Fixtures.Users[dost.RoleCaseWorker].Name + ".", "case worker"}},
		{name: "StaffHomeNotForCitizens", role: dost.RoleCitizen, path: "/staff?lang=en", status: 403,
			want: []string{"Not allowed"}},

		{name: "PersonsNeedSignIn", path: "/persons", status: 303},
		{name: "PersonsNotForCitizens", role: dost.RoleCitizen, path: "/persons?lang=az", status: 403,
			want: []string{"İcazə yoxdur"}},
		{name: "PersonsEmptyForm", role: dost.RoleOperator, path: "/persons?lang=en", status: 200,
			want: []string{"Enter a FIN, a name or a birth date"}, notWant: []string{string(head.FIN)}},
		{name: "PersonsByFINPrefix", role: dost.RoleOperator, path: "/persons?lang=en&fin=1ab", status: 200,
			want: []string{string(head.FIN), head.LastName, "Showing 1–1 of 1"}, notWant: []string{string(spouse.FIN)}},
		{name: "PersonsByName", role: dost.RoleAuditor, path: "/persons?lang=en&name=aliyev", status: 200,
			want: []string{string(head.FIN), string(spouse.FIN), string(ts.Fixtures.Child.FIN)}},
		{name: "PersonsByBirthDate", role: dost.RoleSupervisor, path: "/persons?lang=en&birth_date=1974-08-02", status: 200,
			want: []string{string(spouse.FIN)}, notWant: []string{string(head.FIN)}},
		{name: "PersonsBadBirthDate", role: dost.RoleOperator, path: "/persons?lang=ru&birth_date=1974-13-45", status: 400,
			want: []string{"ГГГГ-ММ-ДД", `aria-invalid="true"`}},
		{name: "PersonsBadFIN", role: dost.RoleOperator, path: "/persons?lang=en&fin=1AB-2", status: 400,
			want: []string{"A FIN has up to 7 characters"}},
		{name: "PersonsNobody", role: dost.RoleOperator, path: "/persons?lang=en&fin=ZZZ", status: 200,
			want: []string{"Nobody was found."}},
		{name: "PersonsLiveSearchFragment", role: dost.RoleOperator, path: "/persons?lang=en&fin=1AB",
			header: map[string]string{"HX-Request": "true", "HX-Target": "person-results"}, status: 200,
			want: []string{string(head.FIN)}, notWant: []string{"<html", "<form"}},
		{name: "PersonsHistoryRestoreIsWholePage", role: dost.RoleOperator, path: "/persons?lang=en&fin=1AB",
			header: map[string]string{"HX-Request": "true", "HX-History-Restore-Request": "true"}, status: 200,
			want: []string{"<html", string(head.FIN)}},

		{name: "PersonNeedsSignIn", path: "/persons/" + string(head.FIN), status: 303},
		{name: "Person", role: dost.RoleOperator, path: "/persons/" + string(head.FIN) + "?lang=en", status: 200,
			want: []string{head.FullName(), string(head.FIN), "1970-03-15", "56 years old", "male",
				"•••• 1944", "account ending in 1944",
				ts.Fixtures.Household.Code, "head", "spouse", `href="/persons/` + string(spouse.FIN) + `"`, spouse.FullName(),
				"Azersu OJSC", "AZN 850.00", "ongoing",
				"Income (2025-12 to 2026-11)", "2026-10", "AZN 850.12",
				"degree II", "work injury", "70 %", "indefinite"},
			notWant: []string{"AZ21NABZ", "777.77", "2025-06"}},
		{name: "PersonAzerbaijani", role: dost.RoleCaseWorker, path: "/persons/" + string(spouse.FIN) + "?lang=az", status: 200,
			want: []string{"Şəxsi məlumatlar", "52 yaş", "qadın", "həyat yoldaşı", "Sığorta dövrü yoxdur."}},
		{name: "PersonWithoutHousehold", role: dost.RoleOperator, path: "/persons/" + string(ts.Fixtures.Child.FIN) + "?lang=ru", status: 200,
			want: []string{"Лицо не входит ни в одно домохозяйство.", "15 лет"}},
		{name: "PersonNotFound", role: dost.RoleOperator, path: "/persons/9ZZ9ZZ9?lang=en", status: 404,
			want: []string{"Page not found"}},
		{name: "PersonBadFIN", role: dost.RoleOperator, path: "/persons/12?lang=en", status: 400,
			want: []string{"The request is not valid"}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, ts) })
	}

	t.Run("SignInRedirect", func(t *testing.T) {
		resp, err := ts.Client("").Get(ts.URL + "/persons/" + string(head.FIN))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got, want := resp.Header.Get("Location"), "/signin?next="+url.QueryEscape("/persons/"+string(head.FIN)); got != want {
			t.Errorf("got Location %q, want %q", got, want)
		}
	})

	t.Run("LanguageCookie", func(t *testing.T) {
		c := newBrowserlikeClient(t)
		get(t, c, ts.URL+"/?lang=en")
		if body := get(t, c, ts.URL+"/services"); !strings.Contains(body, "Service catalogue") {
			t.Errorf("?lang=en was not remembered:\n%s", excerpt(body))
		}
		if body := get(t, c, ts.URL+"/services?lang=az"); !strings.Contains(body, "Xidmətlər kataloqu") {
			t.Errorf("?lang=az did not switch back:\n%s", excerpt(body))
		}
	})

	t.Run("LanguageSwitcherKeepsQuery", func(t *testing.T) {
		body := uiCase{path: "/services?category=disability&q=x", status: 200}.run(t, ts)
		for _, l := range dost.Languages {
			if want := `href="/services?category=disability&amp;lang=` + l + `&amp;q=x"`; !strings.Contains(body, want) {
				t.Errorf("no switcher link %s", want)
			}
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		ctx := context.Background()
		for i := range dosthttp.PersonsPerPage + 5 {
			p := &dost.Person{FIN: dost.FIN(fmt.Sprintf("7PG%04d", i)), FirstName: "Page", LastName: fmt.Sprintf("Paged%02d", i),
				BirthDate: dost.MustDate("1990-01-01"), Sex: dost.SexFemale}
			if err := ts.Persons.CreatePerson(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		n := dosthttp.PersonsPerPage
		first := uiCase{role: dost.RoleOperator, path: "/persons?lang=en&fin=7PG", status: 200,
			want:    []string{fmt.Sprintf("Showing 1–%d of %d", n, n+5), `href="/persons?fin=7PG&amp;page=2"`, "7PG0000"},
			notWant: []string{`rel="prev"`, fmt.Sprintf("7PG%04d", n)}}
		first.run(t, ts)
		second := uiCase{role: dost.RoleOperator, path: "/persons?lang=en&fin=7PG&page=2", status: 200,
			want:    []string{fmt.Sprintf("Showing %d–%d of %d", n+1, n+5, n+5), fmt.Sprintf("7PG%04d", n), `rel="prev"`},
			notWant: []string{`rel="next"`, ">7PG0000<"}}
		second.run(t, ts)
	})

	t.Run("Static", func(t *testing.T) {
		body := uiCase{path: "/", status: 200}.run(t, ts)
		i := strings.Index(body, `/static/app.css?v=`)
		if i < 0 {
			t.Fatal("the layout links no fingerprinted stylesheet")
		}
		href := body[i : i+strings.IndexByte(body[i:], '"')]
		for path, want := range map[string]string{href: "immutable", "/static/app.css": "max-age=3600"} {
			resp, err := http.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
				t.Errorf("GET %s: status %d, type %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, want) {
				t.Errorf("GET %s: Cache-Control %q, want %s", path, cc, want)
			}
		}
		uiCase{path: "/static/vendor/htmx.min.js", status: 200, want: []string{"htmx"}}.run(t, ts)
		uiCase{path: "/static/nothing.js", status: 404}.run(t, ts)
	})
}

func TestUISignIn(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")

	post := func(t *testing.T, c *http.Client, lang string, form url.Values) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", ts.URL+"/signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if lang != "" {
			req.AddCookie(&http.Cookie{Name: dosthttp.LangCookie, Value: lang})
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	t.Run("WrongPasswordInEachLanguage", func(t *testing.T) {
		for lang, want := range map[string]string{
			"az": "İstifadəçi adı və ya şifrə yanlışdır.",
			"en": "The username or password is wrong.",
			"ru": "Неверное имя пользователя или пароль.",
		} {
			resp, body := post(t, newBrowserlikeClient(t), lang, url.Values{"username": {"operator"}, "password": {"wrong-password"}, "next": {"/persons"}})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: got status %d, want 401", lang, resp.StatusCode)
			}
			for _, s := range []string{want, `role="alert"`, `value="operator"`, `name="next" value="/persons"`} {
				if !strings.Contains(body, s) {
					t.Errorf("%s: body lacks %q\n%s", lang, s, excerpt(body))
				}
			}
			if strings.Contains(body, "wrong-password") {
				t.Errorf("%s: the form echoes the password", lang)
			}
		}
	})

	t.Run("Missing", func(t *testing.T) {
		resp, body := post(t, newBrowserlikeClient(t), "en", url.Values{"username": {"operator"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter your username and password.") {
			t.Errorf("got %d\n%s", resp.StatusCode, excerpt(body))
		}
	})

	t.Run("OK", func(t *testing.T) {
		c := newBrowserlikeClient(t)
		resp, _ := post(t, c, "", url.Values{"username": {"caseworker"}, "password": {dosttest.Password(dost.RoleCaseWorker)}, "next": {"/persons?fin=1AB"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/persons?fin=1AB" {
			t.Fatalf("got %d to %q, want 303 to /persons?fin=1AB", resp.StatusCode, resp.Header.Get("Location"))
		}
		if body := get(t, c, ts.URL+"/persons?fin=1AB&lang=en"); !strings.Contains(body, string(ts.Fixtures.Head.FIN)) {
			t.Errorf("signed-in search shows no result:\n%s", excerpt(body))
		}

		// Sign out: the cookie goes and the session ends.
		req, _ := http.NewRequest("POST", ts.URL+"/signout", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Errorf("sign-out: got %d to %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, err = c.Get(ts.URL + "/staff")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("after sign-out /staff: got %d, want 303 to sign-in", resp.StatusCode)
		}
	})

	// A next that a browser could resolve to another host (it strips tabs
	// and newlines and reads "\\" as "/") is dropped: sign-in goes to /staff.
	t.Run("ForeignNextGoesToStaff", func(t *testing.T) {
		for _, tc := range []struct{ next, want string }{
			{"/\t/evil.test/x", "/staff"},
			{"/\n/evil.test/x", "/staff"},
			{"/\r/evil.test/x", "/staff"},
			{"/\x7f/evil.test/x", "/staff"},
			{"/\\evil.test", "/staff"},
			{"/\\/evil.test", "/staff"},
			{"//evil.test/x", "/staff"},
			{"https://evil.test/x", "/staff"},
			{"/ok?x=1", "/ok?x=1"},
		} {
			resp, _ := post(t, newBrowserlikeClient(t), "", url.Values{"username": {"operator"}, "password": {dosttest.Password(dost.RoleOperator)}, "next": {tc.next}})
			if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != tc.want {
				t.Errorf("next %q: got %d to %q, want 303 to %q", tc.next, resp.StatusCode, got, tc.want)
			}
		}
	})

	t.Run("Locked", func(t *testing.T) {
		c := newBrowserlikeClient(t)
		for range dost.MaxFailedSignIns {
			post(t, c, "en", url.Values{"username": {"auditor"}, "password": {"wrong-password"}})
		}
		resp, body := post(t, c, "ru", url.Values{"username": {"auditor"}, "password": {dosttest.Password(dost.RoleAuditor)}})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Учётная запись заблокирована") {
			t.Errorf("got %d\n%s", resp.StatusCode, excerpt(body))
		}
	})
}

// newBrowserlikeClient returns a client with its own cookie jar that does
// not follow redirects.
func newBrowserlikeClient(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// get returns the body of a GET that must succeed.
func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d\n%s", u, resp.StatusCode, excerpt(string(b)))
	}
	return string(b)
}
