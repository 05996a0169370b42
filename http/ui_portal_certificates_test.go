package http_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// postPortalForm posts a form as the signed-in role and returns the answer.
func postPortalForm(t *testing.T, ts *dosttest.TestServer, role dost.Role, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := ts.Client(role).PostForm(ts.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// pdfToText returns the text of a PDF by pdftotext (poppler-utils), or
// skips the test without it (CI installs it).
func pdfToText(t *testing.T, b []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext (poppler-utils) is not installed")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	name := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", name, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

var downloadLink = regexp.MustCompile(`href="(/my/certificates/\d+)"`)

func TestPortalCertificatesPage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		uiCase{name: "Empty", role: dost.RoleCitizen, path: "/my/certificates?lang=en", status: http.StatusOK,
			want: []string{`class="portal-nav"`, `href="/my/certificates" aria-current="page"`, "Certificate of pension amount",
				"Certificate of benefits received", "Certificate of registration data", `id="issue-pension"`, `id="issued-empty"`,
				// Each language named in itself, read in its own language.
				`<option value="ru" lang="ru"`, `lang="az">Azərbaycanca</option>`, `aria-describedby="kind-pension-title"`}}.run(t, ts)
		uiCase{name: "ErrOperator", role: dost.RoleOperator, path: "/my/certificates", status: http.StatusForbidden}.run(t, ts)
		uiCase{name: "ErrNobody", path: "/my/certificates", status: http.StatusSeeOther}.run(t, ts)

		var first []byte
		t.Run("IssueAndDownload", func(t *testing.T) {
			resp, body := postPortalForm(t, ts, dost.RoleCitizen, "/my/certificates", url.Values{"kind": {"registration"}, "lang": {"ru"}})
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/my/certificates/") {
				t.Fatalf("POST: %d to %q, want 303 to the download\n%s", resp.StatusCode, loc, excerpt(body))
			}
			r, err := ts.Client(dost.RoleCitizen).Get(ts.URL + loc)
			if err != nil {
				t.Fatal(err)
			}
			first, _ = io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("GET %s: %d %s, want a PDF", loc, r.StatusCode, r.Header.Get("Content-Type"))
			}
			text := pdfToText(t, first)
			for _, want := range []string{"Справка о регистрационных данных", ts.Fixtures.Child.FullName(), "не состоит в домохозяйстве",
				ts.Fixtures.Child.FIN.Masked(), "http://dost.test/verify/certificates?code="} {
				if !strings.Contains(text, want) {
					t.Errorf("PDF text lacks %q:\n%s", want, text)
				}
			}
		})

		t.Run("ListedAndSameBytes", func(t *testing.T) {
			page := get(t, ts.Client(dost.RoleCitizen), ts.URL+"/my/certificates?lang=az")
			m := downloadLink.FindStringSubmatch(page)
			if m == nil || !strings.Contains(page, "Qeydiyyat məlumatları haqqında arayış") || !strings.Contains(page, "etibarlıdır") ||
				!strings.Contains(page, `<span class="tag" lang="ru">Русский</span>`) {
				t.Fatalf("the list lacks the certificate:\n%s", excerpt(page))
			}
			r, err := ts.Client(dost.RoleCitizen).Get(ts.URL + m[1])
			if err != nil {
				t.Fatal(err)
			}
			again, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if !bytes.Equal(again, first) {
				t.Errorf("re-download gave %d bytes, want the %d issued", len(again), len(first))
			}
		})

		t.Run("DoubleClickThenLimit", func(t *testing.T) {
			// Pressing twice gives the same certificate.
			r1, _ := postPortalForm(t, ts, dost.RoleCitizen, "/my/certificates", url.Values{"kind": {"pension"}, "lang": {"en"}})
			r2, _ := postPortalForm(t, ts, dost.RoleCitizen, "/my/certificates", url.Values{"kind": {"pension"}, "lang": {"en"}})
			if r1.StatusCode != http.StatusSeeOther || r1.Header.Get("Location") != r2.Header.Get("Location") {
				t.Fatalf("two presses: %d to %q and %d to %q, want one certificate", r1.StatusCode, r1.Header.Get("Location"),
					r2.StatusCode, r2.Header.Get("Location"))
			}
			// New facts each time: new certificates up to the day's limit.
			child := ts.Fixtures.Child
			for i := range dost.CertificateDailyLimit + 1 {
				addr := "Nizami küç. " + strconv.Itoa(i+1)
				if _, err := ts.Persons.UpdatePerson(t.Context(), child.FIN, dost.PersonUpdate{Address: &addr}); err != nil {
					t.Fatal(err)
				}
				resp, body := postPortalForm(t, ts, dost.RoleCitizen, "/my/certificates?lang=en", url.Values{"kind": {"registration"}, "lang": {"en"}})
				if resp.StatusCode == http.StatusSeeOther {
					continue
				}
				if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
					!strings.Contains(body, "reached today") {
					t.Fatalf("press %d: %d\n%s", i, resp.StatusCode, excerpt(body))
				}
				return
			}
			t.Fatal("no limit after more presses than the day's limit")
		})

		t.Run("ErrKind", func(t *testing.T) {
			resp, body := postPortalForm(t, ts, dost.RoleCitizen, "/my/certificates?lang=en", url.Values{"kind": {"wealth<script>"}, "lang": {"en"}})
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "This certificate cannot be issued") ||
				strings.Contains(body, "<script>") {
				t.Errorf("bad kind: %d\n%s", resp.StatusCode, excerpt(body))
			}
		})

		t.Run("ErrOthersCertificate", func(t *testing.T) {
			c, err := ts.Server.Certificates.IssueCertificate(dost.NewContextWithUser(t.Context(), ts.Fixtures.Users[dost.RoleOperator]),
				dost.CertificateRequest{PersonID: ts.Fixtures.Head.ID, Kind: dost.CertificatePension})
			if err != nil {
				t.Fatal(err)
			}
			r, err := ts.Client(dost.RoleCitizen).Get(ts.URL + "/my/certificates/" + strconv.FormatInt(c.ID, 10))
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusNotFound {
				t.Errorf("another person's certificate: %d, want 404", r.StatusCode)
			}
		})
	})
}
