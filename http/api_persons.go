package http

import (
	"context"
	"net/http"
	"strings"

	"github.com/dost-az/dost"
)

// personInput is the body of "POST /api/v1/persons": the fields a client
// may set. The id and timestamps are the store's.
type personInput struct {
	FIN        dost.FIN          `json:"fin"`
	FirstName  string            `json:"first_name"`
	LastName   string            `json:"last_name"`
	Patronymic string            `json:"patronymic"`
	BirthDate  dost.Date         `json:"birth_date"`
	Sex        dost.Sex          `json:"sex"`
	Phone      string            `json:"phone"`
	Email      string            `json:"email"`
	Region     string            `json:"region"`
	District   string            `json:"district"`
	Address    string            `json:"address"`
	Status     dost.PersonStatus `json:"status"`
	DeathDate  dost.Date         `json:"death_date"`
	IBAN       string            `json:"iban"`
	Language   string            `json:"language"`
}

// handlePersonList handles "GET /api/v1/persons": a page of persons
// matching q, fin_prefix, name and birth_date, ordered by name.
//
// fin_prefix is the start of a FIN: 1 to 7 digits and Latin letters, any
// case. q is the free search box and means a FIN's beginning or a name; as
// the filter has no OR, it is read so: up to 7 digits and letters with a
// digit are a FIN prefix (no name has a digit); up to 7 letters are tried
// as a FIN prefix first and, if no FIN starts so, as a name ("WF" finds
// FINs starting WF, "Aliyev" the Aliyevs); anything else is a name. With
// fin_prefix or name also given, a letters-only q is a name or a FIN
// prefix respectively, without the fallback.
func (s *Server) handlePersonList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f dost.PersonFilter
	var v dost.Validation
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 200); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	text := strings.TrimSpace(q.Get("q"))
	finPrefix := strings.TrimSpace(q.Get("fin_prefix"))
	name := strings.TrimSpace(q.Get("name"))
	var fallback string // a letters-only q to search as a name if it begins no FIN
	switch {
	case text == "":
	case isFINPrefix(text) && (hasDigit(text) || name != ""):
		f.FINPrefix = upper(text)
	case isFINPrefix(text) && finPrefix == "":
		f.FINPrefix, fallback = upper(text), text
	default:
		f.Name = &text
	}
	if finPrefix != "" {
		if !isFINPrefix(finPrefix) {
			v.Add("fin_prefix", "fin.invalid", "A FIN prefix has 1 to 7 digits and Latin letters.")
		}
		f.FINPrefix = upper(finPrefix)
	}
	if name != "" {
		f.Name = &name
	}
	if s := q.Get("birth_date"); s != "" {
		d, err := dost.ParseDate(s)
		if err != nil {
			v.Add("birth_date", "date.invalid", "%s", dost.ErrorMessage(err))
		}
		f.BirthDate = &d
	}
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	persons, total, err := s.PersonService.FindPersons(r.Context(), f)
	if err == nil && total == 0 && fallback != "" {
		f.FINPrefix, f.Name = nil, &fallback
		persons, total, err = s.PersonService.FindPersons(r.Context(), f)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, p := range persons {
		readsOf(w, p.ID)
	}
	writeJSON(w, http.StatusOK, newPage(persons, total, f.Offset, f.Limit))
}

