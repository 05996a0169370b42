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
	svc := noRulesService(t, ts)
	a := inReview(t, ts, svc, "manual")
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

// noRulesService returns a benefit service dost has no rules for that the
// fixtures' centre offers in person.
func noRulesService(t *testing.T, ts *dosttest.TestServer) *dost.Service {
	t.Helper()
	f := ts.Fixtures
	all, _, err := ts.Catalogue.FindServices(context.Background(), dost.ServiceFilter{ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(s *dost.Service) bool {
		return ts.Casework.NoRules(s) && s.Offers(dost.ChannelInPerson) && slices.Contains(f.Centre.Services, s.Code)
	})
	if i < 0 {
		t.Fatalf("no benefit service without rules is offered in person at %s", f.Centre.Code)
	}
	return all[i]
}

// inReview returns the fixtures' head's application for svc (idempotency
// key key), in review by the case worker.
func inReview(t *testing.T, ts *dosttest.TestServer, svc *dost.Service, key string) *dost.Application {
	t.Helper()
	ctx, f := context.Background(), ts.Fixtures
	n := &dost.NewApplication{FIN: f.Head.FIN, ServiceCode: svc.Code, Channel: dost.ApplicationAtCentre, CentreID: f.Centre.ID, IdempotencyKey: key}
	for _, d := range svc.Documents {
		if d.Required {
			n.Documents = append(n.Documents, dost.NewDocument{Code: d.Code, Presented: true})
		}
	}
	a, _, err := ts.Casework.SubmitApplication(dost.NewContextWithUser(ctx, f.Users[dost.RoleOperator]), n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Casework.Act(dost.NewContextWithUser(ctx, f.Users[dost.RoleCaseWorker]), a.ID, dost.TransitionRequest{Action: dost.ActionReview}); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestUIManualOverturn: on the appeal against the refusal of a benefit
// service dost has no rules for, the overturn form takes a manual award
// (its own element ids), which the overturn stores with the figures
// entered; bad figures are told next to their fields and change nothing.
// A second one-off award of the service is refused next to the fieldset.
func TestUIManualOverturn(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) { testUIManualOverturn(t, dialect) })
	}
}

