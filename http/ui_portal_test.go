package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// portalFixture is a test server with two citizens: me (the seeded
// citizen account, Fixtures.Child, in no household) and other (an account
// of Fixtures.Head added here, whose household holds Fixtures.Spouse),
// each signed in with a password through the session API, and each with
// a bearer token.
type portalFixture struct {
	ts              *dosttest.TestServer
	me, other       *http.Client
	meTok, otherTok string
	otherUser       *dost.User
}

// otherPassword is the password of the second citizen's account.
const otherPassword = "head-citizen-pw-1"

// newPortalFixture starts a server of dialect with the two citizens.
func newPortalFixture(t *testing.T, dialect string) *portalFixture {
	t.Helper()
	ts := dosttest.NewServer(t, dialect)
	linkStaff(t, ts)
	f := &portalFixture{ts: ts, me: ts.Client(dost.RoleCitizen), meTok: ts.Token(dost.RoleCitizen)}
	head := ts.Fixtures.Head
	f.otherUser = &dost.User{Username: "fin:" + string(head.FIN), Name: head.FullName(), Roles: []dost.Role{dost.RoleCitizen}, PersonID: &head.ID}
	if err := ts.Users.CreateUser(context.Background(), f.otherUser, otherPassword); err != nil {
		t.Fatal(err)
	}
	_, tok, err := ts.Users.CreateAPIToken(context.Background(), f.otherUser.ID, "test", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.otherTok = tok
	f.other = signIn(t, ts, f.otherUser.Username, otherPassword)
	return f
}

// signIn returns a client signed in with a password, not following
// redirects.
func signIn(t *testing.T, ts *dosttest.TestServer, username, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := c.Post(ts.URL+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("sign in %s: status %d", username, resp.StatusCode)
	}
	return c
}

// page is one answer of a portal page.
type portalAnswer struct {
	Status   int
	Location string
	Body     string
}

// do sends a request with c and returns the answer.
func (f *portalFixture) do(t *testing.T, c *http.Client, method, path, contentType string, body io.Reader) portalAnswer {
	t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return portalAnswer{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(b)}
}

// get requests a page.
func (f *portalFixture) get(t *testing.T, c *http.Client, path string) portalAnswer {
	t.Helper()
	return f.do(t, c, "GET", path, "", nil)
}

// post sends a form.
func (f *portalFixture) post(t *testing.T, c *http.Client, path string, form url.Values) portalAnswer {
	t.Helper()
	return f.do(t, c, "POST", path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// want fails unless a has the status and holds every string of want.
func (a portalAnswer) want(t *testing.T, status int, want ...string) {
	t.Helper()
	if a.Status != status {
		t.Fatalf("got status %d, want %d\n%s", a.Status, status, excerpt(a.Body))
	}
	for _, s := range want {
		if !strings.Contains(a.Body, s) {
			t.Errorf("body lacks %q\n%s", s, excerpt(a.Body))
		}
	}
}

// redirect fails unless a is a 303 to a location starting with prefix.
func (a portalAnswer) redirect(t *testing.T, prefix string) {
	t.Helper()
	if a.Status != http.StatusSeeOther || !strings.HasPrefix(a.Location, prefix) {
		t.Fatalf("got %d to %q, want 303 to %s…\n%s", a.Status, a.Location, prefix, excerpt(a.Body))
	}
}

// staff returns ctx acting as the seeded user of role.
func (f *portalFixture) staff(role dost.Role) context.Context {
	return dost.NewContextWithUser(context.Background(), f.ts.Fixtures.Users[role])
}

// openApplication submits a birth allowance application for p at the
// fixture centre (documents presented) and has a case worker review it.
func (f *portalFixture) openApplication(t *testing.T, p *dost.Person, key string) *dost.Application {
	t.Helper()
	a, _, err := f.ts.Casework.SubmitApplication(f.staff(dost.RoleOperator), &dost.NewApplication{
		FIN: p.FIN, ServiceCode: birthService, Channel: dost.ApplicationAtCentre, CentreID: f.ts.Fixtures.Centre.ID, IdempotencyKey: key,
		Documents: []dost.NewDocument{{Code: "birth_certificate", Presented: true}, {Code: "id_card", Presented: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ts.Casework.Act(f.staff(dost.RoleCaseWorker), a.ID, dost.TransitionRequest{Action: dost.ActionReview}); err != nil {
		t.Fatal(err)
	}
	return a
}

// status returns application id's status now.
func (f *portalFixture) status(t *testing.T, id int64) dost.ApplicationStatus {
	t.Helper()
	a, err := f.ts.Casework.FindApplicationByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Status
}

func idPath(prefix string, id int64) string { return prefix + strconv.FormatInt(id, 10) }

// offerIn returns the offer id of os, or nil.
func offerIn(os []*dost.Offer, id int64) *dost.Offer {
	for _, o := range os {
		if o.ID == id {
			return o
		}
	}
	return nil
}

// seed gives the fixture's citizens records: the other citizen (Head)
// an unemployment offer (after a dismissal) and a refused application open
// to appeal, and their household an award (a birth to Spouse); me (Child)
// an application whose case worker asks for information.
func (f *portalFixture) seed(t *testing.T) (mine, theirs *dost.Application, offer *dost.Offer) {
	t.Helper()
	ts, fx := f.ts, f.ts.Fixtures
	ctx := context.Background()
	// The other citizen's household: a dismissal makes Head an offer; a
	// birth to Spouse makes an award for the newborn paid to Spouse.
	svc, err := ts.Catalogue.FindServiceByCode(ctx, "04-01-02-00")
	if err != nil {
		t.Fatal(err)
	}
	for i := range svc.Documents {
		svc.Documents[i].Required = false
	}
	if err := ts.Catalogue.SaveService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if err := ts.Records.CreateInsurancePeriod(ctx, &dost.InsurancePeriod{PersonID: fx.Head.ID, Employer: "Zavod",
		From: dost.MustDate("2000-01-01"), MonthlyWage: dost.AZN(1000)}); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []map[string]any{
		{"id": "emp-1", "kind": "employment_ended", "fin": string(fx.Head.FIN), "date": "2026-11-13",
			"employment": map[string]any{"reason": "staff_cut", "employer_tin": "1234567890"}},
		eventBody(ts, "civil-1", "4NEW001"),
	} {
		if r := call(t, ts, dost.RoleRegistry, "POST", "/api/v1/events", ev); r.Status != http.StatusCreated {
			t.Fatalf("event %v: %d %s", ev["id"], r.Status, r.Body)
		}
	}
	// The events re-evaluate the household too: Head may be offered TSSA
	// as well; the unemployment benefit is the offer used here.
	offers, err := ts.Proactive.FindOffers(f.staff(dost.RoleOperator), fx.Head.ID)
	for _, o := range offers {
		if o.Programme == "unemployment_benefit" {
			offer = o
		}
	}
	if err != nil || offer == nil {
		t.Fatalf("offers of Head: %v, %v; want the unemployment benefit", offers, err)
	}

	// My applications: one asks for information, one of the other's is
	// refused (open to appeal).
	mine = f.openApplication(t, fx.Child, "portal-mine")
	if _, err := ts.Casework.Act(f.staff(dost.RoleCaseWorker), mine.ID, dost.TransitionRequest{Action: dost.ActionRequestInformation,
		Reason: "Send the birth certificate."}); err != nil {
		t.Fatal(err)
	}
	theirs = f.openApplication(t, fx.Head, "portal-theirs")
	if _, err := ts.Casework.Decide(f.staff(dost.RoleCaseWorker), theirs.ID, dost.TransitionRequest{Action: dost.ActionRefuse,
		ReasonCode: "not_eligible", Reason: "No newborn."}); err != nil {
		t.Fatal(err)
	}

	return mine, theirs, offer
}

// TestPortal walks the citizen's account on both databases: every page,
// every form, the JSON API, and for every route with an id another
// citizen's id answering 404 and changing nothing.
func TestPortal(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) { testPortal(t, dialect) })
	}
}

func testPortal(t *testing.T, dialect string) {
	f := newPortalFixture(t, dialect)
	ts, fx := f.ts, f.ts.Fixtures
	ctx := context.Background()
	me, other := f.me, f.other

	mine, theirs, offer := f.seed(t)

	t.Run("Access", func(t *testing.T) {
		f.get(t, newBrowserlikeClient(t), "/my").redirect(t, "/signin")
		f.get(t, ts.Client(dost.RoleOperator), "/my").want(t, http.StatusForbidden)
		if r := call(t, ts, dost.RoleOperator, "GET", "/api/v1/me/awards", nil); r.Status != http.StatusForbidden {
			t.Errorf("operator reads /api/v1/me/awards: got %d, want 403", r.Status)
		}
	})

	t.Run("Overview", func(t *testing.T) {
		a := f.get(t, me, "/my?lang=en")
		a.want(t, http.StatusOK, `aria-current="page">Overview`, "Send the documents asked for", mine.Number,
			`href="/my/applications/`+strconv.FormatInt(mine.ID, 10)+`#documents"`, `href="/my/certificates"`, `href="/my/viewers"`)
		if strings.Contains(a.Body, theirs.Number) || strings.Contains(a.Body, "Confirm or decline") {
			t.Errorf("my overview shows the other citizen's to-do\n%s", excerpt(a.Body))
		}
		b := f.get(t, other, "/my?lang=en")
		b.want(t, http.StatusOK, "Confirm or decline the offer", "You may appeal the decision", theirs.Number,
			"/my/offers#offer-"+strconv.FormatInt(offer.ID, 10), `#appeal"`)
		if strings.Contains(b.Body, mine.Number) {
			t.Errorf("the other's overview shows my application")
		}
		// Russian and Azerbaijani.
		f.get(t, me, "/my?lang=ru").want(t, http.StatusOK, "Что нужно сделать", "Отправьте запрошенные документы")
		f.get(t, me, "/my?lang=az").want(t, http.StatusOK, "Görüləcək işlər")
		f.get(t, me, "/my?lang=en").want(t, http.StatusOK)
	})

	t.Run("Benefits", func(t *testing.T) {
		b := f.get(t, other, "/my/benefits?lang=en")
		b.want(t, http.StatusOK, `id="award-`) // the newborn's award, paid to Spouse
		if !strings.Contains(b.Body, "Aliyeva") {
			t.Errorf("the household member's name is not shown\n%s", excerpt(b.Body))
		}
		a := f.get(t, me, "/my/benefits?lang=en")
		a.want(t, http.StatusOK, "No benefit is awarded")
		r := send(t, ts, http.DefaultClient, bearer(f.otherTok), "GET", "/api/v1/me/awards", nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"programme":"birth_allowance"`) {
			t.Errorf("other's awards: %d %s", r.Status, r.Body)
		}
		r = send(t, ts, http.DefaultClient, bearer(f.meTok), "GET", "/api/v1/me/awards", nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"total":0`) {
			t.Errorf("my awards: %d %s", r.Status, r.Body)
		}
	})

	t.Run("Offers", func(t *testing.T) {
		path := idPath("/my/offers/", offer.ID)
		// Not mine: 404, and the offer stays open.
		f.post(t, me, path, url.Values{"answer": {"accept"}}).want(t, http.StatusNotFound)
		f.post(t, me, "/my/offers/abc", url.Values{"answer": {"accept"}}).want(t, http.StatusNotFound)
		if os, _ := ts.Proactive.FindOffers(f.staff(dost.RoleOperator), fx.Head.ID); os[0].Status != dost.OfferSent {
			t.Fatalf("offer after another citizen's answer: %s", os[0].Status)
		}
		f.get(t, me, "/my/offers?lang=en").want(t, http.StatusOK, "You have no offers.", `<a href="/my/offers" aria-current="page">Offers</a>`)
		f.post(t, other, path, url.Values{"answer": {"maybe"}}).want(t, http.StatusBadRequest)
		f.get(t, other, "/my/offers?lang=en").want(t, http.StatusOK, "Waiting for your answer", `id="offer-`+strconv.FormatInt(offer.ID, 10)+`-accept"`)
		f.post(t, other, path, url.Values{"answer": {"accept"}}).redirect(t, "/my/offers?done=accept")
		f.get(t, other, "/my/offers?done=accept&lang=en").want(t, http.StatusOK, "the offer is confirmed", "See the application")
		// A double click on accept: the answer stands, as the first time.
		f.post(t, other, path, url.Values{"answer": {"accept"}}).redirect(t, "/my/offers?done=accept")
		f.post(t, other, path, url.Values{"answer": {"decline"}}).want(t, http.StatusConflict, "This offer can no longer be answered.")
		r := send(t, ts, http.DefaultClient, bearer(f.otherTok), "GET", "/api/v1/me/offers", nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"accepted"`) {
			t.Errorf("other's offers: %d %s", r.Status, r.Body)
		}
	})

	t.Run("PaymentsOfMyAward", func(t *testing.T) {
		// The confirmed offer's application, approved, pays the other
		// citizen: the payroll's cycle makes their payment.
		all, err := ts.Proactive.FindOffers(f.staff(dost.RoleOperator), fx.Head.ID)
		accepted := offerIn(all, offer.ID)
		if err != nil || accepted == nil || accepted.ApplicationID == 0 {
			t.Fatalf("accepted offer: %v %v", all, err)
		}
		os := []*dost.Offer{accepted}
		// Head has an account: the payment carries its IBAN, which the
		// portal never shows.
		const headIBAN = "AZ21NABZ00000000137010001944"
		iban := headIBAN
		if _, err := ts.Persons.UpdatePerson(ctx, fx.Head.FIN, dost.PersonUpdate{IBAN: &iban}); err != nil {
			t.Fatal(err)
		}
		cw := f.staff(dost.RoleCaseWorker)
		if _, err := ts.Casework.Act(cw, os[0].ApplicationID, dost.TransitionRequest{Action: dost.ActionReview}); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Casework.Decide(cw, os[0].ApplicationID, dost.TransitionRequest{Action: dost.ActionApprove}); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Payroll.PrepareCycle(f.staff(dost.RolePayroll), "unemployment_benefit", os[0].Period); err != nil {
			t.Fatal(err)
		}
		ps, n, err := ts.Payroll.FindPayments(f.staff(dost.RolePayroll), dost.PaymentFilter{PayeeID: fx.Head.ID})
		if err != nil || n == 0 {
			t.Fatalf("payments to Head: %d %v", n, err)
		}
		a := f.get(t, other, "/my/payments?lang=en")
		a.want(t, http.StatusOK, `id="payment-`+strconv.FormatInt(ps[0].ID, 10)+`"`, ps[0].Amount.String(), "Being prepared")
		if ps[0].IBAN != headIBAN {
			t.Fatalf("payment IBAN %q, want Head's %s", ps[0].IBAN, headIBAN)
		}
		if strings.Contains(a.Body, headIBAN) {
			t.Errorf("the payments page shows the IBAN")
		}
		f.get(t, me, "/my/payments?lang=en").want(t, http.StatusOK, "No payment has been made to you yet.")
		r := send(t, ts, http.DefaultClient, bearer(f.otherTok), "GET", "/api/v1/me/payments", nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"pending"`) || strings.Contains(string(r.Body), `"iban":`) ||
			strings.Contains(string(r.Body), headIBAN) {
			t.Errorf("other's payments by the API: %d %s", r.Status, r.Body)
		}
		// Paging: a page past the last is empty, not an error.
		f.get(t, other, "/my/payments?page=9&lang=en").want(t, http.StatusOK, "No payment has been made to you yet.")
		f.get(t, other, "/my/benefits?lang=en").want(t, http.StatusOK, "Unemployment")
	})

	t.Run("ApplicationPages", func(t *testing.T) {
		path := idPath("/my/applications/", mine.ID)
		f.get(t, me, "/my/applications?lang=en").want(t, http.StatusOK, mine.Number, "information requested")
		f.get(t, me, path+"?lang=en").want(t, http.StatusOK, mine.Number, `id="upload-form"`, `id="provide-form"`, `id="withdraw-form"`, "History")
		// Another citizen's application, an unknown one and a bad id: 404.
		for _, p := range []string{idPath("/my/applications/", theirs.ID), "/my/applications/999999", "/my/applications/x"} {
			f.get(t, me, p).want(t, http.StatusNotFound)
		}
		f.get(t, other, path).want(t, http.StatusNotFound)
		if r := send(t, ts, http.DefaultClient, bearer(f.otherTok), "GET", "/api/v1/me/applications/"+strconv.FormatInt(mine.ID, 10), nil); r.Status != http.StatusNotFound {
			t.Errorf("other reads my application by the API: got %d, want 404", r.Status)
		}
		r := send(t, ts, http.DefaultClient, bearer(f.meTok), "GET", "/api/v1/me/applications/"+strconv.FormatInt(mine.ID, 10), nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"allowed_actions":["provide_information","withdraw"]`) {
			t.Errorf("my application by the API: %d %s", r.Status, r.Body)
		}
		r = send(t, ts, http.DefaultClient, bearer(f.meTok), "GET", "/api/v1/me/applications", nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), mine.Number) || strings.Contains(string(r.Body), theirs.Number) {
			t.Errorf("my applications by the API: %d %s", r.Status, r.Body)
		}
	})

	t.Run("UploadAndProvide", func(t *testing.T) {
		path := idPath("/my/applications/", mine.ID)
		body, ct := multipartBody(t, filePart{field: "code", content: []byte("birth_certificate")},
			filePart{field: "file", fileName: "cert.png", content: pngBytes})
		// The other citizen cannot upload to my application.
		f.do(t, other, "POST", path+"/documents", ct, strings.NewReader(body)).want(t, http.StatusNotFound)
		// A file that is not PDF, JPEG or PNG is refused on the page.
		bad, badCT := multipartBody(t, filePart{field: "code", content: []byte("birth_certificate")},
			filePart{field: "file", fileName: "x.exe", content: []byte("MZ not a document at all")})
		f.do(t, me, "POST", path+"/documents?lang=en", badCT, strings.NewReader(bad)).want(t, http.StatusBadRequest, `id="upload-file-error"`)
		f.do(t, me, "POST", path+"/documents", ct, strings.NewReader(body)).redirect(t, path+"?done=upload")
		a, err := ts.Casework.FindApplicationByID(ctx, mine.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(a.Documents); n != 3 {
			t.Errorf("documents after the upload: got %d, want 3", n)
		}
		f.post(t, other, path+"/actions", url.Values{"action": {"provide_information"}}).want(t, http.StatusNotFound)
		if got := f.status(t, mine.ID); got != dost.ApplicationInformationRequested {
			t.Fatalf("after another citizen's action: %s", got)
		}
		f.post(t, me, path+"/actions", url.Values{"action": {"approve"}}).want(t, http.StatusBadRequest)
		f.post(t, me, path+"/actions", url.Values{"action": {"provide_information"}}).redirect(t, path+"?done=provide_information")
		if got := f.status(t, mine.ID); got != dost.ApplicationInReview {
			t.Fatalf("after providing: %s, want in_review", got)
		}
	})

	t.Run("Appeal", func(t *testing.T) {
		path := idPath("/my/applications/", theirs.ID)
		f.post(t, me, path+"/actions", url.Values{"action": {"appeal"}, "reason": {"Not fair."}}).want(t, http.StatusNotFound)
		f.post(t, other, path+"/actions?lang=en", url.Values{"action": {"appeal"}}).want(t, http.StatusBadRequest, `id="appeal-reason-error"`)
		if got := f.status(t, theirs.ID); got != dost.ApplicationRefused {
			t.Fatalf("after refused appeals: %s", got)
		}
		f.get(t, other, path+"?lang=en").want(t, http.StatusOK, `id="appeal-form"`, "Refused")
		f.post(t, other, path+"/actions", url.Values{"action": {"appeal"}, "reason": {"My child was born on 2 November."}}).redirect(t, path+"?done=appeal")
		if got := f.status(t, theirs.ID); got != dost.ApplicationAppealed {
			t.Fatalf("after the appeal: %s", got)
		}
		f.get(t, other, path+"?done=appeal&lang=en").want(t, http.StatusOK, "Your appeal has been sent.")
	})

	t.Run("ApplyOnline", func(t *testing.T) {
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
		page := f.get(t, me, "/my/applications/new?lang=en")
		page.want(t, http.StatusOK, `value="`+online.Code+`"`)
		if strings.Contains(page.Body, `value="`+inPerson.Code+`"`) {
			t.Errorf("the apply page offers %s, which is not online", inPerson.Code)
		}
		f.get(t, me, "/my/applications/new?service="+inPerson.Code).want(t, http.StatusBadRequest)
		form := f.get(t, me, "/my/applications/new?lang=en&service="+online.Code)
		form.want(t, http.StatusOK, `id="apply-form"`, `name="doc.`+online.Documents[0].Code+`"`)

		submit := func(c *http.Client, service, key string, withDocs bool) portalAnswer {
			parts := []filePart{{field: "service", content: []byte(service)}, {field: "key", content: []byte(key)}, {field: "note", content: []byte("Online.")}}
			if withDocs {
				for _, d := range online.Documents {
					parts = append(parts, filePart{field: "doc." + d.Code, fileName: d.Code + ".png", content: pngBytes})
				}
			}
			body, ct := multipartBody(t, parts...)
			return f.do(t, c, "POST", "/my/applications?lang=en", ct, strings.NewReader(body))
		}
		count := func() int {
			_, n, err := ts.Casework.FindApplications(ctx, dost.ApplicationFilter{PersonID: fx.Child.ID})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		submit(me, online.Code, "k1", false).want(t, http.StatusBadRequest, `id="apply-doc-`+online.Documents[0].Code+`-error"`)
		submit(me, inPerson.Code, "k1", true).want(t, http.StatusBadRequest, `id="apply-service-error"`)
		if n := count(); n != before {
			t.Fatalf("refused submissions stored applications: %d → %d", before, n)
		}
		first := submit(me, online.Code, "k1", true)
		first.redirect(t, "/my/applications/")
		// The same form again (a double click): the same application.
		second := submit(me, online.Code, "k1", true)
		second.redirect(t, "/my/applications/")
		if first.Location != second.Location {
			t.Errorf("double submit: %s then %s", first.Location, second.Location)
		}
		if n := count(); n != before+1 {
			t.Errorf("applications after a double submit: got %d, want %d", n, before+1)
		}
		id, err := strconv.ParseInt(strings.TrimPrefix(strings.Split(first.Location, "?")[0], "/my/applications/"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ts.Casework.FindApplicationByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Channel != dost.ApplicationOnline || a.PersonID != fx.Child.ID || a.Status != dost.ApplicationSubmitted {
			t.Errorf("application: channel %s, person %d, status %s", a.Channel, a.PersonID, a.Status)
		}
		// Withdraw before the decision; the other citizen cannot.
		path := idPath("/my/applications/", id)
		f.post(t, other, path+"/actions", url.Values{"action": {"withdraw"}}).want(t, http.StatusNotFound)
		f.post(t, me, path+"/actions", url.Values{"action": {"withdraw"}}).redirect(t, path+"?done=withdraw")
		if got := f.status(t, id); got != dost.ApplicationWithdrawn {
			t.Errorf("after withdrawing: %s", got)
		}
		// A double click: withdrawn already, the done page again.
		f.post(t, me, path+"/actions?lang=en", url.Values{"action": {"withdraw"}}).redirect(t, path+"?done=withdraw")
		// Another action on a withdrawn application is refused.
		f.post(t, me, path+"/actions?lang=en", url.Values{"action": {"provide_information"}}).want(t, http.StatusConflict)
	})

	t.Run("Appointments", func(t *testing.T) {
		today := dost.Today(ts.DB.Clock())
		var slot *dost.Slot
		for d := 0; d < 14 && slot == nil; d++ {
			day := today.AddDate(0, 0, d)
			from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, dost.Baku)
			slots, err := ts.Hall.FindSlots(ctx, dost.SlotFilter{CentreID: fx.Centre.ID, ServiceCode: fx.Service.Code,
				From: from, Until: from.AddDate(0, 0, 1), FreeOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range slots {
				if s.Start.After(ts.DB.Clock().Now().Add(time.Hour)) {
					slot = s
					break
				}
			}
		}
		if slot == nil {
			t.Fatal("no free slot in 14 days")
		}
		day := slot.Start.In(dost.Baku).Format("2006-01-02")
		f.get(t, me, "/my/appointments/new?lang=en").want(t, http.StatusOK, `id="book-centre"`)
		f.get(t, me, "/my/appointments/new?lang=en&centre="+fx.Centre.Code+"&service="+fx.Service.Code+"&day="+day).
			want(t, http.StatusOK, `id="book-form"`, string(fx.Child.FIN))
		form := url.Values{"centre": {fx.Centre.Code}, "service": {fx.Service.Code}, "day": {day},
			"start": {slot.Start.UTC().Format(time.RFC3339)}, "phone": {"not a phone"}}
		f.post(t, me, "/my/appointments?lang=en", form).want(t, http.StatusBadRequest, `id="book-phone-error"`)
		form.Set("phone", "+994 50 123 45 67")
		f.post(t, me, "/my/appointments", form).redirect(t, "/my/appointments?done=book")
		list, _, err := ts.Hall.FindAppointments(ctx, dost.AppointmentFilter{PersonID: fx.Child.ID})
		if err != nil || len(list) != 1 {
			t.Fatalf("my appointments: %v, %v", list, err)
		}
		ap := list[0]
		if ap.FIN != fx.Child.FIN || ap.Channel != dost.ApplicationOnline {
			t.Errorf("booked: FIN %s, channel %s", ap.FIN, ap.Channel)
		}
		f.get(t, me, "/my/appointments?lang=en").want(t, http.StatusOK, ap.Code, `id="appointment-`+strconv.FormatInt(ap.ID, 10)+`-cancel"`)
		f.get(t, me, "/my?lang=en").want(t, http.StatusOK, "/my/appointments#appointment-"+strconv.FormatInt(ap.ID, 10))
		if b := f.get(t, other, "/my/appointments?lang=en"); strings.Contains(b.Body, ap.Code) {
			t.Errorf("the other citizen sees my booking")
		}
		cancel := idPath("/my/appointments/", ap.ID) + "/cancel"
		f.post(t, other, cancel, nil).want(t, http.StatusNotFound)
		if a, _ := ts.Hall.FindAppointmentByID(ctx, ap.ID); a.Status != dost.AppointmentBooked {
			t.Fatalf("after another citizen's cancel: %s", a.Status)
		}
		r := send(t, ts, http.DefaultClient, bearer(f.meTok), "GET", "/api/v1/me/appointments", nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), ap.Code) {
			t.Errorf("my appointments by the API: %d %s", r.Status, r.Body)
		}
		f.post(t, me, cancel, nil).redirect(t, "/my/appointments?done=cancel")
		// A double click: cancelled already, the done page again.
		f.post(t, me, cancel+"?lang=en", nil).redirect(t, "/my/appointments?done=cancel")
	})

	t.Run("Payments", func(t *testing.T) {
		f.get(t, me, "/my/payments?lang=en").want(t, http.StatusOK, "No payment has been made to you yet.")
		f.get(t, me, "/my/payments?page=0").want(t, http.StatusBadRequest)
		r := send(t, ts, http.DefaultClient, bearer(f.meTok), "GET", "/api/v1/me/payments?limit=5", nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"limit":5`) {
			t.Errorf("my payments by the API: %d %s", r.Status, r.Body)
		}
		if r := send(t, ts, http.DefaultClient, bearer(f.meTok), "GET", "/api/v1/me/payments?limit=0", nil); r.Status != http.StatusBadRequest {
			t.Errorf("limit 0: got %d, want 400", r.Status)
		}
	})

	t.Run("Profile", func(t *testing.T) {
		profile := f.get(t, me, "/my/profile?lang=en")
		profile.want(t, http.StatusOK, `id="profile-form"`, string(fx.Child.FIN), "We send text-message notices to this number.")
		if strings.Contains(profile.Body, "cancel the booking") {
			t.Error("the profile's phone hint speaks of a booking")
		}
		bad := url.Values{"phone": {"12"}, "email": {"not-an-address"}, "language": {"de"}}
		f.post(t, me, "/my/profile?lang=en", bad).want(t, http.StatusBadRequest, `id="profile-phone-error"`, `id="profile-email-error"`, `id="profile-language-error"`)
		if p, _ := ts.Persons.FindPersonByID(ctx, fx.Child.ID); p.Phone != fx.Child.Phone || p.Email != fx.Child.Email {
			t.Fatalf("a refused profile changed the person: %q %q", p.Phone, p.Email)
		}
		// One bad field: nothing changes, the good ones neither.
		f.post(t, me, "/my/profile", url.Values{"phone": {"+994 55 000 11 22"}, "email": {"x@"}, "language": {"ru"}}).want(t, http.StatusBadRequest)
		if p, _ := ts.Persons.FindPersonByID(ctx, fx.Child.ID); p.Phone != fx.Child.Phone || p.Language == "ru" {
			t.Fatalf("a partly bad profile changed the person: %q %q", p.Phone, p.Language)
		}
		a := f.post(t, me, "/my/profile", url.Values{"phone": {"+994 55 000 11 22"}, "email": {"Murad@Example.AZ"}, "language": {"ru"}})
		a.redirect(t, "/my/profile?saved=1")
		p, err := ts.Persons.FindPersonByID(ctx, fx.Child.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Phone != "+994550001122" || p.Email != "murad@example.az" || p.Language != "ru" {
			t.Errorf("person after saving: %q %q %q", p.Phone, p.Email, p.Language)
		}
		u, err := ts.Users.FindUserByID(ctx, fx.Users[dost.RoleCitizen].ID)
		if err != nil || u.Email != "murad@example.az" {
			t.Errorf("user e-mail after saving: %v %v", u, err)
		}
		// The pages follow the language chosen (the cookie the form set).
		f.get(t, me, "/my/profile?saved=1").want(t, http.StatusOK, `lang="ru"`, "Профиль сохранён.")
		// A browser without a language choice adopts the profile's.
		fresh := signIn(t, ts, fx.Users[dost.RoleCitizen].Username, dosttest.Password(dost.RoleCitizen))
		f.get(t, fresh, "/my").want(t, http.StatusOK, `<html lang="ru">`)
		f.get(t, me, "/my?lang=en").want(t, http.StatusOK)

		// The API: PATCH changes only what it names; bad input is a
		// problem with field errors and changes nothing.
		r := send(t, ts, http.DefaultClient, bearer(f.otherTok), "PATCH", "/api/v1/me/profile", map[string]any{"phone": "12", "language": "az"})
		wantProblem(t, r, http.StatusBadRequest, dost.EINVALID, "phone")
		r = send(t, ts, http.DefaultClient, bearer(f.otherTok), "PATCH", "/api/v1/me/profile", map[string]any{"email": "rashad@example.az"})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"email":"rashad@example.az"`) {
			t.Errorf("PATCH profile: %d %s", r.Status, r.Body)
		}
		// A phone grouped with hyphens and brackets is saved as digits,
		// on the page and in the API.
		f.post(t, me, "/my/profile", url.Values{"phone": {"050-123-45-67"}, "email": {"murad@example.az"}, "language": {"ru"}}).redirect(t, "/my/profile?saved=1")
		if p, _ := ts.Persons.FindPersonByID(ctx, fx.Child.ID); p.Phone != "0501234567" {
			t.Errorf("phone 050-123-45-67 saved as %q, want 0501234567", p.Phone)
		}
		r = send(t, ts, http.DefaultClient, bearer(f.otherTok), "PATCH", "/api/v1/me/profile", map[string]any{"phone": "+994 (50) 123-45-67"})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"phone":"+994501234567"`) {
			t.Errorf("PATCH grouped phone: %d %s", r.Status, r.Body)
		}
		r = send(t, ts, http.DefaultClient, bearer(f.otherTok), "PATCH", "/api/v1/me/profile", map[string]any{"person_id": 1})
		wantProblem(t, r, http.StatusBadRequest, dost.EINVALID, "person_id")
		r = send(t, ts, http.DefaultClient, bearer(f.otherTok), "GET", "/api/v1/me/person", nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"fin":"`+string(fx.Head.FIN)+`"`) {
			t.Errorf("GET /api/v1/me/person: %d %s", r.Status, r.Body)
		}
	})

	t.Run("RateVisit", func(t *testing.T) {
		// A booking of mine, checked in at its time and served: the
		// finished visit links to the hall's rating page. (Last: it moves
		// the clock.)
		hf := newHallFixture(t, ts)
		if r := call(t, ts, dost.RoleOperator, "POST", counterPath(hf.counter, "sign-in"), nil); r.Status != http.StatusOK {
			t.Fatalf("sign in: %d %s", r.Status, r.Body)
		}
		hf.certify(t, fx.Users[dost.RoleOperator])
		slots := hf.freeSlots(t)
		if len(slots) < 2 {
			t.Fatal("no free slot today")
		}
		slot := slots[len(slots)-1]
		ap, err := ts.Hall.BookAppointment(dost.NewContextWithUser(ctx, fx.Users[dost.RoleCitizen]), &dost.NewAppointment{
			CentreID: fx.Centre.ID, ServiceCode: fx.Service.Code, Start: slot.Start, FIN: fx.Child.FIN, Name: fx.Child.FullName(),
			Phone: "+994501234567", Language: "en", Channel: dost.ApplicationOnline})
		if err != nil {
			t.Fatal(err)
		}
		hf.clock.Set(slot.Start)
		r := call(t, ts, nobody, "POST", "/api/v1/appointments/check-in", map[string]any{"code": ap.Code})
		if r.Status != http.StatusCreated && r.Status != http.StatusOK {
			t.Fatalf("check in: %d %s", r.Status, r.Body)
		}
		var tk struct{ ID int64 }
		r.decode(t, &tk)
		// The sessions of before the clock moved have expired: sign in
		// again.
		me := signIn(t, ts, fx.Users[dost.RoleCitizen].Username, dosttest.Password(dost.RoleCitizen))
		other := signIn(t, ts, f.otherUser.Username, otherPassword)
		before := f.get(t, me, "/my/appointments?lang=en")
		if strings.Contains(before.Body, `id="rate-`+strconv.FormatInt(ap.ID, 10)+`"`) {
			t.Errorf("a visit not yet served links to the rating")
		}
		hf.serve(t, tk.ID)
		page := f.get(t, me, "/my/appointments?lang=en")
		page.want(t, http.StatusOK, `id="rate-`+strconv.FormatInt(ap.ID, 10)+`"`, `href="/feedback/`+strconv.FormatInt(tk.ID, 10)+`?token=`)
		i := strings.Index(page.Body, `href="/feedback/`)
		link := strings.ReplaceAll(page.Body[i+len(`href="`):i+strings.Index(page.Body[i+6:], `"`)+6], "&amp;", "&")
		f.get(t, me, link).want(t, http.StatusOK)
		if b := f.get(t, other, "/my/appointments"); strings.Contains(b.Body, "/feedback/") {
			t.Errorf("the other citizen sees my visit's rating link")
		}
	})

	t.Run("NotLinked", func(t *testing.T) {
		tok := ts.AddUser(&dost.User{Username: "fin:9NOLINK", Name: "No Person", Roles: []dost.Role{dost.RoleCitizen}})
		r := send(t, ts, http.DefaultClient, bearer(tok), "GET", "/api/v1/me/awards", nil)
		wantProblem(t, r, http.StatusNotFound, dost.ENOTFOUND, "")
	})
}
