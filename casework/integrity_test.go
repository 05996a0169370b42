package casework_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// addUser stores a further user of role, linked to person (none if ""),
// as e.u[key].
func (e *env) addUser(t *testing.T, key string, role dost.Role, person string) *dost.User {
	t.Helper()
	u := &dost.User{Username: key, Name: key, Roles: []dost.Role{role}, CentreIDs: []int64{e.centreID}}
	if role == dost.RoleCitizen {
		u.CentreIDs = nil
	}
	if person != "" {
		id := e.p[person].ID
		u.PersonID = &id
	}
	if err := e.cfg.Users.CreateUser(context.Background(), u, ""); err != nil {
		t.Fatalf("create user %s: %v", key, err)
	}
	e.u[key] = u
	return u
}

// review submits an application of person for service and takes it in
// review as the case worker.
func (e *env) review(t *testing.T, person, service string) *dost.Application {
	t.Helper()
	a := e.submit(t, person, service)
	e.act(t, "caseworker", a.ID, dost.ActionReview, "")
	return a
}

// TestDecideUnlinked checks that nobody decides their own application or
// a household member's, and that a staff account linked to no person,
// which cannot be checked, decides nothing until it is linked.
func TestDecideUnlinked(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		unlinked := e.addUser(t, "unlinked", dost.RoleCaseWorker, "")
		e.addUser(t, "unlinked-supervisor", dost.RoleSupervisor, "")
		approve := dost.TransitionRequest{Action: dost.ActionApprove}

		t.Run("ErrUnlinked", func(t *testing.T) {
			a := e.review(t, "Vuqar", "05-01-01-00")
			for _, key := range []string{"unlinked", "unlinked-supervisor"} {
				_, err := e.svc.Decide(e.as(key), a.ID, approve)
				errCode(t, err, dost.EFORBIDDEN)
				if !strings.Contains(dost.ErrorMessage(err), "administrator must link") {
					t.Errorf("message %q, want it to say an administrator must link the account", dost.ErrorMessage(err))
				}
				_, err = e.svc.Decide(e.as(key), a.ID, dost.TransitionRequest{Action: dost.ActionRefuse, ReasonCode: "not_eligible"})
				errCode(t, err, dost.EFORBIDDEN)
			}
			if got, err := e.store.FindApplicationByID(ctx, a.ID); err != nil || got.Status != dost.ApplicationInReview || got.DecisionID != 0 {
				t.Errorf("after the refused decisions: %+v, %v; want in review, undecided", got, err)
			}
		})

		t.Run("ErrOwn", func(t *testing.T) {
			a := e.review(t, "Ali", "05-01-01-00")
			_, err := e.svc.Decide(e.as("ali"), a.ID, approve)
			errCode(t, err, dost.EFORBIDDEN)
		})

		t.Run("ErrHouseholdMember", func(t *testing.T) {
			a := e.review(t, "Ali", "01-01-01-00")
			_, err := e.svc.Decide(e.as("leyla"), a.ID, approve)
			errCode(t, err, dost.EFORBIDDEN)
			// Another's decides it.
			if _, err := e.svc.Decide(e.as("caseworker"), a.ID, approve); err != nil {
				t.Errorf("Kamran decides Ali's: %v", err)
			}
		})

		t.Run("OKLinked", func(t *testing.T) {
			// Linked to Vuqar, the account decides Rauf's application but
			// not Vuqar's own.
			u, err := e.cfg.Users.UpdateUser(ctx, unlinked.ID, dost.UserUpdate{PersonID: &e.p["Vuqar"].ID})
			if err != nil || u.PersonID == nil || *u.PersonID != e.p["Vuqar"].ID {
				t.Fatalf("link: %+v, %v", u, err)
			}
			e.u["unlinked"] = u
			own := e.review(t, "Vuqar", "01-01-01-00")
			_, err = e.svc.Decide(e.as("unlinked"), own.ID, approve)
			errCode(t, err, dost.EFORBIDDEN)
			other := e.review(t, "Rauf", "01-01-01-00")
			if _, err := e.svc.Decide(e.as("unlinked"), other.ID, approve); err != nil {
				t.Errorf("decide another's: %v", err)
			}
		})

		t.Run("ErrLinkUnknownPerson", func(t *testing.T) {
			bad := int64(1 << 40)
			_, err := e.cfg.Users.UpdateUser(ctx, e.u["operator"].ID, dost.UserUpdate{PersonID: &bad})
			errCode(t, err, dost.EINVALID)
			_, err = e.cfg.Users.UpdateUser(ctx, 1<<40, dost.UserUpdate{PersonID: &e.p["Vuqar"].ID})
			errCode(t, err, dost.ENOTFOUND)
			if u, err := e.cfg.Users.FindUserByID(ctx, e.u["operator"].ID); err != nil || u.PersonID != nil {
				t.Errorf("operator after a refused link: %+v, %v", u, err)
			}
		})

		t.Run("OKUnlink", func(t *testing.T) {
			zero := int64(0)
			u, err := e.cfg.Users.UpdateUser(ctx, unlinked.ID, dost.UserUpdate{PersonID: &zero})
			if err != nil || u.PersonID != nil {
				t.Fatalf("unlink: %+v, %v", u, err)
			}
		})
	})
}

