package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

func TestVerifyCertificatePage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := ts.Fixtures
		asCitizen := dost.NewContextWithUser(t.Context(), f.Users[dost.RoleCitizen])
		reg, err := ts.Server.Certificates.IssueCertificate(asCitizen,
			dost.CertificateRequest{PersonID: f.Child.ID, Kind: dost.CertificateRegistration, Language: "az"})
		if err != nil {
			t.Fatal(err)
		}
		pension, err := ts.Server.Certificates.IssueCertificate(asCitizen,
			dost.CertificateRequest{PersonID: f.Child.ID, Kind: dost.CertificatePension})
		if err != nil {
			t.Fatal(err)
		}
		typed := strings.ToLower(strings.ReplaceAll(reg.Code, "-", " "))
		// The person moves after the certificate: the page shows what the
		// certificate said.
		moved := "Yeni küçə 99"
		if _, err := ts.Persons.UpdatePerson(t.Context(), f.Child.FIN, dost.PersonUpdate{Address: &moved}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []uiCase{
			{name: "Form", path: "/verify/certificates?lang=en", status: http.StatusOK,
				want: []string{"Check a certificate", `id="certificate-code"`}, notWant: []string{`role="alert"`}},
			{name: "Valid", path: "/verify/certificates?lang=en&code=" + url.QueryEscape(typed), status: http.StatusOK,
				want: []string{"This certificate is genuine and valid", reg.Code, "Certificate of registration data", f.Child.FullName(),
					f.Child.FIN.Masked(), f.Child.Address, "not registered in a household"},
				notWant: []string{moved, string(f.Child.FIN)}},
			{name: "NoPension", path: "/verify/certificates?lang=ru&code=" + pension.Code, status: http.StatusOK,
				want: []string{"Справка о размере пенсии", "Лицу трудовая пенсия не назначена."}},
			{name: "ErrNotFound", path: "/verify/certificates?lang=en&code=0000-0000-0000-0000", status: http.StatusNotFound,
				want: []string{"No certificate has this code", `id="verify-not-found"`}},
			{name: "ErrFormat", path: "/verify/certificates?lang=az&code=" + url.QueryEscape("<b>x</b>' OR 1=1"), status: http.StatusBadRequest,
				want: []string{"Bu arayış kodu deyil", `aria-invalid="true"`}, notWant: []string{"<b>x</b>"}},
			{name: "ErrEmpty", path: "/verify/certificates?lang=en&code=", status: http.StatusBadRequest,
				want: []string{"Enter the code printed on the certificate."}},
			{name: "ErrHuge", path: "/verify/certificates?lang=en&code=" + strings.Repeat("Z", 5000), status: http.StatusBadRequest,
				want: []string{"This is not a certificate code"}},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, ts) })
		}

		t.Run("CodesNotLogged", func(t *testing.T) {
			// The code opens the facts: the access log masks it (query
			// values are masked), and the API addresses certificates by id.
			for _, c := range []string{reg.Code, pension.Code, typed} {
				if ts.Logs.Contains(c) || ts.Logs.Contains(url.QueryEscape(c)) {
					t.Errorf("the log holds the code %q", c)
				}
			}
		})

		t.Run("Expired", func(t *testing.T) {
			clock := dosttest.ClockOf(t, ts.DB)
			now := clock.Now()
			t.Cleanup(func() { clock.Set(now) })
			clock.Set(reg.ValidUntil.Time().Add(36 * time.Hour))
			uiCase{path: "/verify/certificates?lang=en&code=" + reg.Code, status: http.StatusOK,
				want: []string{"This certificate is genuine but no longer valid", "expired", "Certificate of registration data",
					reg.ValidUntil.String(), `id="certificate-expired-note"`},
				notWant: []string{f.Child.FullName(), f.Child.LastName, f.Child.FIN.Masked(), f.Child.Address, "not registered in a household"}}.run(t, ts)
		})

	})
}

// TestVerifyCertificateRateLimited checks that the public page is under
// the public rate limit, so codes cannot be tried in bulk.
func TestVerifyCertificateRateLimited(t *testing.T) {
	ts := dosttest.NewServer(t, dosttest.Dialects()[0], func(s *dosthttp.Server) {
		s.PublicLimit = dosthttp.RateLimit{Rate: 0.001, Burst: 3}
	})
	c := newBrowserlikeClient(t)
	var got []int
	for range 5 {
		resp, err := c.Get(ts.URL + "/verify/certificates?code=0000-0000-0000-0000")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got = append(got, resp.StatusCode)
	}
	if got[0] != http.StatusNotFound || got[4] != http.StatusTooManyRequests {
		t.Errorf("statuses %v, want 404 first and 429 after the burst of 3", got)
	}
}
