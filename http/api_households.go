package http

import (
	"net/http"
	"strconv"

	"github.com/dost-az/dost"
)

// householdInput is the body of "POST /api/v1/households".
type householdInput struct {
	Code     string        `json:"code"`
	Region   string        `json:"region"`
	District string        `json:"district"`
	Address  string        `json:"address"`
	Members  []memberInput `json:"members"`
}

// memberInput names a member by FIN, with the role.
type memberInput struct {
	FIN  dost.FIN           `json:"fin"`
	Role dost.HouseholdRole `json:"role"`
}

// pathHouseholdID parses the {id} path value; EINVALID with field "id".
func pathHouseholdID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, &dost.Error{Code: dost.EINVALID, Message: "A household id is a positive whole number.",
			Fields: []dost.FieldError{{Field: "id", Code: "id.invalid", Message: "A household id is a positive whole number."}}}
	}
	return id, nil
}

// handleHouseholdList handles "GET /api/v1/households": a page of
// households, optionally only the one a person (fin) belongs to or the one
// with a registry code.
func (s *Server) handleHouseholdList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f dost.HouseholdFilter
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 200); err != nil {
		s.Error(w, r, err)
		return
	}
	if s := q.Get("code"); s != "" {
		f.Code = &s
	}
	if q.Has("fin") {
		fin, err := dost.ParseFIN(q.Get("fin"))
		if err != nil {
			s.Error(w, r, err)
			return
		}
		p, err := s.PersonService.FindPersonByFIN(r.Context(), fin)
		if dost.ErrorCode(err) == dost.ENOTFOUND {
			writeJSON(w, http.StatusOK, newPage([]*dost.Household(nil), 0, f.Offset, f.Limit))
			return
		} else if err != nil {
			s.Error(w, r, err)
			return
		}
		f.PersonID = &p.ID
	}
	hs, total, err := s.HouseholdService.FindHouseholds(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, h := range hs {
		readsOfHousehold(w, h)
	}
	writeJSON(w, http.StatusOK, newPage(hs, total, f.Offset, f.Limit))
}

// handleHouseholdCreate handles "POST /api/v1/households": registers a
// household with its members. 201 with the household; 400 for bad fields
// or an unknown member; 409 if the code is taken or a member belongs to
// another household.
func (s *Server) handleHouseholdCreate(w http.ResponseWriter, r *http.Request) {
	var in householdInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	h := &dost.Household{Code: in.Code, Region: in.Region, District: in.District, Address: in.Address}
	for _, m := range in.Members {
		fin := m.FIN
		if f, err := dost.ParseFIN(string(fin)); err == nil {
			fin = f
		}
		h.Members = append(h.Members, &dost.HouseholdMember{FIN: fin, Role: m.Role})
	}
	if err := s.HouseholdService.CreateHousehold(r.Context(), h); err != nil {
		s.Error(w, r, err)
		return
	}
	full, err := s.HouseholdService.FindHouseholdByID(r.Context(), h.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/households/"+strconv.FormatInt(h.ID, 10))
	writeJSON(w, http.StatusCreated, full)
}

// handleHouseholdGet handles "GET /api/v1/households/{id}": a household
// with its members and their person records.
func (s *Server) handleHouseholdGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathHouseholdID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	h, err := s.HouseholdService.FindHouseholdByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readsOfHousehold(w, h)
	writeJSON(w, http.StatusOK, h)
}

// readsOfHousehold notes the reads of a household's members (readsOf).
func readsOfHousehold(w http.ResponseWriter, h *dost.Household) {
	for _, m := range h.Members {
		readsOf(w, m.PersonID)
	}
}

// handleHouseholdMemberAdd handles "POST /api/v1/households/{id}/members":
// adds the person named by fin with a role. 201 with the household; 404
// for an unknown household, 400 for an unknown person, 409 if the person
// is in a household already or a second head is added.
func (s *Server) handleHouseholdMemberAdd(w http.ResponseWriter, r *http.Request) {
	id, err := pathHouseholdID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in memberInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	fin, err := dost.ParseFIN(string(in.FIN))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !dost.ValidHouseholdRole(in.Role) {
		s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: "Unknown household role.",
			Fields: []dost.FieldError{{Field: "role", Code: "household_role.invalid", Message: "Role must be head, spouse, child, parent or other."}}})
		return
	}
	if _, err := s.HouseholdService.FindHouseholdByID(r.Context(), id); err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := s.PersonService.FindPersonByFIN(r.Context(), fin)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: "No person has this FIN.",
			Fields: []dost.FieldError{{Field: "fin", Code: "person.unknown", Message: "No person has this FIN."}}})
		return
	} else if err != nil {
		s.Error(w, r, err)
		return
	}
	m := &dost.HouseholdMember{PersonID: p.ID, FIN: p.FIN, Role: in.Role}
	if err := s.HouseholdService.AddHouseholdMember(r.Context(), id, m); err != nil {
		s.Error(w, r, err)
		return
	}
	h, err := s.HouseholdService.FindHouseholdByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, h)
}

// handleHouseholdMemberRemove handles "DELETE /api/v1/households/{id}/members/{fin}":
// removes a member. 204; 404 if the person is not a member, 409 if the
// head would leave other members behind.
func (s *Server) handleHouseholdMemberRemove(w http.ResponseWriter, r *http.Request) {
	id, err := pathHouseholdID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := s.personOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.HouseholdService.RemoveHouseholdMember(r.Context(), id, p.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
