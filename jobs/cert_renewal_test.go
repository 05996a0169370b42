package jobs_test

import (
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/training"
)

// TestCertRenewal runs cert_renewal over the training service: at start
// it queues the reminder of a certification ending in 20 days to its
// operator and the supervisor of the operator's centre, by e-mail, and a
// second run (as on another node) queues nothing more.
func TestCertRenewal(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		centres, users := sqlstore.NewCentreService(db), sqlstore.NewUserService(db)
		c := &dost.Centre{Code: "renew", Name: dost.Text{AZ: "Mərkəz", EN: "Centre", RU: "Центр"}, Region: "Baku",
			District: "Nizami", Timezone: "Asia/Baku"}
		ok(t, centres.CreateCentre(ctx, c))
		op := &dost.User{Username: "op-renew", Name: "Aysel", Email: "op@dost.test", Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{c.ID}}
		sup := &dost.User{Username: "sup", Name: "Rauf", Email: "sup@dost.test", Roles: []dost.Role{dost.RoleSupervisor}, CentreIDs: []int64{c.ID}}
		other := &dost.User{Username: "sup2", Name: "Elsewhere", Email: "sup2@dost.test", Roles: []dost.Role{dost.RoleSupervisor}}
		for _, u := range []*dost.User{op, sup, other} {
			ok(t, users.CreateUser(ctx, u, ""))
		}
		today := dost.Today(db.Clock())
		hs := sqlstore.NewHallStore(db)
		ok(t, hs.CreateCertification(ctx, &dost.Certification{OperatorID: op.ID, Category: dost.CategoryDisability,
			ValidFrom: today.AddDate(-1, 0, 0), ValidUntil: today.AddDate(0, 0, 20), Course: "FO-03"}))
		svc, err := training.New(training.Config{Store: sqlstore.NewTrainingStore(db), Centres: centres, Users: users, Clock: db.Clock()})
		ok(t, err)

		cfg := config(t, db)
		cfg.Outbox = nil
		cfg.RemindCertifications = svc.RemindRenewals
		start(t, cfg)
		cases := sqlstore.NewCaseStore(db)
		var ns []*dost.Notification
		eventually(t, "the reminders queued", func() bool {
			ns, _, err = cases.FindNotifications(ctx, dost.NotificationFilter{Topic: "certification.expiring"})
			return err == nil && len(ns) == 2
		})
		to := map[string]bool{}
		for _, n := range ns {
			to[n.To] = true
			if n.Channel != dost.NotifyEmail || n.Language != "az" || n.Subject == "" {
				t.Errorf("reminder %+v", n)
			}
		}
		if !to["op@dost.test"] || !to["sup@dost.test"] {
			t.Fatalf("reminders to %v, want the operator and their centre's supervisor", to)
		}
		eventually(t, "the job completed", func() bool { return jobsOf(t, db, "cert_renewal", "completed") == 1 })
		n, err := svc.RemindRenewals(ctx)
		ok(t, err)
		if n != 0 {
			t.Fatalf("a second run reminded %d, want 0", n)
		}
		if ns, _, _ = cases.FindNotifications(ctx, dost.NotificationFilter{Topic: "certification.expiring"}); len(ns) != 2 {
			t.Fatalf("%d reminders after a second run, want 2", len(ns))
		}
	})
}
