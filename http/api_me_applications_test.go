package http_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestMeApplicationsAPI applies online and acts through the citizen API on
// both databases: idempotency, bad input as problem+json with field errors
// (nothing stored), another citizen's application 404, and the actions of
// the portal only.
func TestMeApplicationsAPI(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) { testMeApplicationsAPI(t, dialect) })
	}
}

func testMeApplicationsAPI(t *testing.T, dialect string) {
	f := newPortalFixture(t, dialect)
	ts, fx := f.ts, f.ts.Fixtures
	ctx := context.Background()
	// Mine (Child's) asks for information; theirs (Head's) is refused,
	// open to appeal.
	mine := f.openApplication(t, fx.Child, "me-api-mine")
	if _, err := ts.Casework.Act(f.staff(dost.RoleCaseWorker), mine.ID, dost.TransitionRequest{Action: dost.ActionRequestInformation,
		Reason: "Send the birth certificate."}); err != nil {
		t.Fatal(err)
	}
	theirs := f.openApplication(t, fx.Head, "me-api-theirs")
	if _, err := ts.Casework.Decide(f.staff(dost.RoleCaseWorker), theirs.ID, dost.TransitionRequest{Action: dost.ActionRefuse,
		ReasonCode: "not_eligible", Reason: "No newborn."}); err != nil {
		t.Fatal(err)
	}

	all, _, err := ts.Catalogue.FindServices(ctx, dost.ServiceFilter{ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var online, inPerson *dost.Service
	for _, s := range all {
		switch {
		case s.Offers(dost.ChannelOnline) && online == nil && len(s.Documents) > 0 && s.Documents[0].Required:
			online = s
		case !s.Offers(dost.ChannelOnline) && inPerson == nil:
			inPerson = s
		}
	}
	if online == nil || inPerson == nil {
		t.Fatal("the catalogue has no online service with a required document, or none in person only")
	}
	count := func() int {
		t.Helper()
		_, n, err := ts.Casework.FindApplications(ctx, dost.ApplicationFilter{PersonID: fx.Child.ID})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// submit sends the application JSON and, with docs, every document of
	// the online service as a file part.
	submit := func(tok, key, application string, docs bool) *result {
		t.Helper()
		parts := []filePart{{field: "application", content: []byte(application)}}
		if docs {
			for _, d := range online.Documents {
				parts = append(parts, filePart{field: "document:" + d.Code, fileName: d.Code + ".png", content: pngBytes})
			}
		}
		body, ct := multipartBody(t, parts...)
		h := bearer(tok, "Content-Type", ct)
		if key != "" {
			h.Set("Idempotency-Key", key)
		}
		return send(t, ts, http.DefaultClient, h, "POST", "/api/v1/me/applications", body)
	}
	fields := func(r *result) []string {
		var out []string
		for _, e := range r.Problem.Errors {
			out = append(out, e.Field+":"+e.Code)
		}
		return out
	}
	good := `{"service_code":"` + online.Code + `","note":"By the app."}`

	t.Run("BadInput", func(t *testing.T) {
		before := count()
		for _, c := range []struct {
			name, key, body string
			docs            bool
			want            string
		}{
			{"NoKey", "", good, true, "Idempotency-Key:idempotency_key.required"},
			{"MissingDocument", "bad-1", good, false, "documents." + online.Documents[0].Code + ":document.missing"},
			{"NotOnline", "bad-2", `{"service_code":"` + inPerson.Code + `"}`, true, "service_code:channel.not_offered"},
			{"UnknownService", "bad-3", `{"service_code":"99-99-99-99"}`, true, "service_code:"},
			{"OtherPerson", "bad-4", `{"service_code":"` + online.Code + `","fin":"` + string(fx.Head.FIN) + `"}`, true, "fin:field.unknown"},
			{"Presented", "bad-5", `{"service_code":"` + online.Code + `","documents":[{"code":"x","presented":true}]}`, true, "documents:field.unknown"},
			{"Channel", "bad-6", `{"service_code":"` + online.Code + `","channel":"centre"}`, true, "channel:field.unknown"},
			{"Unknown field", "bad-7", `{"service_code":"` + online.Code + `","colour":"red"}`, true, "colour:field.unknown"},
		} {
			r := submit(f.meTok, c.key, c.body, c.docs)
			got := fields(r)
			if r.Status != http.StatusBadRequest || !slices.ContainsFunc(got, func(s string) bool { return len(s) >= len(c.want) && s[:len(c.want)] == c.want }) {
				t.Errorf("%s: got %d %v, want 400 with %s\n%s", c.name, r.Status, got, c.want, r.Body)
			}
		}
		if n := count(); n != before {
			t.Errorf("refused submissions stored applications: %d → %d", before, n)
		}
	})

	var created meApp
	t.Run("Create", func(t *testing.T) {
		before := count()
		r := submit(f.meTok, "app-1", good, true)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		r.decode(t, &created)
		if created.PersonID != fx.Child.ID || created.Channel != dost.ApplicationOnline || created.Status != dost.ApplicationSubmitted ||
			len(created.Documents) != len(online.Documents) || !slices.Contains(created.AllowedActions, dost.ActionWithdraw) {
			t.Errorf("created: %+v", created)
		}
		if loc := r.Header.Get("Location"); loc != "/api/v1/me/applications/"+strconv.FormatInt(created.ID, 10) {
			t.Errorf("Location %q", loc)
		}
		// A retry with the same key: the same application, 200.
		again := submit(f.meTok, "app-1", good, true)
		var second meApp
		again.decode(t, &second)
		if again.Status != http.StatusOK || second.ID != created.ID {
			t.Errorf("retry: %d, id %d, want 200 and %d", again.Status, second.ID, created.ID)
		}
		if n := count(); n != before+1 {
			t.Errorf("applications: got %d, want %d", n, before+1)
		}
		// Staff may not use the citizen API.
		if r := call(t, ts, dost.RoleOperator, "POST", "/api/v1/me/applications", good); r.Status != http.StatusForbidden {
			t.Errorf("operator: got %d, want 403", r.Status)
		}
		// The portal's form keys live apart ("portal:…"): the same text as
		// an API key makes a new application, never answers with the
		// portal's.
		parts := []filePart{{field: "service", content: []byte(online.Code)}, {field: "key", content: []byte("shared-1")},
			{field: "note", content: []byte("Online.")}}
		for _, d := range online.Documents {
			parts = append(parts, filePart{field: "doc." + d.Code, fileName: d.Code + ".png", content: pngBytes})
		}
		body, ct := multipartBody(t, parts...)
		f.do(t, f.me, "POST", "/my/applications?lang=en", ct, strings.NewReader(body)).redirect(t, "/my/applications/")
		if r := submit(f.meTok, "portal:shared-1", good, true); r.Status != http.StatusCreated {
			t.Errorf("API key portal:shared-1 after the portal's form key shared-1: got %d, want 201 (a new application)\n%s", r.Status, r.Body)
		}
	})

	act := func(tok string, id int64, body string) *result {
		t.Helper()
		return send(t, ts, http.DefaultClient, bearer(tok), "POST", "/api/v1/me/applications/"+strconv.FormatInt(id, 10)+"/transitions", body)
	}
	t.Run("Transitions", func(t *testing.T) {
		// Another citizen's application, an unknown one: 404, unchanged.
		for _, id := range []int64{mine.ID, 999999} {
			if r := act(f.otherTok, id, `{"action":"withdraw"}`); r.Status != http.StatusNotFound {
				t.Errorf("other withdraws %d: got %d, want 404", id, r.Status)
			}
		}
		if st := f.status(t, mine.ID); st != dost.ApplicationInformationRequested {
			t.Fatalf("my application after the other's attempt: %s", st)
		}
		// Bad input: 400 with the field, nothing changed.
		for body, want := range map[string]string{
			`{"action":"approve"}`:           "action:application_action.not_allowed",
			`{}`:                             "action:required",
			`{"action":"withdraw","x":1}`:    "x:field.unknown",
			`{"action":"appeal","reason":1}`: "reason:",
		} {
			r := act(f.meTok, mine.ID, body)
			got := fields(r)
			if r.Status != http.StatusBadRequest || !slices.ContainsFunc(got, func(s string) bool { return len(s) >= len(want) && s[:len(want)] == want }) {
				t.Errorf("%s: got %d %v, want 400 with %s", body, r.Status, got, want)
			}
		}
		// An appeal of an undecided application: 409.
		if r := act(f.meTok, mine.ID, `{"action":"appeal","reason":"No."}`); r.Status != http.StatusConflict {
			t.Errorf("appeal undecided: got %d, want 409", r.Status)
		}
		// Provide the information asked for.
		r := act(f.meTok, mine.ID, `{"action":"provide_information","reason":"Uploaded."}`)
		var got meApp
		r.decode(t, &got)
		if r.Status != http.StatusOK || got.Status != dost.ApplicationInReview {
			t.Errorf("provide information: %d %s", r.Status, r.Body)
		}
		// The other citizen appeals their refusal: a reason is required.
		r = act(f.otherTok, theirs.ID, `{"action":"appeal"}`)
		if r.Status != http.StatusBadRequest || !slices.Contains(fields(r), "reason:required") {
			t.Errorf("appeal without a reason: %d %v", r.Status, fields(r))
		}
		if r = act(f.otherTok, theirs.ID, `{"action":"appeal","reason":"I have a newborn."}`); r.Status != http.StatusOK {
			t.Errorf("appeal: %d %s", r.Status, r.Body)
		}
		if st := f.status(t, theirs.ID); st != dost.ApplicationAppealed {
			t.Errorf("after the appeal: %s", st)
		}
		// Withdraw the application made through the API.
		if r = act(f.meTok, created.ID, `{"action":"withdraw"}`); r.Status != http.StatusOK {
			t.Errorf("withdraw: %d %s", r.Status, r.Body)
		}
		if st := f.status(t, created.ID); st != dost.ApplicationWithdrawn {
			t.Errorf("after withdrawing: %s", st)
		}
	})
}

// meApp is an application as the citizen API answers it.
type meApp struct {
	dost.Application
	AllowedActions []dost.ApplicationAction `json:"allowed_actions"`
}
