package pdf_test

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/pdf"
)

func approval(lang string) pdf.Letter {
	code := "FDE9-1176-K4NH-ASDY"
	return pdf.Letter{
		Language:          lang,
		Centre:            "Bakı şəhəri 1 saylı DOST mərkəzi",
		Name:              "Məmmədova Leyla Əli qızı",
		FIN:               "5ZK1R2A",
		ApplicationNumber: "A-2026-0000042",
		ApplicationDate:   dost.MustDate("2026-03-02"),
		Service:           "Yaşa görə əmək pensiyasının təyin edilməsi",
		Outcome:           dost.DecisionApproved,
		Amounts: []pdf.Amount{
			{Programme: "Yaşa görə əmək pensiyası", Amount: 34976, Kind: dost.AwardMonthly, From: dost.Month{Year: 2026, Month: 3}},
			{Programme: "Birdəfəlik müavinət", Amount: dost.AZN(200), Kind: dost.AwardOneOff, From: dost.Month{Year: 2026, Month: 4}},
		},
		DecisionDate: dost.MustDate("2026-03-10"),
		DecidedBy:    "Həsənov Rəşad, baş mütəxəssis",
		Code:         code,
		VerifyURL:    "https://dost.gov.az/verify/" + code,
	}
}

func refusal(lang string) pdf.Letter {
	l := approval(lang)
	l.Outcome, l.Amounts, l.DecidedBy = dost.DecisionRefused, nil, ""
	l.Reason = "Sığorta stajı 25 ildən azdır (12 il 4 ay). Страховой стаж меньше 25 лет."
	return l
}

func render(t *testing.T, l pdf.Letter) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pdf.DecisionLetter(&b, l); err != nil {
		t.Fatalf("DecisionLetter: %v", err)
	}
	return b.Bytes()
}

// checkPDF checks the shape of a PDF file: header, trailer, an image (the
// QR code) and a link to url.
func checkPDF(t *testing.T, b []byte, url string) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("starts with %q, want %%PDF-", b[:min(len(b), 8)])
	}
	if !bytes.HasSuffix(bytes.TrimRight(b, "\r\n"), []byte("%%EOF")) {
		t.Errorf("ends with %q, want %%%%EOF", b[max(0, len(b)-8):])
	}
	if !bytes.Contains(b, []byte("/Subtype /Image")) {
		t.Error("no image (the QR code) in the PDF")
	}
	if !bytes.Contains(b, []byte("/URI ("+url+")")) {
		t.Errorf("no link to %s in the PDF", url)
	}
}

// pdfText returns the text of a PDF with pdftotext (poppler-utils), or
// skips the test when it is not installed (fails under CI, which installs it).
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext (poppler-utils) is not installed; .ci/run installs it")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	name := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", name, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ") // wrapped lines joined
}