// TestActReasons checks which actions need a reason: an appeal, a close and
// a withdrawal by staff do; a citizen's own withdrawal does not.
func TestActReasons(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		required := func(t *testing.T, err error) {
			t.Helper()
			errCode(t, err, dost.EINVALID)
			if !hasField(err, "reason", "required") {
				t.Errorf("fields %+v, want reason required", dost.ErrorFields(err))
			}
		}

		t.Run("Withdraw", func(t *testing.T) {
			a := e.submit(t, "Ali", "01-01-01-00")
			_, err := e.svc.Act(e.as("operator"), a.ID, dost.TransitionRequest{Action: dost.ActionWithdraw, Reason: "  "})
			required(t, err)
			got := e.act(t, "operator", a.ID, dost.ActionWithdraw, "The applicant asked by phone.")
			if last := got.Transitions[len(got.Transitions)-1]; last.Reason != "The applicant asked by phone." || last.ActorID != e.u["operator"].ID {
				t.Errorf("transition %+v", last)
			}
			b := e.submit(t, "Ali", "01-01-01-00")
			if got := e.act(t, "citizen", b.ID, dost.ActionWithdraw, ""); got.Status != dost.ApplicationWithdrawn {
				t.Errorf("citizen's withdrawal: %s", got.Status)
			}
		})

		t.Run("AppealAndClose", func(t *testing.T) {
			a := e.review(t, "Ali", "01-01-01-00")
			if _, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionApprove}); err != nil {
				t.Fatal(err)
			}
			_, err := e.svc.Act(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionClose})
			required(t, err)
			_, err = e.svc.Act(e.as("citizen"), a.ID, dost.TransitionRequest{Action: dost.ActionAppeal})
			required(t, err)
			if got, _ := e.store.FindApplicationByID(context.Background(), a.ID); got.Status != dost.ApplicationApproved {
				t.Errorf("status %s after refused actions, want approved", got.Status)
			}
			got := e.act(t, "citizen", a.ID, dost.ActionAppeal, "The decision misses my pension rights.")
			if last := got.Transitions[len(got.Transitions)-1]; last.Action != dost.ActionAppeal || last.Reason == "" {
				t.Errorf("appeal transition %+v", last)
			}
		})

		t.Run("CloseWithReason", func(t *testing.T) {
			a := e.review(t, "Rauf", "01-01-01-00")
			if _, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionApprove}); err != nil {
				t.Fatal(err)
			}
			if got := e.act(t, "caseworker", a.ID, dost.ActionClose, "The certificate was handed over."); got.Status != dost.ApplicationClosed {
				t.Errorf("status %s, want closed", got.Status)
			}
		})
	})
}

