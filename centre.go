package dost

import (
	"context"
	"strconv"
	"time"
)

// Centre is a DOST centre: a hall with counters (windows) serving a set of
// services during opening hours.
type Centre struct {
	ID        int64          `json:"id"`
	Code      string         `json:"code"` // short and stable, e.g. "baku-3"
	Name      Text           `json:"name"` // "DOST centre No3, Nizami district, Baku"
	Region    string         `json:"region"`
	District  string         `json:"district"`
	Address   Text           `json:"address"`
	Phone     string         `json:"phone"`
	Timezone  string         `json:"timezone"` // IANA name, "Asia/Baku"
	Hours     []OpeningHours `json:"hours"`
	Counters  []*Counter     `json:"counters"`
	Services  []string       `json:"services"` // codes of services offered
	CreatedAt time.Time      `json:"created_at"`
}

// OpeningHours is one weekday's hours, "09:00" to "18:00" local time.
type OpeningHours struct {
	Weekday time.Weekday `json:"weekday"`
	Opens   string       `json:"opens"`
	Closes  string       `json:"closes"`
}

// Counter is a window in a centre's hall, numbered from 1.
type Counter struct {
	ID       int64  `json:"id"`
	CentreID int64  `json:"centre_id"`
	Number   int    `json:"number"`
	Label    string `json:"label"` // as on the sign over the window
	// Groups are the queue groups the counter serves; empty means all.
	Groups []string `json:"groups"`
}

// Validate checks a centre: code, names in three languages, a valid time
// zone, well-formed hours, counters numbered uniquely, texts that are
// ValidText (the address may span lines).
func (c *Centre) Validate() error {
	var v Validation
	if c.Code == "" {
		v.Add("code", "required", "Centre code is required.")
	}
	if !c.Name.Complete() {
		v.Add("name", "text.incomplete", "Name must be given in az, en and ru.")
	}
	v.checkText("code", c.Code, false)
	v.checkTexts("name", c.Name, false)
	v.checkText("region", c.Region, false)
	v.checkText("district", c.District, false)
	v.checkTexts("address", c.Address, true)
	v.checkText("phone", c.Phone, false)
	if _, err := time.LoadLocation(c.Timezone); c.Timezone == "" || err != nil {
		v.Add("timezone", "timezone.invalid", "Unknown time zone %q.", c.Timezone)
	}
	for i, h := range c.Hours {
		o, err1 := time.Parse("15:04", h.Opens)
		cl, err2 := time.Parse("15:04", h.Closes)
		if err1 != nil || err2 != nil || !o.Before(cl) || h.Weekday < time.Sunday || h.Weekday > time.Saturday {
			v.Add(fieldIndex("hours", i, "opens"), "hours.invalid", "Opening hours must be HH:MM before HH:MM on a weekday.")
		}
	}
	seen := map[int]bool{}
	for i, k := range c.Counters {
		if k.Number < 1 || seen[k.Number] {
			v.Add(fieldIndex("counters", i, "number"), "counter.number", "Counter numbers are unique and start at 1.")
		}
		seen[k.Number] = true
		v.checkText(fieldIndex("counters", i, "label"), k.Label, false)
		for j, g := range k.Groups {
			v.checkText(fieldIndex("counters", i, "groups["+strconv.Itoa(j)+"]"), g, false)
		}
	}
	for i, s := range c.Services {
		v.checkText("services["+strconv.Itoa(i)+"]", s, false)
	}
	return v.Err("The centre has errors.")
}

// OpenOn returns the opening hours of the weekday, or false if closed.
func (c *Centre) OpenOn(d time.Weekday) (OpeningHours, bool) {
	for _, h := range c.Hours {
		if h.Weekday == d {
			return h, true
		}
	}
	return OpeningHours{}, false
}

// CentreFilter selects centres; nil fields do not filter.
type CentreFilter struct {
	ID          *int64
	Code        *string
	ServiceCode *string // centres offering this service
	Offset      int
	Limit       int
}

// CentreService manages centres, their counters and the services they offer.
type CentreService interface {
	// FindCentreByID returns a centre with counters and services.
	// ENOTFOUND if there is none.
	FindCentreByID(ctx context.Context, id int64) (*Centre, error)

	// FindCentreByCode returns a centre by its code. ENOTFOUND if none.
	FindCentreByCode(ctx context.Context, code string) (*Centre, error)

	// FindCentres returns matching centres ordered by code, and the total.
	FindCentres(ctx context.Context, filter CentreFilter) ([]*Centre, int, error)

	// CreateCentre validates and stores c with its counters and services.
	// ECONFLICT if the code is taken; EINVALID for an unknown service code.
	CreateCentre(ctx context.Context, c *Centre) error

	// UpdateCentre replaces c's fields, hours, counters and services.
	// ENOTFOUND if c.ID is unknown.
	UpdateCentre(ctx context.Context, c *Centre) error
}
