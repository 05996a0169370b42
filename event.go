package dost

import (
	"context"
	"time"
)

// LifeEventKind is the kind of a life event another registry reports.
type LifeEventKind string

// Life event kinds.
const (
	EventBirthRegistered    LifeEventKind = "birth_registered"
	EventDeathRegistered    LifeEventKind = "death_registered"
	EventDisabilityAssessed LifeEventKind = "disability_assessed"
	EventEmploymentEnded    LifeEventKind = "employment_ended"
	EventDateChanged        LifeEventKind = "date_changed" // the daily tick: people reach an age
	// EventPaymentWithdrawn: a bank reports that the money of a payment
	// was withdrawn from the payee's account (the withdrawal feed; facts
	// in Withdrawal, FIN optional: the payee's when given).
	EventPaymentWithdrawn LifeEventKind = "payment_withdrawn"
)

// LifeEventKinds lists every kind.
var LifeEventKinds = []LifeEventKind{EventBirthRegistered, EventDeathRegistered, EventDisabilityAssessed, EventEmploymentEnded, EventDateChanged,
	EventPaymentWithdrawn}

// LifeEvent is a fact reported by another registry (civil registry, the
// medical-social commission, the employment contracts system) or the daily
// date change. ID is the sender's own identifier, so an event is known by
// its Source and ID: it is processed once however many times it is sent,
// and two senders' events with one ID are two events.
type LifeEvent struct {
	ID   string        `json:"id"`
	Kind LifeEventKind `json:"kind"`
	// FIN is the person the event is about: the child born, the person who
	// died, was assessed or dismissed. Empty for date_changed.
	FIN  FIN  `json:"fin,omitempty"`
	Date Date `json:"date"` // when it happened (the new date for date_changed)

	Birth      *BirthFacts      `json:"birth,omitempty"`
	Disability *DisabilityFacts `json:"disability,omitempty"`
	Employment *EmploymentFacts `json:"employment,omitempty"`
	Withdrawal *WithdrawalFacts `json:"withdrawal,omitempty"`

	Source      string            `json:"source,omitempty"` // the sending system (its API token's user)
	Status      LifeEventStatus   `json:"status"`
	Outcome     []LifeEventEffect `json:"outcome,omitempty"`
	Error       string            `json:"error,omitempty"`
	ReceivedAt  time.Time         `json:"received_at"`
	ProcessedAt *time.Time        `json:"processed_at,omitempty"`
	// ContentHash is the SHA-256 of the event's content (kind, FIN, date
	// and facts) as stored, which a repeat must match; empty for an event
	// stored before it was recorded.
	ContentHash string `json:"-"`
}

// BirthFacts are a registered birth's details: the child (FIN in the
// event), names, sex, and the parents' FINs; the child joins the mother's
// household (or the father's).
type BirthFacts struct {
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Patronymic string `json:"patronymic,omitempty"`
	Sex        Sex    `json:"sex"`
	MotherFIN  FIN    `json:"mother_fin,omitempty"`
	FatherFIN  FIN    `json:"father_fin,omitempty"`
	Stillborn  bool   `json:"stillborn,omitempty"`
}

// DisabilityFacts are an assessment's result.
type DisabilityFacts struct {
	Degree DisabilityDegree `json:"degree"`
	Cause  DisabilityCause  `json:"cause"`
	Until  Date             `json:"until,omitzero"` // zero: indefinite
}

// DismissalReason is why employment ended.
type DismissalReason string

// Dismissal reasons (the rule set's dismissal_reason values).
const (
	DismissalLiquidation DismissalReason = "liquidation"
	DismissalStaffCut    DismissalReason = "staff_cut"
	DismissalContractEnd DismissalReason = "contract_end"
	DismissalVoluntary   DismissalReason = "voluntary"
	DismissalOther       DismissalReason = "other"
)

// EmploymentFacts are the end of an employment.
type EmploymentFacts struct {
	Reason      DismissalReason `json:"reason"`
	EmployerTIN string          `json:"employer_tin,omitempty"`
}

// WithdrawalFacts name the payment whose money was withdrawn (the event's
// Date is the day of the withdrawal): its reference, the end-to-end ID of
// the bank file (e.g. "DOST-1234-202611").
type WithdrawalFacts struct {
	Reference string `json:"reference"`
}

// LifeEventStatus is where an event is in its processing.
type LifeEventStatus string

// Life event statuses.
const (
	EventReceived  LifeEventStatus = "received"
	EventProcessed LifeEventStatus = "processed"
	EventFailed    LifeEventStatus = "failed" // Error says why; retried by the job
)

// LifeEventEffect is one thing an event caused: an award made or ended, an
// offer sent, a person added to the registry.
type LifeEventEffect struct {
	Kind        string `json:"kind"` // "award_made", "award_ended", "offer_sent", "person_added", "person_deceased", "assessment_recorded"
	PersonID    int64  `json:"person_id,omitempty"`
	HouseholdID int64  `json:"household_id,omitempty"`
	Programme   string `json:"programme,omitempty"`
	AwardID     int64  `json:"award_id,omitempty"`
	OfferID     int64  `json:"offer_id,omitempty"`
	// ApplicationID names an application the event changed (withdrawn
	// because its applicant died).
	ApplicationID int64 `json:"application_id,omitempty"`
}

// OfferStatus is where a proactive offer is.
type OfferStatus string

// Offer statuses.
const (
	OfferSent     OfferStatus = "sent"
	OfferAccepted OfferStatus = "accepted"
	OfferDeclined OfferStatus = "declined"
	OfferExpired  OfferStatus = "expired"
)

// Offer is a benefit dost found a person entitled to and offers to confirm
// in one step (for services assigned on application). Accepting submits an
// application on the proactive channel. One offer per person, programme
// and period.
type Offer struct {
	ID            int64       `json:"id"`
	PersonID      int64       `json:"person_id"`
	HouseholdID   int64       `json:"household_id,omitempty"`
	Programme     string      `json:"programme"`
	ServiceCode   string      `json:"service_code"`
	Period        Month       `json:"period"`
	Amount        Money       `json:"amount"` // as computed when offered
	Status        OfferStatus `json:"status"`
	ApplicationID int64       `json:"application_id,omitempty"` // once accepted
	ExpiresOn     Date        `json:"expires_on"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
}

// EventService receives life events and runs what follows from them.
type EventService interface {
	// ReceiveEvent validates and stores an event of the user in the
	// context (its Source) and processes it. Idempotent by source and ID:
	// a repeat with the same content returns the stored event and
	// created=false, changing nothing; ECONFLICT for a repeat with other
	// content. EINVALID for an unknown kind, a missing or unknown FIN
	// (except the child of a birth), bad facts.
	ReceiveEvent(ctx context.Context, e *LifeEvent) (stored *LifeEvent, created bool, err error)
	// FindEventByID returns the stored event id of source. A registry
	// account reads only its own events (source empty or its username);
	// supervisors, admins and auditors read any, and may leave source
	// empty when one sender used id. ENOTFOUND if there is none (or it is
	// another sender's); EINVALID naming "source" when source is empty and
	// several senders used id.
	FindEventByID(ctx context.Context, source, id string) (*LifeEvent, error)
}

// OfferService lists offers and answers them.
type OfferService interface {
	// FindOffers returns a person's offers, newest first.
	FindOffers(ctx context.Context, personID int64) ([]*Offer, error)
	// AnswerOffer accepts (submitting an application) or declines a sent
	// offer. ECONFLICT if it is no longer open.
	AnswerOffer(ctx context.Context, id int64, accept bool) (*Offer, error)
}
