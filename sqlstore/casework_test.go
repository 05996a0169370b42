package sqlstore_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// The services of saveServices the applications below ask for.
const (
	pensionService    = "05-04-02-00"
	disabilityService = "05-01-01-00"
)

// today is the civil date of dosttest.DefaultNow in Baku.
var today = dost.MustDate("2026-11-16")

// caseFixture is a migrated database with the catalogue and two persons.
type caseFixture struct {
	db     *sqlstore.DB
	s      *sqlstore.CaseStore
	aysel  *dost.Person
	tural  *dost.Person
	clock  *dosttest.FixedClock
	letter int // for unique letter codes
}

func newCaseFixture(t *testing.T, db *sqlstore.DB) *caseFixture {
	t.Helper()
	saveServices(t, db)
	f := &caseFixture{db: db, s: sqlstore.NewCaseStore(db), clock: dosttest.ClockOf(t, db),
		aysel: person("CAS0001", "Aysel", "Məmmədova", "1960-03-15"), tural: person("CAS0002", "Tural", "Əliyev", "1958-07-01")}
	createPersons(t, db, f.aysel, f.tural)
	return f
}

// application returns a submitted application of p at centre 1 by user 7.
func application(p *dost.Person, service, key string, deadline dost.Date) *dost.Application {
	return &dost.Application{PersonID: p.ID, FIN: p.FIN, ServiceCode: service, CentreID: 1,
		Channel: dost.ApplicationAtCentre, Status: dost.ApplicationSubmitted, Deadline: deadline, SubmittedBy: 7,
		IdempotencyKey: key, Note: "at the window",
		Transitions: []*dost.Transition{{Action: "submit", To: dost.ApplicationSubmitted, ActorID: 7, ActorName: "Operator"}}}
}

// submit stores a new application and fails the test unless it was created.
func (f *caseFixture) submit(t *testing.T, a *dost.Application, docs []*dost.ApplicationDocument, e *casework.Effects) *dost.Application {
	t.Helper()
	got, created, err := f.s.CreateApplication(ctx, a, docs, e)
	ok(t, err)
	if !created || got.ID == 0 {
		t.Fatalf("submit: got created=%v id=%d, want a new application", created, got.ID)
	}
	return got
}

// move applies a transition and fails the test on error.
func (f *caseFixture) move(t *testing.T, id int64, from, to dost.ApplicationStatus, e *casework.Effects) {
	t.Helper()
	ok(t, f.s.Transition(ctx, &dost.Transition{ApplicationID: id, Action: "test", From: from, To: to, ActorID: 9}, e))
}

// approval returns the effects of approving a monthly award of programme
// for p from period, with a decision and a notification.
func (f *caseFixture) approval(p *dost.Person, programme string, period dost.Month) *casework.Effects {
	f.letter++
	code := fmt.Sprintf("L%05d", f.letter)
	return approvalWith(p, programme, period, code)
}

func approvalWith(p *dost.Person, programme string, period dost.Month, code string) *casework.Effects {
	return &casework.Effects{
		Decision: &dost.Decision{Outcome: dost.DecisionApproved, RuleSetVersion: "az-2026.11", Period: period,
			Amounts: []dost.DecisionAmount{
				{Programme: programme, Variable: programme + "_amount", PersonID: p.ID, Eligible: true, Amount: dost.AZN(320)},
				{Programme: programme, Variable: programme + "_supplement", PersonID: p.ID, Amount: 0},
			},
			Trace:    json.RawMessage(`{"period": "` + period.String() + `", "values": [1, 2.5, "üç"], "nested": {"a": true}}`),
			NotifyBy: today.AddDate(0, 0, 5), LetterCode: code, Language: "az", DecidedBy: 9},
		Awards: []*dost.Award{{Programme: programme, ServiceCode: pensionService, PersonID: p.ID, PayeeID: p.ID,
			Kind: dost.AwardMonthly, Amount: dost.AZN(320), Period: period, Start: period.First()}},
		Notifications: []*dost.Notification{{MessageID: "award.made/" + code, PersonID: p.ID, Channel: dost.NotifySMS,
			To: p.Phone, Language: "az", Topic: "award.made", Body: "Təyinat edildi."}},
	}
}

func countRows(t *testing.T, db *sqlstore.DB, table string) int {
	t.Helper()
	n, err := sqlstore.CountRows(ctx, db, table)
	ok(t, err)
	return n
}

