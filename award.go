package dost

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// AwardKind says whether an award pays every month or once.
type AwardKind string

// Award kinds.
const (
	AwardMonthly AwardKind = "monthly"
	AwardOneOff  AwardKind = "one_off"
)

// Programme is a benefit dost assigns: which service of the catalogue
// requests it and which variables of the rule set decide it. The
// Azerbaijani programmes are listed by programmes/az.
type Programme struct {
	Code        string    `json:"code"`         // e.g. "old_age_pension"
	ServiceCode string    `json:"service_code"` // the catalogue service, e.g. "05-01-01-00"
	Name        Text      `json:"name"`
	Entity      string    `json:"entity"` // "person" or "household": who the award is for
	Kind        AwardKind `json:"kind"`
	// Amount is the rule-set variable of the amount (money, per month for
	// monthly awards); Eligible the bool variable of the right, or "" when
	// a positive amount is the right.
	Amount   string `json:"amount"`
	Eligible string `json:"eligible,omitempty"`
	// BackPayMonths is how many months before the month of application
	// its period may start: 0 for no back pay, a negative number for no
	// limit. DurationMonths limits an award's length (0: open-ended, e.g.
	// pensions).
	BackPayMonths  int `json:"back_pay_months"`
	DurationMonths int `json:"duration_months"`
	// Offer: a newly entitled person is offered the benefit to confirm in
	// one step instead of receiving it without asking (the service's
	// assignment mode says which).
	Offer bool `json:"offer,omitempty"`
}

// ManualProgrammePrefix starts the programme code of a manual award,
// "manual:<service code>": an award a case worker entered with its
// figures when approving an application for a benefit service dost has no
// rules programme for (casework.DecideManual). Payroll pays its Amount as
// entered, in the cycles of every programme.
const ManualProgrammePrefix = "manual:"

// IsManualProgramme reports whether code is a manual award's programme.
func IsManualProgramme(code string) bool { return strings.HasPrefix(code, ManualProgrammePrefix) }

// AwardStatus is an award's state.
type AwardStatus string

// Award statuses.
const (
	AwardActive    AwardStatus = "active"
	AwardSuspended AwardStatus = "suspended"
	AwardEnded     AwardStatus = "ended"
)

