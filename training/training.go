// Package training is the service of operators' training (the "trained
// operators" of issue 5): courses per service category, completions of
// them, which issue and renew the certifications call-next filters by
// (package hall), the matrix of who is certified for what, each centre's
// shortage of certified operators against its queue's demand, and the
// renewal reminders. It implements dost.TrainingService over a Store
// (sqlstore.TrainingStore).
//
// The acting user comes from the context (dost.UserFromContext):
// administrators manage courses and record completions; administrators,
// auditors and supervisors (of their centres only) read. RemindRenewals
// is the daily job's and needs no user.
package training

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/dost-az/dost"
)

// Config is what a Service needs. Store, Centres and Users are required.
type Config struct {
	Store   Store
	Centres dost.CentreService
	// Users finds the supervisors the renewal reminders go to.
	Users dost.UserService
	// Clock tells the time; nil is the system clock.
	Clock dost.Clock
}

// Service keeps operators' training. It is safe for concurrent use;
// create it with New.
type Service struct {
	store   Store
	centres dost.CentreService
	users   dost.UserService
	clock   dost.Clock
}

var _ dost.TrainingService = (*Service)(nil)

// New returns a Service, or an error if cfg lacks a required field.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Centres == nil || cfg.Users == nil {
		return nil, errors.New("training: config needs Store, Centres and Users")
	}
	s := &Service{store: cfg.Store, centres: cfg.Centres, users: cfg.Users, clock: cfg.Clock}
	if s.clock == nil {
		s.clock = dost.SystemClock{}
	}
	return s, nil
}

// today returns the date in Baku.
func (s *Service) today() dost.Date { return dost.Today(s.clock) }

// admin returns the acting user if they are an administrator.
func admin(ctx context.Context) (*dost.User, error) {
	u := dost.UserFromContext(ctx)
	if u == nil {
		return nil, dost.Errorf(dost.EUNAUTHORIZED, "Sign in first.")
	} else if !u.HasRole(dost.RoleAdmin) {
		return nil, dost.Errorf(dost.EFORBIDDEN, "Only administrators manage training.")
	}
	return u, nil
}

// reader returns the acting user if they may read training records:
// administrators, auditors and supervisors.
func reader(ctx context.Context) (*dost.User, error) {
	u := dost.UserFromContext(ctx)
	if u == nil {
		return nil, dost.Errorf(dost.EUNAUTHORIZED, "Sign in first.")
	} else if !u.HasRole(dost.RoleAdmin) && !u.HasRole(dost.RoleAuditor) && !u.HasRole(dost.RoleSupervisor) {
		return nil, dost.Errorf(dost.EFORBIDDEN, "You may not read training records.")
	}
	return u, nil
}

// scoped returns the centre a reader may see for the centre asked
// (0: all): a supervisor scoped to centres sees only theirs, and the
// first of them when asking for all.
func scoped(u *dost.User, centreID int64) (int64, error) {
	if u.HasRole(dost.RoleAdmin) || u.HasRole(dost.RoleAuditor) || len(u.CentreIDs) == 0 {
		return centreID, nil
	}
	if centreID == 0 {
		return u.CentreIDs[0], nil
	}
	if !u.InCentre(centreID) {
		return 0, dost.Errorf(dost.EFORBIDDEN, "Centre %d is not one of yours.", centreID)
	}
	return centreID, nil
}

// FindCourses returns matching courses. Every staff member may read the
// courses; no user is EUNAUTHORIZED.
func (s *Service) FindCourses(ctx context.Context, f dost.CourseFilter) ([]*dost.Course, int, error) {
	if dost.UserFromContext(ctx) == nil {
		return nil, 0, dost.Errorf(dost.EUNAUTHORIZED, "Sign in first.")
	}
	return s.store.FindCourses(ctx, f)
}

// FindCourseByID returns a course.
func (s *Service) FindCourseByID(ctx context.Context, id int64) (*dost.Course, error) {
	if dost.UserFromContext(ctx) == nil {
		return nil, dost.Errorf(dost.EUNAUTHORIZED, "Sign in first.")
	}
	return s.store.FindCourseByID(ctx, id)
}