func TestCaseStore_Applications(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		deadline := today.AddDate(0, 0, 14)
		var first *dost.Application

		t.Run("OK", func(t *testing.T) {
			a := application(f.aysel, pensionService, "key-1", deadline)
			docs := []*dost.ApplicationDocument{
				{Code: "id_card", FileName: "sv.pdf", ContentType: "application/pdf", Size: 1234, SHA256: "ab12", StorageKey: "k/1", UploadedBy: 7},
				{Code: "photo", Presented: true},
			}
			first = f.submit(t, a, docs, nil)
			if first != a || !regexp.MustCompile(`^A-2026-\d{7}$`).MatchString(a.Number) || a.Number != fmt.Sprintf("A-2026-%07d", a.ID) {
				t.Fatalf("created: got %p number %q, want a itself numbered A-2026-<id>", first, a.Number)
			}
			if a.Transitions[0].ID == 0 || docs[0].ID == 0 || docs[1].ID == 0 || docs[0].ApplicationID != a.ID || len(a.Documents) != 2 {
				t.Fatalf("created: got transition %+v, documents %+v %+v; want IDs set", a.Transitions[0], docs[0], docs[1])
			}
			if !a.SubmittedAt.Equal(dosttest.DefaultNow) || a.Period != dost.MonthOf(today) {
				t.Fatalf("created: got submitted %v period %v, want now and its month", a.SubmittedAt, a.Period)
			}
			got, err := f.s.FindApplicationByID(ctx, a.ID)
			ok(t, err)
			if got.Number != a.Number || got.FIN != f.aysel.FIN || got.Status != dost.ApplicationSubmitted || got.Deadline != deadline ||
				got.Period != a.Period || got.CentreID != 1 || got.SubmittedBy != 7 || got.Note != a.Note || got.LateSince != nil ||
				!got.SubmittedAt.Equal(a.SubmittedAt) || got.Channel != dost.ApplicationAtCentre {
				t.Fatalf("found: got %+v, want %+v", got, a)
			}
			if len(got.Transitions) != 1 || got.Transitions[0].To != dost.ApplicationSubmitted || got.Transitions[0].ActorName != "Operator" ||
				!got.Transitions[0].At.Equal(a.SubmittedAt) {
				t.Fatalf("transitions: got %+v, want the submission", got.Transitions)
			}
			if len(got.Documents) != 2 || !reflect.DeepEqual(got.Documents[0], docs[0]) || !got.Documents[1].Presented {
				t.Fatalf("documents: got %+v, want %+v", got.Documents[0], docs[0])
			}
		})
		t.Run("Idempotent", func(t *testing.T) {
			again := application(f.aysel, pensionService, "key-1", deadline)
			got, created, err := f.s.CreateApplication(ctx, again, nil, f.approval(f.aysel, "old_age_pension", dost.MonthOf(today)))
			ok(t, err)
			if created || got.ID != first.ID || len(got.Documents) != 2 || len(got.Transitions) != 1 || again.ID != 0 {
				t.Fatalf("repeat: got created=%v id=%d (first %d), %d documents, %d transitions; want the first, unchanged",
					created, got.ID, first.ID, len(got.Documents), len(got.Transitions))
			}
			if n := countRows(t, db, "decisions") + countRows(t, db, "awards"); n != 0 {
				t.Fatalf("repeat: got %d decisions and awards, want none written", n)
			}
			// Another submitter's key is their own.
			other := application(f.aysel, pensionService, "key-1", deadline)
			other.SubmittedBy = 8
			if got := f.submit(t, other, nil, nil); got.ID == first.ID {
				t.Fatal("another submitter's key: got the first application, want a new one")
			}
			// No key: never a repeat.
			for range 2 {
				f.submit(t, application(f.tural, disabilityService, "", deadline), nil, nil)
			}
		})
		t.Run("ErrUnknownPerson", func(t *testing.T) {
			a := application(f.aysel, pensionService, "", deadline)
			a.PersonID = 424242
			_, _, err := f.s.CreateApplication(ctx, a, nil, nil)
			mustCode(t, err, dost.EINVALID)
		})
		t.Run("Transition", func(t *testing.T) {
			tr := &dost.Transition{ApplicationID: first.ID, Action: dost.ActionReview, From: dost.ApplicationSubmitted,
				To: dost.ApplicationInReview, ActorID: 9, ActorName: "Case worker", Reason: "taken up"}
			f.clock.Advance(time.Hour)
			ok(t, f.s.Transition(ctx, tr, nil))
			if tr.ID == 0 || !tr.At.Equal(dosttest.DefaultNow.Add(time.Hour)) {
				t.Fatalf("transition: got id %d at %v, want an id and now", tr.ID, tr.At)
			}
			got, err := f.s.FindApplicationByID(ctx, first.ID)
			ok(t, err)
			if got.Status != dost.ApplicationInReview || len(got.Transitions) != 2 || got.Transitions[1].Reason != "taken up" ||
				!got.UpdatedAt.Equal(tr.At) {
				t.Fatalf("after transition: got %s, %d transitions, updated %v", got.Status, len(got.Transitions), got.UpdatedAt)
			}
			// The same move again: the status is no longer submitted.
			mustCode(t, f.s.Transition(ctx, &dost.Transition{ApplicationID: first.ID, Action: dost.ActionReview,
				From: dost.ApplicationSubmitted, To: dost.ApplicationInReview}, nil), dost.ECONFLICT)
			mustCode(t, f.s.Transition(ctx, &dost.Transition{ApplicationID: 424242, Action: dost.ActionReview,
				From: dost.ApplicationSubmitted, To: dost.ApplicationInReview}, nil), dost.ENOTFOUND)
			if got, _ := f.s.FindApplicationByID(ctx, first.ID); len(got.Transitions) != 2 {
				t.Fatalf("after conflicts: got %d transitions, want 2", len(got.Transitions))
			}
		})
		t.Run("Assign", func(t *testing.T) {
			ok(t, f.s.Assign(ctx, first.ID, 9))
			got, err := f.s.FindApplicationByID(ctx, first.ID)
			ok(t, err)
			if got.AssigneeID != 9 {
				t.Fatalf("assignee: got %d, want 9", got.AssigneeID)
			}
			mustCode(t, f.s.Assign(ctx, 424242, 9), dost.ENOTFOUND)
		})
		t.Run("Documents", func(t *testing.T) {
			d := &dost.ApplicationDocument{ApplicationID: first.ID, Code: "income", FileName: "i.png", ContentType: "image/png", Size: 10, StorageKey: "k/2"}
			ok(t, f.s.AddDocument(ctx, d))
			got, err := f.s.FindDocument(ctx, first.ID, d.ID)
			ok(t, err)
			if got.Code != "income" || got.StorageKey != "k/2" || got.UploadedAt.IsZero() {
				t.Fatalf("document: got %+v", got)
			}
			_, err = f.s.FindDocument(ctx, first.ID+1, d.ID)
			mustCode(t, err, dost.ENOTFOUND)
			mustCode(t, f.s.AddDocument(ctx, &dost.ApplicationDocument{ApplicationID: 424242, Code: "x"}), dost.ENOTFOUND)
			// A decided application takes no more documents.
			f.move(t, first.ID, dost.ApplicationInReview, dost.ApplicationApproved, nil)
			mustCode(t, f.s.AddDocument(ctx, &dost.ApplicationDocument{ApplicationID: first.ID, Code: "late"}), dost.ECONFLICT)
			if got, _ := f.s.FindApplicationByID(ctx, first.ID); len(got.Documents) != 3 {
				t.Fatalf("documents: got %d, want 3", len(got.Documents))
			}
		})
	})
}

