package http

import (
	"net/http"
	"strconv"

	"github.com/dost-az/dost"
)

// portalCertificateRoutes returns the rows of the citizen's certificate
// pages: the list of kinds with a button each that issues and downloads
// one, and the download of one issued before (the same bytes).
func (s *Server) portalCertificateRoutes() []Route {
	my := func(pattern string, h http.HandlerFunc) Route {
		return Route{Pattern: pattern, Access: ByRole, Roles: []dost.Role{dost.RoleCitizen}, Handler: h}
	}
	return []Route{
		my("GET /my/certificates", s.handlePortalCertificates),
		my("POST /my/certificates", s.handlePortalCertificateIssue),
		my("GET /my/certificates/{id}", s.handlePortalCertificateGet),
	}
}

// portalCertificatesView is the data of /my/certificates.
type portalCertificatesView struct {
	Kinds  []portalCertificateKind
	Lang   string // the language preselected for a new certificate
	Issued []portalCertificateRow
	Total  int
	// Error is the message key of a refused issue.
	Error string
}

// portalCertificateKind is one kind the page offers, with the message
// keys of its title and what it attests.
type portalCertificateKind struct {
	Kind               dost.CertificateKind
	TitleKey, AboutKey string
}

// portalCertificateRow is one issued certificate in the list.
type portalCertificateRow struct {
	*dost.Certificate
	IssuedOn           dost.Date
	KindKey, StatusKey string
}

// certKindKey, certStatusKey and certNoneKey return the message keys of a
// kind's name, a status, and a kind's statement that nothing is awarded.
// Handlers choose them, so the test of every key (ui_portal_certificates_test.go)
// walks all kinds and statuses.
func certKindKey(k dost.CertificateKind) string     { return "certs.kind." + string(k) }
func certStatusKey(s dost.CertificateStatus) string { return "certs.status." + string(s) }
func certNoneKey(k dost.CertificateKind) string     { return "certs.none." + string(k) }
func certAboutKey(k dost.CertificateKind) string    { return "certs.kind." + string(k) + ".about" }

// portalCertificateListLimit is how many issued certificates the page lists.
const portalCertificateListLimit = 50

// handlePortalCertificates handles "GET /my/certificates": the kinds a
// citizen may get, each with a button that issues one in the chosen
// language and downloads it, and the certificates issued before (newest
// first), each downloadable again.
func (s *Server) handlePortalCertificates(w http.ResponseWriter, r *http.Request) {
	s.renderPortalCertificates(w, r, http.StatusOK, "")
}

// renderPortalCertificates renders /my/certificates with status and, after
// a refused issue, the message key errKey.
func (s *Server) renderPortalCertificates(w http.ResponseWriter, r *http.Request, status int, errKey string) {
	svc := s.certificates(w, r)
	if svc == nil {
		return
	}
	personID, err := mePersonID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := s.requestLang(w, r)
	v := portalCertificatesView{Lang: lang, Error: errKey}
	for _, k := range dost.CertificateKinds {
		v.Kinds = append(v.Kinds, portalCertificateKind{Kind: k, TitleKey: certKindKey(k), AboutKey: certAboutKey(k)})
	}
	// The person is named even though a citizen's list is forced to
	// their own: an account that is also staff would otherwise list all.
	cs, total, err := svc.FindCertificates(r.Context(), dost.CertificateFilter{PersonID: personID, Limit: portalCertificateListLimit})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	today := dost.Today(s.Clock)
	for _, c := range cs {
		v.Issued = append(v.Issued, portalCertificateRow{Certificate: c, IssuedOn: dost.DateOf(c.IssuedAt.In(dost.Baku)),
			KindKey: certKindKey(c.Kind), StatusKey: certStatusKey(c.Status(today))})
	}
	v.Total = total
	s.renderLang(w, r, lang, status, "portal_certificates", "layout", s.pageFor(r, lang, "my.certificates", v))
}

// handlePortalCertificateIssue handles "POST /my/certificates": issues a
// certificate of the form's kind in its language (lang; the page's when
// unset) about the signed-in citizen, and redirects (303) to its download.
// A bad kind or language re-renders the page (400) saying so.
func (s *Server) handlePortalCertificateIssue(w http.ResponseWriter, r *http.Request) {
	svc := s.certificates(w, r)
	if svc == nil {
		return
	}
	id, err := mePersonID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderPortalCertificates(w, r, http.StatusBadRequest, "certs.error.invalid")
		return
	}
	kind := dost.CertificateKind(r.PostForm.Get("kind"))
	c, err := svc.IssueCertificate(r.Context(), dost.CertificateRequest{PersonID: id, Kind: kind, Language: r.PostForm.Get("lang")})
	switch dost.ErrorCode(err) {
	case "":
	case dost.EINVALID:
		s.renderPortalCertificates(w, r, http.StatusBadRequest, "certs.error.invalid")
		return
	case dost.ECertificateLimit:
		s.certificateRetryAfter(w)
		s.renderPortalCertificates(w, r, http.StatusTooManyRequests, "certs.error.limit")
		return
	default:
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/my/certificates/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// handlePortalCertificateGet handles "GET /my/certificates/{id}": the PDF
// of one of the citizen's certificates, exactly as issued. Another
// person's, or an unknown one, is 404.
func (s *Server) handlePortalCertificateGet(w http.ResponseWriter, r *http.Request) {
	id, err := mePersonID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.sendOwnCertificate(w, r, id)
}
