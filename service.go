package dost

import (
	"context"
	"regexp"
	"strconv"
)

// Category is one of the ten official categories of DOST services. The
// first part of a service code is the category's number.
type Category string

// The ten categories, in their official order.
const (
	CategoryCertificates          Category = "certificates"           // 01
	CategoryLabourRelations       Category = "labour_relations"       // 02
	CategoryDisability            Category = "disability"             // 03
	CategoryEmployment            Category = "employment"             // 04
	CategoryPensionsBenefits      Category = "pensions_benefits"      // 05
	CategoryTargetedAssistance    Category = "targeted_assistance"    // 06
	CategoryPresidentialStipends  Category = "presidential_stipends"  // 07
	CategoryInsuranceRegistration Category = "insurance_registration" // 08
	CategorySocialServices        Category = "social_services"        // 09
	CategorySupportingServices    Category = "supporting_services"    // 10
)

// Categories lists the categories in order; Categories[i] has number i+1.
var Categories = []Category{
	CategoryCertificates, CategoryLabourRelations, CategoryDisability, CategoryEmployment,
	CategoryPensionsBenefits, CategoryTargetedAssistance, CategoryPresidentialStipends,
	CategoryInsuranceRegistration, CategorySocialServices, CategorySupportingServices,
}

// Channel is a way a service can be requested or answered.
type Channel string

// Channels.
const (
	ChannelInPerson   Channel = "in_person"
	ChannelCallCentre Channel = "call_centre"
	ChannelOnline     Channel = "online" // self-service through e-systems and the portal
	ChannelMail       Channel = "mail"
)

// Degree grades electronic delivery and automation.
type Degree string

// Degrees.
const (
	DegreeFull    Degree = "full"
	DegreePartial Degree = "partial"
	DegreeNone    Degree = "none"
)

// AssignmentMode says how a benefit is assigned.
type AssignmentMode string

// Assignment modes; a service that assigns no benefit has ModeNone.
const (
	ModeProactive     AssignmentMode = "proactive"
	ModeOnApplication AssignmentMode = "on_application"
	ModeNone          AssignmentMode = "none"
)

// Document is a document a service requires or accepts.
type Document struct {
	Code     string `json:"code"` // e.g. "id_card"
	Name     Text   `json:"name"`
	Required bool   `json:"required"`
}

// RefusalReason is one of a service's legal grounds for refusal.
type RefusalReason struct {
	Code string `json:"code"`
	Text Text   `json:"text"`
}

// Service is one entry of the catalogue, described by the fields of DOST's
// service passport (shared/reference/service-passport.md); texts are in az,
// en and ru.
type Service struct {
	Code                  string          `json:"code"` // "05-04-02-00"
	Category              Category        `json:"category"`
	Name                  Text            `json:"name"`
	Description           Text            `json:"description"`
	PerformingUnit        Text            `json:"performing_unit"`
	LegalBasis            Text            `json:"legal_basis"`
	RequestChannels       []Channel       `json:"request_channels"`
	CommunicationChannels []string        `json:"communication_channels"` // phone, e-mail, SMS, portal
	AnswerChannels        []Channel       `json:"answer_channels"`
	RefusalReasons        []RefusalReason `json:"refusal_reasons"`
	Users                 []string        `json:"users"` // citizens, foreigners_permanent, entrepreneurs, legal_entities
	MinistryUnit          Text            `json:"ministry_unit"`
	TotalMinutes          int             `json:"total_minutes"`
	FrontOfficeMinutes    int             `json:"front_office_minutes"`
	BackOfficeMinutes     int             `json:"back_office_minutes"`
	OperatorMinutes       int             `json:"operator_minutes"`
	Fee                   Money           `json:"fee"` // always 0: DOST services are free
	Place                 Text            `json:"place"`
	Documents             []Document      `json:"documents"`
	Steps                 []Text          `json:"steps"`
	InformationSystems    []string        `json:"information_systems"`
	Subsystems            []string        `json:"subsystems"`
	ElectronicDelivery    Degree          `json:"electronic_delivery"`
	Automation            Degree          `json:"automation"`
	AssignmentMode        AssignmentMode  `json:"assignment_mode"`
	// DeadlineDays is the legal time for the answer; WorkingDays says
	// whether it counts working days. 0 means served on the spot.
	DeadlineDays int  `json:"deadline_days"`
	WorkingDays  bool `json:"working_days"`
	// QueueGroup is the letter of the hall queue the service is served
	// in ("P" pensions, "S" social benefits, …).
	QueueGroup string `json:"queue_group"`
	Active     bool   `json:"active"`
}

var serviceCode = regexp.MustCompile(`^(0[1-9]|10)-\d{2}-\d{2}-\d{2}$`)

// CategoryOfCode returns the category a service code belongs to, or "".
func CategoryOfCode(code string) Category {
	if !serviceCode.MatchString(code) {
		return ""
	}
	n := int(code[0]-'0')*10 + int(code[1]-'0')
	return Categories[n-1]
}

