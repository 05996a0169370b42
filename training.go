package dost

import (
	"context"
	"math"
	"regexp"
	"time"
)

// Course is a training course that qualifies operators for one category
// of services. A passed completion of it certifies the operator for
// Category for ValidityMonths months (see CertificationExpiry). A course
// no longer given is made inactive, never deleted: completions refer to
// it.
type Course struct {
	ID             int64     `json:"id"`
	Code           string    `json:"code"` // e.g. "FO-05", unique
	Category       Category  `json:"category"`
	Title          Text      `json:"title"`
	Hours          int       `json:"hours"`
	ValidityMonths int       `json:"validity_months"`
	Active         bool      `json:"active"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Limits of a course.
const (
	MaxCourseHours          = 1000
	MaxCourseValidityMonths = 120
)

// courseCode is the shape of a course's code: a letter, then letters,
// digits, dots and dashes, at most 20 in all.
var courseCode = regexp.MustCompile(`^[A-Z][A-Z0-9.-]{0,19}$`)

// Validate checks a course: a code of capital letters, digits, dots and
// dashes; a known category; a title in every language; hours and
// validity within their limits.
func (c *Course) Validate() error {
	var v Validation
	if !courseCode.MatchString(c.Code) {
		v.Add("code", "course.code", "A course code is a capital letter followed by up to 19 capital letters, digits, dots or dashes.")
	}
	if !ValidCategory(c.Category) {
		v.Add("category", "category.invalid", "Unknown service category %q.", c.Category)
	}
	c.validateChange(&v)
	return v.Err("The course has errors.")
}

// validateChange checks the fields an update may change.
func (c *Course) validateChange(v *Validation) {
	if !c.Title.Complete() {
		v.Add("title", "course.title", "A course needs a title in Azerbaijani, English and Russian.")
	}
	v.checkTexts("title", c.Title, false)
	if c.Hours < 1 || c.Hours > MaxCourseHours {
		v.Add("hours", "course.hours", "A course lasts from 1 to %d hours.", MaxCourseHours)
	}
	if c.ValidityMonths < 1 || c.ValidityMonths > MaxCourseValidityMonths {
		v.Add("validity_months", "course.validity", "A certification is valid from 1 to %d months.", MaxCourseValidityMonths)
	}
}

// Apply returns a copy of c with upd's set fields, validated.
func (c *Course) Apply(upd CourseUpdate) (*Course, error) {
	out := *c
	if upd.Title != nil {
		out.Title = *upd.Title
	}
	if upd.Hours != nil {
		out.Hours = *upd.Hours
	}
	if upd.ValidityMonths != nil {
		out.ValidityMonths = *upd.ValidityMonths
	}
	if upd.Active != nil {
		out.Active = *upd.Active
	}
	var v Validation
	out.validateChange(&v)
	return &out, v.Err("The course has errors.")
}

// ValidCategory reports whether c is one of Categories.
func ValidCategory(c Category) bool {
	for _, k := range Categories {
		if k == c {
			return true
		}
	}
	return false
}

// CourseFilter selects courses; zero fields do not filter.
type CourseFilter struct {
	Category Category
	Active   *bool
	Offset   int
	Limit    int
}

// CourseUpdate changes a course; nil fields are left alone. A course's
// code and category never change: its completions certified for that
// category.
type CourseUpdate struct {
	Title          *Text `json:"title,omitempty"`
	Hours          *int  `json:"hours,omitempty"`
	ValidityMonths *int  `json:"validity_months,omitempty"`
	Active         *bool `json:"active,omitempty"`
}

// Completion records that an operator completed a course on a day, and
// whether they passed. A passed completion issues the certification for
// the course's category, or renews the one in force (CertificationID).
type Completion struct {
	ID          int64 `json:"id"`
	OperatorID  int64 `json:"operator_id"`
	CourseID    int64 `json:"course_id"`
	CompletedOn Date  `json:"completed_on"`
	Passed      bool  `json:"passed"`
	// Score is the exam's result in percent, if the course has one.
	Score           *int      `json:"score,omitempty"`
	RecordedBy      int64     `json:"recorded_by"`
	CertificationID int64     `json:"certification_id,omitempty"` // set when Passed
	CreatedAt       time.Time `json:"created_at"`
}

// Validate checks a completion recorded on day today: an operator, a
// course, a day not after today and a score from 0 to 100.
func (c *Completion) Validate(today Date) error {
	var v Validation
	if c.OperatorID <= 0 {
		v.Add("operator_id", "required", "Operator is required.")
	}
	if c.CourseID <= 0 {
		v.Add("course_id", "required", "Course is required.")
	}
	if c.CompletedOn.IsZero() {
		v.Add("completed_on", "required", "The day the course was completed is required.")
	} else if c.CompletedOn.After(today) {
		v.Add("completed_on", "completion.future", "A course cannot be completed after today (%s).", today)
	}
	if c.Score != nil && (*c.Score < 0 || *c.Score > 100) {
		v.Add("score", "completion.score", "A score is from 0 to 100.")
	}
	return v.Err("The completion has errors.")
}

// CertificationExpiry returns the last day of a certification earned on
// day d by a course valid for months: the same day of the month months
// later, or that month's last day if it is shorter (31 January + 1 month
// is 28 or 29 February).
func CertificationExpiry(d Date, months int) Date {
	first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, months, 0)
	last := first.AddDate(0, 1, -1).Day()
	return DateOf(time.Date(first.Year(), first.Month(), min(d.Day(), last), 0, 0, 0, 0, time.UTC))
}

// CompletionFilter selects completions; zero fields do not filter.
type CompletionFilter struct {
	OperatorID int64
	CourseID   int64
	CentreID   int64 // of operators scoped to this centre
	Offset     int
	Limit      int
}

// RenewalThresholds are the days before a certification's last day on
// which its renewal reminder is sent, once each, largest first. A
// certification found later than a threshold (the job did not run) gets
// only the reminder of the nearest threshold it has reached.
var RenewalThresholds = []int{30, 7}

// ExpiringSoonDays is how close to its last day a certification counts
// as expiring soon in the matrix, and how far ahead the shortage view
// looks.
const ExpiringSoonDays = 30

// CertificationMatrix is who is certified for what on Day: a row per
// operator, a cell per category of Categories.
type CertificationMatrix struct {
	Day Date `json:"day"`
	// SoonUntil is Day + ExpiringSoonDays: a certification ending on or
	// before it is expiring soon.
	SoonUntil  Date         `json:"soon_until"`
	Categories []Category   `json:"categories"`
	Rows       []*MatrixRow `json:"rows"`
}

// MatrixRow is an operator's certifications, one cell per category of
// CertificationMatrix.Categories in the same order.
type MatrixRow struct {
	OperatorID int64         `json:"operator_id"`
	Name       string        `json:"name"`
	Username   string        `json:"username"`
	CentreIDs  []int64       `json:"centre_ids"`
	Cells      []*MatrixCell `json:"cells"`
}

// MatrixCell is an operator's certification for a category: the one in
// force on the matrix's day, or (Certified false) none. ValidUntil is the
// last day of the operator's continuous certification (renewals that
// follow without a gap included).
type MatrixCell struct {
	Category        Category `json:"category"`
	Certified       bool     `json:"certified"`
	ValidUntil      Date     `json:"valid_until,omitzero"`
	ExpiringSoon    bool     `json:"expiring_soon"`
	Course          string   `json:"course,omitempty"`
	CertificationID int64    `json:"certification_id,omitempty"`
}

// Shortage rules (NeededOperators): each category a centre offers needs
// at least MinCertifiedOperators operators certified for it (one to
// serve, one to cover leave and sickness), and one for every
// TicketsPerOperatorDay tickets of the category a day.
const (
	MinCertifiedOperators = 2
	TicketsPerOperatorDay = 40
	// DemandWeeks is how far back demand is measured.
	DemandWeeks = 4
)

// Staffing statuses of a category at a centre (CategoryStaffing.Status).
const (
	StaffingOK       = "ok"       // enough certified operators now and in 30 days
	StaffingExpiring = "expiring" // enough now, too few in ExpiringSoonDays days
	StaffingShort    = "short"    // too few certified operators now
	StaffingNone     = "none"     // no certified operator now
)

// CentreShortage is a centre's demand by category set against the
// operators certified to meet it.
type CentreShortage struct {
	CentreID int64 `json:"centre_id"`
	Day      Date  `json:"day"`
	// Demand is measured over the days [From, Day).
	From       Date                `json:"from"`
	OpenDays   int                 `json:"open_days"` // days in [From, Day) with tickets
	Operators  int                 `json:"operators"` // active operators of the centre
	Categories []*CategoryStaffing `json:"categories"`
}

// CategoryStaffing is one category's line of a CentreShortage. Categories
// the centre neither offers nor had tickets for are left out.
type CategoryStaffing struct {
	Category Category `json:"category"`
	Offered  bool     `json:"offered"` // the centre offers a service of it
	Tickets  int      `json:"tickets"` // issued over the measured days
	// PerDay is Tickets over OpenDays, rounded to one decimal.
	PerDay     float64 `json:"per_day"`
	WaitingNow int     `json:"waiting_now"`
	Needed     int     `json:"needed"`
	// CertifiedNow and CertifiedIn30 are the centre's operators certified
	// for the category today and in ExpiringSoonDays days.
	CertifiedNow  int    `json:"certified_now"`
	CertifiedIn30 int    `json:"certified_in_30"`
	Status        string `json:"status"`
}

// NeededOperators returns how many certified operators a category needs
// at a centre: one for every TicketsPerOperatorDay tickets a day (rounded
// up), and at least MinCertifiedOperators if the centre offers the
// category; one for a category it does not offer but had tickets of
// (transferred ones), none without demand.
func NeededOperators(offered bool, perDay float64) int {
	n := int(math.Ceil(perDay / TicketsPerOperatorDay))
	if offered {
		return max(n, MinCertifiedOperators)
	}
	return n
}

// StaffingStatus returns the Status of a category needing needed
// operators with now certified today and later in ExpiringSoonDays days.
func StaffingStatus(needed, now, later int) string {
	switch {
	case needed == 0:
		return StaffingOK
	case now == 0:
		return StaffingNone
	case now < needed:
		return StaffingShort
	case later < needed:
		return StaffingExpiring
	}
	return StaffingOK
}

// TrainingService keeps the training of operators: courses, completions
// and the certifications they issue, the matrix of who is certified for
// what, the shortage of certified operators per centre, and the renewal
// reminders. Administrators manage courses and record completions;
// administrators, supervisors (of their centres) and auditors read.
// Other users get EFORBIDDEN, no user EUNAUTHORIZED.
type TrainingService interface {
	// FindCourses returns matching courses by code, and the total.
	FindCourses(ctx context.Context, f CourseFilter) ([]*Course, int, error)

	// FindCourseByID returns a course. ENOTFOUND if there is none.
	FindCourseByID(ctx context.Context, id int64) (*Course, error)

	// CreateCourse validates and stores c, setting ID and the times.
	// EINVALID for a bad course; ECONFLICT (field "code", code
	// "course.code_taken") for a code in use.
	CreateCourse(ctx context.Context, c *Course) error

	// UpdateCourse changes a course and returns it. ENOTFOUND if unknown;
	// EINVALID for a bad change.
	UpdateCourse(ctx context.Context, id int64, upd CourseUpdate) (*Course, error)

	// RecordCompletion validates and stores c, recorded by the acting
	// administrator, in one transaction with its certification: a passed
	// completion extends the operator's certification for the course's
	// category in force on (or starting after) CompletedOn to
	// CertificationExpiry(CompletedOn, ValidityMonths) if that is later,
	// or issues a new one from CompletedOn. It returns the certification
	// (nil for a failed completion). EINVALID (field "operator_id", code
	// "operator.unknown") for a user who is not an operator, (field
	// "course_id", code "course.unknown") for an unknown course, (field
	// "course_id", code "course.inactive") for an inactive one, (field
	// "completed_on", code "completion.future") for a day after today.
	// Nothing is written on error.
	RecordCompletion(ctx context.Context, c *Completion) (*Certification, error)

	// FindCompletions returns matching completions, newest first, and the
	// total.
	FindCompletions(ctx context.Context, f CompletionFilter) ([]*Completion, int, error)

	// CertificationMatrix returns who is certified for what today: every
	// active operator (of centreID, or of the whole network for 0) by
	// name. ENOTFOUND for an unknown centre.
	CertificationMatrix(ctx context.Context, centreID int64) (*CertificationMatrix, error)

	// Shortage returns a centre's demand over the last DemandWeeks weeks
	// and waiting now, by category, against its operators certified today
	// and in ExpiringSoonDays days. ENOTFOUND for an unknown centre.
	Shortage(ctx context.Context, centreID int64) (*CentreShortage, error)

	// RemindRenewals queues, through the notification outbox, the renewal
	// reminders due today (RenewalThresholds) to each operator and the
	// supervisors of their centres, once per certification, last day and
	// threshold however often and on however many nodes it runs, and
	// returns how many certifications it reminded of. It is the daily
	// job's work and needs no user.
	RemindRenewals(ctx context.Context) (int, error)
}