// TestMarkLateRefusal checks that the deadline job flags a refusal whose
// applicant was not notified by its NotifyBy: never sent, or sent on a
// later day in Baku; one sent on time stays as it is.
func TestMarkLateRefusal(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		outbox := sqlstore.NewOutbox(db)
		apps := map[string]*dost.Application{}
		for _, name := range []string{"Rauf", "Sevda", "Vuqar", "Ali"} {
			a := e.review(t, name, "05-01-01-00")
			d, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionRefuse, ReasonCode: "not_eligible"})
			if err != nil {
				t.Fatal(err)
			}
			if want := dost.MustDate("2026-11-23"); d.NotifyBy != want {
				t.Fatalf("NotifyBy %s, want %s", d.NotifyBy, want)
			}
			apps[name] = a
		}
		// Refused on Monday 16th: notified by Monday 23rd, as 21st is a
		// Saturday. Sevda's SMS goes on the last day at 23:00 in Baku; Vuqar's e-mail
		// an hour after it ended; Rauf's never.
		sent := func(name string, at time.Time) {
			ns := e.notifications(t, name, "decision.refused")
			if len(ns) == 0 {
				t.Fatalf("%s has no refusal notification", name)
			}
			if err := outbox.MarkNotificationSent(ctx, ns[0].ID, at); err != nil {
				t.Fatal(err)
			}
		}
		sent("Sevda", time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC))
		sent("Vuqar", time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC))
		// Ali's refusal is checked no more: its notify_by is moved
		// back beyond the 90 days the job looks at (refusals older than
		// that are not read at every run for ever).
		if _, err := db.WriterDB().ExecContext(ctx, `UPDATE decisions SET notify_by = '2026-08-22' WHERE id = (SELECT decision_id FROM applications WHERE id = $1)`, apps["Ali"].ID); err != nil {
			t.Fatal(err)
		}

		e.clock.Set(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
		if n, err := e.svc.MarkLate(ctx); err != nil || n != 0 {
			t.Fatalf("on the last day: marked %d, %v; want 0", n, err)
		}
		e.clock.Set(time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC))
		if n, err := e.svc.MarkLate(ctx); err != nil || n != 2 {
			t.Fatalf("the day after: marked %d, %v; want 2 (Rauf, Vuqar)", n, err)
		}
		if n, err := e.svc.MarkLate(ctx); err != nil || n != 0 {
			t.Errorf("again: marked %d, %v; want 0", n, err)
		}
		for name, wantLate := range map[string]bool{"Rauf": true, "Vuqar": true, "Sevda": false, "Ali": false} {
			a, err := e.store.FindApplicationByID(ctx, apps[name].ID)
			if err != nil {
				t.Fatal(err)
			}
			if (a.LateSince != nil) != wantLate {
				t.Errorf("%s: late since %v, want late %v", name, a.LateSince, wantLate)
			}
		}
		yes := true
		if lates, total, err := e.svc.FindApplications(e.as("supervisor"), dost.ApplicationFilter{Late: &yes}); err != nil || total != 2 {
			t.Errorf("late applications %v (%d), %v; want 2", lates, total, err)
		}
		ns, _, err := e.store.FindNotifications(ctx, dost.NotificationFilter{Topic: "refusal.notice_late"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 2 {
			t.Fatalf("escalations %+v, want 2", ns)
		}
		for _, n := range ns {
			if n.To != "supervisor@example.az" || n.UserID != e.u["supervisor"].ID ||
				!strings.Contains(n.Body, apps["Rauf"].Number) && !strings.Contains(n.Body, apps["Vuqar"].Number) {
				t.Errorf("escalation %+v, want an e-mail to the centre's supervisor", n)
			}
		}
		counts, err := e.svc.DeadlineCounts(ctx, nil, dost.MustDate("2026-11-01"), dost.MustDate("2026-11-30"))
		if err != nil {
			t.Fatal(err)
		}
		// On time: Sevda's, and Ali's, which the job no longer checks.
		if len(counts) != 1 || counts[0].ServiceCode != "05-01-01-00" || counts[0].OnTime != 2 || counts[0].Late != 2 {
			t.Errorf("deadline counts %+v, want 2 on time, 2 late", counts)
		}
	})
}

