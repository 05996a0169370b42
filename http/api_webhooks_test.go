package http_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/webhooks"
)

// TestWebhooksAPI subscribes a receiver on loopback through the API, makes
// a decision, delivers it signed, reads the delivery back through the API,
// and checks the refusals: roles, bad input, the secret shown once.
func TestWebhooksAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		ctx := context.Background()
		var (
			mu     sync.Mutex // guards got
			got    []string   // verified webhook-ids
			secret string
		)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if err := webhooks.Verify(secret, r.Header, body, ts.DB.Clock().Now(), 0); err != nil {
				t.Errorf("receiver: %v", err)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			got = append(got, r.Header.Get(webhooks.HeaderID))
		}))
		defer receiver.Close()

		var sub dost.WebhookSubscription
		run(t, ts, []apiCase{
			{name: "CreateByCaseWorker", role: dost.RoleCaseWorker, method: "POST", path: "/api/v1/webhooks", status: 403,
				body: map[string]any{"url": receiver.URL, "event_types": []string{"application.decided"}}},
			{name: "ListByAuditor", role: dost.RoleAuditor, method: "GET", path: "/api/v1/webhooks", status: 403},
			{name: "CreateInvalid", role: dost.RoleAdmin, method: "POST", path: "/api/v1/webhooks", status: 400,
				body:     map[string]any{"url": "ftp://x", "event_types": []string{"award.made"}},
				contains: []string{`"webhook.url_invalid"`, `"webhook.event_unknown"`}, field: "url",
				check: func(t *testing.T, r *result) {
					if subs, _ := ts.WebhookStore.FindWebhookSubscriptions(ctx); len(subs) != 0 {
						t.Errorf("%d subscriptions stored", len(subs))
					}
				}},
			{name: "CreateUnknownField", role: dost.RoleAdmin, method: "POST", path: "/api/v1/webhooks", status: 400,
				body: map[string]any{"url": receiver.URL, "event_types": []string{"payment.paid"}, "secret": "mine"}},
			{name: "Create", role: dost.RoleAdmin, method: "POST", path: "/api/v1/webhooks", status: 201,
				body:     map[string]any{"url": receiver.URL + "/hooks", "event_types": []string{"application.decided", "payment.paid"}, "description": "Ministry of Finance"},
				contains: []string{`"secret":"whsec_`, `"active":true`},
				check: func(t *testing.T, r *result) {
					r.decode(t, &sub)
					secret = sub.Secret
					if r.Header.Get("Location") != "/api/v1/webhooks/"+strconv.FormatInt(sub.ID, 10) || sub.CreatedBy != ts.Fixtures.Users[dost.RoleAdmin].ID {
						t.Errorf("created %+v at %q", sub, r.Header.Get("Location"))
					}
				}},
		})
		path := "/api/v1/webhooks/" + strconv.FormatInt(sub.ID, 10)
		run(t, ts, []apiCase{
			{name: "ListNoSecret", role: dost.RoleAdmin, method: "GET", path: "/api/v1/webhooks", status: 200,
				contains: []string{`"total":1`, `"Ministry of Finance"`}, excludes: []string{secret, `"secret"`}},
			{name: "GetNoSecret", role: dost.RoleAdmin, method: "GET", path: path, status: 200, excludes: []string{secret, `"secret"`}},
			{name: "GetUnknown", role: dost.RoleAdmin, method: "GET", path: "/api/v1/webhooks/9999", status: 404},
			{name: "DeliveriesBadStatus", role: dost.RoleAdmin, method: "GET", path: path + "/deliveries?status=lost", status: 400, field: "status"},
			{name: "DeliveriesUnknown", role: dost.RoleAdmin, method: "GET", path: "/api/v1/webhooks/9999/deliveries", status: 404},
		})

		// A decision through the store's transaction, as casework makes it.
		f := ts.Fixtures
		app, _, err := ts.Cases.CreateApplication(ctx, &dost.Application{PersonID: f.Child.ID, FIN: f.Child.FIN,
			ServiceCode: f.Service.Code, CentreID: f.Centre.ID, Channel: dost.ApplicationAtCentre, Status: dost.ApplicationSubmitted,
			Deadline: dost.Today(ts.DB.Clock()).AddDate(0, 0, 10), SubmittedBy: f.Users[dost.RoleOperator].ID, IdempotencyKey: "wh-1",
			Transitions: []*dost.Transition{{Action: "submit", To: dost.ApplicationSubmitted, ActorID: f.Users[dost.RoleOperator].ID}}}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		decision := &dost.Decision{Outcome: dost.DecisionRefused, ReasonCode: "test", Period: dost.MonthOf(dost.Today(ts.DB.Clock())),
			LetterCode: "WHK1-TEST-0000-0001", Language: "az", DecidedBy: f.Users[dost.RoleCaseWorker].ID}
		err = ts.Cases.Transition(ctx, &dost.Transition{ApplicationID: app.ID, Action: dost.ActionRefuse, From: dost.ApplicationSubmitted,
			To: dost.ApplicationRefused, ActorID: f.Users[dost.RoleCaseWorker].ID}, &casework.Effects{Decision: decision})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := ts.Deliverer.DeliverDue(ctx); err != nil || n != 1 {
			t.Fatalf("DeliverDue = %d, %v; want 1 attempted", n, err)
		}
		want := fmt.Sprintf("msg_decision_%d_s%d", decision.ID, sub.ID)
		mu.Lock()
		if len(got) != 1 || got[0] != want {
			t.Errorf("receiver got %v, want %s", got, want)
		}
		mu.Unlock()
		run(t, ts, []apiCase{
			{name: "Deliveries", role: dost.RoleAdmin, method: "GET", path: path + "/deliveries?status=delivered", status: 200,
				contains: []string{`"total":1`, `"event_type":"application.decided"`, `"decision":"refused"`, `"status":"delivered"`,
					fmt.Sprintf(`"application_id":%d`, app.ID), `"service":"` + f.Service.Code + `"`},
				excludes: []string{string(f.Child.FIN), f.Child.FirstName}},
			{name: "DeleteByOperator", role: dost.RoleOperator, method: "DELETE", path: path, status: 403},
			{name: "Delete", role: dost.RoleAdmin, method: "DELETE", path: path, status: 204},
			{name: "DeleteAgain", role: dost.RoleAdmin, method: "DELETE", path: path, status: 204},
			{name: "DeleteUnknown", role: dost.RoleAdmin, method: "DELETE", path: "/api/v1/webhooks/9999", status: 404},
			{name: "Removed", role: dost.RoleAdmin, method: "GET", path: path, status: 200,
				contains: []string{`"active":false`, `"removed_at"`}},
		})
		if strings.Contains(ts.Logs.String(), secret) {
			t.Errorf("the secret is in the logs")
		}
	})
}