func TestCaseStore_FindApplications(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		// Submitted an hour apart, deadlines in another order.
		deadlines := []int{10, 3, 7, 5}
		var apps []*dost.Application
		for i, days := range deadlines {
			p, svc := f.aysel, pensionService
			if i%2 == 1 {
				p, svc = f.tural, disabilityService
			}
			a := application(p, svc, "", today.AddDate(0, 0, days))
			a.CentreID = int64(1 + i%2)
			a.HouseholdID = int64(100 + i%2)
			apps = append(apps, f.submit(t, a, nil, nil))
			f.clock.Advance(time.Hour)
		}
		f.move(t, apps[2].ID, dost.ApplicationSubmitted, dost.ApplicationInReview, nil)
		ok(t, f.s.Assign(ctx, apps[2].ID, 9))
		late, notLate := true, false

		ids := func(as []*dost.Application) []int64 {
			var out []int64
			for _, a := range as {
				out = append(out, a.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name   string
			filter dost.ApplicationFilter
			want   []*dost.Application
			total  int
		}{
			{"All", dost.ApplicationFilter{}, []*dost.Application{apps[3], apps[2], apps[1], apps[0]}, 4},
			{"Queue", dost.ApplicationFilter{Queue: true}, []*dost.Application{apps[1], apps[3], apps[2], apps[0]}, 4},
			{"Page", dost.ApplicationFilter{Queue: true, Offset: 1, Limit: 2}, []*dost.Application{apps[3], apps[2]}, 4},
			{"Person", dost.ApplicationFilter{PersonID: f.tural.ID}, []*dost.Application{apps[3], apps[1]}, 2},
			{"Household", dost.ApplicationFilter{HouseholdID: 100}, []*dost.Application{apps[2], apps[0]}, 2},
			{"Service", dost.ApplicationFilter{ServiceCode: pensionService}, []*dost.Application{apps[2], apps[0]}, 2},
			{"Centres", dost.ApplicationFilter{CentreIDs: []int64{2, 3}}, []*dost.Application{apps[3], apps[1]}, 2},
			{"Statuses", dost.ApplicationFilter{Statuses: []dost.ApplicationStatus{dost.ApplicationInReview, dost.ApplicationApproved}}, []*dost.Application{apps[2]}, 1},
			{"Assignee", dost.ApplicationFilter{AssigneeID: 9}, []*dost.Application{apps[2]}, 1},
			{"Late", dost.ApplicationFilter{Late: &late}, nil, 0},
			{"NotLate", dost.ApplicationFilter{Late: &notLate, CentreIDs: []int64{1}, Queue: true}, []*dost.Application{apps[2], apps[0]}, 2},
			{"BadText", dost.ApplicationFilter{ServiceCode: "\x00"}, nil, 0},
			{"Services", dost.ApplicationFilter{ServiceCodes: []string{pensionService, "00-00-00-00"}, Queue: true}, []*dost.Application{apps[2], apps[0]}, 2},
			{"NoServices", dost.ApplicationFilter{ServiceCodes: []string{}}, nil, 0},
			{"BadServices", dost.ApplicationFilter{ServiceCodes: []string{"\x00"}}, nil, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, n, err := f.s.FindApplications(ctx, tc.filter)
				ok(t, err)
				if n != tc.total || !slices.Equal(ids(got), ids(tc.want)) {
					t.Fatalf("got %v (total %d), want %v (total %d)", ids(got), n, ids(tc.want), tc.total)
				}
				for _, a := range got {
					if a.Documents != nil || a.Transitions != nil || a.FIN == "" {
						t.Fatalf("got %+v, want no documents and transitions, and the FIN", a)
					}
				}
			})
		}
	})
}