// Validate checks a service passport: code shape and category agree, all
// texts in three languages and ValidText (descriptions, legal bases,
// places, refusal reasons and steps may span lines), minutes add up, known
// channels and modes.
func (s *Service) Validate() error {
	var v Validation
	if !serviceCode.MatchString(s.Code) {
		v.Add("code", "service_code.invalid", "Service code %q is not of the form NN-NN-NN-NN.", s.Code)
	} else if CategoryOfCode(s.Code) != s.Category {
		v.Add("category", "service_category.mismatch", "Code %s belongs to category %s, not %s.", s.Code, CategoryOfCode(s.Code), s.Category)
	}
	for field, t := range map[string]Text{"name": s.Name, "description": s.Description, "legal_basis": s.LegalBasis, "performing_unit": s.PerformingUnit} {
		if !t.Complete() {
			v.Add(field, "text.incomplete", "%s must be given in az, en and ru.", field)
		}
	}
	v.checkTexts("name", s.Name, false)
	v.checkTexts("description", s.Description, true)
	v.checkTexts("performing_unit", s.PerformingUnit, false)
	v.checkTexts("legal_basis", s.LegalBasis, true)
	v.checkTexts("ministry_unit", s.MinistryUnit, false)
	v.checkTexts("place", s.Place, true)
	for i, d := range s.Documents {
		if d.Code == "" || !d.Name.Complete() {
			v.Add(fieldIndex("documents", i, "name"), "text.incomplete", "Document needs a code and a name in az, en and ru.")
		}
		v.checkText(fieldIndex("documents", i, "code"), d.Code, false)
		v.checkTexts(fieldIndex("documents", i, "name"), d.Name, false)
	}
	for i, r := range s.RefusalReasons {
		if r.Code == "" || !r.Text.Complete() {
			v.Add(fieldIndex("refusal_reasons", i, "text"), "text.incomplete", "Refusal reason needs a code and a text in az, en and ru.")
		}
		v.checkText(fieldIndex("refusal_reasons", i, "code"), r.Code, false)
		v.checkTexts(fieldIndex("refusal_reasons", i, "text"), r.Text, true)
	}
	for i, st := range s.Steps {
		if !st.Complete() {
			v.Add(fieldIndex("steps", i, "text"), "text.incomplete", "Step must be given in az, en and ru.")
		}
		v.checkTexts(fieldIndex("steps", i, "text"), st, true)
	}
	for field, list := range map[string][]string{"communication_channels": s.CommunicationChannels, "users": s.Users,
		"information_systems": s.InformationSystems, "subsystems": s.Subsystems} {
		for i, x := range list {
			v.checkText(field+"["+strconv.Itoa(i)+"]", x, false)
		}
	}
	if s.FrontOfficeMinutes < 0 || s.BackOfficeMinutes < 0 || s.TotalMinutes != s.FrontOfficeMinutes+s.BackOfficeMinutes {
		v.Add("total_minutes", "minutes.sum", "Total minutes must be front-office plus back-office minutes.")
	}
	if len(s.RequestChannels) == 0 {
		v.Add("request_channels", "required", "At least one request channel is required.")
	}
	for i, c := range append(append([]Channel{}, s.RequestChannels...), s.AnswerChannels...) {
		switch c {
		case ChannelInPerson, ChannelCallCentre, ChannelOnline, ChannelMail:
		default:
			v.Add(fieldIndex("channels", i, "channel"), "channel.invalid", "Unknown channel %q.", c)
		}
	}
	for field, d := range map[string]Degree{"electronic_delivery": s.ElectronicDelivery, "automation": s.Automation} {
		if d != DegreeFull && d != DegreePartial && d != DegreeNone {
			v.Add(field, "degree.invalid", "%s must be full, partial or none.", field)
		}
	}
	switch s.AssignmentMode {
	case ModeProactive, ModeOnApplication, ModeNone:
	default:
		v.Add("assignment_mode", "assignment_mode.invalid", "Unknown assignment mode %q.", s.AssignmentMode)
	}
	if s.Fee != 0 {
		v.Add("fee", "fee.not_free", "DOST services are free.")
	}
	if s.DeadlineDays < 0 {
		v.Add("deadline_days", "deadline.negative", "Deadline cannot be negative.")
	}
	if len(s.QueueGroup) != 1 || s.QueueGroup[0] < 'A' || s.QueueGroup[0] > 'Z' {
		v.Add("queue_group", "queue_group.invalid", "Queue group is one capital letter.")
	}
	return v.Err("The service passport has errors.")
}

// Offers reports whether the service can be requested through channel c.
func (s *Service) Offers(c Channel) bool {
	for _, x := range s.RequestChannels {
		if x == c {
			return true
		}
	}
	return false
}

// ServiceFilter selects catalogue services; nil fields do not filter.
// Query matches the name in any language or the code prefix.
type ServiceFilter struct {
	Code           *string
	Category       *Category
	Channel        *Channel
	AssignmentMode *AssignmentMode
	CentreID       *int64 // services offered at this centre
	Query          *string
	ActiveOnly     bool
	Offset         int
	Limit          int // 0: all
}

// CatalogueService manages the service catalogue. Everyone may read it;
// only administrators change it.
type CatalogueService interface {
	// FindServiceByCode returns a service; ENOTFOUND if there is none.
	FindServiceByCode(ctx context.Context, code string) (*Service, error)

	// FindServices returns matching services ordered by code, and the total.
	FindServices(ctx context.Context, filter ServiceFilter) ([]*Service, int, error)

	// SaveService validates s and creates it or replaces the service with
	// the same code.
	SaveService(ctx context.Context, s *Service) error
}