// ambiguousStore stores for real, then fails with err as if the commit's
// answer was lost (commit true), or fails before storing anything.
type ambiguousStore struct {
	casework.Store
	err    error
	commit bool
}

func (s ambiguousStore) CreateApplication(ctx context.Context, a *dost.Application, docs []*dost.ApplicationDocument, eff *casework.Effects) (*dost.Application, bool, error) {
	if s.commit {
		if _, _, err := s.Store.CreateApplication(ctx, a, docs, eff); err != nil {
			return nil, false, err
		}
	}
	return nil, false, s.err
}

func (s ambiguousStore) AddDocument(ctx context.Context, d *dost.ApplicationDocument) error {
	if s.commit {
		if err := s.Store.AddDocument(ctx, d); err != nil {
			return err
		}
	}
	return s.err
}

// TestFilesOnAmbiguousErrors checks that uploaded files are deleted only
// when the store certainly stored nothing: after an error that may follow a
// commit they stay, readable through the stored document.
func TestFilesOnAmbiguousErrors(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		with := func(st ambiguousStore) *casework.Service {
			cfg := e.cfg
			st.Store = e.store
			cfg.Store = st
			svc, err := casework.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return svc
		}
		submission := func(key string) *dost.NewApplication {
			return &dost.NewApplication{FIN: e.p["Kamran"].FIN, ServiceCode: "03-03-01-00", Channel: dost.ApplicationOnline,
				IdempotencyKey: key, Documents: []dost.NewDocument{{Code: "disability_certificate", FileName: "c.pdf", Content: pdfFile}}}
		}

		t.Run("KeptAfterCancel", func(t *testing.T) {
			svc := with(ambiguousStore{err: context.Canceled, commit: true})
			_, _, err := svc.SubmitApplication(e.as("operator"), submission("cancelled"))
			if err != context.Canceled {
				t.Fatalf("got %v, want context.Canceled", err)
			}
			if got := e.files(t); len(got) != 1 {
				t.Fatalf("files %v, want the one of the stored application", got)
			}
			kamran := e.p["Kamran"].ID
			apps, _, err := e.svc.FindApplications(ctx, dost.ApplicationFilter{PersonID: kamran})
			if err != nil || len(apps) != 1 {
				t.Fatalf("applications %v, %v; want the committed one", apps, err)
			}
			a, err := e.svc.FindApplicationByID(ctx, apps[0].ID)
			if err != nil || len(a.Documents) != 1 {
				t.Fatalf("application %+v, %v", a, err)
			}
			_, content, err := e.svc.OpenDocument(ctx, a.ID, a.Documents[0].ID)
			if err != nil || !bytes.Equal(content, pdfFile) {
				t.Errorf("document: %d bytes, %v; want the file uploaded", len(content), err)
			}

			// A document added with the commit's answer lost stays too.
			svc = with(ambiguousStore{err: context.DeadlineExceeded, commit: true})
			if _, err := svc.AddDocument(e.as("operator"), a.ID, dost.NewDocument{Code: "disability_certificate", FileName: "d.pdf", Content: pdfFile}); err != context.DeadlineExceeded {
				t.Fatalf("add document: got %v, want context.DeadlineExceeded", err)
			}
			if got := e.files(t); len(got) != 2 {
				t.Errorf("files %v, want both stored documents'", got)
			}
			if a, err = e.svc.FindApplicationByID(ctx, a.ID); err != nil || len(a.Documents) != 2 {
				t.Fatalf("application %+v, %v; want two documents", a, err)
			}
			if _, content, err := e.svc.OpenDocument(ctx, a.ID, a.Documents[1].ID); err != nil || !bytes.Equal(content, pdfFile) {
				t.Errorf("second document: %d bytes, %v", len(content), err)
			}
		})

		t.Run("DeletedAfterRefusal", func(t *testing.T) {
			before := len(e.files(t))
			for i, code := range []string{dost.ECONFLICT, dost.EINVALID, dost.ENOTFOUND} {
				svc := with(ambiguousStore{err: dost.Errorf(code, "Refused.")})
				_, _, err := svc.SubmitApplication(e.as("operator"), submission("refused-"+strconv.Itoa(i)))
				errCode(t, err, code)
				if got := e.files(t); len(got) != before {
					t.Errorf("%s: files %v, want the refused submission's deleted", code, got)
				}
			}
		})
	})
}

