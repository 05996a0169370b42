package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/training"
)

// trainingSetup makes a centre offering the pension service, an operator
// of it and an inactive course besides an active pensions course valid
// for 12 months.
type trainingFixture struct {
	ts        *sqlstore.TrainingStore
	hs        *sqlstore.HallStore
	centre    *dost.Centre
	op, clerk *dost.User
	course    *dost.Course
	old       *dost.Course
	clock     *dosttest.FixedClock
	today     dost.Date
}

func newTrainingFixture(t *testing.T, db *sqlstore.DB) *trainingFixture {
	t.Helper()
	f := &trainingFixture{ts: sqlstore.NewTrainingStore(db), hs: sqlstore.NewHallStore(db), clock: dosttest.ClockOf(t, db)}
	f.today = dost.DateOf(f.clock.Now().In(dost.Baku))
	svc := service("05-04-02-00", "Old-age pension", dost.ModeProactive, dost.ChannelInPerson)
	ok(t, sqlstore.NewCatalogueService(db).SaveService(ctx, svc))
	f.centre = centre("train", svc.Code)
	ok(t, sqlstore.NewCentreService(db).CreateCentre(ctx, f.centre))
	users := sqlstore.NewUserService(db)
	f.op = &dost.User{Username: "op1", Name: "Aysel Operator", Email: "op1@dost.test", Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{f.centre.ID}}
	ok(t, users.CreateUser(ctx, f.op, ""))
	f.clerk = &dost.User{Username: "cw1", Roles: []dost.Role{dost.RoleCaseWorker}, CentreIDs: []int64{f.centre.ID}}
	ok(t, users.CreateUser(ctx, f.clerk, ""))
	f.course = &dost.Course{Code: "FO-05", Category: dost.CategoryPensionsBenefits, Title: dost.Text{AZ: "Pensiyalar", EN: "Pensions", RU: "Пенсии"},
		Hours: 16, ValidityMonths: 12, Active: true}
	ok(t, f.ts.CreateCourse(ctx, f.course))
	f.old = &dost.Course{Code: "OLD-1", Category: dost.CategoryDisability, Title: dost.Text{AZ: "Köhnə", EN: "Old", RU: "Старый"},
		Hours: 8, ValidityMonths: 6, Active: false}
	ok(t, f.ts.CreateCourse(ctx, f.old))
	return f
}

// state returns the completions and certifications stored.
func (f *trainingFixture) state(t *testing.T) (int, int) {
	t.Helper()
	_, nc, err := f.ts.FindCompletions(ctx, dost.CompletionFilter{})
	ok(t, err)
	_, ncert, err := f.hs.FindCertifications(ctx, dost.CertificationFilter{})
	ok(t, err)
	return nc, ncert
}

func TestTrainingStore_Courses(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newTrainingFixture(t, db)
		t.Run("ErrCodeTaken", func(t *testing.T) {
			c := *f.course
			c.ID = 0
			err := f.ts.CreateCourse(ctx, &c)
			mustCode(t, err, dost.ECONFLICT)
			if fe := dost.ErrorFields(err); len(fe) != 1 || fe[0].Code != "course.code_taken" {
				t.Errorf("field errors %+v, want course.code_taken", fe)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			err := f.ts.CreateCourse(ctx, &dost.Course{Code: "x", Category: "astrology", Hours: 0, ValidityMonths: 500})
			mustCode(t, err, dost.EINVALID)
			if got := len(dost.ErrorFields(err)); got != 5 {
				t.Errorf("got %d field errors, want 5: %+v", got, dost.ErrorFields(err))
			}
		})
		t.Run("Find", func(t *testing.T) {
			active := true
			list, n, err := f.ts.FindCourses(ctx, dost.CourseFilter{Active: &active})
			ok(t, err)
			if n != 1 || len(list) != 1 || list[0].Code != "FO-05" || list[0].Title.RU != "Пенсии" || !list[0].Active {
				t.Fatalf("active courses: got %d %+v", n, list)
			}
			list, n, err = f.ts.FindCourses(ctx, dost.CourseFilter{Category: dost.CategoryDisability})
			ok(t, err)
			if n != 1 || list[0].ID != f.old.ID || list[0].Active {
				t.Fatalf("disability courses: got %d %+v", n, list)
			}
			_, err = f.ts.FindCourseByID(ctx, 999)
			mustCode(t, err, dost.ENOTFOUND)
		})
		t.Run("Update", func(t *testing.T) {
			hours, active := 24, true
			c, err := f.ts.UpdateCourse(ctx, f.old.ID, dost.CourseUpdate{Hours: &hours, Active: &active})
			ok(t, err)
			got, err := f.ts.FindCourseByID(ctx, f.old.ID)
			ok(t, err)
			if c.Hours != 24 || got.Hours != 24 || !got.Active || got.Code != "OLD-1" {
				t.Fatalf("updated: got %+v, stored %+v", c, got)
			}
			zero := 0
			_, err = f.ts.UpdateCourse(ctx, f.old.ID, dost.CourseUpdate{ValidityMonths: &zero})
			mustCode(t, err, dost.EINVALID)
			_, err = f.ts.UpdateCourse(ctx, 999, dost.CourseUpdate{Hours: &hours})
			mustCode(t, err, dost.ENOTFOUND)
			if got, _ := f.ts.FindCourseByID(ctx, f.old.ID); got.ValidityMonths != 6 {
				t.Errorf("validity after a refused update: got %d, want 6", got.ValidityMonths)
			}
		})
	})
}

