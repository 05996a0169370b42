package pdf

import "github.com/dost-az/dost"

// certTexts are the fixed words of a certificate in one language; the
// agency's name, the code's label, the page numbers and the months come
// from the letters' texts. Formats take the day of the facts (%s).
type certTexts struct {
	Titles                           map[dost.CertificateKind]string
	Intros                           map[dost.CertificateKind]string
	None                             map[dost.CertificateKind]string
	Name, FIN, BirthDate, Address    string
	Household, HouseholdOf, NoHouse  string
	Roles                            map[dost.HouseholdRole]string
	Programme, Amount, Payment, From string
	Monthly, OneOff, ForHousehold    string
	Issued, ValidUntil, Electronic   string
	Verify                           string
}

// certTextsByLanguage holds the certificate's words in each language.
var certTextsByLanguage = map[string]*certTexts{
	"az": {
		Titles: map[dost.CertificateKind]string{
			dost.CertificatePension:      "Pensiyanın məbləği haqqında arayış",
			dost.CertificateBenefits:     "Alınan sosial ödənişlər haqqında arayış",
			dost.CertificateRegistration: "Qeydiyyat məlumatları haqqında arayış",
		},
		Intros: map[dost.CertificateKind]string{
			dost.CertificatePension:      "Bu arayış %s tarixinə şəxsə təyin edilmiş əmək pensiyalarını təsdiq edir.",
			dost.CertificateBenefits:     "Bu arayış %s tarixinə şəxsə və onun ailəsinə təyin edilmiş qüvvədə olan ödənişləri təsdiq edir.",
			dost.CertificateRegistration: "Bu arayış %s tarixinə şəxsin DOST reyestrindəki məlumatlarını təsdiq edir.",
		},
		None: map[dost.CertificateKind]string{
			dost.CertificatePension:  "%s tarixinə şəxsə əmək pensiyası təyin edilməyib.",
			dost.CertificateBenefits: "%s tarixinə şəxsə və onun ailəsinə qüvvədə olan sosial ödəniş təyin edilməyib.",
		},
		Name:        "Soyadı, adı, atasının adı",
		FIN:         "FİN",
		BirthDate:   "Doğum tarixi",
		Address:     "Qeydiyyat ünvanı",
		Household:   "Ailə",
		HouseholdOf: "№ %s, %s, üzvlərin sayı: %d",
		NoHouse:     "ailə tərkibində qeydə alınmayıb",
		Roles: map[dost.HouseholdRole]string{dost.RoleHead: "ailə başçısı", dost.RoleSpouse: "həyat yoldaşı",
			dost.RoleChild: "övlad", dost.RoleParent: "valideyn", dost.RoleOther: "digər üzv"},
		Programme:    "Ödəniş növü",
		Amount:       "Məbləğ",
		Payment:      "Ödənilmə qaydası",
		From:         "Təyin olunduğu tarix",
		Monthly:      "aylıq",
		OneOff:       "birdəfəlik",
		ForHousehold: "(ailəyə)",
		Issued:       "Verilmə tarixi",
		ValidUntil:   "Etibarlılıq müddəti",
		Electronic:   "Arayış elektron qaydada verilib və möhür tələb etmir.",
		Verify:       "Arayışın həqiqiliyini yoxlamaq üçün QR kodu skan edin və ya ünvana daxil olun:",
	},
	"en": {
		Titles: map[dost.CertificateKind]string{
			dost.CertificatePension:      "Certificate of pension amount",
			dost.CertificateBenefits:     "Certificate of benefits received",
			dost.CertificateRegistration: "Certificate of registration data",
		},
		Intros: map[dost.CertificateKind]string{
			dost.CertificatePension:      "This certificate attests the labour pensions awarded to the person as of %s.",
			dost.CertificateBenefits:     "This certificate attests the payments in force awarded to the person and their household as of %s.",
			dost.CertificateRegistration: "This certificate attests the person's data in the DOST registry as of %s.",
		},
		None: map[dost.CertificateKind]string{
			dost.CertificatePension:  "As of %s, no labour pension is awarded to the person.",
			dost.CertificateBenefits: "As of %s, no social payment in force is awarded to the person or their household.",
		},
		Name:        "Full name",
		FIN:         "FIN",
		BirthDate:   "Date of birth",
		Address:     "Registered address",
		Household:   "Household",
		HouseholdOf: "No. %s, %s, %d members",
		NoHouse:     "not registered in a household",
		Roles: map[dost.HouseholdRole]string{dost.RoleHead: "head of household", dost.RoleSpouse: "spouse",
			dost.RoleChild: "child", dost.RoleParent: "parent", dost.RoleOther: "other member"},
		Programme:    "Payment",
		Amount:       "Amount",
		Payment:      "Paid",
		From:         "Awarded from",
		Monthly:      "monthly",
		OneOff:       "once",
		ForHousehold: "(household)",
		Issued:       "Date of issue",
		ValidUntil:   "Valid until",
		Electronic:   "This certificate is issued electronically and needs no stamp.",
		Verify:       "To check that this certificate is genuine, scan the QR code or open:",
	},
	"ru": {
		Titles: map[dost.CertificateKind]string{
			dost.CertificatePension:      "Справка о размере пенсии",
			dost.CertificateBenefits:     "Справка о получаемых социальных выплатах",
			dost.CertificateRegistration: "Справка о регистрационных данных",
		},
		Intros: map[dost.CertificateKind]string{
			dost.CertificatePension:      "Настоящая справка подтверждает трудовые пенсии, назначенные лицу, по состоянию на %s.",
			dost.CertificateBenefits:     "Настоящая справка подтверждает действующие выплаты, назначенные лицу и его домохозяйству, по состоянию на %s.",
			dost.CertificateRegistration: "Настоящая справка подтверждает данные лица в реестре DOST по состоянию на %s.",
		},
		None: map[dost.CertificateKind]string{
			dost.CertificatePension:  "По состоянию на %s лицу трудовая пенсия не назначена.",
			dost.CertificateBenefits: "По состоянию на %s лицу и его домохозяйству действующие социальные выплаты не назначены.",
		},
		Name:        "Фамилия, имя, отчество",
		FIN:         "ФИН",
		BirthDate:   "Дата рождения",
		Address:     "Адрес регистрации",
		Household:   "Домохозяйство",
		HouseholdOf: "№ %s, %s, членов: %d",
		NoHouse:     "не состоит в домохозяйстве",
		Roles: map[dost.HouseholdRole]string{dost.RoleHead: "глава домохозяйства", dost.RoleSpouse: "супруг(а)",
			dost.RoleChild: "ребёнок", dost.RoleParent: "родитель", dost.RoleOther: "другой член"},
		Programme:    "Вид выплаты",
		Amount:       "Сумма",
		Payment:      "Порядок выплаты",
		From:         "Назначена с",
		Monthly:      "ежемесячно",
		OneOff:       "единовременно",
		ForHousehold: "(домохозяйству)",
		Issued:       "Дата выдачи",
		ValidUntil:   "Действительна до",
		Electronic:   "Справка выдана в электронном виде и не требует печати.",
		Verify:       "Чтобы проверить подлинность справки, отсканируйте QR-код или откройте:",
	},
}

// certTextsFor returns the certificate texts of lang, Azerbaijani for any other.
func certTextsFor(lang string) *certTexts {
	if t, ok := certTextsByLanguage[lang]; ok {
		return t
	}
	return certTextsByLanguage["az"]
}
