// Package catalogue is dost's shipped service catalogue: the service
// passports of DOST's public service list, in Azerbaijani, English and
// Russian, with the ten official categories and the hall queue groups the
// services are served in.
//
// The passports live in embedded JSON files under data/: common.json holds
// shared dictionaries (documents, refusal reasons, reusable steps and
// texts such as performing units), and one file per category holds its
// services. A service may name a dictionary entry by its key instead of
// repeating the text; Services resolves every key, fills the defaults and
// validates the result, so what it returns is complete.
package catalogue

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/dost-az/dost"
)

//go:embed data/*.json
var data embed.FS

// Services returns the shipped catalogue ordered by code. The embedded
// files are parsed and validated once; every call returns fresh copies the
// caller may change. The error names the file, the service code and the
// field at fault; it can only occur if the embedded data is broken, which
// the package's tests rule out.
func Services() ([]*dost.Service, error) {
	services, err := loadOnce()
	if err != nil {
		return nil, err
	}
	out := make([]*dost.Service, len(services))
	for i := range services {
		out[i] = clone(&services[i])
	}
	return out, nil
}

var loadOnce = sync.OnceValues(func() ([]dost.Service, error) { return load(data) })

// clone returns a copy of s that shares no slice with it.
func clone(s *dost.Service) *dost.Service {
	c := *s
	c.RequestChannels = slices.Clone(s.RequestChannels)
	c.CommunicationChannels = slices.Clone(s.CommunicationChannels)
	c.AnswerChannels = slices.Clone(s.AnswerChannels)
	c.RefusalReasons = slices.Clone(s.RefusalReasons)
	c.Users = slices.Clone(s.Users)
	c.Documents = slices.Clone(s.Documents)
	c.Steps = slices.Clone(s.Steps)
	c.InformationSystems = slices.Clone(s.InformationSystems)
	c.Subsystems = slices.Clone(s.Subsystems)
	return &c
}

// common is data/common.json: dictionaries that service files refer to by
// key, and defaults for fields a service leaves out.
type common struct {
	Texts          map[string]dost.Text `json:"texts"`
	Documents      map[string]dost.Text `json:"documents"`
	RefusalReasons map[string]dost.Text `json:"refusal_reasons"`
	Steps          map[string]dost.Text `json:"steps"`
	Defaults       struct {
		PerformingUnit        string   `json:"performing_unit"`
		Place                 string   `json:"place"`
		Users                 []string `json:"users"`
		CommunicationChannels []string `json:"communication_channels"`
	} `json:"defaults"`
}

// textRef is a text given inline as {"az","en","ru"} or as the key of a
// dictionary entry ("dost_centres").
type textRef struct {
	Key  string
	Text dost.Text
}

// UnmarshalJSON accepts a string key or an inline text object.
func (r *textRef) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.Key)
	}
	return strictUnmarshal(b, &r.Text)
}

// docRef is a required document named by its code ("id_card") or an object
// {"code", "required", "name"} where the name defaults to the dictionary's.
type docRef struct {
	Code     string     `json:"code"`
	Required *bool      `json:"required"`
	Name     *dost.Text `json:"name"`
}

// UnmarshalJSON accepts a string code or an object.
func (d *docRef) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &d.Code)
	}
	type plain docRef
	return strictUnmarshal(b, (*plain)(d))
}

// serviceFile is one data/NN-*.json file.
type serviceFile struct {
	Services []rawService `json:"services"`
}

