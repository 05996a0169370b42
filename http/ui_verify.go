package http

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/pdf"
)

// LetterService renders decision letters; casework.Service implements it.
type LetterService interface {
	// Letter returns what the letter of a decision says, with its texts
	// in lang ("" for the letter's own language, the applicant's). It
	// does not check who asks: the routes do. ENOTFOUND for an unknown
	// decision.
	Letter(ctx context.Context, decisionID int64, lang string) (*pdf.Letter, error)
	// WriteLetter writes the PDF of a decision's letter to w, in the
	// applicant's language; every decision has one. ENOTFOUND for an
	// unknown decision.
	WriteLetter(ctx context.Context, decisionID int64, w io.Writer) error
}

// verifyRoutes returns the public verification page's rows of the route
// table. They are public, so the public rate limit applies (per client
// IP), which also keeps anyone from trying codes in bulk; the codes carry
// 80 random bits besides.
func (s *Server) verifyRoutes() []Route {
	return []Route{
		{Pattern: "GET /verify", Access: Public, Handler: s.handleVerifyForm},
		{Pattern: "GET /verify/{code}", Access: Public, Handler: s.handleVerify},
		{Pattern: "GET /verify/{code}/letter.pdf", Access: Public, Handler: s.handleVerifyLetter},
	}
}

// verifyView is the data of the verification page: the form and, once a
// code was looked up, the answer.
type verifyView struct {
	Code  string // as typed, or canonical once found
	Error string // message key of a badly typed code
	// Checked: a code was looked up; Letter is nil when no letter has it.
	Checked bool
	Letter  *letterFacts
}

// letterFacts are what the public may learn of a letter: whether it is
// genuine and its essentials, with no personal data beyond the masked
// FIN and the initials (not the reason, which may name a health or a
// family matter).
type letterFacts struct {
	Code         string
	Initials     string
	FIN          string // masked
	Service      string
	Centre       string
	Outcome      dost.DecisionOutcome
	DecisionDate dost.Date
	Amounts      []pdf.Amount
	// Replaced: a later decision on the same application (on appeal)
	// replaced this one; the letter is genuine but no longer in force. An
	// upheld appeal replaces nothing: the decision appealed stands.
	Replaced bool
	// PDF is the address of the letter's PDF.
	PDF string
}

// handleVerifyForm handles "GET /verify": the form to type a letter's
// code. With ?code= (the form sent) a well-formed code redirects to its
// page, /verify/<code> in canonical form; a malformed one re-renders the
// form (400) saying so.
func (s *Server) handleVerifyForm(w http.ResponseWriter, r *http.Request) {
	v := verifyView{Code: strings.TrimSpace(r.URL.Query().Get("code"))}
	if v.Code == "" {
		s.render(w, r, http.StatusOK, "verify", "verify", v)
		return
	}
	code, ok := pdf.NormalizeLetterCode(v.Code)
	if !ok {
		v.Error = "verify.error.format"
		s.render(w, r, http.StatusBadRequest, "verify", "verify", v)
		return
	}
	http.Redirect(w, r, "/verify/"+code, http.StatusSeeOther)
}

// handleVerify handles "GET /verify/{code}": whether a decision letter
// with this code exists and, if so, its essentials in the visitor's
// language (letterFacts) and a link to its PDF. A code typed in another
// form (lower case, spaces, O for 0) redirects to the canonical one; an
// unknown or malformed code answers 404 with the form to try again.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("code")
	v := verifyView{Code: raw, Checked: true}
	code, ok := pdf.NormalizeLetterCode(raw)
	if ok && code != raw {
		http.Redirect(w, r, "/verify/"+code, http.StatusMovedPermanently)
		return
	}
	if !ok || s.Letters == nil {
		s.render(w, r, http.StatusNotFound, "verify", "verify", v)
		return
	}
	d, err := s.AwardService.FindDecisionByLetterCode(r.Context(), code)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		s.render(w, r, http.StatusNotFound, "verify", "verify", v)
		return
	} else if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := s.requestLang(w, r)
	l, err := s.Letters.Letter(r.Context(), d.ID, lang)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	// The application is read as dost itself: a signed-in citizen
	// checking someone else's letter may see its essentials too.
	a, err := s.ApplicationService.FindApplicationByID(dost.NewContextWithUser(r.Context(), nil), d.ApplicationID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	replaced := a.DecisionID != d.ID
	if replaced {
		// An upheld appeal leaves the decision it settles in force.
		latest, err := s.AwardService.FindDecisionByID(dost.NewContextWithUser(r.Context(), nil), a.DecisionID)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		replaced = latest.Outcome != dost.DecisionUpheld || latest.AppealOf != d.ID
	}
	v.Letter = &letterFacts{Code: code, Initials: initials(l.Name), FIN: l.FIN.Masked(), Service: l.Service,
		Centre: l.Centre, Outcome: l.Outcome, DecisionDate: l.DecisionDate, Amounts: l.Amounts,
		Replaced: replaced, PDF: "/verify/" + code + "/letter.pdf"}
	// What the page says changes with an appeal: no cache keeps it.
	w.Header().Set("Cache-Control", "no-store")
	s.renderLang(w, r, lang, http.StatusOK, "verify", "layout", s.pageFor(r, lang, "verify", v))
}

// handleVerifyLetter handles "GET /verify/{code}/letter.pdf": the PDF of
// the letter with this code, for whoever holds the code (it is printed on
// the letter and sent to the applicant). 404 for an unknown code.
func (s *Server) handleVerifyLetter(w http.ResponseWriter, r *http.Request) {
	code, ok := pdf.NormalizeLetterCode(r.PathValue("code"))
	if !ok {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "No decision letter has this code."))
		return
	}
	d, err := s.AwardService.FindDecisionByLetterCode(r.Context(), code)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeLetterPDF(w, r, d.ID, "letter-"+code+".pdf")
}

// writeLetterPDF renders the letter of decision id and sends it inline as
// a PDF file called name. The PDF is made in full before anything is
// sent, so an error is a clean error page.
func (s *Server) writeLetterPDF(w http.ResponseWriter, r *http.Request, decisionID int64, name string) {
	if s.Letters == nil {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "Decision letters are not available on this server."))
		return
	}
	var buf bytes.Buffer
	if err := s.Letters.WriteLetter(r.Context(), decisionID, &buf); err != nil {
		s.Error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
	// A letter names a person: no shared cache keeps it.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// initials returns the first letter of each word of a name, each followed
// by a full stop: "Aliyev Rashad Test" → "A. R. T.".
func initials(name string) string {
	var parts []string
	for _, word := range strings.Fields(name) {
		r, _ := utf8.DecodeRuneInString(word)
		if unicode.IsLetter(r) {
			parts = append(parts, string(unicode.ToUpper(r))+".")
		}
	}
	return strings.Join(parts, " ")
}
