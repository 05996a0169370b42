package http_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestUIManualAward: the decision screen of a benefit service dost has no
// rules for says so and lets the case worker approve with a manual award;
// bad figures are told next to their fields in the page's language and
// change nothing.
func TestUIManualAward(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) { testUIManualAward(t, dialect) })
	}
}

func testUIManualAward(t *testing.T, dialect string) {
	ts := dosttest.NewServer(t, dialect)
	linkStaff(t, ts)
	ctx := context.Background()
	f := ts.Fixtures
	all, _, err := ts.Catalogue.FindServices(ctx, dost.ServiceFilter{ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(s *dost.Service) bool {
		return ts.Casework.NoRules(s) && s.Offers(dost.ChannelInPerson) && slices.Contains(f.Centre.Services, s.Code)
	})
	if i < 0 {
		t.Fatalf("no benefit service without rules is offered in person at %s", f.Centre.Code)
	}
	svc := all[i]
	n := &dost.NewApplication{FIN: f.Head.FIN, ServiceCode: svc.Code, Channel: dost.ApplicationAtCentre, CentreID: f.Centre.ID, IdempotencyKey: "manual"}
	for _, d := range svc.Documents {
		if d.Required {
			n.Documents = append(n.Documents, dost.NewDocument{Code: d.Code, Presented: true})
		}
	}
	a, _, err := ts.Casework.SubmitApplication(dost.NewContextWithUser(ctx, f.Users[dost.RoleOperator]), n)
	if err != nil {
		t.Fatal(err)
	}
	cw := dost.NewContextWithUser(ctx, f.Users[dost.RoleCaseWorker])
	if _, err := ts.Casework.Act(cw, a.ID, dost.TransitionRequest{Action: dost.ActionReview}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/applications/%d/decide", a.ID)
	uiCase{role: dost.RoleCaseWorker, path: path + "?lang=en", status: 200,
		want:    []string{`id="decide-no-rules"`, "dost has no rules for this service", `id="manual-award"`, `name="manual_kind"`},
		notWant: []string{"This service pays no benefit"}}.run(t, ts)
	uiCase{role: dost.RoleCaseWorker, path: path + "?lang=az", status: 200, want: []string{"dost-da bu xidmət üçün qaydalar yoxdur"}}.run(t, ts)
	uiCase{role: dost.RoleCaseWorker, path: path + "?lang=ru", status: 200, want: []string{"В dost нет правил для этой услуги"}}.run(t, ts)

	c := ts.Client(dost.RoleCaseWorker)
	today := dost.Today(ts.Server.Clock)
	post := func(lang string, form url.Values) (int, string) {
		t.Helper()
		form.Set("action", "approve")
		resp, body := uiPost(t, ts, c, path+"?lang="+lang, form)
		return resp.StatusCode, body
	}
	awards := func() int {
		t.Helper()
		_, n, err := ts.Casework.FindAwards(ctx, dost.AwardFilter{PersonID: f.Head.ID})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := awards()
	for _, c := range []struct {
		lang string
		form url.Values
		want []string
	}{
		{"en", url.Values{"manual_kind": {"monthly"}, "manual_amount": {"abc"}},
			[]string{`id="manual-amount-error"`, "Enter an amount in AZN above 0", `id="manual-start-error"`, `id="approve-reason-error"`}},
		{"ru", url.Values{"manual_kind": {"one_off"}, "manual_amount": {"200"}, "manual_start": {today.String()},
			"manual_end": {today.AddDate(0, 1, 0).String()}, "reason": {"По закону."}},
			[]string{`id="manual-end-error"`, "у единовременного назначения его нет"}},
		{"az", url.Values{"manual_kind": {"weekly"}, "manual_amount": {"200"}, "manual_start": {today.String()}, "reason": {"Qanuna görə."}},
			[]string{`id="manual-kind-error"`, "Aylıq və ya birdəfəlik seçin."}},
	} {
		status, body := post(c.lang, c.form)
		if status != 400 {
			t.Errorf("%v: status %d, want 400", c.form, status)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%v: the page lacks %q", c.form, w)
			}
		}
	}
	if got, _ := ts.Casework.FindApplicationByID(ctx, a.ID); got.Status != dost.ApplicationInReview || awards() != before {
		t.Fatalf("refused forms changed something: %s, %d awards", got.Status, awards())
	}

	status, body := post("en", url.Values{"manual_kind": {"monthly"}, "manual_amount": {"150,50"}, "manual_start": {today.String()}, "reason": {"The law's amount for a carer."}})
	if status != 303 {
		t.Fatalf("approve: %d\n%s", status, excerpt(body))
	}
	uiCase{role: dost.RoleCaseWorker, path: path + "?lang=en", status: 200,
		want: []string{`id="decision-manual"`, "Manual award", "Monthly: 150.50 AZN", "The law&#39;s amount for a carer."}}.run(t, ts)
	// Its letter and verification page work as for any decision.
	resp, err := c.Get(ts.URL + fmt.Sprintf("/applications/%d/letter.pdf", a.ID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("letter: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	list, _, err := ts.Casework.FindAwards(ctx, dost.AwardFilter{PersonID: f.Head.ID})
	if err != nil || len(list) != before+1 {
		t.Fatalf("awards: %d, %v", len(list), err)
	}
	if w := list[0]; w.Programme != casework.ManualProgrammePrefix+svc.Code || w.Amount != 15050 || w.Start != today {
		t.Errorf("award: %+v", w)
	}
}
