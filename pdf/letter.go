// Package pdf makes the documents dost prints: decision letters, with a QR
// code that leads to the public page verifying them. Texts render in
// Azerbaijani, English and Russian with the embedded DejaVu Sans fonts.
package pdf

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/dost-az/dost"
)

// The DejaVu Sans fonts (see fonts/LICENSE) have every letter of
// Azerbaijani and Russian, which the PDF core fonts lack.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

// Letter is what a decision letter says. The caller fills it from the
// decision, its application, the person and the catalogue, with the texts
// (service, programme names, reason, appeal) in Language.
type Letter struct {
	// Language is "az", "en" or "ru"; any other prints Azerbaijani.
	Language string
	// Centre is the centre that handled the application, printed under the
	// agency as the sender; it may be "".
	Centre string
	// Name is the person's full name; FIN is printed masked only.
	Name string
	FIN  dost.FIN
	// ApplicationNumber and ApplicationDate name the application.
	ApplicationNumber string
	ApplicationDate   dost.Date
	// Service is the service's name.
	Service string
	// Outcome is approved, refused or upheld. An approval lists the
	// Amounts it awards, none for a service that pays nothing (a
	// certificate, …), whose letter says the service is approved; a
	// refusal gives its Reason. Upheld settles an appeal: the decision of
	// AppealedDate, whose outcome was AppealedOutcome (approved or
	// refused), stands, for the Reason given; only a court appeal is left.
	Outcome         dost.DecisionOutcome
	Amounts         []Amount
	Reason          string
	AppealedDate    dost.Date
	AppealedOutcome dost.DecisionOutcome
	// Appeal says how to appeal; "" prints a general text.
	Appeal string
	// DecisionDate is the day of the decision; DecidedBy the name (and
	// position) of who decided, "" for a decision dost made itself.
	DecisionDate dost.Date
	DecidedBy    string
	// Code is the letter's code (see LetterCode) and VerifyURL the public
	// page verifying it, an absolute http(s) URL; the QR code encodes
	// VerifyURL, and both are printed.
	Code      string
	VerifyURL string
}

// Amount is one payment an approval awards.
type Amount struct {
	// Programme is the programme's name.
	Programme string
	Amount    dost.Money
	Kind      dost.AwardKind
	// From is the first month paid (monthly) or the month due (one-off).
	From dost.Month
}

// Validate checks that l has what a letter needs. It returns an EINVALID
// *dost.Error naming each missing or bad field.
func (l *Letter) Validate() error {
	var v dost.Validation
	required := func(field, value string) {
		if value == "" {
			v.Add(field, "letter.required", "The letter needs %s.", field)
		}
	}
	required("name", l.Name)
	required("application_number", l.ApplicationNumber)
	required("service", l.Service)
	if !l.FIN.Valid() {
		v.Add("fin", "fin.invalid", "The letter needs a valid FIN.")
	}
	if l.ApplicationDate.IsZero() {
		v.Add("application_date", "letter.required", "The letter needs application_date.")
	}
	if l.DecisionDate.IsZero() {
		v.Add("decision_date", "letter.required", "The letter needs decision_date.")
	}
	switch l.Outcome {
	case dost.DecisionApproved:
		for i, a := range l.Amounts {
			if a.Programme == "" || (a.Kind != dost.AwardMonthly && a.Kind != dost.AwardOneOff) || a.From.IsZero() || a.Amount < 0 {
				v.Add(fmt.Sprintf("amounts[%d]", i), "letter.amount_invalid", "An amount needs a programme, a kind, a month and no negative sum.")
			}
		}
	case dost.DecisionRefused:
		required("reason", l.Reason)
	case dost.DecisionUpheld:
		required("reason", l.Reason)
		if l.AppealedDate.IsZero() {
			v.Add("appealed_date", "letter.required", "The letter needs appealed_date.")
		}
		if l.AppealedOutcome != dost.DecisionApproved && l.AppealedOutcome != dost.DecisionRefused {
			v.Add("appealed_outcome", "letter.outcome_invalid", "The appealed outcome %q is neither approved nor refused.", l.AppealedOutcome)
		}
	default:
		v.Add("outcome", "letter.outcome_invalid", "The outcome %q is neither approved, refused nor upheld.", l.Outcome)
	}
	if code, ok := NormalizeLetterCode(l.Code); !ok || code != l.Code {
		v.Add("code", "letter.code_invalid", "The letter code %q is not a canonical letter code.", l.Code)
	}
	if u, err := url.Parse(l.VerifyURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.Add("verify_url", "letter.verify_url_invalid", "The verification URL %q is not an absolute http(s) URL.", l.VerifyURL)
	}
	return v.Err("The decision letter is incomplete.")
}

