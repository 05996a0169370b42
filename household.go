package dost

import (
	"context"
	"time"
)

// HouseholdRole is a member's place in a household.
type HouseholdRole string

// Household roles.
const (
	RoleHead   HouseholdRole = "head"
	RoleSpouse HouseholdRole = "spouse"
	RoleChild  HouseholdRole = "child"
	RoleParent HouseholdRole = "parent"
	RoleOther  HouseholdRole = "other"
)

// ValidHouseholdRole reports whether r is a known role.
func ValidHouseholdRole(r HouseholdRole) bool {
	switch r {
	case RoleHead, RoleSpouse, RoleChild, RoleParent, RoleOther:
		return true
	}
	return false
}

// Household is people who live together and share one set of utility
// meters: the family of means tests. A person belongs to at most one
// household; a household has exactly one head.
type Household struct {
	ID        int64              `json:"id"`
	Code      string             `json:"code"` // the registry's own number, e.g. "HH00012345"
	Region    string             `json:"region"`
	District  string             `json:"district"`
	Address   string             `json:"address"`
	Members   []*HouseholdMember `json:"members"`
	CreatedAt time.Time          `json:"created_at"`
	UpdatedAt time.Time          `json:"updated_at"`
}

// HouseholdMember is one person's membership of a household.
type HouseholdMember struct {
	PersonID int64         `json:"person_id"`
	FIN      FIN           `json:"fin"`
	Role     HouseholdRole `json:"role"`
	Person   *Person       `json:"person,omitempty"` // filled by FindHouseholdByID
}

// Validate checks the household: a code, known roles, exactly one head, no
// person twice, texts that are ValidText (the address may span lines).
func (h *Household) Validate() error {
	var v Validation
	if h.Code == "" {
		v.Add("code", "required", "Household code is required.")
	}
	v.checkText("code", h.Code, false)
	v.checkText("region", h.Region, false)
	v.checkText("district", h.District, false)
	v.checkText("address", h.Address, true)
	heads := 0
	seen := map[FIN]bool{}
	for i, m := range h.Members {
		if !ValidHouseholdRole(m.Role) {
			v.Add(fieldIndex("members", i, "role"), "household_role.invalid", "Unknown role %q.", m.Role)
		}
		if m.Role == RoleHead {
			heads++
		}
		v.checkText(fieldIndex("members", i, "fin"), string(m.FIN), false)
		if m.FIN != "" {
			if seen[m.FIN] {
				v.Add(fieldIndex("members", i, "fin"), "household.duplicate_member", "%s is listed twice.", m.FIN.Masked())
			}
			seen[m.FIN] = true
		}
	}
	if len(h.Members) > 0 && heads != 1 {
		v.Add("members", "household.one_head", "A household has exactly one head, got %d.", heads)
	}
	return v.Err("The household has errors.")
}

// Head returns the head member, or nil.
func (h *Household) Head() *HouseholdMember {
	for _, m := range h.Members {
		if m.Role == RoleHead {
			return m
		}
	}
	return nil
}

// HouseholdFilter selects households; nil fields do not filter.
type HouseholdFilter struct {
	ID       *int64
	Code     *string
	PersonID *int64 // the household this person belongs to
	Offset   int
	Limit    int
}

// HouseholdService manages households and their members.
type HouseholdService interface {
	// FindHouseholdByID returns a household with its members and their
	// person records. ENOTFOUND if there is none.
	FindHouseholdByID(ctx context.Context, id int64) (*Household, error)

	// FindHouseholds returns matching households with members (without
	// person records) and the total count.
	FindHouseholds(ctx context.Context, filter HouseholdFilter) ([]*Household, int, error)

	// CreateHousehold stores h and its members, looked up by FIN or
	// PersonID. EINVALID for bad fields or an unknown member, ECONFLICT if
	// the code is taken or a member already belongs to another household.
	CreateHousehold(ctx context.Context, h *Household) error

	// AddHouseholdMember adds a person to a household. ECONFLICT if the
	// person is in a household already or a second head is added.
	AddHouseholdMember(ctx context.Context, householdID int64, m *HouseholdMember) error

	// RemoveHouseholdMember removes a person from a household. ENOTFOUND if
	// the person is not a member.
	RemoveHouseholdMember(ctx context.Context, householdID, personID int64) error
}
