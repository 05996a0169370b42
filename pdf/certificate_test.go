package pdf_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/pdf"
)

func pensionCertificate(lang string) *dost.Certificate {
	return &dost.Certificate{
		Code: "FDE9-1176-K4NH-ASDY", Kind: dost.CertificatePension, Language: lang,
		IssuedAt:   time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC),
		ValidUntil: dost.MustDate("2026-12-27"),
		Facts: dost.CertificateFacts{
			Name: "Məmmədova Leyla Əli qızı", FIN: dost.FIN("5ZK1R2A").Masked(), BirthDate: dost.MustDate("1960-05-14"),
			AsOf: dost.MustDate("2026-11-27"),
			Awards: []dost.CertificateAward{{Programme: "old_age_pension", Kind: dost.AwardMonthly, Amount: 34976,
				Start: dost.MustDate("2026-03-01"),
				Name:  dost.Text{AZ: "Yaşa görə əmək pensiyası", EN: "Old-age labour pension", RU: "Трудовая пенсия по возрасту"}}},
		},
	}
}

func renderCertificate(t *testing.T, c *dost.Certificate) []byte {
	t.Helper()
	r := &pdf.CertificateRenderer{BaseURL: "https://dost.gov.az/"}
	b, err := r.RenderCertificate(c)
	if err != nil {
		t.Fatalf("RenderCertificate: %v", err)
	}
	return b
}

func TestRenderCertificate(t *testing.T) {
	const url = "https://dost.gov.az/verify/certificates?code=FDE9-1176-K4NH-ASDY"
	for _, tt := range []struct {
		lang string
		want []string
	}{
		{"az", []string{"Pensiyanın məbləği haqqında arayış", "Yaşa görə əmək pensiyası", "349,76 AZN", "aylıq",
			"01.03.2026", "Verilmə tarixi 27.11.2026", "Etibarlılıq müddəti 27.12.2026", "Yoxlama kodu", "Səhifə 1 / 1"}},
		{"en", []string{"Certificate of pension amount", "Old-age labour pension", "349.76 AZN", "monthly",
			"1 March 2026", "Date of issue 27 November 2026", "Valid until 27 December 2026", "Verification code", "Page 1 of 1"}},
		{"ru", []string{"Справка о размере пенсии", "Трудовая пенсия по возрасту", "349,76 AZN", "ежемесячно",
			"01.03.2026", "Дата выдачи 27.11.2026", "Действительна до 27.12.2026", "Код проверки", "Страница 1 из 1"}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			c := pensionCertificate(tt.lang)
			b := renderCertificate(t, c)
			checkPDF(t, b, url)
			if again := renderCertificate(t, c); !bytes.Equal(b, again) {
				t.Error("two renderings of one certificate differ")
			}
			text := pdfText(t, b)
			for _, want := range append(tt.want, c.Facts.Name, "5*****A", c.Code, url) {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "5ZK1R2A") {
				t.Error("text shows the full FIN")
			}
		})
	}

	t.Run("None", func(t *testing.T) {
		for lang, want := range map[string]string{
			"az": "27.11.2026 tarixinə şəxsə və onun ailəsinə qüvvədə olan sosial ödəniş təyin edilməyib.",
			"en": "As of 27 November 2026, no social payment in force is awarded to the person or their household.",
			"ru": "По состоянию на 27.11.2026 лицу и его домохозяйству действующие социальные выплаты не назначены.",
		} {
			c := pensionCertificate(lang)
			c.Kind, c.Facts.Awards = dost.CertificateBenefits, nil
			if text := pdfText(t, renderCertificate(t, c)); !strings.Contains(text, want) {
				t.Errorf("%s: text lacks %q:\n%s", lang, want, text)
			}
		}
	})

	t.Run("Registration", func(t *testing.T) {
		for lang, want := range map[string][]string{
			"az": {"Qeydiyyat məlumatları haqqında arayış", "Bakı, Nəsimi, Füzuli küç. 12, mən. 4", "№ HH00012345, ailə başçısı, üzvlərin sayı: 3", "14.05.1960"},
			"en": {"Certificate of registration data", "No. HH00012345, head of household, 3 members", "14 May 1960"},
			"ru": {"Справка о регистрационных данных", "№ HH00012345, глава домохозяйства, членов: 3"},
		} {
			c := pensionCertificate(lang)
			c.Kind, c.Facts.Awards = dost.CertificateRegistration, nil
			c.Facts.Region, c.Facts.District, c.Facts.Address = "Bakı", "Nəsimi", "Füzuli küç. 12, mən. 4"
			c.Facts.Household = &dost.CertificateHousehold{Code: "HH00012345", Role: dost.RoleHead, Members: 3}
			text := pdfText(t, renderCertificate(t, c))
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%s: text lacks %q:\n%s", lang, w, text)
				}
			}
		}
	})

	t.Run("ErrIncomplete", func(t *testing.T) {
		c := pensionCertificate("en")
		c.Code, c.Facts.Name = "fde9-1176-k4nh-asdy", ""
		_, err := (&pdf.CertificateRenderer{BaseURL: "https://dost.gov.az"}).RenderCertificate(c)
		var e *dost.Error
		if !errors.As(err, &e) || e.Code != dost.EINVALID || len(e.Fields) != 2 {
			t.Fatalf("got %v, want EINVALID naming code and facts", err)
		}
		if _, err := (&pdf.CertificateRenderer{BaseURL: "dost.gov.az"}).RenderCertificate(pensionCertificate("en")); dost.ErrorCode(err) != dost.EINVALID {
			t.Errorf("relative base URL: got %v, want EINVALID", err)
		}
	})
}

func TestCertificateCode(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := pdf.CertificateCode()
		if got, ok := pdf.NormalizeCertificateCode(c); !ok || got != c {
			t.Fatalf("NormalizeCertificateCode(%q) = %q, %v; want itself", c, got, ok)
		}
		if seen[c] {
			t.Fatalf("code %s twice", c)
		}
		seen[c] = true
	}
}
