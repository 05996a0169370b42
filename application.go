package dost

import (
	"context"
	"time"
)

// ApplicationChannel is how an application reached dost.
type ApplicationChannel string

// Application channels.
const (
	ApplicationAtCentre     ApplicationChannel = "centre"      // at a window, by an operator
	ApplicationOnline       ApplicationChannel = "portal"      // by the citizen, online
	ApplicationByCallCentre ApplicationChannel = "call_centre" // by the call centre
	ApplicationProactive    ApplicationChannel = "proactive"   // by dost itself, from a life event or a scan
)

// ValidApplicationChannel reports whether c is a known channel.
func ValidApplicationChannel(c ApplicationChannel) bool {
	switch c {
	case ApplicationAtCentre, ApplicationOnline, ApplicationByCallCentre, ApplicationProactive:
		return true
	}
	return false
}

// ApplicationStatus is where an application is in its life.
//
//	submitted → in_review → (information_requested ⇄ in_review) → approved | refused
//	approved | refused → appealed → upheld | overturned
//	approved | refused | upheld | overturned → closed
//	submitted | in_review | information_requested → withdrawn
type ApplicationStatus string

// Application statuses.
const (
	ApplicationSubmitted            ApplicationStatus = "submitted"
	ApplicationInReview             ApplicationStatus = "in_review"
	ApplicationInformationRequested ApplicationStatus = "information_requested"
	ApplicationApproved             ApplicationStatus = "approved"
	ApplicationRefused              ApplicationStatus = "refused"
	ApplicationAppealed             ApplicationStatus = "appealed"
	ApplicationUpheld               ApplicationStatus = "upheld"
	ApplicationOverturned           ApplicationStatus = "overturned"
	ApplicationClosed               ApplicationStatus = "closed"
	ApplicationWithdrawn            ApplicationStatus = "withdrawn"
)

// ApplicationStatuses lists every status in the order of the life of an
// application.
var ApplicationStatuses = []ApplicationStatus{
	ApplicationSubmitted, ApplicationInReview, ApplicationInformationRequested,
	ApplicationApproved, ApplicationRefused, ApplicationAppealed, ApplicationUpheld,
	ApplicationOverturned, ApplicationClosed, ApplicationWithdrawn,
}

// Open reports whether an application in status s still awaits its first
// decision: its deadline runs and it may be withdrawn.
func (s ApplicationStatus) Open() bool {
	return s == ApplicationSubmitted || s == ApplicationInReview || s == ApplicationInformationRequested
}

// ApplicationAction moves an application from one status to another.
type ApplicationAction string

// Application actions.
const (
	ActionReview             ApplicationAction = "review"              // a case worker takes it up
	ActionRequestInformation ApplicationAction = "request_information" // ask the applicant for more
	ActionProvideInformation ApplicationAction = "provide_information" // the applicant answered
	ActionApprove            ApplicationAction = "approve"             // decide: yes (an award is made)
	ActionRefuse             ApplicationAction = "refuse"              // decide: no, with a reason
	ActionAppeal             ApplicationAction = "appeal"              // the applicant contests the decision
	ActionUphold             ApplicationAction = "uphold"              // the appeal fails
	ActionOverturn           ApplicationAction = "overturn"            // the appeal succeeds
	ActionClose              ApplicationAction = "close"               // nothing more to do
	ActionWithdraw           ApplicationAction = "withdraw"            // the applicant gives up
)

type transitionRule struct {
	from []ApplicationStatus
	to   ApplicationStatus
}

// applicationTransitions is the state machine of an application.
var applicationTransitions = map[ApplicationAction]transitionRule{
	ActionReview:             {[]ApplicationStatus{ApplicationSubmitted}, ApplicationInReview},
	ActionRequestInformation: {[]ApplicationStatus{ApplicationInReview}, ApplicationInformationRequested},
	ActionProvideInformation: {[]ApplicationStatus{ApplicationInformationRequested}, ApplicationInReview},
	ActionApprove:            {[]ApplicationStatus{ApplicationInReview}, ApplicationApproved},
	ActionRefuse:             {[]ApplicationStatus{ApplicationInReview}, ApplicationRefused},
	ActionAppeal:             {[]ApplicationStatus{ApplicationApproved, ApplicationRefused}, ApplicationAppealed},
	ActionUphold:             {[]ApplicationStatus{ApplicationAppealed}, ApplicationUpheld},
	ActionOverturn:           {[]ApplicationStatus{ApplicationAppealed}, ApplicationOverturned},
	ActionClose:              {[]ApplicationStatus{ApplicationApproved, ApplicationRefused, ApplicationUpheld, ApplicationOverturned}, ApplicationClosed},
	ActionWithdraw:           {[]ApplicationStatus{ApplicationSubmitted, ApplicationInReview, ApplicationInformationRequested}, ApplicationWithdrawn},
}

// ApplicationActions lists every action.
var ApplicationActions = []ApplicationAction{
	ActionReview, ActionRequestInformation, ActionProvideInformation, ActionApprove, ActionRefuse,
	ActionAppeal, ActionUphold, ActionOverturn, ActionClose, ActionWithdraw,
}