func TestDecisionLetter(t *testing.T) {
	for _, tt := range []struct {
		lang string
		want []string // text the letter must show
	}{
		{"az", []string{"Müraciət üzrə qərar", "Müraciət təmin edildi", "349,76 AZN", "aylıq, başlanğıc ayı: mart 2026",
			"birdəfəlik, ödəniş ayı: aprel 2026", "02.03.2026", "Şikayət hüququ", "Səhifə 1 / 1"}},
		{"en", []string{"Decision on an application", "The application is approved", "349.76 AZN",
			"monthly, first month: March 2026", "one-off, month of payment: April 2026", "2 March 2026", "Right to appeal", "Page 1 of 1"}},
		{"ru", []string{"Решение по обращению", "Обращение удовлетворено", "349,76 AZN", "ежемесячно, первый месяц: март 2026",
			"единовременно, месяц выплаты: апрель 2026", "02.03.2026", "Право на обжалование", "Страница 1 из 1"}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			l := approval(tt.lang)
			b := render(t, l)
			checkPDF(t, b, l.VerifyURL)
			if again := render(t, l); !bytes.Equal(b, again) {
				t.Error("two renderings of one letter differ")
			}
			text := pdfText(t, b)
			for _, want := range append(tt.want, l.Name, "5*****A", l.ApplicationNumber, l.Service,
				"Yaşa görə əmək pensiyası", l.DecidedBy, l.VerifyURL, l.Code) {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, string(l.FIN)) {
				t.Errorf("text shows the full FIN %s", l.FIN)
			}
		})
	}

	t.Run("Refused", func(t *testing.T) {
		for lang, want := range map[string][]string{
			"az": {"Müraciət üzrə imtina edildi", "İmtinanın səbəbi", "DOST informasiya sistemi (avtomatik qərar)"},
			"en": {"The application is refused", "Reason for the refusal", "the DOST information system (automatic decision)"},
			"ru": {"В удовлетворении обращения отказано", "Причина отказа", "информационная система DOST (автоматическое решение)"},
		} {
			l := refusal(lang)
			b := render(t, l)
			checkPDF(t, b, l.VerifyURL)
			text := pdfText(t, b)
			for _, w := range append(want, l.Reason, l.Code) {
				if !strings.Contains(text, w) {
					t.Errorf("%s: text lacks %q:\n%s", lang, w, text)
				}
			}
			if strings.Contains(text, "AZN") {
				t.Errorf("%s: a refusal shows an amount:\n%s", lang, text)
			}
		}
	})

	// An appeal that fails: the refusal of 10 March stands, for reasons
	// given; only a court appeal is left.
	t.Run("Upheld", func(t *testing.T) {
		for lang, want := range map[string][]string{
			"az": {"Şikayət təmin edilmədi", "10.03.2026 tarixli qərar («Müraciət üzrə imtina edildi») qüvvədə qalır.", "Əsaslandırma", "məhkəməyə"},
			"en": {"The appeal is dismissed", "(“The application is refused”) stands.", "Reasons", "in court."},
			"ru": {"В удовлетворении жалобы отказано", "(«В удовлетворении обращения отказано») остаётся в силе.", "Обоснование", "в суде."},
		} {
			l := refusal(lang)
			l.Outcome, l.AppealedDate, l.AppealedOutcome = dost.DecisionUpheld, dost.MustDate("2026-03-10"), dost.DecisionRefused
			l.DecisionDate, l.DecidedBy, l.Reason = dost.MustDate("2026-04-01"), "Həsənov Rəşad", "The insurance record was checked again."
			b := render(t, l)
			checkPDF(t, b, l.VerifyURL)
			text := pdfText(t, b)
			for _, w := range append(want, l.Reason, l.Code) {
				if !strings.Contains(text, w) {
					t.Errorf("%s: text lacks %q:\n%s", lang, w, text)
				}
			}
			if strings.Contains(text, "portal") {
				t.Errorf("%s: an upheld appeal offers another administrative appeal:\n%s", lang, text)
			}
		}
	})

	// A service that pays nothing (a certificate, …) is approved without
	// amounts: the letter says so, with no table of payments.
	t.Run("ApprovedWithoutAmounts", func(t *testing.T) {
		for lang, tt := range map[string]struct{ want, notWant []string }{
			"az": {[]string{"Müraciət təmin edildi", "«Arayışın verilməsi» xidməti müraciətə uyğun olaraq təsdiq edildi. Bu qərarla ödəniş təyin edilmir."},
				[]string{"ödənişlər təyin edildi", "Proqram"}},
			"en": {[]string{"The application is approved", "The service “Arayışın verilməsi” is approved as applied for. This decision awards no payment."},
				[]string{"payments are awarded", "Programme"}},
			"ru": {[]string{"Обращение удовлетворено", "Услуга «Arayışın verilməsi» одобрена в соответствии с обращением. Этим решением выплаты не назначаются."},
				[]string{"Назначены следующие выплаты", "Программа"}},
		} {
			l := approval(lang)
			l.Service, l.Amounts = "Arayışın verilməsi", nil
			b := render(t, l)
			checkPDF(t, b, l.VerifyURL)
			text := pdfText(t, b)
			for _, w := range append(tt.want, l.Code, l.DecidedBy, l.VerifyURL) {
				if !strings.Contains(text, w) {
					t.Errorf("%s: text lacks %q:\n%s", lang, w, text)
				}
			}
			for _, w := range append(tt.notWant, "AZN") {
				if strings.Contains(text, w) {
					t.Errorf("%s: a letter without amounts shows %q:\n%s", lang, w, text)
				}
			}
		}
	})

	t.Run("UnknownLanguage", func(t *testing.T) {
		text := pdfText(t, render(t, approval("de")))
		if !strings.Contains(text, "Müraciət üzrə qərar") {
			t.Errorf("text of language de is not Azerbaijani:\n%s", text)
		}
	})

	t.Run("Appeal", func(t *testing.T) {
		l := refusal("en")
		l.Appeal = "Appeal within one month to the Ministry, Baku, Salatyn Askarova street 85."
		text := pdfText(t, render(t, l))
		if !strings.Contains(text, l.Appeal) || strings.Contains(text, "in court") {
			t.Errorf("text does not show the given appeal text instead of the general one:\n%s", text)
		}
	})

	t.Run("LongReason", func(t *testing.T) {
		l := refusal("az")
		l.Reason = strings.Repeat("Təqdim edilmiş sənədlər müraciət tarixinə etibarlı deyil. ", 80)
		b := render(t, l)
		checkPDF(t, b, l.VerifyURL)
		if !bytes.Contains(b, []byte("/Count 2")) {
			t.Error("a long reason does not make a two-page letter")
		}
		text := pdfText(t, b)
		for _, want := range []string{"Səhifə 1 / 2", "Səhifə 2 / 2", l.Code} {
			if !strings.Contains(text, want) {
				t.Errorf("text lacks %q", want)
			}
		}
	})
}