// Page geometry in millimetres (A4 portrait).
const (
	margin     = 20.0
	pageWidth  = 210.0
	textWidth  = pageWidth - 2*margin
	labelWidth = 50.0
	lineHeight = 6.0
	qrSize     = 32.0
)

// DecisionLetter writes the PDF of the decision letter l to w: who and
// which application, the outcome with the amounts (or, for an approval
// without any, that the service is approved) or the reason, the right
// to appeal, who decided, and a verification block with the QR code of
// l.VerifyURL, the URL itself and l.Code, which also heads every page's
// footer. The same Letter always gives the same bytes. It returns an
// EINVALID *dost.Error if l is incomplete (see Letter.Validate), with
// nothing written.
func DecisionLetter(w io.Writer, l Letter) error {
	if err := l.Validate(); err != nil {
		return err
	}
	t := textsFor(l.Language)
	qr, err := qrPNG(l.VerifyURL)
	if err != nil {
		return err
	}

	f := fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes("DejaVu", "", fontRegular)
	f.AddUTF8FontFromBytes("DejaVu", "B", fontBold)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, 25)
	f.SetTitle(t.Title+" "+l.ApplicationNumber, true)
	f.SetAuthor(t.Agency, true)
	f.SetCreator("dost", true)
	f.SetLang(textsLanguage(l.Language))
	// Fixed dates keep the output reproducible.
	f.SetCreationDate(l.DecisionDate.Time())
	f.SetModificationDate(l.DecisionDate.Time())
	f.SetCatalogSort(true)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-18)
		f.SetFont("DejaVu", "", 8)
		f.SetTextColor(90, 90, 90)
		f.CellFormat(0, 5, t.Code+": "+l.Code+"   ·   "+fmt.Sprintf(t.Page, f.PageNo(), "{nb}"), "", 0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()

	// The sender.
	f.SetFont("DejaVu", "B", 11)
	f.MultiCell(0, lineHeight, t.Agency, "", "L", false)
	if l.Centre != "" {
		f.SetFont("DejaVu", "", 10)
		f.MultiCell(0, 5, l.Centre, "", "L", false)
	}
	f.Ln(2)
	f.Line(margin, f.GetY(), pageWidth-margin, f.GetY())
	f.Ln(8)

	f.SetFont("DejaVu", "B", 16)
	f.MultiCell(0, 8, t.Title, "", "L", false)
	f.Ln(4)

	field := func(label, value string, bold bool) {
		f.SetFont("DejaVu", "B", 10)
		f.CellFormat(labelWidth, lineHeight, label, "", 0, "L", false, 0, "")
		style := ""
		if bold {
			style = "B"
		}
		f.SetFont("DejaVu", style, 10)
		f.MultiCell(0, lineHeight, value, "", "L", false)
	}
	field(t.Application, fmt.Sprintf(t.ApplicationOf, l.ApplicationNumber, t.date(l.ApplicationDate)), false)
	field(t.Applicant, l.Name, false)
	field(t.FIN, l.FIN.Masked(), false)
	field(t.Service, l.Service, false)
	field(t.DecisionDate, t.date(l.DecisionDate), false)
	outcomeText := func(o dost.DecisionOutcome) string {
		switch o {
		case dost.DecisionRefused:
			return t.Refused
		case dost.DecisionUpheld:
			return t.Upheld
		}
		return t.Approved
	}
	field(t.Outcome, outcomeText(l.Outcome), true)
	f.Ln(4)

	heading := func(s string) {
		f.SetFont("DejaVu", "B", 11)
		f.MultiCell(0, 7, s, "", "L", false)
		f.SetFont("DejaVu", "", 10)
	}
	switch {
	case l.Outcome == dost.DecisionApproved && len(l.Amounts) == 0:
		f.SetFont("DejaVu", "", 10)
		f.MultiCell(0, lineHeight, fmt.Sprintf(t.ServiceApproved, l.Service), "", "L", false)
	case l.Outcome == dost.DecisionApproved:
		heading(t.Awarded)
		widths := []float64{70, 35, textWidth - 105}
		tableRow(f, widths, []string{t.Programme, t.Amount, t.Payment}, "B")
		for _, a := range l.Amounts {
			payment := fmt.Sprintf(t.Monthly, t.month(a.From))
			if a.Kind == dost.AwardOneOff {
				payment = fmt.Sprintf(t.OneOff, t.month(a.From))
			}
			tableRow(f, widths, []string{a.Programme, t.money(a.Amount), payment}, "")
		}
	case l.Outcome == dost.DecisionUpheld:
		f.SetFont("DejaVu", "", 10)
		f.MultiCell(0, lineHeight, fmt.Sprintf(t.Stands, t.date(l.AppealedDate), outcomeText(l.AppealedOutcome)), "", "L", false)
		f.Ln(2)
		heading(t.UpheldReason)
		f.MultiCell(0, lineHeight, l.Reason, "", "L", false)
	default:
		heading(t.Reason)
		f.MultiCell(0, lineHeight, l.Reason, "", "L", false)
	}
	f.Ln(4)

	heading(t.AppealTitle)
	appeal := l.Appeal
	switch {
	case appeal != "":
	case l.Outcome == dost.DecisionUpheld:
		appeal = t.AppealCourt
	default:
		appeal = t.Appeal
	}
	f.MultiCell(0, lineHeight, appeal, "", "L", false)
	f.Ln(4)

	decider := l.DecidedBy
	if decider == "" {
		decider = t.Automatic
	}
	field(t.DecidedBy, decider, false)
	f.Ln(8)

	// The verification block, kept on one page.
	_, pageHeight := f.GetPageSize()
	if f.GetY()+qrSize+4 > pageHeight-25 {
		f.AddPage()
	}
	y := f.GetY()
	f.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr))
	f.ImageOptions("qr", margin, y, qrSize, qrSize, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, l.VerifyURL)
	x := margin + qrSize + 6
	f.SetXY(x, y+1)
	f.SetFont("DejaVu", "", 9)
	f.MultiCell(0, 5, t.Verify, "", "L", false)
	f.SetX(x)
	f.SetTextColor(0, 60, 160)
	f.MultiCell(0, 5, l.VerifyURL, "", "L", false)
	f.LinkString(x, f.GetY()-5, textWidth-qrSize-6, 5, l.VerifyURL)
	f.SetTextColor(0, 0, 0)
	f.Ln(2)
	f.SetX(x)
	f.SetFont("DejaVu", "", 9)
	f.CellFormat(0, 5, t.Code+":", "", 1, "L", false, 0, "")
	f.SetX(x)
	f.SetFont("DejaVu", "B", 14)
	f.CellFormat(0, 8, l.Code, "", 1, "L", false, 0, "")

	if err := f.Error(); err != nil {
		return fmt.Errorf("decision letter: %w", err)
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return fmt.Errorf("decision letter: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// textsLanguage returns the language the letter is printed in.
func textsLanguage(lang string) string {
	if _, ok := textsByLanguage[lang]; ok {
		return lang
	}
	return "az"
}

// tableRow draws one row of a bordered table, each cell's text wrapped to
// its width and the row as high as its tallest cell.
func tableRow(f *fpdf.Fpdf, widths []float64, cells []string, style string) {
	f.SetFont("DejaVu", style, 10)
	const pad = 1.5
	lines := make([][]string, len(cells))
	height := 0.0
	for i, c := range cells {
		lines[i] = f.SplitText(c, widths[i]-2*pad)
		height = max(height, float64(len(lines[i]))*lineHeight)
	}
	_, pageHeight := f.GetPageSize()
	if f.GetY()+height > pageHeight-25 {
		f.AddPage()
		f.SetFont("DejaVu", style, 10)
	}
	x, y := f.GetX(), f.GetY()
	for i, w := range widths {
		f.Rect(x, y, w, height, "D")
		for j, line := range lines[i] {
			f.SetXY(x+pad, y+float64(j)*lineHeight)
			f.CellFormat(w-2*pad, lineHeight, line, "", 0, "L", false, 0, "")
		}
		x += w
	}
	f.SetXY(margin, y+height)
}

// qrPNG returns the QR code of s as a PNG image, with medium error
// correction so that a creased letter still scans.
func qrPNG(s string) ([]byte, error) {
	q, err := qrcode.New(s, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	png, err := q.PNG(256)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	if len(png) == 0 {
		return nil, errors.New("qr code: empty image")
	}
	return png, nil
}
