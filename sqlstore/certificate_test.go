package sqlstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/pdf"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
)

// certFixture is a household of Aysel (head, old-age pension) and Tural
// (spouse, disability allowance) with a TSSA award of the household.
type certFixture struct {
	*caseFixture
	certs     *sqlstore.CertificateService
	household *dost.Household
	// asAysel is Aysel signed in to the portal; asOperator an operator.
	asAysel, asOperator context.Context
}

func newCertFixture(t *testing.T, db *sqlstore.DB) *certFixture {
	t.Helper()
	f := &certFixture{caseFixture: newCaseFixture(t, db)}
	f.certs = sqlstore.NewCertificateService(db, &pdf.CertificateRenderer{BaseURL: "https://dost.test"}, az.Programmes())
	f.household = &dost.Household{Code: "HHCERT0001", Region: "Baku", District: "Nizami", Address: "Qara Qarayev 12, m. 5",
		Members: []*dost.HouseholdMember{{FIN: f.aysel.FIN, Role: dost.RoleHead}, {FIN: f.tural.FIN, Role: dost.RoleSpouse}}}
	ok(t, sqlstore.NewHouseholdService(db).CreateHousehold(ctx, f.household))
	period := dost.MonthOf(today).Add(-2)
	f.submit(t, application(f.aysel, pensionService, "c-1", today), nil, f.approval(f.aysel, "old_age_pension", period))
	f.submit(t, application(f.tural, pensionService, "c-2", today), nil, f.approval(f.tural, "disability_allowance", period))
	e := f.approval(f.aysel, "tssa", period)
	e.Awards[0].PersonID, e.Awards[0].HouseholdID, e.Awards[0].Amount = 0, f.household.ID, dost.AZN(150)
	f.submit(t, application(f.aysel, pensionService, "c-3", today), nil, e)
	f.asAysel = dost.NewContextWithUser(ctx, &dost.User{ID: 501, Username: "fin:CAS0001", Roles: []dost.Role{dost.RoleCitizen}, PersonID: &f.aysel.ID})
	f.asOperator = dost.NewContextWithUser(ctx, &dost.User{ID: 502, Username: "op", Roles: []dost.Role{dost.RoleOperator}})
	return f
}

// issue issues a certificate and fails the test on error.
func (f *certFixture) issue(t *testing.T, c context.Context, q dost.CertificateRequest) *dost.Certificate {
	t.Helper()
	got, err := f.certs.IssueCertificate(c, q)
	ok(t, err)
	return got
}

func programmesOf(c *dost.Certificate) []string {
	var out []string
	for _, a := range c.Facts.Awards {
		out = append(out, a.Programme)
	}
	return out
}

