package pdf

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-pdf/fpdf"

	"github.com/dost-az/dost"
)

// CertificatePath is the public page verifying a certificate; the code
// goes in the query (?code=), which the access log masks.
const CertificatePath = "/verify/certificates"

// CertificateRenderer makes certificates' PDFs (dost.CertificateRenderer):
// in the certificate's language, with DejaVu Sans embedded, the code
// printed and a QR code of the public verification page. It is safe for
// concurrent use.
type CertificateRenderer struct {
	// BaseURL is dost's public address, e.g. "https://dost.example.az";
	// the QR code leads to BaseURL/verify/certificates?code=<code>.
	BaseURL string
}

var _ dost.CertificateRenderer = (*CertificateRenderer)(nil)

// NewCertificateCode returns CertificateCode().
func (r *CertificateRenderer) NewCertificateCode() string { return CertificateCode() }

// VerifyURL returns the address of the page verifying the certificate
// with code.
func (r *CertificateRenderer) VerifyURL(code string) string {
	return strings.TrimRight(r.BaseURL, "/") + CertificatePath + "?code=" + url.QueryEscape(code)
}

// RenderCertificate returns the PDF of c. See dost.CertificateRenderer.
func (r *CertificateRenderer) RenderCertificate(c *dost.Certificate) ([]byte, error) {
	if err := validateCertificate(c, r.VerifyURL(c.Code)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := writeCertificate(&buf, c, r.VerifyURL(c.Code)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// validateCertificate checks that c has what its document needs.
func validateCertificate(c *dost.Certificate, verifyURL string) error {
	var v dost.Validation
	if !dost.ValidCertificateKind(c.Kind) {
		v.Add("kind", "certificate.kind_invalid", "Unknown certificate kind %q.", c.Kind)
	}
	if code, ok := NormalizeCertificateCode(c.Code); !ok || code != c.Code {
		v.Add("code", "certificate.code_invalid", "The code %q is not a canonical certificate code.", c.Code)
	}
	if c.Facts.Name == "" || c.Facts.FIN == "" {
		v.Add("facts", "certificate.required", "The certificate needs the person's name and FIN.")
	}
	if c.Facts.AsOf.IsZero() || c.IssuedAt.IsZero() || c.ValidUntil.IsZero() {
		v.Add("issued_at", "certificate.required", "The certificate needs its dates.")
	}
	if u, err := url.Parse(verifyURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.Add("verify_url", "certificate.verify_url_invalid", "The verification URL %q is not an absolute http(s) URL.", verifyURL)
	}
	return v.Err("The certificate is incomplete.")
}

// writeCertificate writes the PDF of c: the agency, the title of its kind,
// the person, what the kind attests (the awards' table, or the address
// and household), the dates of issue and validity, and the verification
// block with the QR code of verifyURL and the code, which also heads every
// page's footer.
func writeCertificate(w *bytes.Buffer, c *dost.Certificate, verifyURL string) error {
	t, ct := textsFor(c.Language), certTextsFor(c.Language)
	qr, err := qrPNG(verifyURL)
	if err != nil {
		return err
	}
	issued := dost.DateOf(c.IssuedAt.In(dost.Baku))

	f := fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes("DejaVu", "", fontRegular)
	f.AddUTF8FontFromBytes("DejaVu", "B", fontBold)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, 25)
	f.SetTitle(ct.Titles[c.Kind]+" "+c.Code, true)
	f.SetAuthor(t.Agency, true)
	f.SetCreator("dost", true)
	f.SetLang(textsLanguage(c.Language))
	// Fixed dates keep the output reproducible.
	f.SetCreationDate(c.IssuedAt)
	f.SetModificationDate(c.IssuedAt)
	f.SetCatalogSort(true)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-18)
		f.SetFont("DejaVu", "", 8)
		f.SetTextColor(90, 90, 90)
		f.CellFormat(0, 5, t.Code+": "+c.Code+"   ·   "+fmt.Sprintf(t.Page, f.PageNo(), "{nb}"), "", 0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()

	f.SetFont("DejaVu", "B", 11)
	f.MultiCell(0, lineHeight, t.Agency, "", "L", false)
	f.Ln(2)
	f.Line(margin, f.GetY(), pageWidth-margin, f.GetY())
	f.Ln(8)
	f.SetFont("DejaVu", "B", 16)
	f.MultiCell(0, 8, ct.Titles[c.Kind], "", "L", false)
	f.Ln(4)

	field := func(label, value string) {
		f.SetFont("DejaVu", "B", 10)
		f.CellFormat(labelWidth, lineHeight, label, "", 0, "L", false, 0, "")
		f.SetFont("DejaVu", "", 10)
		f.MultiCell(0, lineHeight, value, "", "L", false)
	}
	paragraph := func(s string) {
		f.SetFont("DejaVu", "", 10)
		f.MultiCell(0, lineHeight, s, "", "L", false)
	}
	facts := c.Facts
	field(ct.Name, facts.Name)
	field(ct.FIN, facts.FIN)
	if !facts.BirthDate.IsZero() {
		field(ct.BirthDate, t.date(facts.BirthDate))
	}
	f.Ln(4)
	asOf := t.date(facts.AsOf)
	switch c.Kind {
	case dost.CertificateRegistration:
		paragraph(fmt.Sprintf(ct.Intros[c.Kind], asOf))
		f.Ln(2)
		field(ct.Address, joinAddress(facts.Region, facts.District, facts.Address))
		household := ct.NoHouse
		if h := facts.Household; h != nil {
			household = fmt.Sprintf(ct.HouseholdOf, h.Code, ct.Roles[h.Role], h.Members)
		}
		field(ct.Household, household)
	default:
		if len(facts.Awards) == 0 {
			paragraph(fmt.Sprintf(ct.None[c.Kind], asOf))
			break
		}
		paragraph(fmt.Sprintf(ct.Intros[c.Kind], asOf))
		f.Ln(2)
		widths := []float64{70, 35, 30, textWidth - 135}
		tableRow(f, widths, []string{ct.Programme, ct.Amount, ct.Payment, ct.From}, "B")
		for _, a := range facts.Awards {
			name := a.Name.In(c.Language)
			if a.Household {
				name += " " + ct.ForHousehold
			}
			kind := ct.Monthly
			if a.Kind == dost.AwardOneOff {
				kind = ct.OneOff
			}
			tableRow(f, widths, []string{name, t.money(a.Amount), kind, t.date(a.Start)}, "")
		}
	}
	f.Ln(4)
	field(ct.Issued, t.date(issued))
	field(ct.ValidUntil, t.date(c.ValidUntil))
	f.Ln(2)
	f.SetFont("DejaVu", "", 9)
	f.MultiCell(0, 5, ct.Electronic, "", "L", false)
	f.Ln(8)

	// The verification block, kept on one page.
	_, pageHeight := f.GetPageSize()
	if f.GetY()+qrSize+4 > pageHeight-25 {
		f.AddPage()
	}
	y := f.GetY()
	f.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr))
	f.ImageOptions("qr", margin, y, qrSize, qrSize, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, verifyURL)
	x := margin + qrSize + 6
	f.SetXY(x, y+1)
	f.SetFont("DejaVu", "", 9)
	f.MultiCell(0, 5, ct.Verify, "", "L", false)
	f.SetX(x)
	f.SetTextColor(0, 60, 160)
	f.MultiCell(0, 5, verifyURL, "", "L", false)
	f.LinkString(x, f.GetY()-5, textWidth-qrSize-6, 5, verifyURL)
	f.SetTextColor(0, 0, 0)
	f.Ln(2)
	f.SetX(x)
	f.CellFormat(0, 5, t.Code+":", "", 1, "L", false, 0, "")
	f.SetX(x)
	f.SetFont("DejaVu", "B", 14)
	f.CellFormat(0, 8, c.Code, "", 1, "L", false, 0, "")

	if err := f.Error(); err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	if err := f.Output(w); err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	return nil
}

// joinAddress writes an address as "Baku, Nizami, Street 1"; "—" when
// nothing is registered.
func joinAddress(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return "—"
	}
	return strings.Join(kept, ", ")
}