func testUIManualOverturn(t *testing.T, dialect string) {
	ts := dosttest.NewServer(t, dialect)
	linkStaff(t, ts)
	ctx := context.Background()
	f := ts.Fixtures
	svc := noRulesService(t, ts)
	if len(svc.RefusalReasons) == 0 {
		t.Fatalf("the service %s has no refusal reasons", svc.Code)
	}
	a := inReview(t, ts, svc, "overturn")
	cw := dost.NewContextWithUser(ctx, f.Users[dost.RoleCaseWorker])
	refusal, err := ts.Casework.Decide(cw, a.ID, dost.TransitionRequest{Action: dost.ActionRefuse, ReasonCode: svc.RefusalReasons[0].Code})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Casework.Act(cw, a.ID, dost.TransitionRequest{Action: dost.ActionAppeal, Reason: "The applicant disagrees."}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/applications/%d/decide", a.ID)
	uiCase{role: dost.RoleCaseWorker, path: path + "?lang=en", status: 200,
		want: []string{`id="overturn-manual-award"`, `id="overturn-manual-kind"`, `for="overturn-manual-amount"`, `id="overturn-manual-start"`,
			`id="overturn-manual-end"`, "dost has no rules for this service: to approve with an award, enter it by hand below", "Manual award"},
		notWant: []string{`id="manual-award"`, "with the amounts the rules compute"}}.run(t, ts)
	uiCase{role: dost.RoleCaseWorker, path: path + "?lang=az", status: 200, want: []string{"Əl ilə təyinat", "İmtinanın ləğvi müraciəti təmin edir. dost-da"}}.run(t, ts)
	uiCase{role: dost.RoleCaseWorker, path: path + "?lang=ru", status: 200, want: []string{"Назначение вручную", "Отмена отказа одобряет заявление. В dost"}}.run(t, ts)

	c := ts.Client(dost.RoleCaseWorker)
	today := dost.Today(ts.Server.Clock)
	post := func(path, action, lang string, form url.Values) (int, string) {
		t.Helper()
		form.Set("action", action)
		resp, body := uiPost(t, ts, c, path+"?lang="+lang, form)
		return resp.StatusCode, body
	}
	awards := func() []*dost.Award {
		t.Helper()
		list, _, err := ts.Casework.FindAwards(ctx, dost.AwardFilter{PersonID: f.Head.ID})
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	before := len(awards())
	for _, c := range []struct {
		lang string
		form url.Values
		want []string
	}{
		{"en", url.Values{"manual_kind": {"monthly"}, "manual_amount": {"abc"}},
			[]string{`id="overturn-manual-amount-error"`, `aria-describedby="overturn-manual-amount-error"`, "Enter an amount in AZN above 0",
				`id="overturn-manual-start-error"`, `id="overturn-reason-error"`, `value="abc"`}},
		{"ru", url.Values{"manual_kind": {"one_off"}, "manual_amount": {"200"}, "manual_start": {today.String()},
			"manual_end": {today.AddDate(0, 1, 0).String()}, "reason": {"По закону."}},
			[]string{`id="overturn-manual-end-error"`, "у единовременного назначения его нет"}},
		{"az", url.Values{"manual_kind": {"weekly"}, "manual_amount": {"200"}, "manual_start": {today.String()}, "reason": {"Qanuna görə."}},
			[]string{`id="overturn-manual-kind-error"`, "Aylıq və ya birdəfəlik seçin."}},
	} {
		status, body := post(path, "overturn", c.lang, c.form)
		if status != 400 {
			t.Errorf("%v: status %d, want 400", c.form, status)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%v: the page lacks %q", c.form, w)
			}
		}
	}
	if got, _ := ts.Casework.FindApplicationByID(ctx, a.ID); got.Status != dost.ApplicationAppealed || got.DecisionID != refusal.ID || len(awards()) != before {
		t.Fatalf("refused forms changed something: %s, decision %d, %d awards", got.Status, got.DecisionID, len(awards()))
	}

	status, body := post(path, "overturn", "en", url.Values{"manual_kind": {"one_off"}, "manual_amount": {"250,75"}, "manual_start": {today.String()},
		"reason": {"The applicant is not employed: the record was wrong."}})
	if status != 303 {
		t.Fatalf("overturn: %d\n%s", status, excerpt(body))
	}
	got, err := ts.Casework.FindApplicationByID(ctx, a.ID)
	if err != nil || got.Status != dost.ApplicationOverturned {
		t.Fatalf("after the overturn: %+v, %v; want overturned", got, err)
	}
	d, err := ts.Casework.FindDecisionByID(ctx, got.DecisionID)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := casework.ManualOf(d); !ok || d.Outcome != dost.DecisionApproved || d.AppealOf != refusal.ID ||
		*m != (casework.ManualAward{Kind: dost.AwardOneOff, Amount: 25075, Start: today}) {
		t.Errorf("decision: %+v, manual %+v", d, m)
	}
	list := awards()
	if len(list) != before+1 {
		t.Fatalf("awards: %d, want %d", len(list), before+1)
	}
	if w := list[0]; w.Programme != casework.ManualProgrammePrefix+svc.Code || w.Kind != dost.AwardOneOff || w.Amount != 25075 ||
		w.Start != today || w.DecisionID != d.ID || w.ApplicationID != a.ID {
		t.Errorf("award: %+v", w)
	}
	uiCase{role: dost.RoleCaseWorker, path: path + "?lang=en", status: 200,
		want: []string{`id="decision-manual"`, "One-off: 250.75 AZN", "The applicant is not employed: the record was wrong."}}.run(t, ts)
	resp, err := c.Get(ts.URL + fmt.Sprintf("/applications/%d/letter.pdf", a.ID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("letter: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// A second one-off award of the service would pay twice: told next to
	// the fieldset, in the page's language, and nothing is stored.
	b := inReview(t, ts, svc, "second one-off")
	second := fmt.Sprintf("/applications/%d/decide", b.ID)
	status, body = post(second, "approve", "en", url.Values{"manual_kind": {"one_off"}, "manual_amount": {"100"},
		"manual_start": {today.AddDate(0, 2, 0).String()}, "reason": {"Another month."}})
	if status != 409 {
		t.Errorf("a second one-off award: %d, want 409", status)
	}
	for _, w := range []string{`id="manual-error"`, "a one-off award of this service already", "Some fields need attention"} {
		if !strings.Contains(body, w) {
			t.Errorf("a second one-off award: the page lacks %q\n%s", w, excerpt(body))
		}
	}
	if got, _ := ts.Casework.FindApplicationByID(ctx, b.ID); got.Status != dost.ApplicationInReview || len(awards()) != before+1 {
		t.Errorf("the refused second one-off award changed something: %s, %d awards", got.Status, len(awards()))
	}
}