// NextStatus returns the status action leads to from status from. Errors:
// EINVALID for an unknown action, ECONFLICT when the action is not allowed
// from that status (e.g. approving a withdrawn application).
func NextStatus(from ApplicationStatus, action ApplicationAction) (ApplicationStatus, error) {
	r, ok := applicationTransitions[action]
	if !ok {
		return "", &Error{Code: EINVALID, Message: "Unknown action.", Fields: []FieldError{
			{Field: "action", Code: "application_action.unknown", Message: "Unknown action " + string(action) + "."}}}
	}
	for _, s := range r.from {
		if s == from {
			return r.to, nil
		}
	}
	return "", &Error{Code: ECONFLICT, Message: "An application that is " + string(from) + " cannot be given the action " + string(action) + ".",
		Fields: []FieldError{{Field: "action", Code: "application_action.not_allowed", Message: "Not allowed from status " + string(from) + "."}}}
}

// AllowedActions returns the actions allowed from status s, in the order of
// ApplicationActions.
func AllowedActions(s ApplicationStatus) []ApplicationAction {
	var out []ApplicationAction
	for _, a := range ApplicationActions {
		if _, err := NextStatus(s, a); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// Application is a request by or for a person for one service of the
// catalogue. Its deadline is computed from the service's passport when it
// is submitted; Transitions is its history, oldest first.
type Application struct {
	ID          int64              `json:"id"`
	Number      string             `json:"number"` // e.g. "A-2026-0000042", unique
	PersonID    int64              `json:"person_id"`
	FIN         FIN                `json:"fin"`
	HouseholdID int64              `json:"household_id,omitempty"` // the person's household when submitted
	ServiceCode string             `json:"service_code"`
	CentreID    int64              `json:"centre_id,omitempty"` // the centre that handles it
	Channel     ApplicationChannel `json:"channel"`
	Status      ApplicationStatus  `json:"status"`
	// Period is the month the application asks the benefit from (the
	// month it was submitted unless said otherwise).
	Period Month `json:"period"`
	// Deadline is the last day for the decision; LateSince is set by the
	// deadline job (to the time it found it passed) once it has passed
	// without one.
	Deadline    Date       `json:"deadline"`
	LateSince   *time.Time `json:"late_since,omitempty"`
	AssigneeID  int64      `json:"assignee_id,omitempty"` // the case worker, 0 if nobody yet
	SubmittedBy int64      `json:"submitted_by,omitempty"`
	SubmittedAt time.Time  `json:"submitted_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// IdempotencyKey makes submitting idempotent: a second submission with
	// the same key (by the same submitter) returns the first application.
	IdempotencyKey string `json:"-"`
	// SubmissionHash identifies what the submission asked for (see
	// casework.SubmitApplication): a second submission with the same
	// IdempotencyKey but another hash is refused (ECONFLICT
	// "idempotency.mismatch"). "" when not known: then it is not compared.
	SubmissionHash string                 `json:"-"`
	Note           string                 `json:"note,omitempty"` // the applicant's or operator's remark
	Documents      []*ApplicationDocument `json:"documents,omitempty"`
	Transitions    []*Transition          `json:"transitions,omitempty"`
	DecisionID     int64                  `json:"decision_id,omitempty"` // the latest decision
}

// Transition is one step of an application's history: who moved it from
// which status to which, when and why.
type Transition struct {
	ID            int64             `json:"id"`
	ApplicationID int64             `json:"application_id"`
	Action        ApplicationAction `json:"action"`
	From          ApplicationStatus `json:"from,omitempty"` // "" for the submission
	To            ApplicationStatus `json:"to"`
	ActorID       int64             `json:"actor_id,omitempty"` // 0: dost itself
	ActorName     string            `json:"actor_name,omitempty"`
	ReasonCode    string            `json:"reason_code,omitempty"` // a refusal reason of the passport, …
	Reason        string            `json:"reason,omitempty"`      // free text
	At            time.Time         `json:"at"`
}

// ApplicationDocument is a document attached to an application: an uploaded
// file (stored in a FileStore under StorageKey) or, at a window, an original
// the operator has seen (Presented, no file).
type ApplicationDocument struct {
	ID            int64     `json:"id"`
	ApplicationID int64     `json:"application_id"`
	Code          string    `json:"code"` // a document code of the service passport, e.g. "id_card"
	Presented     bool      `json:"presented,omitempty"`
	FileName      string    `json:"file_name,omitempty"`
	ContentType   string    `json:"content_type,omitempty"` // as sniffed from the content
	Size          int64     `json:"size,omitempty"`
	SHA256        string    `json:"sha256,omitempty"`
	StorageKey    string    `json:"-"`
	UploadedBy    int64     `json:"uploaded_by,omitempty"`
	UploadedAt    time.Time `json:"uploaded_at"`
}

// MaxDocumentSize is the largest file accepted as a document (10 MiB).
const MaxDocumentSize = 10 << 20

// DocumentContentTypes are the content types accepted for documents, as
// sniffed from the first bytes (never as claimed by the client).
var DocumentContentTypes = []string{"application/pdf", "image/jpeg", "image/png"}

// ApplicationFilter selects applications; zero fields do not filter.
type ApplicationFilter struct {
	PersonID    int64
	HouseholdID int64
	ServiceCode string
	// ServiceCodes: any of (with ServiceCode too, both must hold); an
	// empty non-nil list selects nothing.
	ServiceCodes []string
	CentreIDs    []int64 // any of
	Statuses     []ApplicationStatus
	AssigneeID   int64
	Late         *bool
	// Queue orders by deadline (oldest first) instead of by submission
	// (newest first): the case worker's work queue.
	Queue  bool
	Offset int
	Limit  int
}

// NewApplication is what a submission carries.
type NewApplication struct {
	FIN         FIN                `json:"fin"`
	ServiceCode string             `json:"service_code"`
	CentreID    int64              `json:"centre_id,omitempty"`
	Channel     ApplicationChannel `json:"channel"`
	Period      Month              `json:"period,omitzero"` // default: the month of submission
	Note        string             `json:"note,omitempty"`
	// Documents are attached in the same transaction; a required document
	// of the passport that is neither uploaded nor presented is an error.
	Documents      []NewDocument `json:"documents,omitempty"`
	IdempotencyKey string        `json:"-"`
}

// NewDocument is a document given with a submission or later: a file's
// content, or Presented for an original seen at a window.
type NewDocument struct {
	Code      string `json:"code"`
	Presented bool   `json:"presented,omitempty"`
	FileName  string `json:"file_name,omitempty"`
	// ContentType is the type the client declared for the file (a
	// multipart part's Content-Type), "" if none. It is never believed:
	// the content is sniffed, and a file whose name's extension or
	// declared type says otherwise is refused (file.type_mismatch).
	ContentType string `json:"-"`
	Content     []byte `json:"-"`
}

// TransitionRequest asks for an action on an application.
type TransitionRequest struct {
	Action     ApplicationAction `json:"action"`
	ReasonCode string            `json:"reason_code,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	// Overturn of a refusal approves: the new decision's amounts are
	// computed as for ActionApprove.
}

// ApplicationService opens applications, moves them through their states
// and decides them. The acting user comes from the context
// (UserFromContext); nil means dost itself (proactive work, jobs).
type ApplicationService interface {
	// SubmitApplication validates and stores a new application with its
	// documents, computes its deadline and records the submission.
	// Idempotent: with a non-empty IdempotencyKey already used by the same
	// submitter for the same submission it returns the first application
	// and created=false, and changes nothing; used for a different
	// submission it is ECONFLICT (field "idempotency_key", code
	// "idempotency.mismatch"). Errors: EINVALID (unknown service, person or
	// centre, a channel the passport does not allow, missing required
	// documents, a file of the wrong type or size, or not what it claims),
	// nothing stored.
	SubmitApplication(ctx context.Context, a *NewApplication) (app *Application, created bool, err error)

	// FindApplicationByID returns an application with its documents and
	// transitions. ENOTFOUND if there is none (or the user may not see it).
	FindApplicationByID(ctx context.Context, id int64) (*Application, error)

	// FindApplications returns matching applications (without documents and
	// transitions) and the total count.
	FindApplications(ctx context.Context, f ApplicationFilter) ([]*Application, int, error)

	// Assign gives the application to a case worker (0 to unassign).
	Assign(ctx context.Context, id, assigneeID int64) (*Application, error)

	// Act applies an action other than approve/refuse (use Decide for
	// those). ECONFLICT when the status does not allow it or changed
	// meanwhile; EINVALID for a missing reason where one is required
	// (request_information, uphold, appeal, close by staff, withdraw by
	// staff on the applicant's behalf; a citizen withdrawing their own
	// application may omit it).
	Act(ctx context.Context, id int64, r TransitionRequest) (*Application, error)

	// Assess runs the rules for the application's period without deciding:
	// what the case worker reads before deciding.
	Assess(ctx context.Context, id int64) (*Assessment, error)

	// Decide approves or refuses an application in review (or overturns an
	// appealed refusal): it runs the rules, stores the decision with the
	// rule-set version, amounts and trace, and on approval makes the
	// award(s), all in one transaction with the transition and the
	// notifications. EFORBIDDEN when the user decides their own or a
	// household member's application, or is staff whose account is linked
	// to no person (User.PersonID nil), so that this cannot be checked;
	// EINVALID for a refusal without a reason of the passport's list.
	Decide(ctx context.Context, id int64, r TransitionRequest) (*Decision, error)

	// AddDocument attaches a document to an open application.
	AddDocument(ctx context.Context, id int64, d NewDocument) (*ApplicationDocument, error)

	// OpenDocument returns a document's record and content.
	OpenDocument(ctx context.Context, applicationID, documentID int64) (*ApplicationDocument, []byte, error)
}

// DeadlineCounts are a service's applications decided (or still open) on
// time and late, for the supervisor.
type DeadlineCounts struct {
	ServiceCode string `json:"service_code"`
	OnTime      int    `json:"on_time"`
	Late        int    `json:"late"`
	OpenOnTime  int    `json:"open_on_time"`
	OpenLate    int    `json:"open_late"`
}