func TestCaseStore_Decisions(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		period := dost.MonthOf(today)
		deadline := today.AddDate(0, 0, 10)
		a := f.submit(t, application(f.aysel, pensionService, "", deadline), nil, nil)
		f.move(t, a.ID, dost.ApplicationSubmitted, dost.ApplicationInReview, nil)
		e := f.approval(f.aysel, "old_age_pension", period)
		// A second notification with a MessageID already in the outbox.
		dup := *e.Notifications[0]
		e.Notifications = append(e.Notifications, &dup)

		t.Run("Approve", func(t *testing.T) {
			f.move(t, a.ID, dost.ApplicationInReview, dost.ApplicationApproved, e)
			d, aw := e.Decision, e.Awards[0]
			if d.ID == 0 || d.ApplicationID != a.ID || aw.ID == 0 || aw.DecisionID != d.ID || aw.ApplicationID != a.ID || aw.Status != dost.AwardActive {
				t.Fatalf("effects: got decision %+v, award %+v", d, aw)
			}
			if e.Notifications[0].ID == 0 || e.Notifications[1].ID != 0 {
				t.Fatalf("notifications: got IDs %d, %d; want the first stored and the duplicate skipped", e.Notifications[0].ID, e.Notifications[1].ID)
			}
			got, err := f.s.FindApplicationByID(ctx, a.ID)
			ok(t, err)
			if got.DecisionID != d.ID || got.Status != dost.ApplicationApproved {
				t.Fatalf("application: got decision %d status %s, want %d approved", got.DecisionID, got.Status, d.ID)
			}
		})
		t.Run("FindDecision", func(t *testing.T) {
			d := e.Decision
			for _, find := range []func() (*dost.Decision, error){
				func() (*dost.Decision, error) { return f.s.FindDecisionByID(ctx, d.ID) },
				func() (*dost.Decision, error) { return f.s.FindDecisionByLetterCode(ctx, d.LetterCode) },
			} {
				got, err := find()
				ok(t, err)
				var gotTrace, wantTrace any
				ok(t, json.Unmarshal(got.Trace, &gotTrace))
				ok(t, json.Unmarshal(d.Trace, &wantTrace))
				if !reflect.DeepEqual(gotTrace, wantTrace) {
					t.Fatalf("trace: got %s, want %s", got.Trace, d.Trace)
				}
				got.Trace = d.Trace
				if !got.DecidedAt.Equal(d.DecidedAt) {
					t.Fatalf("decided at: got %v, want %v", got.DecidedAt, d.DecidedAt)
				}
				got.DecidedAt = d.DecidedAt
				if !reflect.DeepEqual(got, d) {
					t.Fatalf("decision: got %+v, want %+v", got, d)
				}
			}
			_, err := f.s.FindDecisionByID(ctx, 424242)
			mustCode(t, err, dost.ENOTFOUND)
			for _, code := range []string{"NOPE", "", "\xff"} {
				_, err = f.s.FindDecisionByLetterCode(ctx, code)
				mustCode(t, err, dost.ENOTFOUND)
			}
		})
		t.Run("FindAward", func(t *testing.T) {
			want := e.Awards[0]
			got, err := f.s.FindAwardByID(ctx, want.ID)
			ok(t, err)
			if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
				t.Fatalf("award times: got %v %v, want %v %v", got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
			}
			got.CreatedAt, got.UpdatedAt = want.CreatedAt, want.UpdatedAt
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("award: got %+v, want %+v", got, want)
			}
			_, err = f.s.FindAwardByID(ctx, 424242)
			mustCode(t, err, dost.ENOTFOUND)
		})
		t.Run("ErrSecondAward", func(t *testing.T) {
			before := countRows(t, db, "applications")
			notes := countRows(t, db, "notifications")
			// The same period: a second award.
			_, _, err := f.s.CreateApplication(ctx, application(f.aysel, pensionService, "", deadline), nil,
				f.approval(f.aysel, "old_age_pension", period))
			mustCode(t, err, dost.ECONFLICT)
			// A later period: a second open monthly award.
			_, _, err = f.s.CreateApplication(ctx, application(f.aysel, pensionService, "", deadline), nil,
				f.approval(f.aysel, "old_age_pension", period.Add(2)))
			mustCode(t, err, dost.ECONFLICT)
			// In a transition, too; nothing of it is stored.
			b := f.submit(t, application(f.aysel, pensionService, "", deadline), nil, nil)
			f.move(t, b.ID, dost.ApplicationSubmitted, dost.ApplicationInReview, nil)
			err = f.s.Transition(ctx, &dost.Transition{ApplicationID: b.ID, Action: dost.ActionApprove,
				From: dost.ApplicationInReview, To: dost.ApplicationApproved}, f.approval(f.aysel, "old_age_pension", period.Add(1)))
			mustCode(t, err, dost.ECONFLICT)
			got, err := f.s.FindApplicationByID(ctx, b.ID)
			ok(t, err)
			if got.Status != dost.ApplicationInReview || got.DecisionID != 0 || len(got.Transitions) != 2 {
				t.Fatalf("after conflict: got %s, decision %d, %d transitions; want it untouched", got.Status, got.DecisionID, len(got.Transitions))
			}
			if n := countRows(t, db, "applications"); n != before+1 {
				t.Fatalf("applications: got %d, want %d", n, before+1)
			}
			if n, d := countRows(t, db, "notifications"), countRows(t, db, "decisions"); n != notes || d != 1 {
				t.Fatalf("got %d notifications and %d decisions, want %d and 1", n, d, notes)
			}
			// Another programme, or a one-off, is no second award.
			one := f.approval(f.aysel, "birth_grant", period)
			one.Awards[0].Kind = dost.AwardOneOff
			f.submit(t, application(f.aysel, pensionService, "", deadline), nil, one)
		})
		t.Run("EndAwards", func(t *testing.T) {
			aw := e.Awards[0]
			// Suspend, then end, then a new monthly award is allowed.
			b := f.submit(t, application(f.aysel, pensionService, "", deadline), nil, nil)
			f.move(t, b.ID, dost.ApplicationSubmitted, dost.ApplicationInReview, &casework.Effects{
				EndAwards: []casework.AwardChange{{AwardID: aw.ID, Status: dost.AwardSuspended, Reason: "review"}}})
			got, err := f.s.FindAwardByID(ctx, aw.ID)
			ok(t, err)
			if got.Status != dost.AwardSuspended || got.StatusReason != "review" || !got.End.IsZero() {
				t.Fatalf("suspended: got %+v", got)
			}
			// Ending without a last day, an unknown award: nothing stored.
			for code, c := range map[string]casework.AwardChange{
				dost.EINVALID:  {AwardID: aw.ID, Status: dost.AwardEnded},
				dost.ENOTFOUND: {AwardID: 424242, Status: dost.AwardEnded, End: today},
			} {
				err := f.s.Transition(ctx, &dost.Transition{ApplicationID: b.ID, From: dost.ApplicationInReview, To: dost.ApplicationRefused},
					&casework.Effects{EndAwards: []casework.AwardChange{c}})
				mustCode(t, err, code)
			}
			end := period.Add(1).First().AddDate(0, 0, -1)
			replacement := f.approval(f.aysel, "old_age_pension", period.Add(1))
			replacement.EndAwards = []casework.AwardChange{{AwardID: aw.ID, Status: dost.AwardEnded, End: end, Reason: "recalculated"}}
			f.move(t, b.ID, dost.ApplicationInReview, dost.ApplicationApproved, replacement)
			got, err = f.s.FindAwardByID(ctx, aw.ID)
			ok(t, err)
			if got.Status != dost.AwardEnded || got.End != end || got.StatusReason != "recalculated" {
				t.Fatalf("ended: got %+v", got)
			}
			// An ended award stays ended.
			c := f.submit(t, application(f.aysel, pensionService, "", deadline), nil, nil)
			err = f.s.Transition(ctx, &dost.Transition{ApplicationID: c.ID, From: dost.ApplicationSubmitted, To: dost.ApplicationWithdrawn},
				&casework.Effects{EndAwards: []casework.AwardChange{{AwardID: aw.ID, Status: dost.AwardActive}}})
			mustCode(t, err, dost.ECONFLICT)
		})
		t.Run("FindAwards", func(t *testing.T) {
			// Tural is the payee of a household award.
			hh := f.approval(f.tural, "tssa", period)
			hh.Awards[0].PersonID, hh.Awards[0].HouseholdID = 0, 555
			f.submit(t, application(f.tural, disabilityService, "", deadline), nil, hh)
			awardIDs := func(f dost.AwardFilter) ([]int64, int) {
				t.Helper()
				as, n, err := sqlstore.NewCaseStore(db).FindAwards(ctx, f)
				ok(t, err)
				var ids []int64
				for _, a := range as {
					ids = append(ids, a.ID)
				}
				return ids, n
			}
			all, n := awardIDs(dost.AwardFilter{})
			if n != 4 || len(all) != 4 || !slices.IsSortedFunc(all, func(a, b int64) int { return int(b - a) }) {
				t.Fatalf("all: got %v (%d), want 4 newest first", all, n)
			}
			for _, tc := range []struct {
				name   string
				filter dost.AwardFilter
				want   []int64
			}{
				{"Payee", dost.AwardFilter{PersonID: f.tural.ID}, []int64{hh.Awards[0].ID}},
				{"Household", dost.AwardFilter{HouseholdID: 555}, []int64{hh.Awards[0].ID}},
				{"Programme", dost.AwardFilter{Programme: "old_age_pension"}, []int64{all[1], e.Awards[0].ID}},
				{"Statuses", dost.AwardFilter{PersonID: f.aysel.ID, Statuses: []dost.AwardStatus{dost.AwardEnded}}, []int64{e.Awards[0].ID}},
				{"Page", dost.AwardFilter{Offset: 1, Limit: 1}, []int64{all[1]}},
			} {
				if got, _ := awardIDs(tc.filter); !slices.Equal(got, tc.want) {
					t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
				}
			}
		})
		t.Run("FindNotifications", func(t *testing.T) {
			ns, n, err := f.s.FindNotifications(ctx, dost.NotificationFilter{PersonID: f.aysel.ID, Topic: "award.made",
				Statuses: []dost.NotificationStatus{dost.NotificationPending}})
			ok(t, err)
			if n != 3 || len(ns) != 3 || ns[0].ID < ns[1].ID {
				t.Fatalf("got %d (%d), want 3 newest first", n, len(ns))
			}
			first := ns[2]
			if first.MessageID != e.Notifications[0].MessageID || first.To != f.aysel.Phone || first.Status != dost.NotificationPending ||
				!first.NextAttemptAt.Equal(first.CreatedAt) || first.SentAt != nil || first.Body != "Təyinat edildi." {
				t.Fatalf("notification: got %+v", first)
			}
			for _, filter := range []dost.NotificationFilter{{PersonID: 424242}, {Topic: "nope"},
				{Statuses: []dost.NotificationStatus{dost.NotificationSent}}, {Topic: "\x00"}} {
				if _, n, err := f.s.FindNotifications(ctx, filter); err != nil || n != 0 {
					t.Fatalf("filter %+v: got %d, %v; want none", filter, n, err)
				}
			}
		})
	})
}

