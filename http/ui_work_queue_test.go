package http_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestUIWorkQueueScope: by default the work queue shows the case worker's
// services, those of their certifications' categories or, with none, those
// offered at their centres; "all services" shows every one.
func TestUIWorkQueueScope(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) { testUIWorkQueueScope(t, dialect) })
	}
}

func testUIWorkQueueScope(t *testing.T, dialect string) {
	ts := dosttest.NewServer(t, dialect)
	ctx := context.Background()
	f := ts.Fixtures
	all, _, err := ts.Catalogue.FindServices(ctx, dost.ServiceFilter{ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	// One application of a benefit (pensions and benefits) and one of a
	// certificate, both at the case worker's centre.
	open := func(cat dost.Category, key string) *dost.Application {
		t.Helper()
		for _, s := range all {
			if s.Category != cat || !s.Offers(dost.ChannelInPerson) || !slices.Contains(f.Centre.Services, s.Code) {
				continue
			}
			n := &dost.NewApplication{FIN: f.Child.FIN, ServiceCode: s.Code, Channel: dost.ApplicationAtCentre, CentreID: f.Centre.ID, IdempotencyKey: key}
			for _, d := range s.Documents {
				if d.Required {
					n.Documents = append(n.Documents, dost.NewDocument{Code: d.Code, Presented: true})
				}
			}
			a, _, err := ts.Casework.SubmitApplication(dost.NewContextWithUser(ctx, f.Users[dost.RoleOperator]), n)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		t.Fatalf("no %s service is offered in person at %s", cat, f.Centre.Code)
		return nil
	}
	benefit := open(dost.CategoryPensionsBenefits, "queue-benefit")
	cert := open(dost.CategoryCertificates, "queue-certificate")

	// A case worker who also works at a counter (an operator: only
	// operators are certified), at the fixture centre.
	cw := &dost.User{Username: "cw-operator", Name: "Case Worker Operator", Roles: []dost.Role{dost.RoleCaseWorker, dost.RoleOperator},
		CentreIDs: []int64{f.Centre.ID}}
	if err := ts.Users.CreateUser(ctx, cw, "cw-operator-pw-1"); err != nil {
		t.Fatal(err)
	}
	c := signIn(t, ts, cw.Username, "cw-operator-pw-1")
	get := func(path string, want, notWant []string) {
		t.Helper()
		resp, err := c.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantPage(t, resp, string(b), http.StatusOK, want...)
		for _, s := range notWant {
			if strings.Contains(string(b), s) {
				t.Errorf("%s shows %q", path, s)
			}
		}
	}

	// No certification: the centre's services, both applications.
	get("/applications?lang=en", []string{"Showing the services offered at your centres", `id="queue-all"`, benefit.Number, cert.Number, "Showing 1–2 of 2"}, nil)

	// Certified for pensions and benefits: only that category's.
	admin := dost.NewContextWithUser(ctx, f.Users[dost.RoleAdmin])
	today := dost.Today(ts.Server.Clock)
	if err := ts.Hall.CreateCertification(admin, &dost.Certification{OperatorID: cw.ID,
		Category: dost.CategoryPensionsBenefits, ValidFrom: today.AddDate(0, 0, -1), ValidUntil: today.AddDate(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	get("/applications?lang=az", []string{"Sertifikatınız olan kateqoriyaların xidmətləri göstərilir", benefit.Number, "1–1"}, []string{cert.Number})
	// The toggle: all services, checked, and both applications.
	get("/applications?lang=ru&all=1", []string{"Показаны все услуги.", `name="all" value="1" checked`, benefit.Number, cert.Number}, nil)
	// A service chosen explicitly is shown even outside the certified ones.
	get("/applications?lang=en&service="+cert.ServiceCode, []string{cert.Number}, []string{benefit.Number})
	// Assigned to the case worker: theirs, whatever the service.
	if _, err := ts.Casework.Assign(admin, cert.ID, cw.ID); err != nil {
		t.Fatal(err)
	}
	get("/applications?lang=en&mine=1", []string{"Showing the applications assigned to you, of any service.", cert.Number}, []string{benefit.Number})
	// The next page of the merged services is empty.
	get("/applications?lang=en&page=2", []string{`rel="prev"`}, []string{benefit.Number})
	// The case worker without a certification still sees the centre's.
	uiCase{role: dost.RoleCaseWorker, path: "/applications?lang=en", status: 200, want: []string{benefit.Number, cert.Number}}.run(t, ts)
}
