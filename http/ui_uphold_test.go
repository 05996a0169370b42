package http_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestUIUphold: on the decision screen, upholding an appeal is a decision:
// not by a member of the applicant's household (403), and by another case
// worker it shows the upheld decision with its letter.
func TestUIUphold(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		linkStaff(t, ts)
		f := ts.Fixtures
		const password = "a long test password 42"
		spouse := &dost.User{Username: "caseworker-spouse-ui", Name: "Leyla Aliyeva", Roles: []dost.Role{dost.RoleCaseWorker},
			CentreIDs: []int64{f.Centre.ID}, PersonID: &f.Spouse.ID}
		if err := ts.Users.CreateUser(context.Background(), spouse, password); err != nil {
			t.Fatal(err)
		}
		operator, caseworker := ts.Token(dost.RoleOperator), ts.Token(dost.RoleCaseWorker)
		r := send(t, ts, http.DefaultClient, bearer(operator, "Idempotency-Key", "ui-uphold"), "POST", "/api/v1/applications",
			birthApplication(f.Head.FIN, "birth_certificate", "id_card"))
		if r.Status != http.StatusCreated {
			t.Fatalf("submit: got %d: %s", r.Status, r.Body)
		}
		var a applicationView
		r.decode(t, &a)
		path := "/applications/" + strconv.FormatInt(a.ID, 10)
		for _, step := range []map[string]any{{"action": "review"}, {"action": "refuse", "reason_code": "not_eligible"},
			{"action": "appeal", "reason": "The applicant disagrees."}} {
			if r := send(t, ts, http.DefaultClient, bearer(caseworker), "POST", "/api/v1"+path+"/transitions", step); r.Status != http.StatusOK {
				t.Fatalf("%s: got %d: %s", step["action"], r.Status, r.Body)
			}
		}
		uphold := url.Values{"action": {"uphold"}, "reason": {"The refusal was right."}}

		resp, body := uiPost(t, ts, signIn(t, ts, spouse.Username, password), path+"/decide?lang=en", uphold)
		wantPage(t, resp, body, http.StatusForbidden)
		if got := send(t, ts, http.DefaultClient, bearer(caseworker), "GET", "/api/v1"+path, nil); got.Status != http.StatusOK {
			t.Fatalf("get: %d", got.Status)
		} else {
			var after applicationView
			got.decode(t, &after)
			if after.Status != dost.ApplicationAppealed {
				t.Errorf("status %s after the spouse's uphold, want appealed", after.Status)
			}
		}

		resp, _ = uiPost(t, ts, ts.Client(dost.RoleCaseWorker), path+"/decide", uphold)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("uphold by another case worker: got %d", resp.StatusCode)
		}
		uiCase{role: dost.RoleCaseWorker, path: path + "/decide?lang=en", status: 200,
			want: []string{"Appeal dismissed", "The refusal was right."}}.run(t, ts)
	})
}