func TestCaseStore_MarkLate(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		var apps []*dost.Application
		for _, days := range []int{-3, -1, 0, -2, -5} {
			apps = append(apps, f.submit(t, application(f.aysel, pensionService, "", today.AddDate(0, 0, days)), nil, nil))
		}
		// Decided in time: never late.
		f.move(t, apps[4].ID, dost.ApplicationSubmitted, dost.ApplicationInReview, nil)
		f.move(t, apps[4].ID, dost.ApplicationInReview, dost.ApplicationRefused, nil)
		now := dosttest.DefaultNow.Add(time.Hour)
		notify := func(a *dost.Application) []*dost.Notification {
			return []*dost.Notification{{MessageID: "late/" + a.Number, UserID: 9, Channel: dost.NotifyEmail,
				To: "boss@dost.gov.az", Language: "az", Topic: "application.late", Body: a.Number}}
		}
		got, err := f.s.MarkLate(ctx, today, now, notify)
		ok(t, err)
		var ids []int64
		for _, a := range got {
			ids = append(ids, a.ID)
			if a.LateSince == nil || !a.LateSince.Equal(now) {
				t.Fatalf("late since: got %v, want %v", a.LateSince, now)
			}
		}
		if want := []int64{apps[0].ID, apps[3].ID, apps[1].ID}; !slices.Equal(ids, want) {
			t.Fatalf("marked: got %v, want %v (oldest deadline first)", ids, want)
		}
		if _, n, _ := f.s.FindNotifications(ctx, dost.NotificationFilter{Topic: "application.late"}); n != 3 {
			t.Fatalf("notifications: got %d, want 3", n)
		}
		late := true
		if _, n, _ := f.s.FindApplications(ctx, dost.ApplicationFilter{Late: &late}); n != 3 {
			t.Fatalf("late applications: got %d, want 3", n)
		}
		again, err := f.s.MarkLate(ctx, today, now.Add(time.Hour), notify)
		ok(t, err)
		if len(again) != 0 {
			t.Fatalf("again: got %d, want none", len(again))
		}
		// The next day the one due today is late; no notification is fine.
		next, err := f.s.MarkLate(ctx, today.AddDate(0, 0, 1), now, nil)
		ok(t, err)
		if len(next) != 1 || next[0].ID != apps[2].ID {
			t.Fatalf("next day: got %d, want the one due today", len(next))
		}
	})
}

func TestCaseStore_DeadlineCounts(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		submit := func(svc string, centre int64, deadline dost.Date) *dost.Application {
			a := application(f.aysel, svc, "", deadline)
			a.CentreID = centre
			return f.submit(t, a, nil, nil)
		}
		decide := func(a *dost.Application) {
			f.move(t, a.ID, dost.ApplicationSubmitted, dost.ApplicationInReview, nil)
			f.move(t, a.ID, dost.ApplicationInReview, dost.ApplicationApproved, f.approval(f.aysel, "p"+a.Number, dost.MonthOf(today)))
		}
		// Decided today: on time with a deadline today, late with one before.
		decide(submit(pensionService, 1, today))
		decide(submit(pensionService, 1, today.AddDate(0, 0, -1)))
		submit(pensionService, 1, today.AddDate(0, 0, -2)) // open, late
		submit(pensionService, 2, today.AddDate(0, 0, 3))  // open, on time
		submit(disabilityService, 1, today)                // open, on time
		w := submit(disabilityService, 1, today.AddDate(0, 0, -9))
		f.move(t, w.ID, dost.ApplicationSubmitted, dost.ApplicationWithdrawn, nil) // counted nowhere
		got, err := f.s.DeadlineCounts(ctx, nil, today, today, today)
		ok(t, err)
		want := []dost.DeadlineCounts{
			{ServiceCode: disabilityService, OpenOnTime: 1},
			{ServiceCode: pensionService, OnTime: 1, Late: 1, OpenOnTime: 1, OpenLate: 1},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("all centres: got %+v, want %+v", got, want)
		}
		got, err = f.s.DeadlineCounts(ctx, []int64{2}, today.AddDate(0, 0, -30), today, today)
		ok(t, err)
		if want := []dost.DeadlineCounts{{ServiceCode: pensionService, OpenOnTime: 1}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("centre 2: got %+v, want %+v", got, want)
		}
		// Submitted at 22:00 UTC on the 15th: the 16th in Baku.
		got, err = f.s.DeadlineCounts(ctx, nil, today.AddDate(0, 0, -1), today.AddDate(0, 0, -1), today)
		ok(t, err)
		if len(got) != 0 {
			t.Fatalf("the day before: got %+v, want nothing", got)
		}
		f.clock.Set(time.Date(2026, time.November, 16, 22, 0, 0, 0, time.UTC))
		submit(pensionService, 1, today.AddDate(0, 0, 10))
		got, err = f.s.DeadlineCounts(ctx, nil, today.AddDate(0, 0, 1), today.AddDate(0, 0, 1), today)
		ok(t, err)
		if want := []dost.DeadlineCounts{{ServiceCode: pensionService, OpenOnTime: 1}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("22:00 UTC: got %+v, want %+v (the next day in Baku)", got, want)
		}
	})
}

