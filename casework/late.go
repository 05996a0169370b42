package casework

import (
	"context"
	"fmt"
	"slices"

	"github.com/dost-az/dost"
)

// MarkLate is the body of the deadline job: it marks as late (once: a
// second run, or a run on another node at the same time, marks nothing
// twice) every application still awaiting its first decision after its
// deadline, and every refused application whose refusal was not delivered
// to the applicant by its NotifyBy (RefusalNoticeDays; see
// Store.MarkLate for what counts as delivered), and escalates each to the
// supervisors of its centre by e-mail, in the outbox in the same
// transaction. Late refusals then count as decided late in DeadlineCounts
// and are found with ApplicationFilter.Late. The recipients are the active
// supervisors with an e-mail address scoped to the application's centre;
// when there are none (or the application has no centre, as online and
// proactive ones may not), the supervisors of the whole network (no
// centre scope). It returns how many applications it marked.
func (s *Service) MarkLate(ctx context.Context) (int, error) {
	sup, err := s.supervisors(ctx)
	if err != nil {
		return 0, err
	}
	names, err := s.serviceNames(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	today := dost.DateOf(now.In(dost.Baku))
	lang := dost.Languages[0] // staff accounts have no language: the default
	notify := func(a *dost.Application) []*dost.Notification {
		to := sup[a.CentreID]
		if len(to) == 0 {
			to = sup[0]
		}
		id, topic := "late:%d:user%d", "application.late"
		subject := say(lang, "late.subject", a.Number)
		body := say(lang, "late.body", a.Number, a.ServiceCode, names[a.ServiceCode].In(lang), a.Deadline.String())
		if !a.Status.Open() { // a refusal not delivered in time
			id, topic = "notice-late:%d:user%d", "refusal.notice_late"
			subject = say(lang, "notice_late.subject", a.Number)
			body = say(lang, "notice_late.body", a.Number, a.ServiceCode, names[a.ServiceCode].In(lang), RefusalNoticeDays)
		}
		var out []*dost.Notification
		for _, u := range to {
			out = append(out, &dost.Notification{
				MessageID: fmt.Sprintf(id, a.ID, u.ID), UserID: u.ID,
				Channel: dost.NotifyEmail, To: u.Email, Language: lang, Topic: topic,
				Subject: subject, Body: body,
				Status: dost.NotificationPending, NextAttemptAt: now, CreatedAt: now,
			})
		}
		return out
	}
	apps, err := s.store.MarkLate(ctx, today, now, notify)
	if err != nil {
		return 0, fmt.Errorf("mark late applications: %w", err)
	}
	return len(apps), nil
}

// supervisors returns the active supervisors with an e-mail address by the
// centres they are scoped to; those of the whole network under 0.
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
			if len(u.CentreIDs) == 0 {
				out[0] = append(out[0], u)
			}
			for _, c := range u.CentreIDs {
				if !slices.Contains(out[c], u) {
					out[c] = append(out[c], u)
				}
			}
		}
		if len(users) < pageSize || offset+len(users) >= total {
			return out, nil
		}
	}
}

// serviceNames returns the name of every catalogue service by its code.
func (s *Service) serviceNames(ctx context.Context) (map[string]dost.Text, error) {
	svcs, _, err := s.catalogue.FindServices(ctx, dost.ServiceFilter{})
	if err != nil {
		return nil, fmt.Errorf("find services: %w", err)
	}
	out := make(map[string]dost.Text, len(svcs))
	for _, svc := range svcs {
		out[svc.Code] = svc.Name
	}
	return out, nil
}
