package http

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/pdf"
)

// Roles of the staff certificate routes: the operators at the window and
// their supervisors issue a certificate for the person in front of them;
// case workers and auditors read which were issued.
var (
	certificateIssuers = []dost.Role{dost.RoleOperator, dost.RoleSupervisor}
	certificateReaders = []dost.Role{dost.RoleOperator, dost.RoleSupervisor, dost.RoleCaseWorker, dost.RoleAuditor}
)

// certificateRoutes returns the certificate API's rows of the route table.
// A citizen's routes (/api/v1/me/…) take the person from the session,
// never from the URL.
func (s *Server) certificateRoutes() []Route {
	me := func(pattern string, h http.HandlerFunc) Route {
		return Route{Pattern: pattern, Access: ByRole, Roles: []dost.Role{dost.RoleCitizen}, Handler: h}
	}
	return []Route{
		me("GET /api/v1/me/certificates", s.handleMeCertificateList),
		me("POST /api/v1/me/certificates", s.handleMeCertificateIssue),
		me("GET /api/v1/me/certificates/{id}", s.handleMeCertificateGet),
		{Pattern: "GET /api/v1/persons/{fin}/certificates", Access: ByRole, Roles: certificateReaders, Handler: s.handlePersonCertificateList},
		{Pattern: "POST /api/v1/persons/{fin}/certificates", Access: ByRole, Roles: certificateIssuers, Handler: s.handlePersonCertificateIssue},
		{Pattern: "GET /api/v1/persons/{fin}/certificates/{id}", Access: ByRole, Roles: certificateReaders, Handler: s.handlePersonCertificateGet},
	}
}

// errNoCertificates answers the certificate routes on a server without a
// CertificateService.
var errNoCertificates = dost.Errorf(dost.ENOTFOUND, "Certificates are not available on this server.")

// errCertificateNotFound answers an unknown certificate, and someone
// else's, alike.
var errCertificateNotFound = dost.Errorf(dost.ENOTFOUND, "No such certificate.")

// certificateJSON is a certificate as the API shows it: its metadata and
// facts, whether it is in force today, and where to verify and fetch it.
type certificateJSON struct {
	*dost.Certificate
	Status    dost.CertificateStatus `json:"status"`
	VerifyURL string                 `json:"verify_url"` // the public page, relative
	PDFURL    string                 `json:"pdf_url"`
}

// certificateRequestJSON is the body of a POST …/certificates.
type certificateRequestJSON struct {
	Kind dost.CertificateKind `json:"kind"`
	// Lang is az, en or ru; "" for the person's language.
	Lang string `json:"lang"`
}

// verifyCertificatePath returns the public page verifying code.
func verifyCertificatePath(code string) string {
	return pdf.CertificatePath + "?code=" + url.QueryEscape(code)
}

// toCertificateJSON returns c as the API shows it, its PDF at base/<id>.
func (s *Server) toCertificateJSON(c *dost.Certificate, base string) certificateJSON {
	return certificateJSON{Certificate: c, Status: c.Status(dost.Today(s.Clock)),
		VerifyURL: verifyCertificatePath(c.Code), PDFURL: base + "/" + strconv.FormatInt(c.ID, 10)}
}

// certificates returns the CertificateService, or answers 404 and returns
// nil when the server has none.
func (s *Server) certificates(w http.ResponseWriter, r *http.Request) dost.CertificateService {
	if s.Certificates == nil {
		s.Error(w, r, errNoCertificates)
		return nil
	}
	return s.Certificates
}

// mePersonID returns the person of the signed-in citizen; ENOTFOUND for an
// account linked to none.
func mePersonID(r *http.Request) (int64, error) {
	u := dost.UserFromContext(r.Context())
	if u == nil || u.PersonID == nil {
		return 0, dost.Errorf(dost.ENOTFOUND, "Your account is not linked to a person of the registry.")
	}
	return *u.PersonID, nil
}

// handleMeCertificateList handles "GET /api/v1/me/certificates": a page of
// the citizen's own certificates, newest first (offset, limit ≤ 100).
func (s *Server) handleMeCertificateList(w http.ResponseWriter, r *http.Request) {
	id, err := mePersonID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.listCertificates(w, r, id, "/api/v1/me/certificates")
}

// handleMeCertificateIssue handles "POST /api/v1/me/certificates": issues a
// certificate {kind, lang} about the signed-in citizen. It answers 201
// with the PDF when the request accepts application/pdf, else with the
// certificate's JSON; Location names the PDF either way.
func (s *Server) handleMeCertificateIssue(w http.ResponseWriter, r *http.Request) {
	id, err := mePersonID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.issueCertificateAPI(w, r, id, "/api/v1/me/certificates")
}

// handleMeCertificateGet handles "GET /api/v1/me/certificates/{id}": the
// PDF of one of the citizen's certificates, the same bytes as when issued.
// Another person's code answers 404, as an unknown one does.
func (s *Server) handleMeCertificateGet(w http.ResponseWriter, r *http.Request) {
	id, err := mePersonID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.sendOwnCertificate(w, r, id)
}