// CreateCourse stores a course; administrators only.
func (s *Service) CreateCourse(ctx context.Context, c *dost.Course) error {
	if _, err := admin(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	return s.store.CreateCourse(ctx, c)
}

// UpdateCourse changes a course; administrators only.
func (s *Service) UpdateCourse(ctx context.Context, id int64, upd dost.CourseUpdate) (*dost.Course, error) {
	if _, err := admin(ctx); err != nil {
		return nil, err
	}
	return s.store.UpdateCourse(ctx, id, upd)
}

// RecordCompletion stores a completion recorded by the acting
// administrator and issues or renews its certification.
func (s *Service) RecordCompletion(ctx context.Context, c *dost.Completion) (*dost.Certification, error) {
	u, err := admin(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(s.today()); err != nil {
		return nil, err
	}
	c.RecordedBy = u.ID
	return s.store.RecordCompletion(ctx, c)
}

// FindCompletions returns matching completions; a supervisor's only of
// their centres.
func (s *Service) FindCompletions(ctx context.Context, f dost.CompletionFilter) ([]*dost.Completion, int, error) {
	u, err := reader(ctx)
	if err != nil {
		return nil, 0, err
	}
	if f.CentreID, err = scoped(u, f.CentreID); err != nil {
		return nil, 0, err
	}
	return s.store.FindCompletions(ctx, f)
}

// checkCentre returns centre id (not 0). ENOTFOUND if unknown.
func (s *Service) checkCentre(ctx context.Context, id int64) (*dost.Centre, error) {
	c, err := s.centres.FindCentreByID(ctx, id)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return nil, dost.Errorf(dost.ENOTFOUND, "Centre %d does not exist.", id)
	}
	return c, err
}

// CertificationMatrix returns who is certified for what today.
func (s *Service) CertificationMatrix(ctx context.Context, centreID int64) (*dost.CertificationMatrix, error) {
	u, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if centreID, err = scoped(u, centreID); err != nil {
		return nil, err
	}
	if centreID != 0 {
		if _, err := s.checkCentre(ctx, centreID); err != nil {
			return nil, err
		}
	}
	today := s.today()
	ops, err := s.store.FindOperators(ctx, centreID)
	if err != nil {
		return nil, err
	}
	certs, err := s.store.FindCertificationsFrom(ctx, centreID, today)
	if err != nil {
		return nil, err
	}
	return Matrix(today, ops, certs), nil
}

// Matrix builds the matrix of operators ops on day from certs (those
// ending on or after day; others are ignored). A cell's ValidUntil
// follows the operator's renewals for the category while each starts by
// the day after the previous one ends.
func Matrix(day dost.Date, ops []*dost.User, certs []*dost.Certification) *dost.CertificationMatrix {
	m := &dost.CertificationMatrix{Day: day, SoonUntil: day.AddDate(0, 0, dost.ExpiringSoonDays),
		Categories: dost.Categories, Rows: []*dost.MatrixRow{}}
	type key struct {
		op  int64
		cat dost.Category
	}
	byKey := map[key][]*dost.Certification{}
	for _, c := range certs {
		if !c.ValidUntil.Before(day) {
			byKey[key{c.OperatorID, c.Category}] = append(byKey[key{c.OperatorID, c.Category}], c)
		}
	}
	for _, op := range ops {
		row := &dost.MatrixRow{OperatorID: op.ID, Name: op.Name, Username: op.Username, CentreIDs: op.CentreIDs}
		for _, cat := range dost.Categories {
			cell := &dost.MatrixCell{Category: cat}
			if c := inForce(byKey[key{op.ID, cat}], day); c != nil {
				cell.Certified, cell.CertificationID, cell.Course = true, c.ID, c.Course
				cell.ValidUntil = lastDay(byKey[key{op.ID, cat}], c)
				cell.ExpiringSoon = !cell.ValidUntil.After(m.SoonUntil)
			}
			row.Cells = append(row.Cells, cell)
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

// inForce returns the certification of list in force on day d that ends
// last, or nil.
func inForce(list []*dost.Certification, d dost.Date) *dost.Certification {
	var out *dost.Certification
	for _, c := range list {
		if c.ValidOn(d) && (out == nil || c.ValidUntil.After(out.ValidUntil)) {
			out = c
		}
	}
	return out
}

// lastDay returns the last day of the certification continuous from c:
// c's, or a later one's that starts by the day after it ends.
func lastDay(list []*dost.Certification, c *dost.Certification) dost.Date {
	end := c.ValidUntil
	for changed := true; changed; {
		changed = false
		for _, n := range list {
			if n.ValidUntil.After(end) && !n.ValidFrom.After(end.AddDate(0, 0, 1)) {
				end, changed = n.ValidUntil, true
			}
		}
	}
	return end
}

// Shortage returns a centre's demand by category against its certified
// operators.
func (s *Service) Shortage(ctx context.Context, centreID int64) (*dost.CentreShortage, error) {
	u, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if centreID == 0 {
		return nil, dost.FieldErr("centre_id", "required", "Choose a centre.")
	}
	if centreID, err = scoped(u, centreID); err != nil {
		return nil, err
	}
	centre, err := s.checkCentre(ctx, centreID)
	if err != nil {
		return nil, err
	}
	today := s.today()
	from := today.AddDate(0, 0, -7*dost.DemandWeeks)
	tickets, days, waiting, err := s.store.Demand(ctx, centreID, from, today)
	if err != nil {
		return nil, err
	}
	ops, err := s.store.FindOperators(ctx, centreID)
	if err != nil {
		return nil, err
	}
	certs, err := s.store.FindCertificationsFrom(ctx, centreID, today)
	if err != nil {
		return nil, err
	}
	offered := map[dost.Category]bool{}
	for _, code := range centre.Services {
		offered[dost.CategoryOfCode(code)] = true
	}
	return Staffing(centreID, today, from, days, len(ops), offered, tickets, waiting, certs), nil
}

// Staffing builds a centre's shortage view on day from its demand
// (tickets by category over openDays days since from, waiting now), the
// categories it offers and its operators' certifications, which must be
// of active operators of the centre.
func Staffing(centreID int64, day, from dost.Date, openDays, operators int, offered map[dost.Category]bool,
	tickets, waiting map[dost.Category]int, certs []*dost.Certification) *dost.CentreShortage {
	later := day.AddDate(0, 0, dost.ExpiringSoonDays)
	count := func(cat dost.Category, d dost.Date) int {
		var ops []int64
		for _, c := range certs {
			if c.Category == cat && c.ValidOn(d) && !slices.Contains(ops, c.OperatorID) {
				ops = append(ops, c.OperatorID)
			}
		}
		return len(ops)
	}
	out := &dost.CentreShortage{CentreID: centreID, Day: day, From: from, OpenDays: openDays, Operators: operators,
		Categories: []*dost.CategoryStaffing{}}
	for _, cat := range dost.Categories {
		if !offered[cat] && tickets[cat] == 0 && waiting[cat] == 0 {
			continue
		}
		st := &dost.CategoryStaffing{Category: cat, Offered: offered[cat], Tickets: tickets[cat], WaitingNow: waiting[cat]}
		if openDays > 0 {
			st.PerDay = math.Round(float64(st.Tickets)/float64(openDays)*10) / 10
		}
		st.Needed = dost.NeededOperators(st.Offered, st.PerDay)
		if st.Needed == 0 && st.WaitingNow > 0 {
			st.Needed = 1 // someone must serve those waiting
		}
		st.CertifiedNow, st.CertifiedIn30 = count(cat, day), count(cat, later)
		st.Status = dost.StaffingStatus(st.Needed, st.CertifiedNow, st.CertifiedIn30)
		out.Categories = append(out.Categories, st)
	}
	return out
}

// RemindRenewals queues the renewal reminders due today: an e-mail to the
// operator and to each active supervisor (with an e-mail address) of the
// operator's centres, in Azerbaijani, the default language (staff
// accounts have none). Recipients without an e-mail address are skipped;
// the reminder still counts as sent, and the matrix shows the expiry.
func (s *Service) RemindRenewals(ctx context.Context) (int, error) {
	ops, err := s.store.FindOperators(ctx, 0)
	if err != nil {
		return 0, err
	}
	byID := map[int64]*dost.User{}
	for _, u := range ops {
		byID[u.ID] = u
	}
	sup, err := s.supervisors(ctx)
	if err != nil {
		return 0, err
	}
	now := s.clock.Now()
	lang := dost.Languages[0]
	notify := func(d *Due) []*dost.Notification {
		c := d.Certification
		op := byID[c.OperatorID]
		if op == nil {
			return nil
		}
		var to []*dost.User
		if op.Email != "" {
			to = append(to, op)
		}
		for _, centre := range op.CentreIDs {
			for _, u := range sup[centre] {
				if !slices.Contains(to, u) {
					to = append(to, u)
				}
			}
		}
		subject := fmt.Sprintf(reminderSubject[lang], categoryName(lang, c.Category), c.ValidUntil)
		body := fmt.Sprintf(reminderBody[lang], op.Name, categoryName(lang, c.Category), c.ValidUntil, d.DaysLeft, c.Course)
		var out []*dost.Notification
		for _, u := range to {
			out = append(out, &dost.Notification{
				MessageID: fmt.Sprintf("cert-renewal:%d:%s:%d:user%d", c.ID, c.ValidUntil, d.Threshold, u.ID),
				UserID:    u.ID, Channel: dost.NotifyEmail, To: u.Email, Language: lang, Topic: "certification.expiring",
				Subject: subject, Body: body, Status: dost.NotificationPending, NextAttemptAt: now, CreatedAt: now,
			})
		}
		return out
	}
	n, err := s.store.RemindRenewals(ctx, s.today(), notify)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// supervisors returns the active supervisors with an e-mail address by
// the centres they are scoped to.
func (s *Service) supervisors(ctx context.Context) (map[int64][]*dost.User, error) {
	role := dost.RoleSupervisor
	out := map[int64][]*dost.User{}
	const pageSize = 500
	for offset := 0; ; offset += pageSize {
		users, total, err := s.users.FindUsers(ctx, dost.UserFilter{Role: &role, Offset: offset, Limit: pageSize})
		if err != nil {
			return nil, fmt.Errorf("find supervisors: %w", err)
		}
		for _, u := range users {
			if u.Disabled || u.Email == "" || !u.HasRole(dost.RoleSupervisor) {
				continue
			}
			for _, c := range u.CentreIDs {
				out[c] = append(out[c], u)
			}
		}
		if len(users) < pageSize || offset+len(users) >= total {
			return out, nil
		}
	}
}
