package pdf

import (
	"fmt"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// texts are the fixed words of a letter in one language. ServiceApproved
// is the text of an approval that awards no amount, %s the service.
type texts struct {
	Agency, Title, Application, ApplicationOf         string
	Applicant, FIN, Service, DecisionDate, Outcome    string
	Approved, Refused, Awarded, ServiceApproved       string
	Programme, Amount, Payment                        string
	Monthly, OneOff                                   string
	Reason, AppealTitle, Appeal, DecidedBy, Automatic string
	Verify, Code, Page                                string
	// Upheld is the outcome of an appeal that fails; Stands says the
	// appealed decision (%s its date, %s its outcome) stands; UpheldReason
	// heads the reasons; AppealCourt is the right to appeal left then.
	Upheld, Stands, UpheldReason, AppealCourt string
	Months                                    [12]string
	DecimalComma                              bool
}

// textsByLanguage holds the letter's words in each of dost's languages.
var textsByLanguage = map[string]*texts{
	"az": {
		Agency:          "Dayanıqlı və Operativ Sosial Təminat Agentliyi (DOST)",
		Title:           "Müraciət üzrə qərar",
		Application:     "Müraciət",
		ApplicationOf:   "№ %s, %s tarixli",
		Applicant:       "Müraciət edən",
		FIN:             "FİN",
		Service:         "Xidmət",
		DecisionDate:    "Qərarın tarixi",
		Outcome:         "Qərar",
		Approved:        "Müraciət təmin edildi",
		Refused:         "Müraciət üzrə imtina edildi",
		Awarded:         "Aşağıdakı ödənişlər təyin edildi:",
		ServiceApproved: "«%s» xidməti müraciətə uyğun olaraq təsdiq edildi. Bu qərarla ödəniş təyin edilmir.",
		Programme:       "Proqram",
		Amount:          "Məbləğ",
		Payment:         "Ödəniş",
		Monthly:         "aylıq, başlanğıc ayı: %s",
		OneOff:          "birdəfəlik, ödəniş ayı: %s",
		Reason:          "İmtinanın səbəbi",
		AppealTitle:     "Şikayət hüququ",
		Appeal:          "Bu qərarla razı deyilsinizsə, ondan istənilən DOST mərkəzində, DOST portalında və ya məhkəmədə şikayət edə bilərsiniz.",
		DecidedBy:       "Qərarı qəbul etdi",
		Automatic:       "DOST informasiya sistemi (avtomatik qərar)",
		Verify:          "Bu məktubun həqiqiliyini yoxlamaq üçün QR kodu skan edin və ya ünvana daxil olun:",
		Code:            "Yoxlama kodu",
		Page:            "Səhifə %d / %s",
		Upheld:          "Şikayət təmin edilmədi",
		Stands:          "%s tarixli qərar («%s») qüvvədə qalır.",
		UpheldReason:    "Əsaslandırma",
		AppealCourt:     "Bu qərarla razı deyilsinizsə, ondan məhkəməyə şikayət edə bilərsiniz.",
		Months:          [12]string{"yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avqust", "sentyabr", "oktyabr", "noyabr", "dekabr"},
		DecimalComma:    true,
	},
	"en": {
		Agency:          "Sustainable and Operative Social Security Agency (DOST)",
		Title:           "Decision on an application",
		Application:     "Application",
		ApplicationOf:   "No. %s of %s",
		Applicant:       "Applicant",
		FIN:             "FIN",
		Service:         "Service",
		DecisionDate:    "Date of decision",
		Outcome:         "Decision",
		Approved:        "The application is approved",
		Refused:         "The application is refused",
		Awarded:         "The following payments are awarded:",
		ServiceApproved: "The service “%s” is approved as applied for. This decision awards no payment.",
		Programme:       "Programme",
		Amount:          "Amount",
		Payment:         "Payment",
		Monthly:         "monthly, first month: %s",
		OneOff:          "one-off, month of payment: %s",
		Reason:          "Reason for the refusal",
		AppealTitle:     "Right to appeal",
		Appeal:          "If you disagree with this decision, you may appeal against it at any DOST centre, in the DOST portal or in court.",
		DecidedBy:       "Decided by",
		Automatic:       "the DOST information system (automatic decision)",
		Verify:          "To check that this letter is genuine, scan the QR code or open:",
		Code:            "Verification code",
		Page:            "Page %d of %s",
		Upheld:          "The appeal is dismissed",
		Stands:          "The decision of %s (“%s”) stands.",
		UpheldReason:    "Reasons",
		AppealCourt:     "If you disagree with this decision, you may appeal against it in court.",
		Months:          [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	},
	"ru": {
		Agency:          "Агентство устойчивого и оперативного социального обеспечения (DOST)",
		Title:           "Решение по обращению",
		Application:     "Обращение",
		ApplicationOf:   "№ %s от %s",
		Applicant:       "Заявитель",
		FIN:             "ФИН",
		Service:         "Услуга",
		DecisionDate:    "Дата решения",
		Outcome:         "Решение",
		Approved:        "Обращение удовлетворено",
		Refused:         "В удовлетворении обращения отказано",
		Awarded:         "Назначены следующие выплаты:",
		ServiceApproved: "Услуга «%s» одобрена в соответствии с обращением. Этим решением выплаты не назначаются.",
		Programme:       "Программа",
		Amount:          "Сумма",
		Payment:         "Выплата",
		Monthly:         "ежемесячно, первый месяц: %s",
		OneOff:          "единовременно, месяц выплаты: %s",
		Reason:          "Причина отказа",
		AppealTitle:     "Право на обжалование",
		Appeal:          "Если вы не согласны с этим решением, вы можете обжаловать его в любом центре DOST, на портале DOST или в суде.",
		DecidedBy:       "Решение принял",
		Automatic:       "информационная система DOST (автоматическое решение)",
		Verify:          "Чтобы проверить подлинность письма, отсканируйте QR-код или откройте:",
		Code:            "Код проверки",
		Page:            "Страница %d из %s",
		Upheld:          "В удовлетворении жалобы отказано",
		Stands:          "Решение от %s («%s») остаётся в силе.",
		UpheldReason:    "Обоснование",
		AppealCourt:     "Если вы не согласны с этим решением, вы можете обжаловать его в суде.",
		Months:          [12]string{"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"},
		DecimalComma:    true,
	},
}

// textsFor returns the texts of lang, Azerbaijani for any other.
func textsFor(lang string) *texts {
	if t, ok := textsByLanguage[lang]; ok {
		return t
	}
	return textsByLanguage["az"]
}

// date formats d as 02.01.2006 (az, ru) or 2 January 2006 (en).
func (t *texts) date(d dost.Date) string {
	if !t.DecimalComma {
		return fmt.Sprintf("%d %s %d", d.Day(), t.Months[d.Month()-1], d.Year())
	}
	return d.Time().Format("02.01.2006")
}

// month formats m as "mart 2026".
func (t *texts) month(m dost.Month) string {
	if m.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s %d", t.Months[m.Month-time.January], m.Year)
}

// money formats m as "349,76 AZN" (az, ru) or "349.76 AZN" (en).
func (t *texts) money(m dost.Money) string {
	s := m.String()
	if t.DecimalComma {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " " + dost.Currency
}