// isFINPrefix reports whether s could be the start of a FIN: 1 to 7
// digits and Latin letters, any case.
func isFINPrefix(s string) bool {
	if len(s) == 0 || len(s) > dost.FINLength {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// hasDigit reports whether s holds a decimal digit.
func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

// upper returns a pointer to s in upper case.
func upper(s string) *string {
	s = strings.ToUpper(s)
	return &s
}

// handlePersonCreate handles "POST /api/v1/persons": registers a person.
// 201 with the person; 400 for bad fields, 409 if the FIN is registered.
func (s *Server) handlePersonCreate(w http.ResponseWriter, r *http.Request) {
	var in personInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	p := &dost.Person{
		FIN: in.FIN, FirstName: in.FirstName, LastName: in.LastName, Patronymic: in.Patronymic,
		BirthDate: in.BirthDate, Sex: in.Sex, Phone: in.Phone, Email: in.Email,
		Region: in.Region, District: in.District, Address: in.Address,
		Status: in.Status, DeathDate: in.DeathDate, IBAN: in.IBAN, Language: in.Language,
	}
	if err := s.PersonService.CreatePerson(r.Context(), p); err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/persons/"+string(p.FIN))
	writeJSON(w, http.StatusCreated, p)
}

// handlePersonGet handles "GET /api/v1/persons/{fin}": one person. It is
// the API's hottest path; keep it to one lookup.
func (s *Server) handlePersonGet(w http.ResponseWriter, r *http.Request) {
	fin, err := pathFIN(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := s.PersonService.FindPersonByFIN(r.Context(), fin)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// handlePersonUpdate handles "PATCH /api/v1/persons/{fin}": changes the
// fields present in the body (a dost.PersonUpdate) and returns the person.
func (s *Server) handlePersonUpdate(w http.ResponseWriter, r *http.Request) {
	fin, err := pathFIN(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var upd dost.PersonUpdate
	if err := decodeJSON(w, r, &upd); err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := s.PersonService.UpdatePerson(r.Context(), fin, upd)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// personOfPath returns the person named by the {fin} path value.
func (s *Server) personOfPath(r *http.Request) (*dost.Person, error) {
	fin, err := pathFIN(r)
	if err != nil {
		return nil, err
	}
	return s.PersonService.FindPersonByFIN(r.Context(), fin)
}

// recordFilter returns the filter of a person's record list from the query.
func recordFilter(r *http.Request, p *dost.Person) (dost.RecordFilter, error) {
	offset, limit, err := pageParams(r.URL.Query(), 100, 1000)
	return dost.RecordFilter{PersonID: &p.ID, Offset: offset, Limit: limit}, err
}

// handleInsuranceList handles "GET /api/v1/persons/{fin}/insurance": the
// person's insurance periods by start date.
func (s *Server) handleInsuranceList(w http.ResponseWriter, r *http.Request) {
	listRecords(s, w, r, s.RecordService.FindInsurancePeriods)
}

// insuranceInput is the body of "POST /api/v1/persons/{fin}/insurance".
type insuranceInput struct {
	Employer    string     `json:"employer"`
	EmployerTIN string     `json:"employer_tin"`
	From        dost.Date  `json:"from"`
	To          dost.Date  `json:"to"`
	MonthlyWage dost.Money `json:"monthly_wage"`
}

// handleInsuranceCreate handles "POST /api/v1/persons/{fin}/insurance":
// records an insurance period. 201 with the period.
func (s *Server) handleInsuranceCreate(w http.ResponseWriter, r *http.Request) {
	p, err := s.personOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in insuranceInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	ip := &dost.InsurancePeriod{PersonID: p.ID, Employer: in.Employer, EmployerTIN: in.EmployerTIN,
		From: in.From, To: in.To, MonthlyWage: in.MonthlyWage}
	if err := s.RecordService.CreateInsurancePeriod(r.Context(), ip); err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ip)
}

// handleIncomeList handles "GET /api/v1/persons/{fin}/incomes": the
// person's income records by month and source.
func (s *Server) handleIncomeList(w http.ResponseWriter, r *http.Request) {
	listRecords(s, w, r, s.RecordService.FindIncomeRecords)
}

// incomeInput is the body of "POST /api/v1/persons/{fin}/incomes".
type incomeInput struct {
	Month  dost.Month        `json:"month"`
	Source dost.IncomeSource `json:"source"`
	Amount dost.Money        `json:"amount"`
}

// handleIncomeCreate handles "POST /api/v1/persons/{fin}/incomes": records
// a month's income. 201; 409 if the month and source are recorded.
func (s *Server) handleIncomeCreate(w http.ResponseWriter, r *http.Request) {
	p, err := s.personOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in incomeInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	rec := &dost.IncomeRecord{PersonID: p.ID, Month: in.Month, Source: in.Source, Amount: in.Amount}
	if err := s.RecordService.CreateIncomeRecord(r.Context(), rec); err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rec)
}

// handleDisabilityList handles "GET /api/v1/persons/{fin}/disabilities":
// the person's disability assessments by start date.
func (s *Server) handleDisabilityList(w http.ResponseWriter, r *http.Request) {
	listRecords(s, w, r, s.RecordService.FindDisabilityAssessments)
}

// disabilityInput is the body of "POST /api/v1/persons/{fin}/disabilities".
type disabilityInput struct {
	Degree  dost.DisabilityDegree `json:"degree"`
	Cause   dost.DisabilityCause  `json:"cause"`
	Percent int                   `json:"percent"`
	From    dost.Date             `json:"from"`
	To      dost.Date             `json:"to"`
}

// handleDisabilityCreate handles "POST /api/v1/persons/{fin}/disabilities":
// records a disability assessment. 201 with the assessment.
func (s *Server) handleDisabilityCreate(w http.ResponseWriter, r *http.Request) {
	p, err := s.personOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in disabilityInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	a := &dost.DisabilityAssessment{PersonID: p.ID, Degree: in.Degree, Cause: in.Cause,
		Percent: in.Percent, From: in.From, To: in.To}
	if err := s.RecordService.CreateDisabilityAssessment(r.Context(), a); err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

// listRecords answers a list of the records of the person named in the
// path, filtered and paged by the query: the body of the three record
// list handlers.
func listRecords[T any](s *Server, w http.ResponseWriter, r *http.Request,
	find func(context.Context, dost.RecordFilter) ([]T, int, error)) {
	p, err := s.personOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f, err := recordFilter(r, p)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items, total, err := find(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(items, total, f.Offset, f.Limit))
}