func TestCaseStore_Holidays(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewCaseStore(db)
		for year := 2024; year <= 2030; year++ {
			hs, err := s.FindHolidays(ctx, year)
			ok(t, err)
			if len(hs) != 15 || hs[0].Date != dost.NewDate(year, time.January, 1) || hs[14].Date != dost.NewDate(year, time.December, 31) {
				t.Fatalf("%d: got %d holidays (%v … %v), want the 15 fixed ones", year, len(hs), hs[0].Date, hs[len(hs)-1].Date)
			}
		}
		hs, err := s.FindHolidays(ctx, 2026)
		ok(t, err)
		var dates []string
		for _, h := range hs {
			dates = append(dates, h.Date.String()[5:])
		}
		want := []string{"01-01", "01-02", "03-08", "03-20", "03-21", "03-22", "03-23", "03-24", "05-09", "05-28",
			"06-15", "06-26", "11-08", "11-09", "12-31"}
		if !slices.Equal(dates, want) {
			t.Fatalf("2026: got %v, want %v (20 January is a working day)", dates, want)
		}
		if n := hs[3].Name; n.AZ != "Novruz bayramı" || n.EN != "Novruz" || n.RU == "" {
			t.Fatalf("20 March: got %+v, want Novruz in three languages", n)
		}
		if hs, err := s.FindHolidays(ctx, 2031); err != nil || len(hs) != 0 {
			t.Fatalf("2031: got %v, %v; want none seeded", hs, err)
		}
		_, err = s.FindHolidays(ctx, 0)
		mustCode(t, err, dost.EINVALID)

		gurban := dost.Holiday{Date: dost.MustDate("2026-05-27"), Name: dost.Text{AZ: "Qurban bayramı", EN: "Gurban Bayram", RU: "Курбан-байрам"}}
		ok(t, s.SetHoliday(ctx, gurban))
		gurban.Name.EN = "Eid al-Adha"
		ok(t, s.SetHoliday(ctx, gurban))
		hs, err = s.FindHolidays(ctx, 2026)
		ok(t, err)
		if len(hs) != 16 || !reflect.DeepEqual(hs[9], gurban) {
			t.Fatalf("after set: got %d holidays, %+v; want 16 with %+v", len(hs), hs[9], gurban)
		}
		mustCode(t, s.SetHoliday(ctx, dost.Holiday{Date: gurban.Date}), dost.EINVALID)
		mustCode(t, s.SetHoliday(ctx, dost.Holiday{Name: gurban.Name}), dost.EINVALID)
		ok(t, s.DeleteHoliday(ctx, gurban.Date))
		mustCode(t, s.DeleteHoliday(ctx, gurban.Date), dost.ENOTFOUND)
		// The calendar the deadlines are counted with.
		hs, err = s.FindHolidays(ctx, 2026)
		ok(t, err)
		cal := dost.NewCalendar(hs)
		if got := cal.Deadline(dost.MustDate("2026-03-19"), 1, true); got != dost.MustDate("2026-03-25") {
			t.Fatalf("one working day after 19 March 2026: got %v, want 2026-03-25 (after Novruz)", got)
		}
	})
}