// TestCitizenAwards checks that a citizen reads only the awards they are
// paid or made for, or their household's, and only their decisions.
func TestCitizenAwards(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.addUser(t, "vuqar", dost.RoleCitizen, "Vuqar")
		e.addUser(t, "sevda", dost.RoleCitizen, "Sevda")
		approve := func(person, service string) *dost.Award {
			t.Helper()
			a := e.review(t, person, service)
			d, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionApprove})
			if err != nil {
				t.Fatalf("approve %s for %s: %v", service, person, err)
			}
			ws, _, err := e.store.FindAwards(ctx, dost.AwardFilter{PersonID: a.PersonID})
			for _, w := range ws {
				if w.DecisionID == d.ID {
					return w
				}
			}
			t.Fatalf("no award of decision %d: %v", d.ID, err)
			return nil
		}
		pension := approve("Ali", "05-01-01-00")
		tssa := approve("Rauf", "06-01-01-00")
		if tssa.HouseholdID != e.hh["Rauf"] || pension.PersonID != e.p["Ali"].ID {
			t.Fatalf("awards %+v, %+v", pension, tssa)
		}

		for _, tc := range []struct {
			user string
			w    *dost.Award
			ok   bool
		}{
			{"citizen", pension, true}, // Ali's own
			{"vuqar", pension, false},
			{"sevda", tssa, true}, // her household's
			{"citizen", tssa, false},
			{"caseworker", tssa, true},
		} {
			got, err := e.svc.FindAwardByID(e.as(tc.user), tc.w.ID)
			if tc.ok && (err != nil || got.ID != tc.w.ID) {
				t.Errorf("%s reads award %d: %v, %v", tc.user, tc.w.ID, got, err)
			} else if !tc.ok {
				errCode(t, err, dost.ENOTFOUND)
			}
			d, err := e.svc.FindDecisionByID(e.as(tc.user), tc.w.DecisionID)
			if tc.ok && tc.user != "sevda" && (err != nil || d.ID != tc.w.DecisionID) {
				t.Errorf("%s reads decision %d: %v, %v", tc.user, tc.w.DecisionID, d, err)
			} else if !tc.ok {
				errCode(t, err, dost.ENOTFOUND)
			}
		}

		for _, tc := range []struct {
			user string
			f    dost.AwardFilter
			want []int64
		}{
			{"citizen", dost.AwardFilter{}, []int64{pension.ID}},
			{"citizen", dost.AwardFilter{PersonID: e.p["Rauf"].ID}, nil},
			{"citizen", dost.AwardFilter{HouseholdID: e.hh["Rauf"]}, nil},
			{"vuqar", dost.AwardFilter{}, nil},
			{"vuqar", dost.AwardFilter{Programme: "old_age_pension"}, nil},
			{"sevda", dost.AwardFilter{HouseholdID: e.hh["Rauf"]}, []int64{tssa.ID}},
			{"sevda", dost.AwardFilter{}, nil},
			{"caseworker", dost.AwardFilter{PersonID: e.p["Ali"].ID}, []int64{pension.ID}},
		} {
			ws, total, err := e.svc.FindAwards(e.as(tc.user), tc.f)
			var got []int64
			for _, w := range ws {
				got = append(got, w.ID)
			}
			if err != nil || total != len(tc.want) || len(got) != len(tc.want) || len(got) > 0 && got[0] != tc.want[0] {
				t.Errorf("%s finds %+v: %v (%d), %v; want %v", tc.user, tc.f, got, total, err, tc.want)
			}
		}
	})
}