// rawService is a service as written in a data file. The category follows
// from the code, total minutes are front plus back office, operator
// minutes default to front-office minutes, the fee is always zero and a
// service is active unless it says otherwise.
type rawService struct {
	Code                  string              `json:"code"`
	QueueGroup            string              `json:"queue_group"`
	Name                  dost.Text           `json:"name"`
	Description           dost.Text           `json:"description"`
	PerformingUnit        *textRef            `json:"performing_unit"`
	LegalBasis            textRef             `json:"legal_basis"`
	RequestChannels       []dost.Channel      `json:"request_channels"`
	CommunicationChannels []string            `json:"communication_channels"`
	AnswerChannels        []dost.Channel      `json:"answer_channels"`
	RefusalReasons        []string            `json:"refusal_reasons"`
	Users                 []string            `json:"users"`
	MinistryUnit          textRef             `json:"ministry_unit"`
	FrontOfficeMinutes    int                 `json:"front_office_minutes"`
	BackOfficeMinutes     int                 `json:"back_office_minutes"`
	OperatorMinutes       *int                `json:"operator_minutes"`
	Place                 *textRef            `json:"place"`
	Documents             []docRef            `json:"documents"`
	Steps                 []textRef           `json:"steps"`
	InformationSystems    []string            `json:"information_systems"`
	Subsystems            []string            `json:"subsystems"`
	ElectronicDelivery    dost.Degree         `json:"electronic_delivery"`
	Automation            dost.Degree         `json:"automation"`
	AssignmentMode        dost.AssignmentMode `json:"assignment_mode"`
	DeadlineDays          int                 `json:"deadline_days"`
	WorkingDays           bool                `json:"working_days"`
	Active                *bool               `json:"active"`
}