func TestLetterValidate(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(*pdf.Letter)
		field  string
	}{
		{"ErrNoName", func(l *pdf.Letter) { l.Name = "" }, "name"},
		{"ErrBadFIN", func(l *pdf.Letter) { l.FIN = "5zk1r2a" }, "fin"},
		{"ErrNoApplication", func(l *pdf.Letter) { l.ApplicationNumber = "" }, "application_number"},
		{"ErrNoApplicationDate", func(l *pdf.Letter) { l.ApplicationDate = dost.Date{} }, "application_date"},
		{"ErrNoDecisionDate", func(l *pdf.Letter) { l.DecisionDate = dost.Date{} }, "decision_date"},
		{"ErrNoService", func(l *pdf.Letter) { l.Service = "" }, "service"},
		{"ErrOutcome", func(l *pdf.Letter) { l.Outcome = "maybe" }, "outcome"},
		{"ErrBadAmount", func(l *pdf.Letter) { l.Amounts[1].Kind = "weekly" }, "amounts[1]"},
		{"ErrNoReason", func(l *pdf.Letter) { l.Outcome = dost.DecisionRefused }, "reason"},
		{"ErrUpheldNoAppealed", func(l *pdf.Letter) {
			l.Outcome, l.Reason, l.AppealedOutcome = dost.DecisionUpheld, "Checked.", dost.DecisionApproved
		}, "appealed_date"},
		{"ErrUpheldBadAppealed", func(l *pdf.Letter) {
			l.Outcome, l.Reason, l.AppealedDate, l.AppealedOutcome = dost.DecisionUpheld, "Checked.", l.DecisionDate, dost.DecisionUpheld
		}, "appealed_outcome"},
		{"ErrCodeNotCanonical", func(l *pdf.Letter) { l.Code = strings.ToLower(l.Code) }, "code"},
		{"ErrRelativeURL", func(l *pdf.Letter) { l.VerifyURL = "/verify/x" }, "verify_url"},
		{"ErrJavaScriptURL", func(l *pdf.Letter) { l.VerifyURL = "javascript:alert(1)" }, "verify_url"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := approval("az")
			tt.change(&l)
			var b bytes.Buffer
			err := pdf.DecisionLetter(&b, l)
			if code := dost.ErrorCode(err); code != dost.EINVALID {
				t.Fatalf("DecisionLetter: code %q (%v), want %q", code, err, dost.EINVALID)
			}
			fields := dost.ErrorFields(err)
			if len(fields) != 1 || fields[0].Field != tt.field {
				t.Errorf("fields = %+v, want one for %q", fields, tt.field)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes, want none", b.Len())
			}
		})
	}
}

func TestQRPNG(t *testing.T) {
	a, err := pdf.QRPNG("https://dost.gov.az/verify/FDE9-1176-K4NH-ASDY")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() != 256 || r.Dy() != 256 {
		t.Errorf("image is %v, want 256×256", r)
	}
	b, err := pdf.QRPNG("https://dost.gov.az/verify/FDE9-1176-K4NH-ASDZ")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("two URLs give the same QR code")
	}
	if _, err := pdf.QRPNG(strings.Repeat("x", 5000)); err == nil {
		t.Error("a text too long for a QR code gave no error")
	}
}
