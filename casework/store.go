package casework

import (
	"context"
	"time"

	"github.com/dost-az/dost"
)

// Store is the storage casework needs; sqlstore.CaseStore implements it.
// Every method is one transaction: what it writes is all written or none
// of it. Implementations are safe for concurrent use by many goroutines
// and many nodes sharing one database.
type Store interface {
	// CreateApplication stores a (its Status and Transitions set by the
	// caller, at least the submission), its documents and effects in one
	// transaction, and sets a.ID, a.Number ("A-<year>-<id, 7 digits>"),
	// the IDs of the transitions and documents, and effects' IDs.
	//
	// Idempotent: if a.IdempotencyKey is not empty and an application with
	// the same (SubmittedBy, IdempotencyKey) exists, it returns that one
	// (with documents and transitions) and created=false, writing nothing;
	// but if both have a SubmissionHash and they differ (the key was used
	// for another submission) it is ECONFLICT with field
	// "idempotency_key", code "idempotency.mismatch". Two concurrent calls
	// with one key store one application: the loser of the race gets the
	// winner's (or that ECONFLICT). ECONFLICT when an effect breaks a
	// uniqueness rule (a second award for the same beneficiary, programme
	// and period; an open monthly award already there); nothing is stored.
	CreateApplication(ctx context.Context, a *dost.Application, docs []*dost.ApplicationDocument, effects *Effects) (stored *dost.Application, created bool, err error)

	// FindApplicationByID returns an application with its documents and
	// transitions (oldest first). ENOTFOUND if there is none.
	FindApplicationByID(ctx context.Context, id int64) (*dost.Application, error)

	// FindApplications returns matching applications without documents and
	// transitions, and the total count (before Offset and Limit).
	FindApplications(ctx context.Context, f dost.ApplicationFilter) ([]*dost.Application, int, error)

	// Transition moves application t.ApplicationID from status t.From to
	// t.To, records t (setting its ID) and applies effects, in one
	// transaction. ECONFLICT when the application's status is no longer
	// t.From (another case worker was faster) or an effect breaks a
	// uniqueness rule; nothing is stored then. ENOTFOUND for an unknown
	// application.
	Transition(ctx context.Context, t *dost.Transition, effects *Effects) error

	// Assign sets the application's assignee (0: nobody). ENOTFOUND for an
	// unknown application.
	Assign(ctx context.Context, applicationID, assigneeID int64) error

	// AddDocument stores d (setting its ID) if the application is open
	// (submitted, in review or information requested). ECONFLICT if not.
	AddDocument(ctx context.Context, d *dost.ApplicationDocument) error

	// FindDocument returns one document of an application. ENOTFOUND if
	// there is none.
	FindDocument(ctx context.Context, applicationID, documentID int64) (*dost.ApplicationDocument, error)

	// MarkLate sets LateSince to now on every open application whose
	// deadline is before today and that is not late yet, and on every
	// refused application not late yet whose refusal (its latest
	// decision, outcome refused) has NotifyBy before today and was not
	// delivered by then: no notification of topic "decision.refused"
	// for it in the outbox has status sent with SentAt on or before
	// NotifyBy (Baku's date). That is the outbox's word, the only record
	// of delivery dost has: a refusal told only by a letter handed over
	// counts as not delivered, and one whose applicant has no phone or
	// e-mail is always late, for the supervisor to see to. An application
	// already late when it was refused is not marked again. It writes one
	// notification per application from notify (which may return nil)
	// and returns those applications. Safe to run on several nodes at
	// once: an application is marked (and notified) once.
	MarkLate(ctx context.Context, today dost.Date, now time.Time, notify func(*dost.Application) []*dost.Notification) ([]*dost.Application, error)

	// DeadlineCounts counts, per service, the applications submitted in
	// [from, to] of the given centres (all if empty): decided on time or
	// late, and open on time or late as of today.
	DeadlineCounts(ctx context.Context, centreIDs []int64, from, to, today dost.Date) ([]dost.DeadlineCounts, error)

	// HouseholdOf returns the ID of the household the person is a member
	// of, 0 when none (or no such person): one indexed read, where
	// dost.HouseholdService.FindHouseholds reads the whole household.
	HouseholdOf(ctx context.Context, personID int64) (int64, error)

	// FindAwards, FindAwardByID, FindDecisionByID and
	// FindDecisionByLetterCode read awards and decisions.
	dost.AwardService

	// FindNotifications reads the outbox.
	dost.NotificationService

	// Holidays keeps the holiday calendar.
	dost.HolidayService
}

// Effects are what a transition or a submission causes besides itself,
// written in its transaction.
type Effects struct {
	// Decision is inserted (its ID, and the application's DecisionID, are
	// set); the Awards below get its ID as DecisionID.
	Decision *dost.Decision
	// Awards are inserted (IDs set). A second award for the same
	// beneficiary, programme and period, a second open monthly award
	// of a programme for one beneficiary, or a monthly award whose days
	// overlap those of another of its programme and beneficiary (ended
	// ones too), is ECONFLICT.
	Awards []*dost.Award
	// EndAwards ends (or suspends) existing awards.
	EndAwards []AwardChange
	// Notifications go into the outbox (IDs set); a MessageID already
	// there is skipped, not an error.
	Notifications []*dost.Notification
}

// AwardChange changes an award's status: ended with an end date, or
// suspended; Reason is stored as the award's StatusReason.
type AwardChange struct {
	AwardID int64
	Status  dost.AwardStatus
	End     dost.Date // for AwardEnded: the last day paid
	Reason  string
}
