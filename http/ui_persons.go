package http

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// PersonsPerPage is the number of rows on one page of the person search.
const PersonsPerPage = 20

// handleStaffHome handles "GET /staff": the signed-in staff member's start
// page.
func (s *Server) handleStaffHome(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "staff", "staff", nil)
}

// personSearch is the person search form and its result.
type personSearch struct {
	FIN       string
	Name      string
	BirthDate string
	// Errors maps a field to the message key of its problem.
	Errors map[string]string

	Searched bool // a valid search ran
	Persons  []*dost.Person
	Total    int
	From, To int    // 1-based positions of the rows shown
	PrevURL  string // "" on the first page
	NextURL  string // "" on the last page
}

// handlePersons handles "GET /persons": the staff person search by FIN or
// FIN prefix, name and birth date, one page of PersonsPerPage rows at a
// time (?page=). The live search (htmx, targeting #person-results) gets
// only the results.
func (s *Server) handlePersons(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := personSearch{
		FIN:       strings.ToUpper(strings.TrimSpace(q.Get("fin"))),
		Name:      strings.TrimSpace(q.Get("name")),
		BirthDate: strings.TrimSpace(q.Get("birth_date")),
		Errors:    map[string]string{},
	}
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	filter := dost.PersonFilter{Offset: (page - 1) * PersonsPerPage, Limit: PersonsPerPage}
	if v.FIN != "" {
		if len(v.FIN) > dost.FINLength || strings.IndexFunc(v.FIN, notFINChar) >= 0 {
			v.Errors["fin"] = "persons.error.fin"
		}
		filter.FINPrefix = &v.FIN
	}
	if v.Name != "" {
		filter.Name = &v.Name
	}
	if v.BirthDate != "" {
		d, err := dost.ParseDate(v.BirthDate)
		if err != nil {
			v.Errors["birth_date"] = "persons.error.birth_date"
		}
		filter.BirthDate = &d
	}
	searching := v.FIN != "" || v.Name != "" || v.BirthDate != ""
	status := http.StatusOK
	if len(v.Errors) > 0 {
		status = http.StatusBadRequest
	} else if searching {
		persons, total, err := s.PersonService.FindPersons(r.Context(), filter)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		v.Searched, v.Persons, v.Total = true, persons, total
		for _, p := range persons {
			readsOf(w, p.ID)
		}
		v.From, v.To = filter.Offset+1, filter.Offset+len(persons)
		pageURL := func(n int) string {
			q := url.Values{}
			for _, k := range []string{"fin", "name", "birth_date"} {
				if x := r.URL.Query().Get(k); x != "" {
					q.Set(k, x)
				}
			}
			if n > 1 {
				q.Set("page", strconv.Itoa(n))
			}
			return "/persons?" + q.Encode()
		}
		if page > 1 {
			v.PrevURL = pageURL(page - 1)
		}
		if filter.Offset+len(persons) < total {
			v.NextURL = pageURL(page + 1)
		}
	}
	// The live search (htmx) asks for the results only. Other htmx
	// requests, such as a history restore, get the whole page.
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "person-results" {
		lang := s.requestLang(w, r)
		s.renderLang(w, r, lang, status, "persons", "results", s.pageFor(r, lang, "persons", v))
		return
	}
	s.render(w, r, status, "persons", "persons", v)
}

// notFINChar reports whether c cannot appear in a normalised FIN.
func notFINChar(c rune) bool {
	return !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z')
}

// personView is the data of the person page.
type personView struct {
	Person     *dost.Person
	Age        int
	IBAN       string // masked but for the last four characters
	IBANLast4  string
	Household  *dost.Household
	Insurance  []*dost.InsurancePeriod
	Income     []*dost.IncomeRecord
	IncomeFrom dost.Month
	IncomeTo   dost.Month
	Disability []*dost.DisabilityAssessment
	// Cases are the person's applications and awards, and the form to
	// open an application (ui_applications.go).
	Cases *personCases
}

// handlePerson handles "GET /persons/{fin}": a person's registry record
// with household, insurance periods, the last twelve months of income and
// disability assessments, applications and awards, and the form to open
// an application. Staff only. ?service_code= (with the form's other
// fields) chooses the service whose documents the form lists, the step a
// browser without JavaScript takes; htmx asks for that list alone
// (HX-Target open-documents).
func (s *Server) handlePerson(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	fin, err := dost.ParseFIN(r.PathValue("fin"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := s.PersonService.FindPersonByFIN(ctx, fin)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := s.personData(ctx, p)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if v.Household != nil {
		readsOfHousehold(w, v.Household) // the members the page shows
	}
	if v.Cases, err = s.personCasesFor(r, p, householdID(v), openInputOf(r.URL.Query())); err != nil {
		s.Error(w, r, err)
		return
	}
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "open-documents" {
		lang := s.requestLang(w, r)
		s.renderLang(w, r, lang, http.StatusOK, "person", "open-documents", s.pageFor(r, lang, "persons", v))
		return
	}
	s.render(w, r, http.StatusOK, "person", "persons", v)
}

// personData returns the person page's registry part for p.
func (s *Server) personData(ctx context.Context, p *dost.Person) (*personView, error) {
	today := dost.Today(s.Clock)
	v := personView{Person: p, IncomeTo: dost.MonthOf(today)}
	if n := len(p.IBAN); n > 4 {
		v.IBAN, v.IBANLast4 = "•••• "+p.IBAN[n-4:], p.IBAN[n-4:]
	}
	v.IncomeFrom = v.IncomeTo.Add(-11)
	end := today
	if p.Status == dost.PersonDeceased && !p.DeathDate.IsZero() {
		end = p.DeathDate
	}
	v.Age = p.BirthDate.AgeOn(end)

	households, _, err := s.HouseholdService.FindHouseholds(ctx, dost.HouseholdFilter{PersonID: &p.ID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(households) > 0 {
		if v.Household, err = s.HouseholdService.FindHouseholdByID(ctx, households[0].ID); err != nil {
			return nil, err
		}
	}
	if v.Insurance, _, err = s.RecordService.FindInsurancePeriods(ctx, dost.RecordFilter{PersonID: &p.ID}); err != nil {
		return nil, err
	}
	if v.Income, _, err = s.RecordService.FindIncomeRecords(ctx, dost.RecordFilter{PersonID: &p.ID, From: &v.IncomeFrom, To: &v.IncomeTo}); err != nil {
		return nil, err
	}
	if v.Disability, _, err = s.RecordService.FindDisabilityAssessments(ctx, dost.RecordFilter{PersonID: &p.ID}); err != nil {
		return nil, err
	}
	return &v, nil
}