// Award is an entitlement made by a decision: a person's or a household's
// programme with its amount. There is never a second award for the same
// beneficiary, programme and period (unique in storage), nor two open
// monthly awards of one programme for one beneficiary.
type Award struct {
	ID          int64  `json:"id"`
	Programme   string `json:"programme"`
	ServiceCode string `json:"service_code"`
	// The beneficiary: a person (HouseholdID 0) or a household (PersonID 0).
	PersonID    int64 `json:"person_id,omitempty"`
	HouseholdID int64 `json:"household_id,omitempty"`
	// PayeeID is the person the money goes to (the beneficiary, the mother
	// of a newborn, a household's head).
	PayeeID int64     `json:"payee_id"`
	Kind    AwardKind `json:"kind"`
	Amount  Money     `json:"amount"` // per month, or once
	// Period is the first month paid (monthly) or the month due (one-off).
	Period Month       `json:"period"`
	Start  Date        `json:"start"`
	End    Date        `json:"end,omitzero"` // last day paid; zero while open-ended
	Status AwardStatus `json:"status"`
	// StatusReason says why an award was suspended or ended ("death",
	// "end_date", "not_withdrawn", "appeal_overturned", …).
	StatusReason  string    `json:"status_reason,omitempty"`
	DecisionID    int64     `json:"decision_id"`
	ApplicationID int64     `json:"application_id"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// ReasonNotWithdrawn is the status reason of a targeted social assistance
// award suspended because its money was not withdrawn for 2 months
// (payroll.Service.SuspendNotWithdrawn).
const ReasonNotWithdrawn = "not_withdrawn"

// AwardSuspension is one period an award was suspended: from Start until
// End (zero while it lasts; the day it resumed), why, and who suspended
// and resumed it (0: dost itself) with the reason given for resuming. A
// resumed award is paid the suspended months as arrears, within its
// programme's back-pay limit.
type AwardSuspension struct {
	ID           int64     `json:"id"`
	AwardID      int64     `json:"award_id"`
	Reason       string    `json:"reason"`
	Start        Date      `json:"start"`
	End          Date      `json:"end,omitzero"`
	SuspendedBy  int64     `json:"suspended_by,omitempty"`
	ResumedBy    int64     `json:"resumed_by,omitempty"`
	ResumeReason string    `json:"resume_reason,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// DecisionOutcome is what a decision says.
type DecisionOutcome string

// Decision outcomes.
const (
	DecisionApproved DecisionOutcome = "approved"
	DecisionRefused  DecisionOutcome = "refused"
	// DecisionUpheld settles an appeal against decision AppealOf: the
	// appeal fails and that decision stands (its awards, or its refusal).
	DecisionUpheld DecisionOutcome = "upheld"
)

// Decision is the outcome of an application, with what it was computed
// from: the rule set's version, the period, the amounts and the full trace
// (JSON of rules.Trace). LetterCode is the public code that verifies the
// decision letter.
type Decision struct {
	ID             int64            `json:"id"`
	ApplicationID  int64            `json:"application_id"`
	Outcome        DecisionOutcome  `json:"outcome"`
	ReasonCode     string           `json:"reason_code,omitempty"`
	Reason         string           `json:"reason,omitempty"`
	RuleSetVersion string           `json:"rule_set_version,omitempty"`
	Period         Month            `json:"period"`
	Amounts        []DecisionAmount `json:"amounts,omitempty"`
	Trace          json.RawMessage  `json:"trace,omitempty"`
	DecidedBy      int64            `json:"decided_by,omitempty"` // 0: dost itself
	DecidedAt      time.Time        `json:"decided_at"`
	// NotifyBy is the last day to notify a refusal: 5 days after it
	// (working days if the service counts them), moved off weekends and
	// holidays.
	NotifyBy   Date   `json:"notify_by,omitzero"`
	LetterCode string `json:"letter_code"`
	Language   string `json:"language"` // of the letter: the person's
	// AppealOf is the decision whose appeal this one settles (upheld or
	// overturned); 0 for a first decision.
	AppealOf int64 `json:"appeal_of,omitempty"`
}

// DecisionAmount is one computed value a decision rests on: the
// programme's amount (and right) for one beneficiary.
type DecisionAmount struct {
	Programme   string `json:"programme"`
	Variable    string `json:"variable"`
	PersonID    int64  `json:"person_id,omitempty"`
	HouseholdID int64  `json:"household_id,omitempty"`
	Eligible    bool   `json:"eligible"`
	Amount      Money  `json:"amount"`
}

// Assessment is the rules' answer for an application before anyone decides:
// the amounts and the explanation the case worker reads.
type Assessment struct {
	ApplicationID  int64            `json:"application_id"`
	RuleSetVersion string           `json:"rule_set_version"`
	Period         Month            `json:"period"`
	Eligible       bool             `json:"eligible"`
	Amounts        []DecisionAmount `json:"amounts"`
	// NeedsReview: the rule set flags the amount (its variable
	// "<amount>_needs_review", true for the beneficiary) because the law
	// it encodes has a gap there (a value or date the sources lack); the
	// case worker checks the amount against the explanation first.
	NeedsReview bool            `json:"needs_review,omitempty"`
	Trace       json.RawMessage `json:"trace"`
}

// NeedsReviewSuffix ends the name of the bool variable a rule set may
// give a programme's amount variable: true where the amount depends on
// something its sources lack (programmes/az README, "Answers that need
// review").
const NeedsReviewSuffix = "_needs_review"

// AwardFilter selects awards; zero fields do not filter.
type AwardFilter struct {
	PersonID    int64 // as beneficiary or payee
	HouseholdID int64
	Programme   string
	Statuses    []AwardStatus
	Offset      int
	Limit       int
}

// AwardService reads awards and changes their status.
type AwardService interface {
	// FindAwardByID returns an award. ENOTFOUND if there is none.
	FindAwardByID(ctx context.Context, id int64) (*Award, error)
	// FindAwards returns matching awards, newest first, and the total count.
	FindAwards(ctx context.Context, f AwardFilter) ([]*Award, int, error)
	// FindDecisionByID returns a decision with its trace.
	FindDecisionByID(ctx context.Context, id int64) (*Decision, error)
	// FindDecisionByLetterCode returns the decision a letter's code names,
	// for the public verification page. ENOTFOUND if there is none.
	FindDecisionByLetterCode(ctx context.Context, code string) (*Decision, error)
}