func TestTrainingStore_RecordCompletion(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newTrainingFixture(t, db)
		score := 85
		t.Run("Refusals", func(t *testing.T) {
			for _, tc := range []struct {
				name, field, code string
				c                 dost.Completion
			}{
				{"ErrNotOperator", "operator_id", "operator.unknown", dost.Completion{OperatorID: f.clerk.ID, CourseID: f.course.ID, CompletedOn: f.today, Passed: true}},
				{"ErrUnknownOperator", "operator_id", "operator.unknown", dost.Completion{OperatorID: 999, CourseID: f.course.ID, CompletedOn: f.today, Passed: true}},
				{"ErrUnknownCourse", "course_id", "course.unknown", dost.Completion{OperatorID: f.op.ID, CourseID: 999, CompletedOn: f.today, Passed: true}},
				{"ErrInactiveCourse", "course_id", "course.inactive", dost.Completion{OperatorID: f.op.ID, CourseID: f.old.ID, CompletedOn: f.today, Passed: true}},
				{"ErrFuture", "completed_on", "completion.future", dost.Completion{OperatorID: f.op.ID, CourseID: f.course.ID, CompletedOn: f.today.AddDate(0, 0, 1), Passed: true}},
				{"ErrScore", "score", "completion.score", dost.Completion{OperatorID: f.op.ID, CourseID: f.course.ID, CompletedOn: f.today, Passed: true, Score: new(101)}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := f.ts.RecordCompletion(ctx, &tc.c)
					mustCode(t, err, dost.EINVALID)
					if fe := dost.ErrorFields(err); len(fe) != 1 || fe[0].Field != tc.field || fe[0].Code != tc.code {
						t.Fatalf("field errors %+v, want %s %s", fe, tc.field, tc.code)
					}
					if nc, ncert := f.state(t); nc != 0 || ncert != 0 {
						t.Fatalf("after a refusal: %d completions, %d certifications stored, want none", nc, ncert)
					}
				})
			}
		})

		first := f.today.AddDate(0, -11, 0)
		var certID int64
		t.Run("Issues", func(t *testing.T) {
			c := &dost.Completion{OperatorID: f.op.ID, CourseID: f.course.ID, CompletedOn: first, Passed: true, Score: &score, RecordedBy: 7}
			cert, err := f.ts.RecordCompletion(ctx, c)
			ok(t, err)
			if cert == nil || cert.ValidFrom != first || cert.ValidUntil != first.AddDate(1, 0, 0) || cert.Category != dost.CategoryPensionsBenefits ||
				cert.Course != "FO-05" || cert.IssuedBy != 7 || c.CertificationID != cert.ID || c.ID == 0 {
				t.Fatalf("got certification %+v, completion %+v", cert, c)
			}
			certID = cert.ID
			cats, err := f.hs.CertifiedCategories(ctx, f.op.ID, f.today)
			ok(t, err)
			if len(cats) != 1 || cats[0] != dost.CategoryPensionsBenefits {
				t.Fatalf("call-next's categories: got %v", cats)
			}
		})
		t.Run("FailedIssuesNothing", func(t *testing.T) {
			c := &dost.Completion{OperatorID: f.op.ID, CourseID: f.course.ID, CompletedOn: f.today.AddDate(0, 0, -3), Passed: false, Score: new(40)}
			cert, err := f.ts.RecordCompletion(ctx, c)
			ok(t, err)
			if cert != nil || c.CertificationID != 0 {
				t.Fatalf("a failed completion certified: %+v", cert)
			}
			if nc, ncert := f.state(t); nc != 2 || ncert != 1 {
				t.Fatalf("got %d completions, %d certifications, want 2, 1", nc, ncert)
			}
		})
		t.Run("Renews", func(t *testing.T) {
			c := &dost.Completion{OperatorID: f.op.ID, CourseID: f.course.ID, CompletedOn: f.today, Passed: true}
			cert, err := f.ts.RecordCompletion(ctx, c)
			ok(t, err)
			if cert.ID != certID || cert.ValidFrom != first || cert.ValidUntil != f.today.AddDate(1, 0, 0) {
				t.Fatalf("renewal: got %+v, want certification %d extended to %s", cert, certID, f.today.AddDate(1, 0, 0))
			}
			// An older completion recorded late shortens nothing.
			cert, err = f.ts.RecordCompletion(ctx, &dost.Completion{OperatorID: f.op.ID, CourseID: f.course.ID, CompletedOn: first.AddDate(0, 1, 0), Passed: true})
			ok(t, err)
			if cert.ID != certID || cert.ValidUntil != f.today.AddDate(1, 0, 0) {
				t.Fatalf("late record: got %+v", cert)
			}
			if _, ncert := f.state(t); ncert != 1 {
				t.Fatalf("got %d certifications, want 1", ncert)
			}
		})
		t.Run("AfterRevocationIssuesAnew", func(t *testing.T) {
			ok(t, f.hs.RevokeCertification(ctx, certID, f.today.AddDate(0, 0, -1)))
			cert, err := f.ts.RecordCompletion(ctx, &dost.Completion{OperatorID: f.op.ID, CourseID: f.course.ID, CompletedOn: f.today, Passed: true})
			ok(t, err)
			if cert.ID == certID || cert.ValidFrom != f.today {
				t.Fatalf("got %+v, want a new certification from today", cert)
			}
			list, _, err := f.ts.FindCompletions(ctx, dost.CompletionFilter{OperatorID: f.op.ID, CentreID: f.centre.ID})
			ok(t, err)
			if len(list) != 5 || list[0].CertificationID != cert.ID || list[len(list)-1].CompletedOn != first || *list[len(list)-1].Score != 85 {
				t.Fatalf("completions newest first: got %d, first %+v", len(list), list[0])
			}
		})
	})
}

