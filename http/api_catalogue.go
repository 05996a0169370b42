package http

import (
	"net/http"
	"strings"

	"github.com/dost-az/dost"
)

// handleServiceList handles "GET /api/v1/services": a page of the active
// services of the catalogue, filtered by category, request channel,
// assignment mode, a text query q (name in any language or code prefix)
// and centre (the code of a centre offering them). Public.
func (s *Server) handleServiceList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := dost.ServiceFilter{ActiveOnly: true}
	var v dost.Validation
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 500); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	if c := q.Get("category"); c != "" {
		cat := dost.Category(c)
		ok := false
		for _, x := range dost.Categories {
			ok = ok || x == cat
		}
		if !ok {
			v.Add("category", "category.invalid", "Unknown category %q.", c)
		}
		f.Category = &cat
	}
	if c := q.Get("channel"); c != "" {
		ch := dost.Channel(c)
		switch ch {
		case dost.ChannelInPerson, dost.ChannelCallCentre, dost.ChannelOnline, dost.ChannelMail:
		default:
			v.Add("channel", "channel.invalid", "Unknown channel %q.", c)
		}
		f.Channel = &ch
	}
	if m := q.Get("mode"); m != "" {
		mode := dost.AssignmentMode(m)
		switch mode {
		case dost.ModeProactive, dost.ModeOnApplication, dost.ModeNone:
		default:
			v.Add("mode", "assignment_mode.invalid", "Unknown assignment mode %q.", m)
		}
		f.AssignmentMode = &mode
	}
	if t := strings.TrimSpace(q.Get("q")); t != "" {
		f.Query = &t
	}
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	if code := q.Get("centre"); code != "" {
		c, err := s.CentreService.FindCentreByCode(r.Context(), code)
		if dost.ErrorCode(err) == dost.ENOTFOUND {
			s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: "No centre has this code.",
				Fields: []dost.FieldError{{Field: "centre", Code: "centre.unknown", Message: "No centre has this code."}}})
			return
		} else if err != nil {
			s.Error(w, r, err)
			return
		}
		f.CentreID = &c.ID
	}
	services, total, err := s.CatalogueService.FindServices(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(services, total, f.Offset, f.Limit))
}

// handleServiceGet handles "GET /api/v1/services/{code}": one service
// passport. Public.
func (s *Server) handleServiceGet(w http.ResponseWriter, r *http.Request) {
	svc, err := s.CatalogueService.FindServiceByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, svc)
}

// handleCentreList handles "GET /api/v1/centres": a page of centres by
// code, optionally only those offering a service. Public.
func (s *Server) handleCentreList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f dost.CentreFilter
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 500); err != nil {
		s.Error(w, r, err)
		return
	}
	if code := q.Get("service"); code != "" {
		f.ServiceCode = &code
	}
	centres, total, err := s.CentreService.FindCentres(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(centres, total, f.Offset, f.Limit))
}

// handleCentreGet handles "GET /api/v1/centres/{code}": one centre with its
// counters, hours and services. Public.
func (s *Server) handleCentreGet(w http.ResponseWriter, r *http.Request) {
	c, err := s.CentreService.FindCentreByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// centreInput is the body of "POST /api/v1/centres" and "PUT
// /api/v1/centres/{code}".
type centreInput struct {
	Code     string              `json:"code"`
	Name     dost.Text           `json:"name"`
	Region   string              `json:"region"`
	District string              `json:"district"`
	Address  dost.Text           `json:"address"`
	Phone    string              `json:"phone"`
	Timezone string              `json:"timezone"`
	Hours    []dost.OpeningHours `json:"hours"`
	Counters []counterInput      `json:"counters"`
	Services []string            `json:"services"`
}

// counterInput is one counter of a centreInput.
type counterInput struct {
	Number int      `json:"number"`
	Label  string   `json:"label"`
	Groups []string `json:"groups"`
}

// centre returns the centre the input describes.
func (in *centreInput) centre() *dost.Centre {
	c := &dost.Centre{Code: in.Code, Name: in.Name, Region: in.Region, District: in.District,
		Address: in.Address, Phone: in.Phone, Timezone: in.Timezone, Hours: in.Hours, Services: in.Services}
	for _, k := range in.Counters {
		c.Counters = append(c.Counters, &dost.Counter{Number: k.Number, Label: k.Label, Groups: k.Groups})
	}
	if c.Hours == nil {
		c.Hours = []dost.OpeningHours{}
	}
	if c.Services == nil {
		c.Services = []string{}
	}
	return c
}

// handleCentreCreate handles "POST /api/v1/centres": adds a centre. 201
// with the centre; 400 for bad fields, 409 if the code is taken.
// Administrators only, and only those not scoped to centres (403): a new
// centre lies outside any scope.
func (s *Server) handleCentreCreate(w http.ResponseWriter, r *http.Request) {
	if u := dost.UserFromContext(r.Context()); u == nil || len(u.CentreIDs) > 0 {
		s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "Only an administrator of every centre may add a centre."))
		return
	}
	var in centreInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	c := in.centre()
	if err := s.CentreService.CreateCentre(r.Context(), c); err != nil {
		s.Error(w, r, err)
		return
	}
	full, err := s.CentreService.FindCentreByID(r.Context(), c.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/centres/"+full.Code)
	writeJSON(w, http.StatusCreated, full)
}

// handleCentreUpdate handles "PUT /api/v1/centres/{code}": replaces a
// centre's fields, hours, counters and services. The code cannot change: a
// body code other than the path's is 400. Administrators only, of this
// centre: one scoped to other centres gets 403.
func (s *Server) handleCentreUpdate(w http.ResponseWriter, r *http.Request) {
	old, err := s.CentreService.FindCentreByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if u := dost.UserFromContext(r.Context()); u == nil || !u.InCentre(old.ID) {
		s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "You may not change this centre."))
		return
	}
	var in centreInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if in.Code == "" {
		in.Code = old.Code
	} else if in.Code != old.Code {
		s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: "A centre's code cannot change.",
			Fields: []dost.FieldError{{Field: "code", Code: "centre.code_changed", Message: "A centre's code cannot change."}}})
		return
	}
	c := in.centre()
	c.ID = old.ID
	c.CreatedAt = old.CreatedAt
	if err := s.CentreService.UpdateCentre(r.Context(), c); err != nil {
		s.Error(w, r, err)
		return
	}
	full, err := s.CentreService.FindCentreByID(r.Context(), c.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, full)
}