// TestCaseStore_Concurrent races submissions and transitions: the unique
// indexes and the conditional updates decide, whatever the interleaving.
func TestCaseStore_Concurrent(t *testing.T) {
	const n = 20
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		deadline := today.AddDate(0, 0, 10)
		period := dost.MonthOf(today)
		race := func(fn func(i int) error) []error {
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { errs[i] = fn(i) })
			}
			wg.Wait()
			return errs
		}
		// wins counts nil errors and fails on any error but a conflict.
		wins := func(t *testing.T, errs []error) int {
			t.Helper()
			won := 0
			for _, err := range errs {
				switch dost.ErrorCode(err) {
				case "":
					won++
				case dost.ECONFLICT:
				default:
					t.Errorf("got error %v, want nil or a conflict", err)
				}
			}
			return won
		}

		t.Run("IdempotencyKey", func(t *testing.T) {
			ids := make([]int64, n)
			created := make([]bool, n)
			errs := race(func(i int) error {
				a, c, err := f.s.CreateApplication(ctx, application(f.tural, disabilityService, "same-key", deadline), nil,
					approvalWith(f.tural, "disability", period, fmt.Sprintf("IDEM%02d", i)))
				if err == nil {
					ids[i], created[i] = a.ID, c
				}
				return err
			})
			for _, err := range errs {
				ok(t, err)
			}
			if c := len(slices.DeleteFunc(slices.Clone(created), func(c bool) bool { return !c })); c != 1 {
				t.Fatalf("created: got %d, want 1", c)
			}
			if ids[0] == 0 || slices.Min(ids) != slices.Max(ids) {
				t.Fatalf("IDs: got %v, want one", ids)
			}
			_, total, err := f.s.FindApplications(ctx, dost.ApplicationFilter{PersonID: f.tural.ID})
			ok(t, err)
			if total != 1 || countRows(t, db, "awards") != 1 || countRows(t, db, "decisions") != 1 {
				t.Fatalf("stored: got %d applications, %d awards, %d decisions; want 1 each",
					total, countRows(t, db, "awards"), countRows(t, db, "decisions"))
			}
		})
		t.Run("IdempotencyKeyMismatch", func(t *testing.T) {
			// One key, two different submissions racing: one is stored;
			// the same submission gets it, the other a conflict.
			p := person("CAS0009", "Nigar", "Həsənova", "1961-01-01")
			createPersons(t, db, p)
			ids := make([]int64, n)
			created := make([]bool, n)
			errs := race(func(i int) error {
				a := application(p, disabilityService, "mixed-key", deadline)
				a.SubmissionHash = []string{"hash-a", "hash-b"}[i%2]
				got, c, err := f.s.CreateApplication(ctx, a, nil, nil)
				if err == nil {
					ids[i], created[i] = got.ID, c
				}
				return err
			})
			if c := len(slices.DeleteFunc(slices.Clone(created), func(c bool) bool { return !c })); c != 1 {
				t.Fatalf("created: got %d, want 1", c)
			}
			winner := slices.Index(created, true) % 2
			var id int64
			for i, err := range errs {
				switch {
				case i%2 == winner && err != nil:
					t.Errorf("%d, the winner's submission: %v", i, err)
				case i%2 == winner && id != 0 && ids[i] != id:
					t.Errorf("%d: application %d, want %d", i, ids[i], id)
				case i%2 == winner:
					id = ids[i]
				case dost.ErrorCode(err) != dost.ECONFLICT || len(dost.ErrorFields(err)) != 1 ||
					dost.ErrorFields(err)[0].Code != "idempotency.mismatch" || dost.ErrorFields(err)[0].Field != "idempotency_key":
					t.Errorf("%d, the other submission: %v %+v, want a conflict idempotency_key/idempotency.mismatch", i, err, dost.ErrorFields(err))
				}
			}
			apps, total, err := f.s.FindApplications(ctx, dost.ApplicationFilter{PersonID: p.ID})
			ok(t, err)
			if total != 1 || apps[0].ID != id || apps[0].SubmissionHash != []string{"hash-a", "hash-b"}[winner] {
				t.Fatalf("stored: %d applications %+v, want one, %d, with the winner's hash", total, apps, id)
			}
			// An application stored without a hash (before it was kept)
			// answers any submission with its key.
			old := application(p, disabilityService, "old-key", deadline)
			f.submit(t, old, nil, nil)
			again := application(p, disabilityService, "old-key", deadline)
			again.SubmissionHash = "hash-c"
			if got, c, err := f.s.CreateApplication(ctx, again, nil, nil); err != nil || c || got.ID != old.ID {
				t.Errorf("key of an application without a hash: %+v, created %v, %v; want it", got, c, err)
			}
		})
		t.Run("AwardOnSubmission", func(t *testing.T) {
			before := countRows(t, db, "applications")
			errs := race(func(i int) error {
				_, _, err := f.s.CreateApplication(ctx, application(f.aysel, pensionService, fmt.Sprint("sub-", i), deadline), nil,
					approvalWith(f.aysel, "old_age_pension", period, fmt.Sprintf("SUB%02d", i)))
				return err
			})
			if won := wins(t, errs); won != 1 {
				t.Fatalf("submissions with the award: got %d, want 1", won)
			}
			as, _, err := f.s.FindAwards(ctx, dost.AwardFilter{PersonID: f.aysel.ID, Programme: "old_age_pension"})
			ok(t, err)
			if len(as) != 1 || countRows(t, db, "applications") != before+1 {
				t.Fatalf("got %d awards, %d new applications; want 1 and 1", len(as), countRows(t, db, "applications")-before)
			}
		})
		t.Run("AwardOnTransition", func(t *testing.T) {
			apps := make([]*dost.Application, n)
			for i := range apps {
				apps[i] = f.submit(t, application(f.aysel, pensionService, "", deadline), nil, nil)
				f.move(t, apps[i].ID, dost.ApplicationSubmitted, dost.ApplicationInReview, nil)
			}
			errs := race(func(i int) error {
				return f.s.Transition(ctx, &dost.Transition{ApplicationID: apps[i].ID, Action: dost.ActionApprove,
					From: dost.ApplicationInReview, To: dost.ApplicationApproved},
					approvalWith(f.aysel, "funeral_grant", period, fmt.Sprintf("TR%02d", i)))
			})
			if won := wins(t, errs); won != 1 {
				t.Fatalf("transitions with the award: got %d, want 1", won)
			}
			as, _, err := f.s.FindAwards(ctx, dost.AwardFilter{Programme: "funeral_grant"})
			ok(t, err)
			approved := []dost.ApplicationStatus{dost.ApplicationApproved}
			_, napproved, err := f.s.FindApplications(ctx, dost.ApplicationFilter{Statuses: approved})
			ok(t, err)
			if len(as) != 1 || napproved != 1 {
				t.Fatalf("got %d awards, %d approved applications; want 1 and 1", len(as), napproved)
			}
		})
		t.Run("OptimisticTransition", func(t *testing.T) {
			a := f.submit(t, application(f.tural, pensionService, "", deadline), nil, nil)
			f.move(t, a.ID, dost.ApplicationSubmitted, dost.ApplicationInReview, nil)
			to := []dost.ApplicationStatus{dost.ApplicationApproved, dost.ApplicationRefused}
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Go(func() {
					errs[i] = f.s.Transition(ctx, &dost.Transition{ApplicationID: a.ID, From: dost.ApplicationInReview, To: to[i]}, nil)
				})
			}
			wg.Wait()
			if won := wins(t, errs); won != 1 {
				t.Fatalf("moves from in_review: got %d winners, want 1", won)
			}
			got, err := f.s.FindApplicationByID(ctx, a.ID)
			ok(t, err)
			winner := to[0]
			if errs[0] != nil {
				winner = to[1]
			}
			if got.Status != winner || len(got.Transitions) != 3 {
				t.Fatalf("got %s with %d transitions, want %s with 3", got.Status, len(got.Transitions), winner)
			}
		})
		t.Run("MarkLate", func(t *testing.T) {
			var want []int64
			for i := range n {
				a := f.submit(t, application(f.tural, pensionService, "", today.AddDate(0, 0, -1-i%3)), nil, nil)
				want = append(want, a.ID)
			}
			notify := func(a *dost.Application) []*dost.Notification {
				return []*dost.Notification{{MessageID: "late/" + a.Number, UserID: 9, Channel: dost.NotifyEmail,
					To: "boss@dost.gov.az", Language: "az", Topic: "application.late", Body: a.Number}}
			}
			marked := make([][]*dost.Application, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Go(func() { marked[i], errs[i] = f.s.MarkLate(ctx, today, dosttest.DefaultNow, notify) })
			}
			wg.Wait()
			var got []int64
			for i := range 2 {
				ok(t, errs[i])
				for _, a := range marked[i] {
					got = append(got, a.ID)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("marked: got %v, want each of %v once", got, want)
			}
			if _, nn, _ := f.s.FindNotifications(ctx, dost.NotificationFilter{Topic: "application.late"}); nn != n {
				t.Fatalf("notifications: got %d, want %d", nn, n)
			}
		})
	})
}