func TestCertificateService(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCertFixture(t, db)

		t.Run("Pension", func(t *testing.T) {
			c := f.issue(t, f.asAysel, dost.CertificateRequest{PersonID: f.aysel.ID, Kind: dost.CertificatePension})
			if got := programmesOf(c); len(got) != 1 || got[0] != "old_age_pension" {
				t.Errorf("awards %v, want [old_age_pension]", got)
			}
			a := c.Facts.Awards[0]
			if a.Amount != dost.AZN(320) || a.Name.EN != "Old-age labour pension" || a.Kind != dost.AwardMonthly || a.Household {
				t.Errorf("award %+v, want 320 AZN monthly old-age labour pension", a)
			}
			if c.Language != "az" || c.IssuedBy != 501 || c.Facts.FIN != "C*****1" || c.Facts.Name != "Məmmədova Aysel Vaqif qızı" {
				t.Errorf("certificate %+v, want Aysel's in az issued by 501 with FIN masked", c)
			}
			if code, okc := pdf.NormalizeCertificateCode(c.Code); !okc || code != c.Code {
				t.Errorf("code %q is not canonical", c.Code)
			}
			sum := sha256.Sum256(c.PDF)
			if !bytes.HasPrefix(c.PDF, []byte("%PDF-")) || c.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("PDF of %d bytes with sha256 %s, want a PDF with its digest", len(c.PDF), c.SHA256)
			}
			wantUntil := dost.DateOf(f.clock.Now().In(dost.Baku)).AddDate(0, 0, dost.CertificateValidity)
			if c.ValidUntil != wantUntil || !c.IssuedAt.Equal(f.clock.Now()) {
				t.Errorf("issued %v valid until %s, want now and %s", c.IssuedAt, c.ValidUntil, wantUntil)
			}
		})

		t.Run("Benefits", func(t *testing.T) {
			c := f.issue(t, f.asAysel, dost.CertificateRequest{PersonID: f.aysel.ID, Kind: dost.CertificateBenefits, Language: "ru"})
			got := programmesOf(c)
			if len(got) != 2 || got[0] != "old_age_pension" || got[1] != "tssa" || !c.Facts.Awards[1].Household {
				t.Errorf("awards %v, want her pension and the household's tssa, not Tural's allowance", got)
			}
			if c.Language != "ru" {
				t.Errorf("language %s, want ru", c.Language)
			}
		})

		t.Run("Registration", func(t *testing.T) {
			c := f.issue(t, f.asOperator, dost.CertificateRequest{PersonID: f.tural.ID, Kind: dost.CertificateRegistration, Language: "en"})
			h := c.Facts.Household
			if h == nil || h.Code != "HHCERT0001" || h.Role != dost.RoleSpouse || h.Members != 2 {
				t.Errorf("household %+v, want HHCERT0001, spouse, 2 members", h)
			}
			if c.Facts.Address != f.tural.Address || c.Facts.BirthDate != f.tural.BirthDate || len(c.Facts.Awards) != 0 {
				t.Errorf("facts %+v, want Tural's address and birth date and no awards", c.Facts)
			}
			if c.IssuedBy != 502 {
				t.Errorf("issued by %d, want the operator 502", c.IssuedBy)
			}

			// The stored certificate says what it said when issued.
			moved := "Nizami küç. 1"
			_, err := sqlstore.NewPersonService(db).UpdatePerson(ctx, f.tural.FIN, dost.PersonUpdate{Address: &moved})
			ok(t, err)
			got, err := f.certs.FindCertificateByCode(ctx, c.Code)
			ok(t, err)
			if !bytes.Equal(got.PDF, c.PDF) || got.SHA256 != c.SHA256 || got.Facts.Address != f.tural.Address ||
				got.Facts.Household == nil || *got.Facts.Household != *h || !got.IssuedAt.Equal(c.IssuedAt) || got.ValidUntil != c.ValidUntil {
				t.Errorf("found %+v, want the certificate as issued", got)
			}
		})

		t.Run("NoPension", func(t *testing.T) {
			asTural := dost.NewContextWithUser(ctx, &dost.User{ID: 503, Roles: []dost.Role{dost.RoleCitizen}, PersonID: &f.tural.ID})
			c := f.issue(t, asTural, dost.CertificateRequest{PersonID: f.tural.ID, Kind: dost.CertificatePension})
			if len(c.Facts.Awards) != 0 {
				t.Errorf("awards %v, want none (a disability allowance is no pension)", programmesOf(c))
			}
		})

		t.Run("Errors", func(t *testing.T) {
			before := countRows(t, db, "certificates")
			registry := dost.NewContextWithUser(ctx, &dost.User{ID: 504, Roles: []dost.Role{dost.RoleRegistry}})
			for _, tt := range []struct {
				name string
				c    context.Context
				q    dost.CertificateRequest
				want string
			}{
				{"ErrOtherPerson", f.asAysel, dost.CertificateRequest{PersonID: f.tural.ID, Kind: dost.CertificatePension}, dost.EFORBIDDEN},
				{"ErrNoUser", ctx, dost.CertificateRequest{PersonID: f.aysel.ID, Kind: dost.CertificatePension}, dost.EUNAUTHORIZED},
				{"ErrRegistry", registry, dost.CertificateRequest{PersonID: f.aysel.ID, Kind: dost.CertificatePension}, dost.EFORBIDDEN},
				{"ErrKind", f.asAysel, dost.CertificateRequest{PersonID: f.aysel.ID, Kind: "wealth"}, dost.EINVALID},
				{"ErrLanguage", f.asAysel, dost.CertificateRequest{PersonID: f.aysel.ID, Kind: dost.CertificatePension, Language: "fr"}, dost.EINVALID},
				{"ErrUnknownPerson", f.asOperator, dost.CertificateRequest{PersonID: 999999, Kind: dost.CertificatePension}, dost.ENOTFOUND},
			} {
				t.Run(tt.name, func(t *testing.T) {
					_, err := f.certs.IssueCertificate(tt.c, tt.q)
					mustCode(t, err, tt.want)
				})
			}
			if after := countRows(t, db, "certificates"); after != before {
				t.Errorf("%d certificates after refusals, want %d", after, before)
			}
			if _, err := f.certs.FindCertificateByCode(ctx, "0000-0000-0000-0000"); dost.ErrorCode(err) != dost.ENOTFOUND {
				t.Errorf("unknown code: got %v, want ENOTFOUND", err)
			}
			if _, err := f.certs.FindCertificateByCode(ctx, "bad\x00code"); dost.ErrorCode(err) != dost.ENOTFOUND {
				t.Errorf("unstorable code: got %v, want ENOTFOUND", err)
			}
		})

		t.Run("Find", func(t *testing.T) {
			// A citizen sees only their own, whatever the filter asks.
			mine, n, err := f.certs.FindCertificates(f.asAysel, dost.CertificateFilter{PersonID: f.tural.ID})
			ok(t, err)
			if n != 2 || len(mine) != 2 || mine[0].Kind != dost.CertificateBenefits || mine[0].PDF != nil {
				t.Errorf("Aysel's list: %d of %d, want her 2, newest first, without PDFs", len(mine), n)
			}
			for _, c := range mine {
				if c.PersonID != f.aysel.ID {
					t.Errorf("Aysel sees certificate %s of person %d", c.Code, c.PersonID)
				}
			}
			all, n, err := f.certs.FindCertificates(f.asOperator, dost.CertificateFilter{Kind: dost.CertificatePension, Limit: 1})
			ok(t, err)
			if n != 2 || len(all) != 1 {
				t.Errorf("operator's pension page: %d of %d, want 1 of 2", len(all), n)
			}
			// By id: her own with its PDF; Tural's is not found for her,
			// found for the operator.
			got, err := f.certs.FindCertificateByID(f.asAysel, mine[1].ID)
			ok(t, err)
			if got.Code != mine[1].Code || !bytes.HasPrefix(got.PDF, []byte("%PDF-")) {
				t.Errorf("by id: got %s with %d bytes, want %s with its PDF", got.Code, len(got.PDF), mine[1].Code)
			}
			turals, _, err := f.certs.FindCertificates(f.asOperator, dost.CertificateFilter{PersonID: f.tural.ID})
			ok(t, err)
			if len(turals) == 0 {
				t.Fatal("no certificate of Tural")
			}
			_, err = f.certs.FindCertificateByID(f.asAysel, turals[0].ID)
			mustCode(t, err, dost.ENOTFOUND)
			_, err = f.certs.FindCertificateByID(f.asOperator, turals[0].ID)
			ok(t, err)
			_, err = f.certs.FindCertificateByID(ctx, turals[0].ID)
			mustCode(t, err, dost.EUNAUTHORIZED)
			if _, _, err := f.certs.FindCertificates(ctx, dost.CertificateFilter{}); dost.ErrorCode(err) != dost.EUNAUTHORIZED {
				t.Errorf("no user: got %v, want EUNAUTHORIZED", err)
			}
		})

		t.Run("Concurrent", func(t *testing.T) {
			// A double click, a retry or a loop: every call of the same
			// request on the same day with the same facts gets the one
			// certificate.
			before := countRows(t, db, "certificates")
			const n = 12
			codes := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					c, err := f.certs.IssueCertificate(f.asAysel, dost.CertificateRequest{PersonID: f.aysel.ID, Kind: dost.CertificateRegistration})
					if err != nil {
						t.Errorf("issue %d: %v", i, err)
						return
					}
					if !bytes.HasPrefix(c.PDF, []byte("%PDF-")) {
						t.Errorf("issue %d: no PDF", i)
					}
					codes[i] = c.Code
				})
			}
			wg.Wait()
			for _, c := range codes {
				if c == "" || c != codes[0] {
					t.Fatalf("codes %v: want one certificate", codes)
				}
			}
			if after := countRows(t, db, "certificates"); after != before+1 {
				t.Errorf("%d certificates after %d identical requests, want %d", after, n, before+1)
			}
			// Another language is another certificate.
			en := f.issue(t, f.asAysel, dost.CertificateRequest{PersonID: f.aysel.ID, Kind: dost.CertificateRegistration, Language: "en"})
			if en.Code == codes[0] {
				t.Error("the English certificate is the Azerbaijani one")
			}
		})

		t.Run("DailyLimit", func(t *testing.T) {
			lim := sqlstore.NewCertificateService(db, &pdf.CertificateRenderer{BaseURL: "https://dost.test"}, az.Programmes())
			_, had, err := f.certs.FindCertificates(f.asOperator, dost.CertificateFilter{PersonID: f.tural.ID})
			ok(t, err)
			lim.DailyLimit = had + 1
			ru, err := lim.IssueCertificate(f.asOperator, dost.CertificateRequest{PersonID: f.tural.ID, Kind: dost.CertificateRegistration, Language: "ru"})
			ok(t, err)
			before := countRows(t, db, "certificates")
			// At the limit, a new certificate is refused ...
			moved := "Nizami küç. 2"
			_, err = sqlstore.NewPersonService(db).UpdatePerson(ctx, f.tural.FIN, dost.PersonUpdate{Address: &moved})
			ok(t, err)
			_, err = lim.IssueCertificate(f.asOperator, dost.CertificateRequest{PersonID: f.tural.ID, Kind: dost.CertificateRegistration, Language: "az"})
			mustCode(t, err, dost.ECertificateLimit)
			// ... one already issued is still handed out.
			again, err := lim.IssueCertificate(f.asOperator, dost.CertificateRequest{PersonID: f.tural.ID, Kind: dost.CertificatePension})
			ok(t, err)
			if again.PersonID != f.tural.ID || again.Kind != dost.CertificatePension {
				t.Errorf("got %+v, want Tural's pension certificate of today", again)
			}
			if after := countRows(t, db, "certificates"); after != before {
				t.Errorf("%d certificates after the refusal, want %d", after, before)
			}
			if ru.ID == 0 {
				t.Error("the certificate under the limit was not issued")
			}
		})

		t.Run("PayeeOnly", func(t *testing.T) {
			// Tural's pension paid to Aysel is Tural's entitlement, not
			// hers: her certificates do not list it.
			e := f.approval(f.tural, "old_age_pension", dost.MonthOf(today).Add(-2))
			e.Awards[0].PayeeID, e.Awards[0].Amount = f.aysel.ID, dost.AZN(777)
			f.submit(t, application(f.tural, pensionService, "c-payee", today), nil, e)
			for _, kind := range []dost.CertificateKind{dost.CertificatePension, dost.CertificateBenefits} {
				c := f.issue(t, f.asAysel, dost.CertificateRequest{PersonID: f.aysel.ID, Kind: kind, Language: "en"})
				for _, a := range c.Facts.Awards {
					if a.Amount == dost.AZN(777) {
						t.Errorf("%s certificate of Aysel lists Tural's pension paid to her: %+v", kind, c.Facts.Awards)
					}
				}
				if len(c.Facts.Awards) == 0 || c.Facts.Awards[0].Programme != "old_age_pension" || c.Facts.Awards[0].Amount != dost.AZN(320) {
					t.Errorf("%s certificate awards %+v, want her own pension first", kind, c.Facts.Awards)
				}
			}
			c := f.issue(t, f.asOperator, dost.CertificateRequest{PersonID: f.tural.ID, Kind: dost.CertificatePension, Language: "en"})
			if got := programmesOf(c); len(got) != 1 || c.Facts.Awards[0].Amount != dost.AZN(777) {
				t.Errorf("Tural's pension certificate %v, want his pension", c.Facts.Awards)
			}
		})
	})
}
