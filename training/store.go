package training

import (
	"context"

	"github.com/dost-az/dost"
)

// Store is the storage training needs; sqlstore.TrainingStore implements
// it. Every method is one transaction: what a method writes is all
// written or none of it. Implementations are safe for concurrent use by
// many goroutines and nodes sharing one database.
type Store interface {
	// FindCourses returns matching courses by code, and the total.
	FindCourses(ctx context.Context, f dost.CourseFilter) ([]*dost.Course, int, error)

	// FindCourseByID returns a course. ENOTFOUND if there is none.
	FindCourseByID(ctx context.Context, id int64) (*dost.Course, error)

	// CreateCourse stores a (validated) course, setting ID and the times.
	// ECONFLICT (field "code", code "course.code_taken") for a code in use.
	CreateCourse(ctx context.Context, c *dost.Course) error

	// UpdateCourse applies upd (dost.Course.Apply) to a course and returns
	// it. ENOTFOUND if unknown; EINVALID for a bad change.
	UpdateCourse(ctx context.Context, id int64, upd dost.CourseUpdate) (*dost.Course, error)

	// RecordCompletion stores a (validated) completion, setting ID,
	// CreatedAt and, when it passed, CertificationID, and issues or
	// extends the certification as dost.TrainingService.RecordCompletion
	// says, returning it (nil for a failed completion). EINVALID (field
	// "operator_id", code "operator.unknown") for a user who is not an
	// operator, (field "course_id", code "course.unknown") for an
	// unknown course, (code "course.inactive") for an inactive one.
	RecordCompletion(ctx context.Context, c *dost.Completion) (*dost.Certification, error)

	// FindCompletions returns matching completions, newest first, and the
	// total.
	FindCompletions(ctx context.Context, f dost.CompletionFilter) ([]*dost.Completion, int, error)

	// FindOperators returns the active (not disabled) users with the
	// operator role, of centreID (every centre for 0), by name.
	FindOperators(ctx context.Context, centreID int64) ([]*dost.User, error)

	// FindCertificationsFrom returns the certifications of the operators
	// of centreID (every operator for 0) that end on or after day d, by
	// operator, category and start.
	FindCertificationsFrom(ctx context.Context, centreID int64, d dost.Date) ([]*dost.Certification, error)

	// Demand returns a centre's tickets by category issued on the days
	// [from, today), the number of those days on which it issued any
	// ticket, and its tickets of today waiting now by category.
	Demand(ctx context.Context, centreID int64, from, today dost.Date) (tickets map[dost.Category]int, openDays int, waiting map[dost.Category]int, err error)

	// RemindRenewals finds the certifications ending in [today, today +
	// the largest of dost.RenewalThresholds] of active operators that no
	// later certification of the operator for the category continues
	// (one starting by the day after), records for each the reminder of
	// the nearest threshold reached unless it was recorded already (for
	// that certification, last day and threshold), and stores the
	// notifications notify returns for each one it recorded, all in one
	// transaction. It returns how many it recorded.
	RemindRenewals(ctx context.Context, today dost.Date, notify func(d *Due) []*dost.Notification) (int, error)
}

// Due is a certification whose renewal reminder is due: the threshold
// reached (one of dost.RenewalThresholds) and the days left until its
// last day.
type Due struct {
	Certification *dost.Certification
	Threshold     int
	DaysLeft      int
}