// TestCaseStore_QueryPlans checks on SQLite that the lookups of one
// person's, household's or submitter's rows use an index rather than
// reading the whole table: the idempotency lookup of every submission and
// proactive award, and FindAwards, which the proactive service calls
// before every award.
func TestCaseStore_QueryPlans(t *testing.T) {
	db := dosttest.OpenDB(t, "sqlite")
	wantIndexed := func(t *testing.T, table, query string, args []any, indexes ...string) {
		t.Helper()
		plan, err := sqlstore.QueryPlan(ctx, db, query, args...)
		ok(t, err)
		if !strings.Contains(plan, "USING INDEX") && !strings.Contains(plan, "USING COVERING INDEX") ||
			strings.Contains(plan, "SCAN "+table) {
			t.Errorf("query plan of\n%s\nis\n%s\nwant an index, no SCAN %s", query, plan, table)
		}
		for _, ix := range indexes {
			if !strings.Contains(plan, "INDEX "+ix+" ") {
				t.Errorf("query plan of\n%s\nis\n%s\nwant index %s", query, plan, ix)
			}
		}
	}
	t.Run("ApplicationByKey", func(t *testing.T) {
		wantIndexed(t, "applications", sqlstore.ApplicationByKeyQuery, []any{7, "key-1"}, "applications_idempotency")
	})
	for _, tt := range []struct {
		name    string
		f       dost.ApplicationFilter
		indexes []string
	}{
		{"ApplicationsOfHousehold", dost.ApplicationFilter{HouseholdID: 3}, []string{"applications_household"}},
		{"ApplicationsOfAssignee", dost.ApplicationFilter{AssigneeID: 3}, []string{"applications_assignee"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q, args := sqlstore.ApplicationsQuery(tt.f)
			wantIndexed(t, "applications", q, args, tt.indexes...)
		})
	}
	for _, tt := range []struct {
		name    string
		f       dost.AwardFilter
		indexes []string
	}{
		{"AwardsOfPerson", dost.AwardFilter{PersonID: 3}, []string{"awards_person", "awards_payee"}},
		{"AwardsOfPersonInProgramme", dost.AwardFilter{PersonID: 3, Programme: "old_age_pension", Limit: 1000},
			[]string{"awards_person", "awards_payee"}},
		{"OpenAwardsOfPerson", dost.AwardFilter{PersonID: 3, Statuses: []dost.AwardStatus{dost.AwardActive, dost.AwardSuspended}},
			[]string{"awards_person", "awards_payee"}},
		{"AwardsOfHousehold", dost.AwardFilter{HouseholdID: 3}, []string{"awards_household"}},
		{"AwardsOfHouseholdInProgramme", dost.AwardFilter{HouseholdID: 3, Programme: "tssa"}, nil}, // awards_household or awards_beneficiary_period
	} {
		t.Run(tt.name, func(t *testing.T) {
			count, list, args := sqlstore.AwardsQueries(tt.f)
			wantIndexed(t, "awards", count, args, tt.indexes...)
			wantIndexed(t, "awards", list, args, tt.indexes...)
		})
	}
}

// A deceased beneficiary's award, checked in the insert's transaction: a
// monthly award ends with the month of death (or is refused if it would
// start after it); a one-off award is made for the funeral allowance only.
func TestCaseStore_DeceasedBeneficiary(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		died := dost.MustDate("2026-10-20")
		deceased := dost.PersonDeceased
		if _, err := sqlstore.NewPersonService(db).UpdatePerson(ctx, f.tural.FIN, dost.PersonUpdate{Status: &deceased, DeathDate: &died}); err != nil {
			t.Fatal(err)
		}
		october := dost.MonthOf(died)
		award := func(programme string, kind dost.AwardKind, period dost.Month) (*dost.Award, error) {
			e := f.approval(f.tural, programme, period)
			e.Awards[0].Kind = kind
			_, _, err := f.s.CreateApplication(ctx, application(f.tural, pensionService, "", today), nil, e)
			return e.Awards[0], err
		}
		t.Run("MonthlyEndsWithTheMonthOfDeath", func(t *testing.T) {
			w, err := award("old_age_pension", dost.AwardMonthly, october.Add(-1))
			ok(t, err)
			got, err := f.s.FindAwardByID(ctx, w.ID)
			ok(t, err)
			if want := dost.MustDate("2026-10-31"); got.End != want {
				t.Errorf("got end %s, want %s", got.End, want)
			}
		})
		t.Run("ErrMonthlyAfterDeath", func(t *testing.T) {
			before := countRows(t, db, "awards")
			_, err := award("disability_allowance", dost.AwardMonthly, october.Add(1))
			mustCode(t, err, dost.EINVALID)
			if err != nil && !strings.Contains(err.Error(), "died before the award would start") {
				t.Errorf("got %q, want the death named", err)
			}
			if n := countRows(t, db, "awards"); n != before {
				t.Errorf("got %d awards, want %d", n, before)
			}
		})
		t.Run("ErrOneOff", func(t *testing.T) {
			_, err := award("birth_allowance", dost.AwardOneOff, october)
			mustCode(t, err, dost.EINVALID)
		})
		t.Run("FuneralAllowance", func(t *testing.T) {
			_, err := award("funeral_allowance", dost.AwardOneOff, october)
			ok(t, err)
		})
		t.Run("Alive", func(t *testing.T) {
			e := f.approval(f.aysel, "old_age_pension", october)
			_, _, err := f.s.CreateApplication(ctx, application(f.aysel, pensionService, "", today), nil, e)
			ok(t, err)
			w := e.Awards[0]
			if !w.End.IsZero() {
				t.Errorf("got end %s, want open-ended", w.End)
			}
		})
	})
}