// TestTrainingStore_ConcurrentCompletions records passed completions of
// one operator at once: they share one certification, never two
// overlapping ones.
func TestTrainingStore_ConcurrentCompletions(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newTrainingFixture(t, db)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = f.ts.RecordCompletion(ctx, &dost.Completion{OperatorID: f.op.ID, CourseID: f.course.ID,
					CompletedOn: f.today.AddDate(0, 0, -i), Passed: true})
			})
		}
		wg.Wait()
		for _, err := range errs {
			ok(t, err)
		}
		certs, _, err := f.hs.FindCertifications(ctx, dost.CertificationFilter{OperatorID: f.op.ID})
		ok(t, err)
		if len(certs) != 1 || certs[0].ValidUntil != f.today.AddDate(1, 0, 0) {
			t.Fatalf("got %d certifications %+v, want one until %s", len(certs), certs, f.today.AddDate(1, 0, 0))
		}
		if nc, _ := f.state(t); nc != n {
			t.Fatalf("got %d completions, want %d", nc, n)
		}
	})
}

func TestTrainingStore_MatrixAndDemand(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newTrainingFixture(t, db)
		_, err := f.ts.RecordCompletion(ctx, &dost.Completion{OperatorID: f.op.ID, CourseID: f.course.ID, CompletedOn: f.today.AddDate(-1, 0, 10), Passed: true})
		ok(t, err)
		other := &dost.User{Username: "op2", Name: "Bahar", Roles: []dost.Role{dost.RoleOperator}}
		ok(t, sqlstore.NewUserService(db).CreateUser(ctx, other, ""))
		ops, err := f.ts.FindOperators(ctx, f.centre.ID)
		ok(t, err)
		if len(ops) != 1 || ops[0].ID != f.op.ID || len(ops[0].CentreIDs) != 1 || ops[0].Email != "op1@dost.test" {
			t.Fatalf("operators of the centre: got %+v", ops)
		}
		if ops, _ = f.ts.FindOperators(ctx, 0); len(ops) != 2 || ops[0].Name != "Aysel Operator" {
			t.Fatalf("every operator: got %d", len(ops))
		}
		certs, err := f.ts.FindCertificationsFrom(ctx, f.centre.ID, f.today)
		ok(t, err)
		if len(certs) != 1 || certs[0].ValidUntil != f.today.AddDate(0, 0, 10) {
			t.Fatalf("certifications: got %+v", certs)
		}
		if certs, _ = f.ts.FindCertificationsFrom(ctx, f.centre.ID, f.today.AddDate(0, 0, 11)); len(certs) != 0 {
			t.Fatalf("certifications ending after 11 days: got %d", len(certs))
		}

		// Two tickets a week ago, three today (two waiting, one called).
		now := f.clock.Now()
		f.clock.Set(now.AddDate(0, 0, -7))
		for range 2 {
			ok(t, f.hs.IssueTicket(ctx, newTicket(f.centre)))
		}
		f.clock.Set(now)
		for range 3 {
			ok(t, f.hs.IssueTicket(ctx, newTicket(f.centre)))
		}
		k := f.centre.Counters[0]
		_, err = f.hs.SignInCounter(ctx, k.ID, f.op.ID)
		ok(t, err)
		_, _, err = f.hs.CallNext(ctx, k.ID, f.op.ID)
		ok(t, err)
		tickets, days, waiting, err := f.ts.Demand(ctx, f.centre.ID, f.today.AddDate(0, 0, -28), f.today)
		ok(t, err)
		if tickets[dost.CategoryPensionsBenefits] != 2 || days != 1 || waiting[dost.CategoryPensionsBenefits] != 2 || len(tickets) != 1 {
			t.Fatalf("demand: got tickets %v over %d days, waiting %v", tickets, days, waiting)
		}
		_, _, _, err = f.ts.Demand(ctx, 999, f.today, f.today)
		mustCode(t, err, dost.ENOTFOUND)
	})
}

