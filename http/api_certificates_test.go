package http_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// certificateJSON is the API's certificate as the tests read it.
type certificateJSON struct {
	ID        int64                 `json:"id"`
	Code      string                `json:"code"`
	Kind      string                `json:"kind"`
	PersonID  int64                 `json:"person_id"`
	Language  string                `json:"language"`
	IssuedBy  int64                 `json:"issued_by"`
	SHA256    string                `json:"sha256"`
	Status    string                `json:"status"`
	VerifyURL string                `json:"verify_url"`
	PDFURL    string                `json:"pdf_url"`
	Facts     dost.CertificateFacts `json:"facts"`
}

// issuePDF posts a certificate request accepting a PDF and returns the answer.
func issuePDF(t *testing.T, ts *dosttest.TestServer, role dost.Role, path, body string) *result {
	t.Helper()
	hdr := http.Header{"Authorization": {"Bearer " + ts.Token(role)}, "Accept": {"application/pdf"}}
	return send(t, ts, http.DefaultClient, hdr, "POST", path, body)
}

func TestCertificateAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := ts.Fixtures
		child, head := f.Child, f.Head
		var issued certificateJSON
		var pdfBody []byte
		var pdfLocation string
		run(t, ts, []apiCase{
			{name: "IssueJSON", role: dost.RoleCitizen, method: "POST", path: "/api/v1/me/certificates",
				body: map[string]string{"kind": "registration", "lang": "en"}, status: http.StatusCreated,
				contains: []string{`"kind":"registration"`, `"status":"valid"`, `"language":"en"`},
				excludes: []string{string(child.FIN)},
				check: func(t *testing.T, r *result) {
					r.decode(t, &issued)
					if issued.PersonID != child.ID || issued.Facts.Name != child.FullName() || issued.Facts.FIN != child.FIN.Masked() {
						t.Errorf("certificate %+v, want one about %s", issued, child.FullName())
					}
					if h := issued.Facts.Household; h != nil { // the fixtures' child is in no household
						t.Errorf("household %+v, want none", h)
					}
					if want := fmt.Sprintf("/api/v1/me/certificates/%d", issued.ID); r.Header.Get("Location") != want || issued.PDFURL != want {
						t.Errorf("Location %q, pdf_url %q; want %q", r.Header.Get("Location"), issued.PDFURL, want)
					}
					if issued.VerifyURL != "/verify/certificates?code="+issued.Code {
						t.Errorf("verify_url %q", issued.VerifyURL)
					}
				}},
			{name: "ErrKind", role: dost.RoleCitizen, method: "POST", path: "/api/v1/me/certificates",
				body: map[string]string{"kind": "wealth"}, status: http.StatusBadRequest, code: dost.EINVALID, field: "kind"},
			{name: "ErrLang", role: dost.RoleCitizen, method: "POST", path: "/api/v1/me/certificates",
				body: map[string]string{"kind": "pension", "lang": "fr"}, status: http.StatusBadRequest, code: dost.EINVALID, field: "lang"},
			{name: "ErrUnknownField", role: dost.RoleCitizen, method: "POST", path: "/api/v1/me/certificates",
				body: `{"kind": "pension", "person_id": 1}`, status: http.StatusBadRequest, code: dost.EINVALID},
			{name: "ErrNotJSON", role: dost.RoleCitizen, method: "POST", path: "/api/v1/me/certificates",
				body: `kind=pension`, status: http.StatusBadRequest, code: dost.EINVALID},
			{name: "ErrNobody", role: nobody, method: "POST", path: "/api/v1/me/certificates",
				body: map[string]string{"kind": "pension"}, status: http.StatusUnauthorized},
			{name: "ErrStaffOnMe", role: dost.RoleOperator, method: "POST", path: "/api/v1/me/certificates",
				body: map[string]string{"kind": "pension"}, status: http.StatusForbidden},
		})

		t.Run("IssuePDF", func(t *testing.T) {
			r := issuePDF(t, ts, dost.RoleCitizen, "/api/v1/me/certificates", `{"kind": "benefits", "lang": "ru"}`)
			if r.Status != http.StatusCreated || r.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(r.Body, []byte("%PDF-")) {
				t.Fatalf("got %d %s %.40q, want 201 with a PDF", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
			sum := sha256.Sum256(r.Body)
			if got := r.Header.Get("X-Certificate-SHA256"); got != hex.EncodeToString(sum[:]) {
				t.Errorf("X-Certificate-SHA256 %s, want the body's digest", got)
			}
			if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "arayis-benefits-") {
				t.Errorf("Content-Disposition %q", cd)
			}
			pdfBody, pdfLocation = r.Body, r.Header.Get("Location")
		})

		t.Run("ReDownload", func(t *testing.T) {
			r := call(t, ts, dost.RoleCitizen, "GET", pdfLocation, nil)
			if r.Status != http.StatusOK || !bytes.Equal(r.Body, pdfBody) {
				t.Errorf("GET %s: %d with %d bytes, want 200 and the %d bytes issued", pdfLocation, r.Status, len(r.Body), len(pdfBody))
			}
		})

		t.Run("List", func(t *testing.T) {
			r := call(t, ts, dost.RoleCitizen, "GET", "/api/v1/me/certificates", nil)
			var page struct {
				Items []certificateJSON `json:"items"`
				Total int               `json:"total"`
			}
			r.decode(t, &page)
			if r.Status != http.StatusOK || page.Total != 2 || page.Items[0].Kind != "benefits" || page.Items[1].Code != issued.Code {
				t.Errorf("list: %d, %+v; want both, newest first", r.Status, page)
			}
		})

		var headCert certificateJSON
		finPath := "/api/v1/persons/" + string(head.FIN) + "/certificates"
		run(t, ts, []apiCase{
			{name: "OperatorIssues", role: dost.RoleOperator, method: "POST", path: finPath,
				body: map[string]string{"kind": "pension"}, status: http.StatusCreated,
				check: func(t *testing.T, r *result) {
					r.decode(t, &headCert)
					if headCert.PersonID != head.ID || headCert.IssuedBy != f.Users[dost.RoleOperator].ID || headCert.Language != head.Lang() {
						t.Errorf("certificate %+v, want the head's issued by the operator in the head's language", headCert)
					}
				}},
			{name: "ErrCaseWorkerIssues", role: dost.RoleCaseWorker, method: "POST", path: finPath,
				body: map[string]string{"kind": "pension"}, status: http.StatusForbidden},
			{name: "ErrCitizenIssuesForOther", role: dost.RoleCitizen, method: "POST", path: finPath,
				body: map[string]string{"kind": "pension"}, status: http.StatusForbidden},
			{name: "ErrUnknownFIN", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons/ZZZZZZ9/certificates",
				body: map[string]string{"kind": "pension"}, status: http.StatusNotFound},
			{name: "ErrBadFIN", role: dost.RoleOperator, method: "POST", path: "/api/v1/persons/x'--/certificates",
				body: map[string]string{"kind": "pension"}, status: http.StatusBadRequest},
			{name: "AuditorLists", role: dost.RoleAuditor, method: "GET", path: finPath, status: http.StatusOK,
				contains: []string{`"total":1`}},
		})

		t.Run("OthersCertificateIsNotFound", func(t *testing.T) {
			for _, path := range []string{
				fmt.Sprintf("/api/v1/me/certificates/%d", headCert.ID),
				"/api/v1/me/certificates/999999", "/api/v1/me/certificates/abc",
			} {
				if r := call(t, ts, dost.RoleCitizen, "GET", path, nil); r.Status != http.StatusNotFound {
					t.Errorf("GET %s: %d, want 404", path, r.Status)
				}
			}
			// Through the person's path, a certificate of another person is 404 too.
			if r := call(t, ts, dost.RoleOperator, "GET", fmt.Sprintf("%s/%d", finPath, issued.ID), nil); r.Status != http.StatusNotFound {
				t.Errorf("child's certificate under the head's FIN: %d, want 404", r.Status)
			}
			if r := call(t, ts, dost.RoleOperator, "GET", fmt.Sprintf("%s/%d", finPath, headCert.ID), nil); r.Status != http.StatusOK {
				t.Errorf("head's certificate: %d, want 200", r.Status)
			}
		})

		t.Run("DoubleClickGivesOne", func(t *testing.T) {
			const n = 8
			codes := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					r := call(t, ts, dost.RoleCitizen, "POST", "/api/v1/me/certificates", map[string]string{"kind": "pension"})
					var c certificateJSON
					if r.Status == http.StatusCreated {
						r.decode(t, &c)
					}
					codes[i] = c.Code
				})
			}
			wg.Wait()
			for _, c := range codes {
				if c == "" || c != codes[0] {
					t.Fatalf("codes %v, want one certificate for %d identical requests", codes, n)
				}
			}
		})

		t.Run("DailyLimit", func(t *testing.T) {
			// Each request with changed facts is a new certificate, up to
			// the limit of the day; then 429 with Retry-After.
			var r *result
			issued := 0
			for i := range dost.CertificateDailyLimit + 2 {
				addr := fmt.Sprintf("Nizami küç. %d", i+1)
				if _, err := ts.Persons.UpdatePerson(t.Context(), child.FIN, dost.PersonUpdate{Address: &addr}); err != nil {
					t.Fatal(err)
				}
				r = call(t, ts, dost.RoleCitizen, "POST", "/api/v1/me/certificates", map[string]string{"kind": "registration"})
				if r.Status != http.StatusCreated {
					break
				}
				issued++
			}
			if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" ||
				!strings.Contains(string(r.Body), `"code":"certificate.limit"`) {
				t.Fatalf("after %d certificates: %d %s %s, want 429 certificate.limit with Retry-After", issued, r.Status, r.Header.Get("Retry-After"), r.Body)
			}
			list := call(t, ts, dost.RoleCitizen, "GET", "/api/v1/me/certificates?limit=100", nil)
			if !strings.Contains(string(list.Body), fmt.Sprintf(`"total":%d`, dost.CertificateDailyLimit)) {
				t.Errorf("list after the limit: %.200s, want %d certificates", list.Body, dost.CertificateDailyLimit)
			}
			// One already issued today is still handed out.
			if r := call(t, ts, dost.RoleCitizen, "POST", "/api/v1/me/certificates", map[string]string{"kind": "pension"}); r.Status != http.StatusCreated {
				t.Errorf("the pension certificate of today at the limit: %d, want 201", r.Status)
			}
		})
	})
}