// handlePersonCertificateList handles "GET /api/v1/persons/{fin}/certificates":
// a page of the certificates about a person, newest first.
func (s *Server) handlePersonCertificateList(w http.ResponseWriter, r *http.Request) {
	p, err := s.personOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.listCertificates(w, r, p.ID, "/api/v1/persons/"+string(p.FIN)+"/certificates")
}

// handlePersonCertificateIssue handles "POST /api/v1/persons/{fin}/certificates":
// an operator issues a certificate {kind, lang} for the person at the
// window; answered as POST /api/v1/me/certificates is.
func (s *Server) handlePersonCertificateIssue(w http.ResponseWriter, r *http.Request) {
	p, err := s.personOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.issueCertificateAPI(w, r, p.ID, "/api/v1/persons/"+string(p.FIN)+"/certificates")
}

// handlePersonCertificateGet handles "GET /api/v1/persons/{fin}/certificates/{id}":
// the PDF of a certificate about the person.
func (s *Server) handlePersonCertificateGet(w http.ResponseWriter, r *http.Request) {
	p, err := s.personOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.sendOwnCertificate(w, r, p.ID)
}

// listCertificates answers a page of person's certificates as JSON.
func (s *Server) listCertificates(w http.ResponseWriter, r *http.Request, personID int64, base string) {
	svc := s.certificates(w, r)
	if svc == nil {
		return
	}
	offset, limit, err := pageParams(r.URL.Query(), 20, 100)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	cs, total, err := svc.FindCertificates(r.Context(), dost.CertificateFilter{PersonID: personID, Offset: offset, Limit: limit})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items := make([]certificateJSON, len(cs))
	for i, c := range cs {
		items[i] = s.toCertificateJSON(c, base)
	}
	writeJSON(w, http.StatusOK, newPage(items, total, offset, limit))
}

// issueCertificateAPI issues a certificate about personID from the JSON
// body and answers with its PDF or JSON (see handleMeCertificateIssue).
func (s *Server) issueCertificateAPI(w http.ResponseWriter, r *http.Request, personID int64, base string) {
	svc := s.certificates(w, r)
	if svc == nil {
		return
	}
	var body certificateRequestJSON
	if err := decodeJSON(w, r, &body); err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := svc.IssueCertificate(r.Context(), dost.CertificateRequest{PersonID: personID, Kind: body.Kind, Language: body.Lang})
	if dost.ErrorCode(err) == dost.ECertificateLimit {
		s.writeCertificateLimit(w, r, err)
		return
	} else if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", base+"/"+strconv.FormatInt(c.ID, 10))
	if acceptsPDF(r) {
		writeCertificatePDF(w, c, http.StatusCreated, "attachment")
		return
	}
	writeJSON(w, http.StatusCreated, s.toCertificateJSON(c, base))
}

// certificateRetryAfter sets Retry-After to the seconds until the next
// day in Baku, when the person's daily limit of certificates starts
// afresh.
func (s *Server) certificateRetryAfter(w http.ResponseWriter) {
	now := s.Clock.Now().In(dost.Baku)
	next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, dost.Baku)
	w.Header().Set("Retry-After", strconv.Itoa(int(next.Sub(now).Seconds())+1))
}

// writeCertificateLimit answers a certificate refused for the daily limit
// (dost.ECertificateLimit): 429 problem+json with code certificate.limit
// and Retry-After.
func (s *Server) writeCertificateLimit(w http.ResponseWriter, r *http.Request, err error) {
	s.certificateRetryAfter(w)
	p := Problem{
		Type: ProblemType(dost.ECertificateLimit), Title: http.StatusText(http.StatusTooManyRequests),
		Status: http.StatusTooManyRequests, Detail: dost.ErrorMessage(err),
		Instance: "urn:dost:request:" + requestInfoFrom(r).ID(), Code: dost.ECertificateLimit, Errors: []dost.FieldError{},
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(p)
}

// sendOwnCertificate sends the PDF of the certificate {id} if it is about
// personID; any other is 404.
func (s *Server) sendOwnCertificate(w http.ResponseWriter, r *http.Request, personID int64) {
	svc := s.certificates(w, r)
	if svc == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.Error(w, r, errCertificateNotFound)
		return
	}
	c, err := svc.FindCertificateByID(r.Context(), id)
	if err == nil && c.PersonID != personID {
		err = errCertificateNotFound
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeCertificatePDF(w, c, http.StatusOK, "attachment")
}

// acceptsPDF reports whether the request asks for a PDF (Accept names
// application/pdf).
func acceptsPDF(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/pdf" {
			return true
		}
	}
	return false
}

// writeCertificatePDF sends c's stored PDF with status, as an attachment
// or inline (disposition), with its digest in a Digest-like header.
func writeCertificatePDF(w http.ResponseWriter, c *dost.Certificate, status int, disposition string) {
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", mime.FormatMediaType(disposition,
		map[string]string{"filename": "arayis-" + string(c.Kind) + "-" + c.Code + ".pdf"}))
	// A certificate names a person: no shared cache keeps it.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(c.PDF)))
	h.Set("X-Certificate-Code", c.Code)
	h.Set("X-Certificate-SHA256", c.SHA256)
	w.WriteHeader(status)
	_, _ = w.Write(c.PDF)
}
