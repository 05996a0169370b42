package http

import (
	"net/http"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/pdf"
)

// verifyCertificateRoutes returns the public verification page of
// certificates. It is public, so the public rate limit applies per
// client IP, which keeps anyone from trying codes in bulk; the codes
// carry 80 random bits besides. The code travels in the query (?code=),
// which the access log masks: a path /verify/certificates/{code} would
// clash with /verify/{code}/letter.pdf and be logged in full.
func (s *Server) verifyCertificateRoutes() []Route {
	return []Route{
		{Pattern: "GET " + pdf.CertificatePath, Access: Public, Handler: s.handleVerifyCertificate},
	}
}

// verifyCertificateView is the data of the certificate verification page.
type verifyCertificateView struct {
	Code  string // as typed, or canonical once found
	Error string // message key of a badly typed code
	// Checked: a well-formed code was looked up; Cert is nil when no
	// certificate has it.
	Checked bool
	Cert    *certificateFacts
}

// certificateFacts are what the page shows of a certificate: exactly what
// the certificate states (its frozen facts), in the visitor's language,
// and whether it is in force. Nothing is read from the registry now.
type certificateFacts struct {
	Code   string
	Kind   dost.CertificateKind
	Status dost.CertificateStatus
	// KindKey, StatusKey and NoneKey are the message keys of the kind,
	// the status and the kind's "nothing awarded" statement.
	KindKey, StatusKey, NoneKey string
	IssuedOn                    dost.Date
	ValidUntil                  dost.Date
	Language                    string
	Facts                       dost.CertificateFacts
	Address                     string
	Awards                      []certificateAwardFacts
	// Expired: the certificate is past ValidUntil, and the page shows
	// only its code, kind, dates and status (Facts are left empty).
	Expired bool
}

// certificateAwardFacts is one award the certificate attests, named in
// the visitor's language.
type certificateAwardFacts struct {
	Name      string
	Kind      dost.AwardKind
	Amount    dost.Money
	Start     dost.Date
	Household bool
}

// parseCertificateCode reads a code as a visitor typed it: the canonical
// code, or the message key saying why it is none ("" when ok).
func parseCertificateCode(raw string) (code, errKey string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "certs.verify.error.empty"
	}
	code, ok := pdf.NormalizeCertificateCode(raw)
	if !ok {
		return "", "certs.verify.error.format"
	}
	return code, ""
}

// handleVerifyCertificate handles "GET /verify/certificates": the form to
// type a certificate's code and, with ?code=, the answer: the facts the
// certificate states and whether it is valid or expired (200), that no
// certificate has the code (404), or that the code is malformed (400).
func (s *Server) handleVerifyCertificate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := verifyCertificateView{Code: strings.TrimSpace(q.Get("code"))}
	if !q.Has("code") {
		s.render(w, r, http.StatusOK, "verify_certificate", "verify", v)
		return
	}
	code, errKey := parseCertificateCode(v.Code)
	if errKey != "" {
		v.Error = errKey
		s.render(w, r, http.StatusBadRequest, "verify_certificate", "verify", v)
		return
	}
	v.Checked = true
	if s.Certificates == nil {
		s.render(w, r, http.StatusNotFound, "verify_certificate", "verify", v)
		return
	}
	c, err := s.Certificates.FindCertificateByCode(r.Context(), code)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		s.render(w, r, http.StatusNotFound, "verify_certificate", "verify", v)
		return
	} else if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := s.requestLang(w, r)
	status := c.Status(dost.Today(s.Clock))
	f := &certificateFacts{Code: c.Code, Kind: c.Kind, Status: status,
		KindKey: certKindKey(c.Kind), StatusKey: certStatusKey(status), NoneKey: certNoneKey(c.Kind),
		IssuedOn: dost.DateOf(c.IssuedAt.In(dost.Baku)), ValidUntil: c.ValidUntil, Language: c.Language, Facts: c.Facts}
	if status == dost.CertificateExpired {
		// Past its validity the code proves nothing about the person
		// today: the page says what kind it was, when, and that it
		// expired, and no longer who it is about or what it stated.
		f.Facts, f.Expired = dost.CertificateFacts{}, true
		v.Code, v.Cert = code, f
		w.Header().Set("Cache-Control", "no-store")
		s.renderLang(w, r, lang, http.StatusOK, "verify_certificate", "layout", s.pageFor(r, lang, "verify", v))
		return
	}
	var parts []string
	for _, p := range []string{c.Facts.Region, c.Facts.District, c.Facts.Address} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	f.Address = strings.Join(parts, ", ")
	for _, a := range c.Facts.Awards {
		f.Awards = append(f.Awards, certificateAwardFacts{Name: a.Name.In(lang), Kind: a.Kind, Amount: a.Amount,
			Start: a.Start, Household: a.Household})
	}
	v.Code, v.Cert = code, f
	// The status changes with time: no cache keeps the page.
	w.Header().Set("Cache-Control", "no-store")
	s.renderLang(w, r, lang, http.StatusOK, "verify_certificate", "layout", s.pageFor(r, lang, "verify", v))
}