func TestTrainingStore_RemindRenewals(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newTrainingFixture(t, db)
		// Certified until 20 days from now; another category continued by
		// a certification starting the day after.
		cert, err := f.ts.RecordCompletion(ctx, &dost.Completion{OperatorID: f.op.ID, CourseID: f.course.ID, CompletedOn: f.today.AddDate(-1, 0, 20), Passed: true})
		ok(t, err)
		ok(t, f.hs.CreateCertification(ctx, &dost.Certification{OperatorID: f.op.ID, Category: dost.CategoryDisability,
			ValidFrom: f.today.AddDate(0, 0, -100), ValidUntil: f.today.AddDate(0, 0, 5)}))
		ok(t, f.hs.CreateCertification(ctx, &dost.Certification{OperatorID: f.op.ID, Category: dost.CategoryDisability,
			ValidFrom: f.today.AddDate(0, 0, 6), ValidUntil: f.today.AddDate(2, 0, 0)}))
		// A disabled operator is not reminded.
		gone := &dost.User{Username: "gone", Email: "gone@dost.test", Roles: []dost.Role{dost.RoleOperator}, Disabled: true}
		ok(t, sqlstore.NewUserService(db).CreateUser(ctx, gone, ""))
		ok(t, f.hs.CreateCertification(ctx, &dost.Certification{OperatorID: gone.ID, Category: dost.CategoryDisability,
			ValidFrom: f.today.AddDate(0, 0, -100), ValidUntil: f.today.AddDate(0, 0, 10)}))
		outbox := sqlstore.NewCaseStore(db)
		notify := func(d *training.Due) []*dost.Notification {
			return []*dost.Notification{{MessageID: fmt.Sprintf("r:%d:%s:%d", d.Certification.ID, d.Certification.ValidUntil, d.Threshold),
				UserID: f.op.ID, Channel: dost.NotifyEmail, To: f.op.Email, Language: "en", Topic: "certification.expiring",
				Body: fmt.Sprintf("%d days left", d.DaysLeft)}}
		}
		sent := func(t *testing.T) []*dost.Notification {
			t.Helper()
			ns, _, err := outbox.FindNotifications(ctx, dost.NotificationFilter{Topic: "certification.expiring"})
			ok(t, err)
			return ns
		}

		t.Run("OncePerThreshold", func(t *testing.T) {
			// Two nodes at once remind once.
			var wg sync.WaitGroup
			counts := make([]int, 2)
			for i := range counts {
				wg.Go(func() {
					var err error
					counts[i], err = f.ts.RemindRenewals(ctx, f.today, notify)
					if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if counts[0]+counts[1] != 1 {
				t.Fatalf("reminded %v, want 1 in all", counts)
			}
			ns := sent(t)
			if len(ns) != 1 || ns[0].MessageID != fmt.Sprintf("r:%d:%s:30", cert.ID, cert.ValidUntil) || ns[0].Body != "20 days left" {
				t.Fatalf("outbox: got %+v", ns)
			}
			n, err := f.ts.RemindRenewals(ctx, f.today.AddDate(0, 0, 5), notify)
			ok(t, err)
			if n != 0 {
				t.Fatalf("five days later: reminded %d, want 0", n)
			}
		})
		t.Run("NearerThreshold", func(t *testing.T) {
			n, err := f.ts.RemindRenewals(ctx, f.today.AddDate(0, 0, 14), notify)
			ok(t, err)
			if n != 1 || len(sent(t)) != 2 {
				t.Fatalf("six days before: reminded %d, outbox %d, want 1, 2", n, len(sent(t)))
			}
		})
		t.Run("RevokedNotReminded", func(t *testing.T) {
			// Revoked from a day 10 days ahead: it ends in 9 days, which is
			// not expiring, so the operator is not asked to renew it.
			c := &dost.Certification{OperatorID: f.op.ID, Category: dost.CategoryEmployment,
				ValidFrom: f.today.AddDate(0, 0, -100), ValidUntil: f.today.AddDate(0, 0, 200)}
			ok(t, f.hs.CreateCertification(ctx, c))
			ok(t, f.hs.RevokeCertification(ctx, c.ID, f.today.AddDate(0, 0, 10)))
			before := len(sent(t))
			for _, day := range []dost.Date{f.today.AddDate(0, 0, 2), f.today.AddDate(0, 0, 8)} {
				n, err := f.ts.RemindRenewals(ctx, day, notify)
				ok(t, err)
				if n != 0 || len(sent(t)) != before {
					t.Fatalf("%s: reminded %d (outbox %d, was %d), want none for the revoked certification", day, n, len(sent(t)), before)
				}
			}
			// Not revoked, the same end is reminded.
			other := &dost.Certification{OperatorID: f.op.ID, Category: dost.CategorySocialServices,
				ValidFrom: f.today.AddDate(0, 0, -100), ValidUntil: f.today.AddDate(0, 0, 200)}
			ok(t, f.hs.CreateCertification(ctx, other))
			ok(t, f.hs.RevokeCertification(ctx, other.ID, f.today.AddDate(0, 0, 10)))
			if _, err := db.WriterDB().ExecContext(ctx, `UPDATE certifications SET revoked_on = NULL WHERE id = $1`, other.ID); err != nil {
				t.Fatal(err)
			}
			n, err := f.ts.RemindRenewals(ctx, f.today.AddDate(0, 0, 2), notify)
			ok(t, err)
			if n != 1 {
				t.Fatalf("an end that is not a revocation: reminded %d, want 1", n)
			}
		})
		t.Run("RenewedStartsAgain", func(t *testing.T) {
			renewed, err := f.ts.RecordCompletion(ctx, &dost.Completion{OperatorID: f.op.ID, CourseID: f.course.ID, CompletedOn: f.today, Passed: true})
			ok(t, err)
			if renewed.ID != cert.ID {
				t.Fatalf("renewal issued certification %d, want %d extended", renewed.ID, cert.ID)
			}
			n, err := f.ts.RemindRenewals(ctx, f.today.AddDate(0, 0, 14), notify)
			ok(t, err)
			if n != 0 {
				t.Fatalf("after renewal: reminded %d, want 0", n)
			}
			// A month before the new last day, the reminders start again.
			n, err = f.ts.RemindRenewals(ctx, renewed.ValidUntil.AddDate(0, 0, -30), notify)
			ok(t, err)
			if n != 1 {
				t.Fatalf("before the new last day: reminded %d, want 1", n)
			}
		})
	})
}