// strictUnmarshal decodes JSON rejecting unknown fields, so that a typo in
// a data file is an error rather than a silently empty field.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// load reads common.json and every other JSON file of fsys's data
// directory, resolves references and validates each service.
func load(fsys fs.FS) ([]dost.Service, error) {
	b, err := fs.ReadFile(fsys, "data/common.json")
	if err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	var c common
	if err := strictUnmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("catalogue: data/common.json: %w", err)
	}
	names, err := fs.Glob(fsys, "data/*.json")
	if err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	var out []dost.Service
	file := map[string]string{} // code → file that defined it
	for _, name := range names {
		if path.Base(name) == "common.json" {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("catalogue: %w", err)
		}
		var f serviceFile
		if err := strictUnmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("catalogue: %s: %w", name, err)
		}
		for i := range f.Services {
			r := &f.Services[i]
			if prev, ok := file[r.Code]; ok {
				return nil, fmt.Errorf("catalogue: %s: service %s: code already used in %s", name, r.Code, prev)
			}
			file[r.Code] = name
			s, err := c.resolve(r)
			if err != nil {
				return nil, fmt.Errorf("catalogue: %s: service %q: %w", name, r.Code, err)
			}
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// resolve turns a raw service into a validated dost.Service.
func (c *common) resolve(r *rawService) (dost.Service, error) {
	s := dost.Service{
		Code:                  r.Code,
		Category:              dost.CategoryOfCode(r.Code),
		Name:                  r.Name,
		Description:           r.Description,
		RequestChannels:       r.RequestChannels,
		CommunicationChannels: r.CommunicationChannels,
		AnswerChannels:        r.AnswerChannels,
		Users:                 r.Users,
		TotalMinutes:          r.FrontOfficeMinutes + r.BackOfficeMinutes,
		FrontOfficeMinutes:    r.FrontOfficeMinutes,
		BackOfficeMinutes:     r.BackOfficeMinutes,
		OperatorMinutes:       r.FrontOfficeMinutes,
		InformationSystems:    r.InformationSystems,
		Subsystems:            r.Subsystems,
		ElectronicDelivery:    r.ElectronicDelivery,
		Automation:            r.Automation,
		AssignmentMode:        r.AssignmentMode,
		DeadlineDays:          r.DeadlineDays,
		WorkingDays:           r.WorkingDays,
		QueueGroup:            r.QueueGroup,
		Active:                r.Active == nil || *r.Active,
	}
	if r.OperatorMinutes != nil {
		s.OperatorMinutes = *r.OperatorMinutes
	}
	if s.CommunicationChannels == nil {
		s.CommunicationChannels = slices.Clone(c.Defaults.CommunicationChannels)
	}
	if s.Users == nil {
		s.Users = slices.Clone(c.Defaults.Users)
	}
	var err error
	text := func(field string, ref *textRef, def string) dost.Text {
		if err != nil {
			return dost.Text{}
		}
		if ref == nil {
			ref = &textRef{Key: def}
		}
		if ref.Key == "" {
			return ref.Text
		}
		t, ok := c.Texts[ref.Key]
		if !ok {
			err = fmt.Errorf("%s: unknown text %q", field, ref.Key)
		}
		return t
	}
	s.PerformingUnit = text("performing_unit", r.PerformingUnit, c.Defaults.PerformingUnit)
	s.LegalBasis = text("legal_basis", &r.LegalBasis, "")
	s.MinistryUnit = text("ministry_unit", &r.MinistryUnit, "")
	s.Place = text("place", r.Place, c.Defaults.Place)
	if err != nil {
		return s, err
	}
	for i, code := range r.RefusalReasons {
		t, ok := c.RefusalReasons[code]
		if !ok {
			return s, fmt.Errorf("refusal_reasons[%d]: unknown refusal reason %q", i, code)
		}
		s.RefusalReasons = append(s.RefusalReasons, dost.RefusalReason{Code: code, Text: t})
	}
	for i, d := range r.Documents {
		doc := dost.Document{Code: d.Code, Required: d.Required == nil || *d.Required}
		if d.Name != nil {
			doc.Name = *d.Name
		} else if t, ok := c.Documents[d.Code]; ok {
			doc.Name = t
		} else {
			return s, fmt.Errorf("documents[%d]: unknown document %q", i, d.Code)
		}
		s.Documents = append(s.Documents, doc)
	}
	for i, st := range r.Steps {
		if st.Key == "" {
			s.Steps = append(s.Steps, st.Text)
			continue
		}
		t, ok := c.Steps[st.Key]
		if !ok {
			return s, fmt.Errorf("steps[%d]: unknown step %q", i, st.Key)
		}
		s.Steps = append(s.Steps, t)
	}
	if err := check(&s); err != nil {
		return s, err
	}
	return s, nil
}

// check validates s with dost.Service.Validate and adds the catalogue's own
// rules: every passport field filled, a known queue group, 3–6 steps. The
// error names the first field at fault.
func check(s *dost.Service) error {
	if err := s.Validate(); err != nil {
		if fields := dost.ErrorFields(err); len(fields) > 0 {
			var msgs []string
			for _, f := range fields {
				msgs = append(msgs, f.Field+": "+f.Message)
			}
			return fmt.Errorf("%s", strings.Join(msgs, "; "))
		}
		return err
	}
	switch {
	case s.Category == "":
		return fmt.Errorf("code: no category")
	case !s.MinistryUnit.Complete():
		return fmt.Errorf("ministry_unit: must be given in az, en and ru")
	case !s.Place.Complete():
		return fmt.Errorf("place: must be given in az, en and ru")
	case len(s.AnswerChannels) == 0:
		return fmt.Errorf("answer_channels: at least one is required")
	case len(s.CommunicationChannels) == 0:
		return fmt.Errorf("communication_channels: at least one is required")
	case len(s.Users) == 0:
		return fmt.Errorf("users: at least one is required")
	case len(s.RefusalReasons) == 0:
		return fmt.Errorf("refusal_reasons: at least one is required")
	case len(s.Documents) == 0:
		return fmt.Errorf("documents: at least one is required")
	case len(s.Steps) < 3 || len(s.Steps) > 6:
		return fmt.Errorf("steps: %d steps, want 3 to 6", len(s.Steps))
	case len(s.InformationSystems) == 0:
		return fmt.Errorf("information_systems: at least one is required")
	case s.OperatorMinutes < 0:
		return fmt.Errorf("operator_minutes: cannot be negative")
	}
	if _, ok := queueGroup(s.QueueGroup); !ok {
		return fmt.Errorf("queue_group: %q has no entry in QueueGroups", s.QueueGroup)
	}
	for _, u := range s.Users {
		if !slices.Contains(userKinds, u) {
			return fmt.Errorf("users: unknown kind of user %q", u)
		}
	}
	return nil
}

// userKinds are the kinds of users a passport may name.
var userKinds = []string{"citizens", "foreigners_permanent", "stateless_permanent", "entrepreneurs", "legal_entities"}