// TestBackdatedAward checks that no award starts back inside the days of
// an ended award of the same programme and beneficiary: an approval is
// ECONFLICT naming the ended award, a proactive assignment finds it, and
// an award after its end is made.
func TestBackdatedAward(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		// Ali's pension from 1 November is overturned on 16 November: it
		// ends then, paid from 1 to 16 November.
		a := e.review(t, "Ali", "05-01-01-00")
		if _, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionApprove}); err != nil {
			t.Fatal(err)
		}
		e.act(t, "citizen", a.ID, dost.ActionAppeal, "The amount is too low.")
		if _, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionOverturn, Reason: "The insurance record was forged."}); err != nil {
			t.Fatal(err)
		}
		ended, _, err := e.store.FindAwards(ctx, dost.AwardFilter{PersonID: e.p["Ali"].ID})
		if err != nil || len(ended) != 1 || ended[0].Status != dost.AwardEnded || ended[0].End != dost.MustDate("2026-11-16") {
			t.Fatalf("awards %+v, %v; want one ended on 2026-11-16", ended, err)
		}
		old := ended[0]

		svc, err := e.catalogue.FindServiceByCode(ctx, "05-01-01-00")
		if err != nil {
			t.Fatal(err)
		}
		submit := func(period dost.Month) *dost.Application {
			t.Helper()
			n := &dost.NewApplication{FIN: e.p["Ali"].FIN, ServiceCode: svc.Code, Channel: dost.ApplicationAtCentre, CentreID: e.centreID, Period: period}
			for _, d := range svc.Documents {
				if d.Required {
					n.Documents = append(n.Documents, dost.NewDocument{Code: d.Code, Presented: true})
				}
			}
			a, _, err := e.svc.SubmitApplication(e.as("operator"), n)
			if err != nil {
				t.Fatalf("submit for %s: %v", period, err)
			}
			e.act(t, "caseworker", a.ID, dost.ActionReview, "")
			return a
		}

		t.Run("ErrOverlap", func(t *testing.T) {
			back := submit(dost.Month{Year: 2026, Month: time.October})
			_, err := e.svc.Decide(e.as("caseworker"), back.ID, dost.TransitionRequest{Action: dost.ActionApprove})
			errCode(t, err, dost.ECONFLICT)
			if !strings.Contains(dost.ErrorMessage(err), "award "+strconv.FormatInt(old.ID, 10)) {
				t.Errorf("message %q does not name award %d", dost.ErrorMessage(err), old.ID)
			}
			if ws, _, _ := e.store.FindAwards(ctx, dost.AwardFilter{PersonID: e.p["Ali"].ID}); len(ws) != 1 {
				t.Errorf("awards %+v, want only the ended one", ws)
			}
		})

		t.Run("ProactiveFindsEnded", func(t *testing.T) {
			w, created, err := e.svc.AssignProactively(ctx, casework.ProactiveRequest{Programme: "old_age_pension",
				PersonID: e.p["Ali"].ID, Period: dost.Month{Year: 2026, Month: time.October}})
			if err != nil || created || w == nil || w.ID != old.ID {
				t.Errorf("got %+v, %v, %v; want the ended award, not created", w, created, err)
			}
		})

		t.Run("OKAfterEnd", func(t *testing.T) {
			next := submit(dost.Month{Year: 2026, Month: time.December})
			if _, err := e.svc.Decide(e.as("caseworker"), next.ID, dost.TransitionRequest{Action: dost.ActionApprove}); err != nil {
				t.Fatalf("approve from December: %v", err)
			}
		})

		t.Run("ErrStoreOverlap", func(t *testing.T) {
			// The store refuses an overlap however the award comes: here an
			// award from 15 October to 5 November, written directly (ended,
			// so that December's open award does not refuse it first).
			app := submit(dost.Month{Year: 2026, Month: time.October})
			d := &dost.Decision{Outcome: dost.DecisionApproved, Period: app.Period, DecidedAt: e.clock.Now(), LetterCode: "TESTOVERLAP1", Language: "en"}
			w := &dost.Award{Programme: "old_age_pension", ServiceCode: "05-01-01-00", PersonID: e.p["Ali"].ID, PayeeID: e.p["Ali"].ID,
				Kind: dost.AwardMonthly, Amount: dost.AZN(100), Period: dost.Month{Year: 2026, Month: time.October},
				Start: dost.MustDate("2026-10-15"), End: dost.MustDate("2026-11-05"), Status: dost.AwardEnded}
			err := e.store.Transition(ctx, &dost.Transition{ApplicationID: app.ID, Action: dost.ActionApprove, From: dost.ApplicationInReview,
				To: dost.ApplicationApproved, At: e.clock.Now()}, &casework.Effects{Decision: d, Awards: []*dost.Award{w}})
			errCode(t, err, dost.ECONFLICT)
			if !strings.Contains(dost.ErrorMessage(err), "award "+strconv.FormatInt(old.ID, 10)) {
				t.Errorf("message %q does not name award %d", dost.ErrorMessage(err), old.ID)
			}
			if got, _ := e.store.FindApplicationByID(ctx, app.ID); got.Status != dost.ApplicationInReview {
				t.Errorf("status %s, want in review: nothing stored", got.Status)
			}
		})

		t.Run("ConcurrentOverlap", func(t *testing.T) {
			// Eight approvals at once, each with an award from the first
			// day of a month of its own (January to August) to 20
			// September: no unique index tells them apart, all overlap,
			// exactly one is stored. They start together, and again in
			// several rounds, to make the race likely.
			const n = 8
			apps := make([]*dost.Application, n)
			for i := range apps {
				apps[i] = submit(dost.Month{Year: 2026, Month: time.September})
			}
			var wg sync.WaitGroup
			errs := make([]error, n)
			start := make(chan struct{})
			for i, app := range apps {
				wg.Go(func() {
					<-start
					d := &dost.Decision{Outcome: dost.DecisionApproved, Period: app.Period, DecidedAt: e.clock.Now(),
						LetterCode: fmt.Sprintf("TESTRACE%04d", i), Language: "en"}
					w := &dost.Award{Programme: "old_age_pension", ServiceCode: "05-01-01-00", PersonID: e.p["Ali"].ID, PayeeID: e.p["Ali"].ID,
						Kind: dost.AwardMonthly, Amount: dost.AZN(100), Period: dost.Month{Year: 2026, Month: time.Month(i + 1)},
						Start: dost.DateOf(time.Date(2026, time.Month(i+1), 1, 0, 0, 0, 0, time.UTC)), End: dost.MustDate("2026-09-20"), Status: dost.AwardEnded}
					errs[i] = e.store.Transition(ctx, &dost.Transition{ApplicationID: app.ID, Action: dost.ActionApprove, From: dost.ApplicationInReview,
						To: dost.ApplicationApproved, At: e.clock.Now()}, &casework.Effects{Decision: d, Awards: []*dost.Award{w}})
				})
			}
			close(start)
			wg.Wait()
			stored := 0
			for _, err := range errs {
				switch {
				case err == nil:
					stored++
				case dost.ErrorCode(err) != dost.ECONFLICT:
					t.Errorf("approval: %v, want ECONFLICT or nil", err)
				}
			}
			ws, _, err := e.store.FindAwards(ctx, dost.AwardFilter{PersonID: e.p["Ali"].ID})
			if err != nil {
				t.Fatal(err)
			}
			racing := 0
			for _, w := range ws {
				if w.End == dost.MustDate("2026-09-20") {
					racing++
				}
			}
			if stored != 1 || racing != 1 {
				t.Errorf("%d approvals stored, %d of their awards; want exactly one", stored, racing)
			}
		})
	})
}
